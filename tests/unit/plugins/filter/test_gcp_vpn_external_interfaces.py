"""gcp_vpn_external_interfaces: the AWS side's outside IPs on the external gateway's interfaces."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_external_interfaces import (
    FilterModule,
    gcp_vpn_external_interfaces,
)

LINK = {
    "id": "a--g",
    "tunnels": [
        {"id": "a--g-t0", "gcp_external_interface": 0},
        {"id": "a--g-t1", "gcp_external_interface": 2},
        {"id": "a--g-t2", "gcp_external_interface": 1},
        {"id": "a--g-t3", "gcp_external_interface": 3},
    ],
}


def aws_side(*pairs: tuple[str, str | None]) -> dict[str, Any]:
    return {"asn": 64512, "tunnels": [{"id": i, "outside_ip": ip} for i, ip in pairs]}


def test_pairs_by_tunnel_id_whatever_order_the_aws_side_lists_them() -> None:
    side = aws_side(
        ("a--g-t3", "198.51.100.4"),
        ("a--g-t1", "198.51.100.2"),
        ("a--g-t0", "198.51.100.1"),
        ("a--g-t2", "198.51.100.3"),
    )
    assert gcp_vpn_external_interfaces(LINK, side) == [
        {"id": 0, "ip_address": "198.51.100.1"},
        {"id": 1, "ip_address": "198.51.100.3"},
        {"id": 2, "ip_address": "198.51.100.2"},
        {"id": 3, "ip_address": "198.51.100.4"},
    ]


def test_a_tunnel_the_aws_side_does_not_report_has_no_address() -> None:
    interfaces = gcp_vpn_external_interfaces(LINK, aws_side(("a--g-t0", "198.51.100.1")))
    assert [i["ip_address"] for i in interfaces] == ["198.51.100.1", None, None, None]


@pytest.mark.parametrize(("link", "side"), [(None, {}), (LINK, None), ("a--g", {})])
def test_refuses_what_is_not_a_link_and_its_aws_side(link: Any, side: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="plan link"):
        gcp_vpn_external_interfaces(link, side)


def test_registered() -> None:
    assert FilterModule().filters()["gcp_vpn_external_interfaces"] is gcp_vpn_external_interfaces
