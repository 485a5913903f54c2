"""gcp <-> gcp HA VPN links (transport gcp_ha_vpn) in the filters: the role's tunnels
(gcp_vpn_ha_tunnels), the wiring (tunnels_ready, firewall rules) and the verify checks."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_firewall_rules import (
    gcp_vpn_firewall_rules,
)
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_ha_tunnels import (
    gcp_vpn_ha_tunnels,
)
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_router_peers import (
    gcp_vpn_router_peers,
)
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_tunnels import gcp_vpn_tunnels
from ansible_collections.crosscluster.link.plugins.filter.link_checks import link_checks
from ansible_collections.crosscluster.link.plugins.filter.link_wiring import link_wiring
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

from tests.unit.plugins.module_utils.test_plan import aws, onprem

LINK = "ga--gb"


def gcp(n: int, **over: Any) -> dict[str, Any]:
    return {
        "cluster_provider": "gcp",
        "cluster_region": "europe-west1",
        "cluster_project": "team-p",
        "cluster_network": f"vpc-{n}",
        "cluster_node_cidrs": [f"10.{n}.0.0/20"],
        "cluster_pod_cidrs": [f"10.{n}.64.0/18"],
        "cluster_service_cidrs": [f"10.{n}.128.0/20", f"fd0{n}::/108"],
        "cluster_dns_zone": f"g{n}.local",
        "cluster_asn": 65000 + n,
        **over,
    }


def ha_plan(**second: Any) -> dict[str, Any]:
    specs = {"ga": gcp(1), "gb": gcp(2, **second)}
    plan, errors, _warnings = build_plan(specs, transports={"gcp-gcp": "gcp_ha_vpn"})
    assert errors == []
    assert plan is not None
    return plan


def test_each_side_gets_its_two_tunnels_towards_the_other_gateway() -> None:
    plan = ha_plan(cluster_project="team-q", cluster_region="us-east1")
    tunnels = gcp_vpn_ha_tunnels(plan, "gb")
    assert [t["gcp_tunnel"] for t in tunnels] == [f"xcl-{LINK}-t0-1", f"xcl-{LINK}-t1-1"]
    assert [t["peer_gcp_tunnel"] for t in tunnels] == [f"xcl-{LINK}-t0-0", f"xcl-{LINK}-t1-0"]
    assert [t["id"] for t in tunnels] == [f"{LINK}-t0", f"{LINK}-t1"]  # the PSK's input
    assert {t["link"] for t in tunnels} == {LINK} and {t["remote"] for t in tunnels} == {"ga"}
    assert {(t["remote_project"], t["remote_region"]) for t in tunnels} == {
        ("team-p", "europe-west1")
    }
    assert {t["peer_gcp_gateway"] for t in tunnels} == {
        "projects/team-p/regions/europe-west1/vpnGateways/xcl-ga-gw"
    }
    assert [t["peer_asn"] for t in tunnels] == [65001, 65001]
    mine = {t["gcp_inside_address"] for t in tunnels}
    theirs = {t["peer_inside_address"] for t in gcp_vpn_ha_tunnels(plan, "ga")}
    assert mine == theirs


def test_a_peering_or_another_cluster_has_no_ha_tunnels_and_bad_input_is_refused() -> None:
    plan, _errors, _warnings = build_plan({"ga": gcp(1), "gb": gcp(2)})
    assert gcp_vpn_ha_tunnels(plan, "ga") == []
    with pytest.raises(AnsibleFilterError, match="not a cluster of the plan"):
        gcp_vpn_ha_tunnels(ha_plan(), "nope")
    with pytest.raises(AnsibleFilterError, match="must be the link plan"):
        gcp_vpn_ha_tunnels({"links": []}, "ga")


def test_firewall_rules_are_the_sides_own() -> None:
    rules = gcp_vpn_firewall_rules(ha_plan(), "gb")
    assert rules == [
        {
            "name": f"xcl-{LINK}-1-in4",
            "link": LINK,
            "remote": "ga",
            "source_ranges": ["10.1.0.0/20", "10.1.64.0/18", "10.1.128.0/20"],
        },
        {
            "name": f"xcl-{LINK}-1-in6",
            "link": LINK,
            "remote": "ga",
            "source_ranges": ["fd01::/108"],
        },
    ]


def test_tunnels_are_ready_once_the_other_gateway_has_its_two_ips() -> None:
    plan = ha_plan()
    facts: dict[str, Any] = {"ga": {}, "gb": {}}
    assert link_wiring(facts, plan, "ga")["tunnels_ready"] is False
    facts["gb"] = {"gcp_vpn_gateway": {"interface_ips": ["203.0.113.1", "203.0.113.2"]}}
    assert link_wiring(facts, plan, "ga")["tunnels_ready"] is True
    assert link_wiring(facts, plan, "gb")["tunnels_ready"] is False  # ga's gateway unknown
    assert link_wiring(facts, plan, "ga")["peer_tunnels"] == {}


def status(cluster: str, tunnel: str = "ESTABLISHED", peer: str = "UP") -> dict[str, Any]:
    names = [t["gcp_tunnel"] for t in gcp_vpn_ha_tunnels(ha_plan(), cluster)]
    return {
        "tunnels": [{"name": n, "status": tunnel} for n in names],
        "bgp_peers": [{"name": n, "status": peer} for n in names],
    }


def test_verify_checks_each_side_s_tunnels_and_peers() -> None:
    plan = ha_plan()
    ends = plan["links"][0]["tunnels"][0]["inside_addresses"]
    checks = link_checks(status("ga"), plan, "ga", "gcp")
    assert [c["name"] for c in checks][:3] == [
        f"GCP tunnel xcl-{LINK}-t0-0 (interface 0)",
        f"GCP BGP peer xcl-{LINK}-t0-0 ({ends['ga']} AS 65001 -> {ends['gb']} AS 65002)",
        f"GCP tunnel xcl-{LINK}-t1-0 (interface 1)",
    ]
    assert len(checks) == 4 and all(c["ok"] for c in checks)
    # The other side's names are not this side's: its status does not pass here.
    assert not any(c["ok"] for c in link_checks(status("gb"), plan, "ga", "gcp"))


@pytest.mark.parametrize(
    ("tunnel", "peer", "cause"),
    [
        ("AUTHORIZATION_ERROR", "DOWN", "pre-shared key or proposal mismatch"),
        ("ESTABLISHED", "DOWN", "ASN or inside address mismatch"),
        ("NO_INCOMING_PACKETS", "DOWN", "no packets from the peer"),
    ],
)
def test_a_side_that_is_not_up_names_the_likely_cause(tunnel: str, peer: str, cause: str) -> None:
    checks = link_checks(status("gb", tunnel, peer), ha_plan(), "gb", "gcp")
    failing = [c for c in checks if not c["ok"]]
    assert failing and all(cause in c["cause"] for c in failing[:1])


def test_router_peers_cover_every_vpn_link_of_the_cluster_in_plan_order() -> None:
    specs = {"a1": aws(), "dc": onprem(), "ga": gcp(1), "gb": gcp(2)}
    plan, errors, _warnings = build_plan(specs, transports={"gcp-gcp": "gcp_ha_vpn"})
    assert errors == [] and plan is not None
    peers = gcp_vpn_router_peers(plan, "ga")
    by_link = {link["id"]: link for link in plan["links"]}
    aws_tunnels = by_link["a1--ga"]["tunnels"]
    onprem_tunnels = by_link["dc--ga"]["tunnels"]
    ha = gcp_vpn_ha_tunnels(plan, "ga")
    assert [p["name"] for p in peers] == [
        t["gcp_bgp_peer"] for t in [*aws_tunnels, *onprem_tunnels, *ha]
    ]
    assert len(peers) == 4 + 2 + 2
    first = peers[0]
    assert first == {
        "name": aws_tunnels[0]["gcp_bgp_peer"],
        "interface_name": aws_tunnels[0]["gcp_interface"],
        "ip_range": f"{aws_tunnels[0]['gcp_inside_address']}/30",
        "peer_ip_address": aws_tunnels[0]["aws_inside_address"],
        "peer_asn": plan["clusters"]["a1"]["asn"],
        "linked_vpn_tunnel": aws_tunnels[0]["gcp_tunnel"],
    }
    assert peers[4]["peer_ip_address"] == onprem_tunnels[0]["onprem_inside_address"]
    assert peers[4]["peer_asn"] == plan["clusters"]["dc"]["asn"]
    assert [p["peer_asn"] for p in peers[6:]] == [plan["clusters"]["gb"]["asn"]] * 2
    assert gcp_vpn_router_peers(plan, "a1") == []
    with pytest.raises(AnsibleFilterError, match="not a cluster of the plan"):
        gcp_vpn_router_peers(plan, "nope")


def test_tunnels_cover_every_vpn_link_of_the_cluster_in_plan_order() -> None:
    specs = {"a1": aws(), "dc": onprem(), "ga": gcp(1), "gb": gcp(2)}
    plan, errors, _warnings = build_plan(specs, transports={"gcp-gcp": "gcp_ha_vpn"})
    assert errors == [] and plan is not None
    by_link = {link["id"]: link for link in plan["links"]}
    aws_link, onprem_link = by_link["a1--ga"], by_link["dc--ga"]
    ha = gcp_vpn_ha_tunnels(plan, "ga")
    secret = "a-link-secret-of-32-characters.."
    tunnels = gcp_vpn_tunnels(plan, "ga", secret)
    assert [t["name"] for t in tunnels] == [
        t["gcp_tunnel"] for t in [*aws_link["tunnels"], *onprem_link["tunnels"], *ha]
    ]
    first = aws_link["tunnels"][3]
    assert tunnels[3] == {
        "name": first["gcp_tunnel"],
        "vpn_gateway_interface": first["gcp_vpn_interface"],
        "peer_external_gateway": aws_link["gcp_external_gateway"],
        "peer_external_gateway_interface": first["gcp_external_interface"],
        "description": "crosscluster.link: link a1--ga tunnel 3",
        "shared_secret": tunnel_psk(secret, first["id"]),
    }
    assert tunnels[5]["peer_external_gateway"] == onprem_link["gcp_external_gateway"]
    assert tunnels[6] == {
        "name": ha[0]["gcp_tunnel"],
        "vpn_gateway_interface": ha[0]["gcp_vpn_interface"],
        "peer_gcp_gateway": ha[0]["peer_gcp_gateway"],
        "description": f"crosscluster.link: link {LINK} tunnel 0 to gb",
        "shared_secret": tunnel_psk(secret, ha[0]["id"]),
    }
    # the other end derives the same key from the shared tunnel id
    back = [t for t in gcp_vpn_tunnels(plan, "gb", secret) if "peer_gcp_gateway" in t]
    assert back[0]["shared_secret"] == tunnels[6]["shared_secret"]
    # removal needs no key; check mode leaves out the links whose external gateway is new
    assert all("shared_secret" not in t for t in gcp_vpn_tunnels(plan, "ga"))
    kept = gcp_vpn_tunnels(plan, "ga", secret, ["a1--ga"])
    assert [t["name"] for t in kept] == [t["name"] for t in tunnels[4:]]
    assert gcp_vpn_tunnels(plan, "a1", secret) == []
    with pytest.raises(AnsibleFilterError, match="not a cluster of the plan"):
        gcp_vpn_tunnels(plan, "nope")
