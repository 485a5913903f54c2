"""The route checks of verify: what each BGP session learned against what the other side
advertises, both read from the ``link_status`` facts of the two clusters' hosts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.link_route_checks import (
    link_route_checks,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import name_link

LINK = "aws-euw1--gcp-euw1"
VPC_BLOCKS = ["10.10.0.0/16", "10.32.0.0/16", "2600:1f18::/56"]  # IPv6 is not on the sessions
GCP_ADVERTISED = ["10.20.0.0/20", "10.48.0.0/14", "10.104.0.0/20"]


def tunnel(index: int) -> dict[str, Any]:
    return {
        "id": f"{LINK}-t{index}",
        "inside_cidr": f"169.254.10.{index * 4}/30",
        "aws_vpn_connection": "a" if index < 2 else "b",
    }


def plan(gateway: str = "vgw") -> dict[str, Any]:
    return {
        "clusters": {
            "aws-euw1": {"host": "aws-host", "provider": "aws", "aws_gateway": gateway},
            "gcp-euw1": {"host": "gcp-host", "provider": "gcp", "aws_gateway": None},
        },
        "links": [
            name_link(
                {
                    "id": LINK,
                    "aws_cluster": "aws-euw1",
                    "gcp_cluster": "gcp-euw1",
                    "tunnels": [tunnel(i) for i in range(4)],
                }
            )
        ],
    }


def healthy() -> dict[str, Any]:
    """Both hosts' link_status as verify sets them when everything is up: AWS accepted the
    three GCP ranges on every tunnel, every GCP peer learned both IPv4 VPC blocks."""
    tunnels = [tunnel(i) for i in range(4)]
    aws = {
        "vpn_connections": [
            {
                "name": f"{LINK}-{letter}",
                "state": "available",
                "tunnels": [
                    {"inside_cidr": t["inside_cidr"], "status": "UP", "accepted_route_count": 3}
                    for t in tunnels
                    if t["aws_vpn_connection"] == letter
                ],
            }
            for letter in ("a", "b")
        ],
        "vpc_cidr_blocks": VPC_BLOCKS,
    }
    gcp = {
        "bgp_peers": [
            {
                "name": f"xcl-{t['id']}",
                "status": "UP",
                "num_learned_routes": 2,
                "learned_routes": ["10.32.0.0/16", "10.10.0.0/16"],
                "advertised_routes": GCP_ADVERTISED,
            }
            for t in tunnels
        ]
    }
    return {"aws-host": {"link_status": aws}, "gcp-host": {"link_status": gcp}}


def failing(checks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in checks if not c["ok"]}


@pytest.mark.parametrize("cluster", ["aws-euw1", "gcp-euw1"])
def test_every_session_with_the_advertised_routes_passes(cluster: str) -> None:
    checks = link_route_checks(healthy(), plan(), cluster)
    assert len(checks) == 4 and all(c["ok"] for c in checks), checks


def test_the_expected_values_name_the_other_sides_routes() -> None:
    aws = link_route_checks(healthy(), plan(), "aws-euw1")[0]
    assert aws["name"] == f"AWS tunnel {LINK}-t0 routes accepted from GCP"
    assert aws["expected"] == "3 (10.20.0.0/20, 10.48.0.0/14, 10.104.0.0/20)"
    gcp = link_route_checks(healthy(), plan(), "gcp-euw1")[0]
    assert gcp["name"] == f"GCP BGP peer xcl-{LINK}-t0 routes learned from AWS"
    assert gcp["expected"] == "2 (10.10.0.0/16, 10.32.0.0/16)"
    assert gcp["actual"] == "2 (10.10.0.0/16, 10.32.0.0/16)"


def test_an_aws_tunnel_that_accepted_fewer_routes_fails() -> None:
    facts = healthy()
    facts["aws-host"]["link_status"]["vpn_connections"][1]["tunnels"][0]["accepted_route_count"] = 1
    failed = failing(link_route_checks(facts, plan(), "aws-euw1"))
    (check,) = failed.values()
    assert check["name"] == f"AWS tunnel {LINK}-t2 routes accepted from GCP"
    assert check["actual"] == "1"
    assert check["cause"] == "AWS accepted other routes than GCP advertises"


def test_a_gcp_peer_that_learned_another_set_fails_and_a_tgw_may_advertise_more() -> None:
    facts = healthy()
    peer = facts["gcp-host"]["link_status"]["bgp_peers"][3]
    peer["learned_routes"] = [*peer["learned_routes"], "10.99.0.0/16"]
    peer["num_learned_routes"] = 3
    (check,) = failing(link_route_checks(facts, plan(), "gcp-euw1")).values()
    assert check["name"] == f"GCP BGP peer xcl-{LINK}-t3 routes learned from AWS"
    assert check["cause"] == "the AWS side advertises other routes than its VPC's CIDR blocks"
    # A transit gateway advertises its route table: the VPC blocks and possibly more.
    assert all(c["ok"] for c in link_route_checks(facts, plan("tgw"), "gcp-euw1"))
    peer["learned_routes"] = ["10.99.0.0/16"]
    assert failing(link_route_checks(facts, plan("tgw"), "gcp-euw1"))


def test_a_count_that_disagrees_with_the_learned_routes_fails() -> None:
    facts = healthy()
    facts["gcp-host"]["link_status"]["bgp_peers"][0]["num_learned_routes"] = 5
    assert list(failing(link_route_checks(facts, plan(), "gcp-euw1"))) == [
        f"GCP BGP peer xcl-{LINK}-t0 routes learned from AWS"
    ]


def test_a_down_session_fails_its_route_checks_on_both_sides() -> None:
    facts = healthy()
    aws_tunnel = facts["aws-host"]["link_status"]["vpn_connections"][0]["tunnels"][1]
    aws_tunnel.update(status="DOWN", accepted_route_count=0)
    peer = facts["gcp-host"]["link_status"]["bgp_peers"][1]
    peer.update(status="DOWN", num_learned_routes=0, learned_routes=[], advertised_routes=[])
    (aws,) = failing(link_route_checks(facts, plan(), "aws-euw1")).values()
    assert aws["expected"] == "what the GCP peer advertises (it reports none)"
    assert aws["cause"] == "no BGP session (see the tunnel's check)"
    (gcp,) = failing(link_route_checks(facts, plan(), "gcp-euw1")).values()
    assert gcp["cause"] == "no BGP session (see the peer's check)"


@pytest.mark.parametrize("cluster", ["aws-euw1", "gcp-euw1"])
def test_a_side_not_read_fails_every_route_check(cluster: str) -> None:
    facts = copy.deepcopy(healthy())
    other = "gcp-host" if cluster == "aws-euw1" else "aws-host"
    del facts[other]["link_status"]
    checks = link_route_checks(facts, plan(), cluster)
    assert len(checks) == 4 and not any(c["ok"] for c in checks)
    assert all("was not read in this run" in c["cause"] for c in checks)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="must be the link plan"):
        link_route_checks({}, {"links": []}, "aws-euw1")
    with pytest.raises(AnsibleFilterError, match="is not a cluster of the plan"):
        link_route_checks({}, plan(), "azure-1")
