"""The verify checks of each side of a link, from the plan and that side's status."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.link_checks import link_checks
from ansible_collections.crosscluster.link.plugins.module_utils._plan import name_link

LINK = "aws-euw1--gcp-euw1"


def tunnel(index: int, letter: str, aws_tunnel: int) -> dict:
    return {
        "id": f"{LINK}-t{index}",
        "inside_cidr": f"169.254.10.{index * 4}/30",
        "aws_inside_address": f"169.254.10.{index * 4 + 1}",
        "gcp_inside_address": f"169.254.10.{index * 4 + 2}",
        "aws_asn": 64512,
        "gcp_asn": 65010,
        "aws_vpn_connection": letter,
        "aws_tunnel": aws_tunnel,
        "gcp_vpn_interface": index % 2,
    }


# the resource names as the plan gives them (name_link)
PLAN = {
    "clusters": {"aws-euw1": {}, "gcp-euw1": {}, "onprem-lab": {}},
    "links": [
        name_link(
            {
                "id": LINK,
                "aws_cluster": "aws-euw1",
                "gcp_cluster": "gcp-euw1",
                "tunnels": [
                    tunnel(0, "a", 1),
                    tunnel(1, "a", 2),
                    tunnel(2, "b", 1),
                    tunnel(3, "b", 2),
                ],
            }
        )
    ],
}


def aws_tunnel(t: dict, status: str = "UP") -> dict:
    return {
        "inside_cidr": t["inside_cidr"],
        "aws_inside_address": t["aws_inside_address"],
        "customer_inside_address": t["gcp_inside_address"],
        "aws_asn": t["aws_asn"],
        "status": status,
    }


def test_aws_all_up_and_as_planned_passes_with_tunnels_in_any_order() -> None:
    tunnels = PLAN["links"][0]["tunnels"]
    status = {
        "vpn_connections": [
            {
                "name": f"{LINK}-a",
                "state": "available",
                "tunnels": [aws_tunnel(t) for t in tunnels[1::-1]],
            },
            {
                "name": f"{LINK}-b",
                "state": "available",
                "tunnels": [aws_tunnel(t) for t in tunnels[2:]],
            },
            {"name": f"{LINK}-b", "state": "deleted", "tunnels": []},
        ]
    }
    checks = link_checks(status, PLAN, "aws-euw1", "aws")
    assert len(checks) == 6 and all(c["ok"] for c in checks)
    assert checks[1]["name"] == f"AWS tunnel {LINK}-t0 ({LINK}-a tunnel 1)"
    assert checks[1]["expected"] == "UP 169.254.10.0/30 169.254.10.1/169.254.10.2 AS 64512"


def test_aws_down_tunnel_missing_connection_and_wrong_asn_fail_naming_them() -> None:
    tunnels = PLAN["links"][0]["tunnels"]
    wrong_asn = aws_tunnel(tunnels[1]) | {"aws_asn": 64999}
    status = {
        "vpn_connections": [
            {
                "name": f"{LINK}-a",
                "state": "available",
                "tunnels": [aws_tunnel(tunnels[0], "DOWN"), wrong_asn],
            }
        ]
    }
    failed = {
        c["name"]: c["actual"] for c in link_checks(status, PLAN, "aws-euw1", "aws") if not c["ok"]
    }
    assert failed[f"AWS tunnel {LINK}-t0 ({LINK}-a tunnel 1)"].startswith("DOWN ")
    assert failed[f"AWS tunnel {LINK}-t1 ({LINK}-a tunnel 2)"].endswith("AS 64999")
    assert failed[f"AWS VPN connection {LINK}-b"] == "missing"
    assert failed[f"AWS tunnel {LINK}-t2 ({LINK}-b tunnel 1)"] == "missing - -/- AS -"


def test_gcp_checks_each_tunnel_and_peer() -> None:
    names = [f"xcl-{t['id']}" for t in PLAN["links"][0]["tunnels"]]
    status = {
        "tunnels": [{"name": n, "status": "ESTABLISHED"} for n in names],
        "bgp_peers": [{"name": n, "status": "UP"} for n in names[:3]],
    }
    checks = link_checks(status, PLAN, "gcp-euw1", "gcp")
    assert len(checks) == 8
    failed = [c["summary"] for c in checks if not c["ok"]]
    assert failed == [
        f"GCP BGP peer {names[3]} (169.254.10.14 AS 65010 -> 169.254.10.13 AS 64512): "
        "expected UP, got missing (likely cause: BGP peer not configured)"
    ]
    assert checks[0]["name"] == f"GCP tunnel {names[0]} (interface 0)"


def test_a_cluster_on_neither_side_has_no_checks_and_bad_arguments_are_refused() -> None:
    assert link_checks({}, PLAN, "onprem-lab", "gcp") == []
    with pytest.raises(AnsibleFilterError, match="side must be one of"):
        link_checks({}, PLAN, "aws-euw1", "azure")
    with pytest.raises(AnsibleFilterError, match="must be the link plan"):
        link_checks({}, {}, "aws-euw1", "aws")
    with pytest.raises(AnsibleFilterError, match="'nope' is not a cluster of the plan"):
        link_checks({}, PLAN, "nope", "aws")


# -- likely causes


def aws_status(tunnels: list[dict], *, state: str = "available") -> dict:
    """Both connections of the link, the given reported tunnels spread by connection."""
    planned = {t["inside_cidr"]: t["aws_vpn_connection"] for t in PLAN["links"][0]["tunnels"]}
    return {
        "vpn_connections": [
            {
                "name": f"{LINK}-{letter}",
                "state": state,
                "tunnels": [r for r in tunnels if planned[r["inside_cidr"]] == letter],
            }
            for letter in ("a", "b")
        ]
    }


@pytest.mark.parametrize(
    ("status", "message", "state", "cause"),
    [
        ("DOWN", "IPSEC IS DOWN", "available", "pre-shared key or proposal mismatch"),
        ("DOWN", "", "available", "pre-shared key or proposal mismatch"),
        ("DOWN", "IPSEC IS UP", "available", "ASN or inside address mismatch"),
        ("DOWN", "", "pending", "VPN connection pending"),
    ],
)
def test_a_down_aws_tunnel_names_its_likely_cause(status, message, state, cause) -> None:
    tunnels = PLAN["links"][0]["tunnels"]
    reported = [aws_tunnel(t) for t in tunnels]
    reported[1] = reported[1] | {"status": status, "status_message": message}
    checks = link_checks(aws_status(reported, state=state), PLAN, "aws-euw1", "aws")
    failed = {c["name"]: c for c in checks if not c["ok"]}
    name = f"AWS tunnel {LINK}-t1 ({LINK}-a tunnel 2)"
    assert failed[name]["cause"] == cause
    assert failed[name]["summary"].endswith(f" (likely cause: {cause})")
    assert all(c["cause"] == "" for c in checks if c["ok"])


def test_an_up_aws_tunnel_with_another_asn_is_not_blamed_on_the_psk() -> None:
    tunnels = PLAN["links"][0]["tunnels"]
    reported = [aws_tunnel(t) for t in tunnels]
    reported[0] = reported[0] | {"aws_asn": 64999}
    checks = link_checks(aws_status(reported), PLAN, "aws-euw1", "aws")
    (failed,) = [c for c in checks if not c["ok"]]
    assert "configured differently from the plan" in failed["cause"]


@pytest.mark.parametrize(
    ("tunnel", "peer", "tunnel_cause", "peer_cause"),
    [
        (
            {"status": "AUTHORIZATION_ERROR", "detailed_status": "bad secret"},
            "DOWN",
            "pre-shared key or proposal mismatch",
            "its tunnel is not established",
        ),
        (
            {"status": "NEGOTIATION_FAILURE"},
            "DOWN",
            "pre-shared key or proposal mismatch",
            "its tunnel is not established",
        ),
        ({"status": "ESTABLISHED"}, "DOWN", "", "ASN or inside address mismatch"),
        ({"status": "ESTABLISHED"}, None, "", "BGP peer not configured"),
        (
            {"status": "WAITING_FOR_FULL_CONFIG", "detailed_status": "Cloud Router missing."},
            "DOWN",
            "incomplete configuration: Cloud Router missing.",
            "its tunnel is not established",
        ),
        (
            {"status": "NO_INCOMING_PACKETS"},
            "DOWN",
            "no packets from the peer (its outside IP, or the path between the gateways)",
            "its tunnel is not established",
        ),
        (None, "DOWN", "tunnel not created", "its tunnel is not established"),
    ],
)
def test_gcp_causes_follow_the_tunnel_and_peer_status(
    tunnel, peer, tunnel_cause, peer_cause
) -> None:
    names = [f"xcl-{t['id']}" for t in PLAN["links"][0]["tunnels"]]
    tunnels = [{"name": n, "status": "ESTABLISHED"} for n in names[1:]]
    peers = [{"name": n, "status": "UP"} for n in names[1:]]
    if tunnel is not None:
        tunnels.append({"name": names[0]} | tunnel)
    if peer is not None:
        peers.append({"name": names[0], "status": peer})
    checks = link_checks({"tunnels": tunnels, "bgp_peers": peers}, PLAN, "gcp-euw1", "gcp")
    causes = {c["name"].split(" (")[0]: c["cause"] for c in checks if not c["ok"]}
    expected = {f"GCP BGP peer {names[0]}": peer_cause}
    if tunnel_cause:
        expected[f"GCP tunnel {names[0]}"] = tunnel_cause
    assert causes == expected


# -- links to an on-prem gateway: what the cloud says about its tunnels to it

ONPREM_PLAN = {
    "clusters": {"aws-euw1": {}, "gcp-euw1": {}, "dc1": {}, "onprem-lab": {}},
    "links": [
        name_link(
            {
                "id": "aws-euw1--dc1",
                "transport": "aws_onprem_vpn",
                "aws_cluster": "aws-euw1",
                "onprem_cluster": "dc1",
                "tunnels": [
                    {
                        "id": f"aws-euw1--dc1-t{i}",
                        "inside_cidr": f"169.254.20.{i * 4}/30",
                        "aws_inside_address": f"169.254.20.{i * 4 + 1}",
                        "onprem_inside_address": f"169.254.20.{i * 4 + 2}",
                        "aws_asn": 64512,
                        "onprem_asn": 65020,
                        "aws_vpn_connection": "a",
                        "aws_tunnel": i + 1,
                    }
                    for i in range(2)
                ],
            }
        ),
        name_link(
            {
                "id": "dc1--gcp-euw1",
                "transport": "gcp_onprem_ha_vpn",
                "gcp_cluster": "gcp-euw1",
                "onprem_cluster": "dc1",
                "tunnels": [
                    {
                        "id": f"dc1--gcp-euw1-t{i}",
                        "inside_cidr": f"169.254.30.{i * 4}/30",
                        "gcp_inside_address": f"169.254.30.{i * 4 + 1}",
                        "onprem_inside_address": f"169.254.30.{i * 4 + 2}",
                        "gcp_asn": 65010,
                        "onprem_asn": 65020,
                        "gcp_vpn_interface": i,
                        "gcp_external_interface": 0,
                    }
                    for i in range(2)
                ],
            }
        ),
    ],
}


def test_aws_onprem_link_has_one_connection_and_names_the_onprem_end() -> None:
    tunnels = ONPREM_PLAN["links"][0]["tunnels"]
    reported = [
        {
            "inside_cidr": t["inside_cidr"],
            "aws_inside_address": t["aws_inside_address"],
            "customer_inside_address": t["onprem_inside_address"],
            "aws_asn": 64512,
            "status": "UP",
        }
        for t in tunnels
    ]
    status = {
        "vpn_connections": [{"name": "aws-euw1--dc1-a", "state": "available", "tunnels": reported}]
    }
    checks = link_checks(status, ONPREM_PLAN, "aws-euw1", "aws")
    assert [c["name"] for c in checks] == [
        "AWS VPN connection aws-euw1--dc1-a",
        "AWS tunnel aws-euw1--dc1-t0 (aws-euw1--dc1-a tunnel 1)",
        "AWS tunnel aws-euw1--dc1-t1 (aws-euw1--dc1-a tunnel 2)",
    ]
    assert all(c["ok"] for c in checks)
    assert checks[1]["expected"] == "UP 169.254.20.0/30 169.254.20.1/169.254.20.2 AS 64512"
    reported[1]["status"] = "DOWN"
    failed = [c for c in link_checks(status, ONPREM_PLAN, "aws-euw1", "aws") if not c["ok"]]
    assert [c["name"] for c in failed] == ["AWS tunnel aws-euw1--dc1-t1 (aws-euw1--dc1-a tunnel 2)"]


def test_gcp_onprem_link_checks_tunnels_and_peers_towards_the_onprem_end() -> None:
    names = [f"xcl-dc1--gcp-euw1-t{i}" for i in range(2)]
    status = {
        "tunnels": [{"name": n, "status": "ESTABLISHED"} for n in names],
        "bgp_peers": [{"name": names[0], "status": "UP"}, {"name": names[1], "status": "DOWN"}],
    }
    checks = link_checks(status, ONPREM_PLAN, "gcp-euw1", "gcp")
    assert len(checks) == 4
    failed = [c["summary"] for c in checks if not c["ok"]]
    assert failed == [
        f"GCP BGP peer {names[1]} (169.254.30.5 AS 65010 -> 169.254.30.6 AS 65020): "
        "expected UP, got DOWN (likely cause: ASN or inside address mismatch)"
    ]
    assert link_checks(status, ONPREM_PLAN, "dc1", "gcp") == []


def peering_plan() -> dict:
    """Two GCP clusters as build_plan lays out their link (one peering on each network)."""
    from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

    def gcp(n: int, network: str) -> dict:
        return {
            "cluster_provider": "gcp",
            "cluster_region": "europe-west1",
            "cluster_project": "team-p",
            "cluster_network": network,
            "cluster_node_cidrs": [f"10.{n}.0.0/20"],
            "cluster_pod_cidrs": [f"10.{n}.64.0/18"],
            "cluster_service_cidrs": [f"10.{n}.128.0/20", f"fd0{n}::/108"],
            "cluster_dns_zone": f"g{n}.local",
            "cluster_asn": 65000,
        }

    plan, errors, _warnings = build_plan({"ga": gcp(1, "vpc-a"), "gb": gcp(2, "vpc-b")})
    assert errors == []
    return plan


def test_a_peering_is_active_and_imports_every_ipv4_range_of_the_other_cluster() -> None:
    plan = peering_plan()
    ranges = ["10.2.0.0/20", "10.2.64.0/18", "10.2.128.0/20"]
    status = {
        "tunnels": [],
        "bgp_peers": [],
        "peerings": [{"name": "xcl-ga--gb", "state": "ACTIVE", "incoming_routes": ranges}],
    }
    checks = link_checks(status, plan, "ga", "gcp")
    assert [(c["name"], c["ok"]) for c in checks] == [
        ("GCP peering xcl-ga--gb (vpc-a -> vpc-b)", True),
        ("GCP peering xcl-ga--gb routes imported from gb", True),
    ]
    status["peerings"][0]["incoming_routes"] = ranges[:2]
    failed = link_checks(status, plan, "ga", "gcp")[1]
    assert not failed["ok"] and failed["actual"] == "missing 10.2.128.0/20"
    assert "not a subnet or secondary range of vpc-b" in failed["summary"]


@pytest.mark.parametrize(
    ("peerings", "state", "cause"),
    [
        ([], "missing", "peering not created"),
        (
            [{"name": "xcl-ga--gb", "state": "INACTIVE", "incoming_routes": []}],
            "INACTIVE",
            "no peering back from vpc-b (is gb linked?)",
        ),
    ],
)
def test_a_peering_not_active_names_why(peerings: list, state: str, cause: str) -> None:
    checks = link_checks({"peerings": peerings}, peering_plan(), "ga", "gcp")
    assert checks[0]["actual"] == state and checks[0]["cause"] == cause
    assert not checks[1]["ok"]
    assert checks[1]["cause"] == "no routes while the peering is not active"


# ---------------------------------------------------------------------------- aws <-> aws


def aws_peering_plan() -> dict:
    side = {
        "name": "aws1--aws2",
        "requester": True,
        "region": "eu-west-1",
        "vpc_id": "vpc-1",
        "peer_region": "us-east-1",
        "peer_vpc_id": "vpc-2",
        "remote_cluster": "aws2",
        "route_cidrs": ["10.50.0.0/16", "10.51.0.0/16"],
    }
    return {
        "clusters": {"aws1": {}, "aws2": {}},
        "links": [
            {
                "id": "aws1--aws2",
                "clusters": ["aws1", "aws2"],
                "transport": "aws_vpc_peering",
                "tunnels": [],
                "aws_peerings": {"aws1": side},
            }
        ],
    }


def pcx_status(status: str = "active", routes: list | None = None, tables=("rtb-1", "rtb-2")):
    if routes is None:
        routes = [(t, c, "active") for t in tables for c in ("10.50.0.0/16", "10.51.0.0/16")]
    return {
        "route_table_ids": list(tables),
        "vpc_peering_connections": [
            {
                "name": "aws1--aws2",
                "status": status,
                "status_message": "Overlapping CIDR range" if status == "failed" else "",
                "routes": [
                    {"route_table_id": t, "destination": c, "state": s} for t, c, s in routes
                ],
            }
        ],
    }


def test_an_active_peering_routed_in_every_table_passes() -> None:
    checks = link_checks(pcx_status(), aws_peering_plan(), "aws1", "aws_peering")
    assert [(c["name"], c["ok"]) for c in checks] == [
        ("AWS VPC peering aws1--aws2 (vpc-1 -> vpc-2)", True),
        ("AWS routes to aws1--aws2 in vpc-1", True),
    ]
    assert checks[1]["expected"] == "10.50.0.0/16, 10.51.0.0/16 in 2 route table(s)"
    assert link_checks(pcx_status(), aws_peering_plan(), "aws2", "aws_peering") == []


@pytest.mark.parametrize(
    ("status", "routes", "failing", "cause"),
    [
        (
            "active",
            [("rtb-1", "10.50.0.0/16", "active"), ("rtb-2", "10.51.0.0/16", "active")],
            "missing rtb-1 10.51.0.0/16, rtb-2 10.50.0.0/16",
            "route removed or replaced outside this collection",
        ),
        (
            "pending-acceptance",
            None,
            "pending-acceptance",
            "not accepted in us-east-1",
        ),
        ("failed", [], "failed", "request failed: Overlapping CIDR range"),
    ],
)
def test_a_peering_not_active_or_not_routed_names_why(status, routes, failing, cause) -> None:
    checks = link_checks(pcx_status(status, routes), aws_peering_plan(), "aws1", "aws_peering")
    bad = [c for c in checks if not c["ok"]]
    assert bad[0]["actual"] == failing and bad[0]["cause"] == cause


def test_a_blackhole_route_is_not_a_route_and_a_missing_connection_names_the_requester() -> None:
    routes = [("rtb-1", c, "blackhole") for c in ("10.50.0.0/16", "10.51.0.0/16")]
    checks = link_checks(
        pcx_status(routes=routes, tables=("rtb-1",)), aws_peering_plan(), "aws1", "aws_peering"
    )
    assert checks[1]["actual"] == "missing rtb-1 10.50.0.0/16, rtb-1 10.51.0.0/16"
    empty = {"route_table_ids": ["rtb-1"], "vpc_peering_connections": []}
    missing = link_checks(empty, aws_peering_plan(), "aws1", "aws_peering")
    assert missing[0]["actual"] == "missing"
    assert missing[0]["cause"] == "connection not requested (by aws1: is it linked?)"


# ---------------------------------------------------------------------------- aws_tgw_peering


def tgw_peering_plan(requester: bool = True) -> dict:
    side = {
        "name": "aws1--aws2",
        "requester": requester,
        "region": "eu-west-1",
        "vpc_id": "vpc-1",
        "transit_gateway_id": "tgw-1",
        "asn": 64512,
        "peer_region": "us-east-1",
        "peer_transit_gateway_id": "tgw-2",
        "peer_asn": 64513,
        "remote_cluster": "aws2",
        "route_cidrs": ["10.50.0.0/16", "10.52.0.0/16"],
    }
    return {
        "clusters": {"aws1": {}, "aws2": {}},
        "links": [
            {
                "id": "aws1--aws2",
                "clusters": ["aws1", "aws2"],
                "transport": "aws_tgw_peering",
                "tunnels": [],
                "aws_tgw_peerings": {"aws1": side},
            }
        ],
    }


def tgw_status(state: str = "available", routes: list | None = None) -> dict:
    if routes is None:
        routes = [(c, "active") for c in ("10.50.0.0/16", "10.52.0.0/16")]
    return {
        "route_table_id": "tgw-rtb-1",
        "transit_gateway_peering_attachments": [
            {
                "name": "aws1--aws2",
                "state": state,
                "status_message": "",
                "routes": [{"destination": c, "state": s} for c, s in routes],
            }
        ],
    }


def test_an_available_tgw_peering_routed_in_its_table_passes() -> None:
    checks = link_checks(tgw_status(), tgw_peering_plan(), "aws1", "aws_tgw_peering")
    assert [(c["name"], c["ok"]) for c in checks] == [
        ("AWS TGW peering aws1--aws2 (tgw-1 -> tgw-2)", True),
        ("AWS TGW routes to aws1--aws2 in tgw-1 (tgw-rtb-1)", True),
    ]
    assert link_checks(tgw_status(), tgw_peering_plan(), "aws2", "aws_tgw_peering") == []


@pytest.mark.parametrize(
    ("state", "routes", "requester", "failing", "cause"),
    [
        ("pendingAcceptance", None, True, "pendingAcceptance", "not accepted in us-east-1"),
        ("pendingAcceptance", None, False, "pendingAcceptance", "not accepted in eu-west-1"),
        ("pending", None, True, "pending", "accepted, still provisioning"),
        ("rejected", None, True, "rejected", "attachment rejected: no message"),
        (
            "available",
            [("10.50.0.0/16", "active"), ("10.52.0.0/16", "blackhole")],
            True,
            "missing 10.52.0.0/16",
            "route removed or replaced outside this collection",
        ),
    ],
)
def test_a_tgw_peering_not_available_or_not_routed_names_why(
    state, routes, requester, failing, cause
) -> None:
    checks = link_checks(
        tgw_status(state, routes), tgw_peering_plan(requester), "aws1", "aws_tgw_peering"
    )
    bad = [c for c in checks if not c["ok"]]
    assert bad[0]["actual"] == failing and bad[0]["cause"] == cause


def test_a_missing_tgw_peering_names_the_requester() -> None:
    empty = {"route_table_id": "tgw-rtb-1", "transit_gateway_peering_attachments": []}
    checks = link_checks(empty, tgw_peering_plan(requester=False), "aws1", "aws_tgw_peering")
    assert [(c["actual"], c["cause"]) for c in checks] == [
        ("missing", "attachment not requested (by aws2: is it linked?)"),
        ("missing 10.50.0.0/16, 10.52.0.0/16", "no attachment to route to"),
    ]
