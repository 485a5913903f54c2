"""The AWS side's per-connection tunnel options and the facts it hands to the other end."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_tunnel_options import (
    FilterModule,
    aws_vpn_link_facts,
    aws_vpn_missing_peers,
    aws_vpn_tunnel_options,
)
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

from tests.unit.plugins.module_utils.test_plan import aws, gcp, onprem

SECRET = "unit-test-link-secret-0123"
OPTIONS = {"ike_versions": ["ikev2"], "phase1_dh_group_numbers": [14]}


def links() -> dict:
    plan, errors, _warnings = build_plan({"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()})
    assert not errors
    return {link["transport"]: link for link in plan["links"]}


@pytest.mark.parametrize(
    ("transport", "connection", "tunnels"),
    [
        ("aws_onprem_vpn", "a", ["t0", "t1"]),
        ("aws_gcp_ha_vpn", "a", ["t0", "t1"]),
        ("aws_gcp_ha_vpn", "b", ["t2", "t3"]),
    ],
)
def test_options_per_tunnel_of_the_connection_in_aws_tunnel_order(
    transport: str, connection: str, tunnels: list[str]
) -> None:
    link = links()[transport]
    link = {**link, "tunnels": list(reversed(link["tunnels"]))}  # order must not matter
    options = aws_vpn_tunnel_options(link, connection, OPTIONS, SECRET)
    by_id = {t["id"]: t for t in link["tunnels"]}
    ids = [f"{link['id']}-{t}" for t in tunnels]
    assert [o["inside_cidr"] for o in options] == [by_id[i]["inside_cidr"] for i in ids]
    assert [o["pre_shared_key"] for o in options] == [tunnel_psk(SECRET, i) for i in ids]
    assert all(o["ike_versions"] == ["ikev2"] for o in options)


def test_a_connection_without_tunnels_is_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="no tunnel on connection 'b'"):
        aws_vpn_tunnel_options(links()["aws_onprem_vpn"], "b", OPTIONS, SECRET)


def test_link_facts_pair_tunnels_by_inside_cidr_and_name_the_other_end() -> None:
    link = links()["aws_onprem_vpn"]
    t0, t1 = link["tunnels"]
    facts = aws_vpn_link_facts(link, {t1["inside_cidr"]: "198.51.100.2"}, "64512")
    assert facts == {
        "asn": 64512,
        "tunnels": [
            {
                "id": t0["id"],
                "outside_ip": None,
                "aws_inside_address": t0["aws_inside_address"],
                "onprem_inside_address": t0["onprem_inside_address"],
            },
            {
                "id": t1["id"],
                "outside_ip": "198.51.100.2",
                "aws_inside_address": t1["aws_inside_address"],
                "onprem_inside_address": t1["onprem_inside_address"],
            },
        ],
    }
    gcp_facts = aws_vpn_link_facts(links()["aws_gcp_ha_vpn"], {}, 64512)
    assert all("gcp_inside_address" in t for t in gcp_facts["tunnels"])


def test_missing_peers_are_the_links_without_two_interface_ips() -> None:
    links = [{"id": i} for i in ("ok", "absent", "one", "empty", "none", "three")]
    peers = {
        "ok": {"interface_ips": ["203.0.113.10", "203.0.113.11"]},
        "one": {"interface_ips": ["203.0.113.10"]},
        "empty": {},
        "none": {"interface_ips": ["203.0.113.10", None]},
        "three": {"interface_ips": ["203.0.113.10", "203.0.113.11", "203.0.113.12"]},
    }
    assert aws_vpn_missing_peers(links, peers) == ["absent", "one", "empty", "none", "three"]
    assert aws_vpn_missing_peers([], {}) == []
    assert FilterModule().filters()["aws_vpn_missing_peers"] is aws_vpn_missing_peers
