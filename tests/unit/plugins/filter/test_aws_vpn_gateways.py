"""aws_vpn_gateways filter: the collection's own VPN gateway, and foreign ones in its way."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_gateways import (
    FilterModule,
    aws_vpn_gateways,
)

VPC, NAME = "vpc-1", "xcl-aws-euw1"
OURS = {"crosscluster.link/managed": "true", "crosscluster.link/name": NAME}


def vgw(gateway_id: str, tags: dict[str, str], *attachments: tuple[str, str]) -> dict[str, Any]:
    return {
        "vpn_gateway_id": gateway_id,
        "resource_tags": tags,
        "vpc_attachments": [{"vpc_id": vpc, "state": state} for vpc, state in attachments],
    }


def test_ours_by_both_tags_and_foreign_by_attachment_or_name() -> None:
    gateways = [
        vgw("vgw-ours", OURS, (VPC, "attached")),
        vgw("vgw-attached", {}, (VPC, "attached")),
        vgw("vgw-attaching", {"Name": "other"}, (VPC, "attaching")),
        vgw("vgw-named", {"Name": NAME}),
        vgw("vgw-other-link", {**OURS, "crosscluster.link/name": "xcl-other"}),
        vgw("vgw-detached", {}, (VPC, "detached")),
        vgw("vgw-elsewhere", {}, ("vpc-2", "attached")),
        {"vpn_gateway_id": "vgw-bare"},
    ]
    sorted_ = aws_vpn_gateways(gateways, VPC, NAME)
    assert [g["vpn_gateway_id"] for g in sorted_["ours"]] == ["vgw-ours"]
    assert sorted_["foreign"] == ["vgw-attached", "vgw-attaching", "vgw-named"]


def test_a_managed_tag_alone_is_not_ours() -> None:
    managed_only = vgw("vgw-m", {"crosscluster.link/managed": "true"}, (VPC, "attached"))
    assert aws_vpn_gateways([managed_only], VPC, NAME) == {"ours": [], "foreign": ["vgw-m"]}


def test_no_gateways() -> None:
    assert aws_vpn_gateways([], VPC, NAME) == {"ours": [], "foreign": []}


@pytest.mark.parametrize("bad", [None, "vgw-1", [1]])
def test_refuses_what_is_not_the_gateway_list(bad: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="list of virtual_gateways"):
        aws_vpn_gateways(bad, VPC, NAME)


def test_registered() -> None:
    assert FilterModule().filters()["aws_vpn_gateways"] is aws_vpn_gateways
