"""The transport table of module_utils/_plan.py, the link_transports override, and the
gcp <-> gcp HA VPN transport (gcp_ha_vpn): layout, names, blocks and its errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._plan import (
    _PEERING_SIDES,
    _PLANNERS,
    TRANSPORTS,
    allocate_blocks,
    block_tunnels,
    build_plan,
    pair_key,
    summarize,
)

from tests.unit.plugins.module_utils.test_plan import aws, aws2, gcp, onprem

HA = {"gcp-gcp": "gcp_ha_vpn"}
LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def two_gcp(**second: Any) -> dict[str, dict[str, Any]]:
    return {"gke-a": gcp(1), "gke-b": gcp(2, cluster_network="data-vpc", **second)}


def plan_of(specs: dict[str, Any], transports: Any = None) -> dict[str, Any]:
    plan, errors, _warnings = build_plan(specs, transports=transports)
    assert errors == []
    assert plan is not None
    return plan


def errors_of(specs: dict[str, Any], transports: Any) -> list[str]:
    plan, errors, _warnings = build_plan(specs, transports=transports)
    assert (plan is None) == bool(errors)
    return errors


# ---------------------------------------------------------------------------- the table


def test_every_transport_of_the_table_is_built_or_marked_planned() -> None:
    built = {*_PLANNERS, *_PEERING_SIDES, "gcp_ha_vpn"}
    for pair, entry in TRANSPORTS.items():
        assert pair == tuple(sorted(pair))
        assert set(entry.allowed) <= built, pair
        assert not set(entry.planned) & built, pair


def test_defaults_are_used_without_an_override() -> None:
    plan = plan_of({"aws1": aws(), **two_gcp()})
    assert {link["id"]: link["transport"] for link in plan["links"]} == {
        "aws1--gke-a": "aws_gcp_ha_vpn",
        "aws1--gke-b": "aws_gcp_ha_vpn",
        "gke-a--gke-b": "gcp_vpc_peering",
    }


def test_override_changes_only_its_provider_pair() -> None:
    default = plan_of({"aws1": aws(), **two_gcp()})
    plan = plan_of({"aws1": aws(), **two_gcp()}, HA)
    transports = {link["id"]: link["transport"] for link in plan["links"]}
    assert transports["gke-a--gke-b"] == "gcp_ha_vpn"
    assert transports["aws1--gke-a"] == transports["aws1--gke-b"] == "aws_gcp_ha_vpn"
    # The default can be named too, and an override for a pair no link has is no error.
    named = {"gcp-gcp": "gcp_vpc_peering", "aws-aws": "aws_vpc_peering"}
    same = plan_of({"aws1": aws(), **two_gcp()}, named)
    assert same == default


@pytest.mark.parametrize(
    ("transports", "expected"),
    [
        (
            {"gcp-gcp": "gcp_vpn"},
            "link_transports gcp-gcp: 'gcp_vpn' is not a transport of gcp <-> gcp; use "
            "gcp_vpc_peering or gcp_ha_vpn (the default is gcp_vpc_peering)",
        ),
        (
            {"aws-aws": "aws_ipsec"},
            "link_transports aws-aws: 'aws_ipsec' is not a transport of aws <-> aws; use "
            "aws_vpc_peering or aws_tgw_peering (the default is aws_vpc_peering)",
        ),
        (
            {"aws-gcp": "gcp_ha_vpn"},
            "link_transports aws-gcp: 'gcp_ha_vpn' is not a transport of aws <-> gcp; use "
            "aws_gcp_ha_vpn, the only one built",
        ),
        (
            {"gcp-aws": "aws_gcp_ha_vpn"},
            "link_transports key 'gcp-aws' is not a provider pair with a transport; did you mean "
            "aws-gcp? use one of aws-aws, aws-gcp, aws-onprem, gcp-gcp, gcp-onprem (the two "
            "providers sorted, joined by '-')",
        ),
        (
            {"onprem-onprem": "onprem_vpn"},
            "link_transports key 'onprem-onprem' is not a provider pair with a transport; use "
            "one of aws-aws, aws-gcp, aws-onprem, gcp-gcp, gcp-onprem (the two providers "
            "sorted, joined by '-')",
        ),
        (
            ["gcp-gcp", "gcp_ha_vpn"],
            "link_transports must be a mapping of provider pair to transport (e.g. {gcp-gcp: "
            "gcp_ha_vpn}), got ['gcp-gcp', 'gcp_ha_vpn']",
        ),
    ],
)
def test_bad_overrides_name_the_pair_and_the_fix(transports: Any, expected: str) -> None:
    assert errors_of(two_gcp(), transports) == [expected]


def test_override_errors_come_with_the_other_errors() -> None:
    specs = two_gcp(cluster_pod_cidrs=["10.114.0.0/16"])  # gke-a's pods
    errors = errors_of(specs, {"gcp-gcp": "nope"})
    assert any("CIDR overlap" in e for e in errors)
    assert any("link_transports gcp-gcp: 'nope'" in e for e in errors)


def test_link_transports_is_a_known_link_variable() -> None:
    _plan, errors, _warnings = build_plan(two_gcp(), link_vars=["link_transports"])
    assert errors == []
    _plan, errors, _warnings = build_plan(two_gcp(), link_vars=["link_transport"])
    assert errors == [
        "variable link_transport is not known: did you mean link_transports? Rename it."
    ]


def test_pair_keys_are_the_sorted_providers() -> None:
    assert pair_key(("gcp", "aws")) == "aws-gcp"
    assert [pair_key(p) for p in TRANSPORTS] == [
        "aws-aws",
        "aws-gcp",
        "aws-onprem",
        "gcp-gcp",
        "gcp-onprem",
    ]


# ---------------------------------------------------------------------------- gcp_ha_vpn


def ha_link(specs: dict[str, Any] | None = None) -> dict[str, Any]:
    plan = plan_of(specs or two_gcp(), HA)
    (link,) = [link for link in plan["links"] if link["transport"] == "gcp_ha_vpn"]
    return link


def test_ha_vpn_link_is_two_tunnels_on_the_first_two_30s_of_its_block() -> None:
    link = ha_link()
    block = allocate_blocks(["gke-a--gke-b"])["gke-a--gke-b"]
    networks = block_tunnels(block)[:2]
    assert [t["inside_cidr"] for t in link["tunnels"]] == [str(n) for n in networks]
    assert [t["id"] for t in link["tunnels"]] == ["gke-a--gke-b-t0", "gke-a--gke-b-t1"]
    assert [t["gcp_vpn_interface"] for t in link["tunnels"]] == [0, 1]
    for tunnel, network in zip(link["tunnels"], networks, strict=True):
        hosts = [str(h) for h in network.iter_hosts()]
        assert tunnel["inside_addresses"] == {"gke-a": hosts[0], "gke-b": hosts[1]}
    assert "gcp_cluster" not in link and "gcp_external_gateway" not in link


def test_ha_vpn_sides_mirror_each_other() -> None:
    link = ha_link()
    a, b = link["gcp_ha_vpn_sides"]["gke-a"], link["gcp_ha_vpn_sides"]["gke-b"]
    assert a["remote_cluster"] == "gke-b" and b["remote_cluster"] == "gke-a"
    for ta, tb in zip(a["tunnels"], b["tunnels"], strict=True):
        assert ta["id"] == tb["id"] and ta["gcp_vpn_interface"] == tb["gcp_vpn_interface"]
        assert ta["gcp_inside_address"] == tb["peer_inside_address"]
        assert tb["gcp_inside_address"] == ta["peer_inside_address"]
        assert (ta["gcp_asn"], ta["peer_asn"]) == (65001, 65002)
        assert (tb["gcp_asn"], tb["peer_asn"]) == (65002, 65001)
        assert ta["peer_gcp_tunnel"] == tb["gcp_tunnel"]
        assert tb["peer_gcp_tunnel"] == ta["gcp_tunnel"]


def test_ha_vpn_side_names_the_peer_gateway_in_its_project_and_region() -> None:
    specs = {
        "gke-a": gcp(1),
        "gke-b": gcp(2, cluster_project="other-team", cluster_region="us-east1"),
    }
    sides = ha_link(specs)["gcp_ha_vpn_sides"]
    assert sides["gke-a"]["peer_gcp_gateway"] == (
        "projects/other-team/regions/us-east1/vpnGateways/xcl-gke-b-gw"
    )
    assert sides["gke-b"]["peer_gcp_gateway"] == (
        "projects/crosscluster-demo/regions/europe-west1/vpnGateways/xcl-gke-a-gw"
    )


def test_ha_vpn_names_are_distinct_and_valid_with_the_longest_cluster_names() -> None:
    a, b = "a" * 23 + "1", "a" * 23 + "2"
    specs = {a: gcp(1), b: gcp(2, cluster_network="data-vpc")}
    plan = plan_of(specs, HA)
    (link,) = plan["links"]
    names = [plan["clusters"][c]["names"][k] for c in (a, b) for k in ("vpn_gateway", "router")]
    for side in link["gcp_ha_vpn_sides"].values():
        names += side["firewall_rules"].values()
        names += [t[k] for t in side["tunnels"] for k in ("gcp_tunnel", "gcp_interface")]
    assert [n for n in names if not LABEL.match(n)] == []
    assert len(set(names)) == len(names) == 4 + 2 * (2 + 4)
    assert max(len(n) for n in names) == len(f"if-xcl-{a}--{b}-t1-1") == 62


def test_ha_vpn_links_take_blocks_and_peerings_do_not() -> None:
    specs = {"aws1": aws(), **two_gcp()}
    peered = plan_of(specs)
    tunnelled = plan_of(specs, HA)
    blocks = allocate_blocks(["aws1--gke-a", "aws1--gke-b", "gke-a--gke-b"])
    for link in tunnelled["links"]:
        first = block_tunnels(blocks[link["id"]])[0]
        assert link["tunnels"][0]["inside_cidr"] == str(first)
    cidrs = [t["inside_cidr"] for link in tunnelled["links"] for t in link["tunnels"]]
    assert len(set(cidrs)) == len(cidrs) == 4 + 4 + 2
    assert sum(len(link["tunnels"]) for link in peered["links"]) == 8


def test_ha_vpn_needs_different_asns_where_a_peering_does_not() -> None:
    specs = two_gcp(cluster_asn=65001)
    assert errors_of(specs, None) == []
    assert errors_of(specs, HA) == [
        "link gke-a--gke-b: cluster 'gke-a' and cluster 'gke-b' both have cluster_asn 65001; "
        "the two ends of a link need different ASNs (two Cloud Routers in one BGP session); "
        "change one, or peer the networks instead (link_transports gcp-gcp: gcp_vpc_peering, "
        "no BGP)"
    ]


def test_ha_vpn_refuses_two_clusters_on_one_network() -> None:
    specs = {"gke-a": gcp(1), "gke-b": gcp(2)}
    assert errors_of(specs, HA) == [
        "link gke-a--gke-b: cluster 'gke-a' and cluster 'gke-b' are on the same network "
        "prod-vpc of project crosscluster-demo, which reaches itself without a link; leave "
        "this pair out (link_topology: pairs)"
    ]


def test_ha_vpn_is_not_counted_against_the_peering_quota() -> None:
    # 27 clusters on their own networks: 26 links per network, over the 25 peerings a
    # network holds, but HA VPN links are no peerings.
    specs = {
        f"g{n}": gcp(
            n,
            cluster_network=f"net-{n}",
            cluster_node_cidrs=[f"10.{n}.0.0/20"],
            cluster_pod_cidrs=[f"10.{n}.64.0/18"],
            cluster_service_cidrs=[f"10.{n}.128.0/20"],
            cluster_asn=65000 + n,
        )
        for n in range(1, 28)
    }
    assert any("more than the 25" in e for e in errors_of(specs, None))
    assert errors_of(specs, HA) == []


def test_ha_vpn_summary_names_both_ends_of_each_tunnel() -> None:
    plan = plan_of(two_gcp(), HA)
    (_t0, t1) = plan["links"][0]["tunnels"]
    lines = summarize(plan)
    assert "link gke-a--gke-b (gcp_ha_vpn): gke-a (gcp) <-> gke-b (gcp)" in lines
    assert (
        f"  tunnel gke-a--gke-b-t1 {t1['inside_cidr']}: gke-a {t1['inside_addresses']['gke-a']} "
        f"AS 65001 <-> gke-b {t1['inside_addresses']['gke-b']} AS 65002 (HA VPN interface 1 on "
        "both gateways)"
    ) in lines


def test_onprem_links_keep_their_transports_with_an_override() -> None:
    plan = plan_of({"dc1": onprem(), **two_gcp()}, HA)
    assert sorted(link["transport"] for link in plan["links"]) == [
        "gcp_ha_vpn",
        "gcp_onprem_ha_vpn",
        "gcp_onprem_ha_vpn",
    ]


def test_a_transport_not_built_yet_is_refused_as_not_supported_yet(monkeypatch: Any) -> None:
    # No transport of the table is waiting to be built today; the refusal stays for the next.
    from ansible_collections.crosscluster.link.plugins.module_utils import _plan

    table = {
        **TRANSPORTS,
        ("gcp", "gcp"): _plan.PairTransports("gcp_vpc_peering", planned=("gcp_x",)),
    }
    monkeypatch.setattr(_plan, "TRANSPORTS", table)
    assert errors_of(two_gcp(), {"gcp-gcp": "gcp_x"}) == [
        "link_transports gcp-gcp: gcp_x (gcp <-> gcp) is not supported yet; use "
        "gcp_vpc_peering, the only one built, or remove the entry"
    ]


# ---------------------------------------------------------------------------- aws_tgw_peering

TGW = {"aws-aws": "aws_tgw_peering"}
TGW_A, TGW_B = "tgw-0a1b2c3d4e5f60718", "tgw-0f1e2d3c4b5a69788"


def two_tgw(**second: Any) -> dict[str, dict[str, Any]]:
    return {
        "aws1": aws(cluster_aws_gateway="tgw", cluster_aws_transit_gateway_id=TGW_A),
        "aws2": aws2(
            **{"cluster_aws_gateway": "tgw", "cluster_aws_transit_gateway_id": TGW_B, **second}
        ),
    }


def test_tgw_peering_is_chosen_by_link_transports_only() -> None:
    assert plan_of(two_tgw())["links"][0]["transport"] == "aws_vpc_peering"
    assert plan_of(two_tgw(), TGW)["links"][0]["transport"] == "aws_tgw_peering"


def test_tgw_peering_sides_request_accept_and_route_every_remote_range() -> None:
    link = plan_of(two_tgw(), TGW)["links"][0]
    assert link["tunnels"] == [] and "aws_peerings" not in link
    assert link["aws_tgw_peerings"] == {
        "aws1": {
            "name": "aws1--aws2",
            "requester": True,
            "region": "eu-west-1",
            "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "transit_gateway_id": TGW_A,
            "asn": 64512,
            "peer_region": "us-east-1",
            "peer_transit_gateway_id": TGW_B,
            "peer_asn": 64513,
            "remote_cluster": "aws2",
            # node, pod AND service ranges: TGW routes are static
            "route_cidrs": ["10.50.0.0/16", "10.51.0.0/16", "fd00:51::/56", "10.52.0.0/16"],
        },
        "aws2": {
            "name": "aws1--aws2",
            "requester": False,
            "region": "us-east-1",
            "vpc_id": "vpc-0f1e2d3c4b5a69788",
            "transit_gateway_id": TGW_B,
            "asn": 64513,
            "peer_region": "eu-west-1",
            "peer_transit_gateway_id": TGW_A,
            "peer_asn": 64512,
            "remote_cluster": "aws1",
            "route_cidrs": ["10.10.0.0/16", "10.11.0.0/16", "172.20.0.0/16"],
        },
    }
    assert (
        f"link aws1--aws2 (aws_tgw_peering): aws1 (Transit Gateway {TGW_A} AS 64512 in "
        f"eu-west-1, requester) <-> aws2 (Transit Gateway {TGW_B} AS 64513 in us-east-1, "
        "accepter)"
    ) in summarize(plan_of(two_tgw(), TGW))


def test_tgw_peering_takes_no_tunnel_block() -> None:
    plan = plan_of({**two_tgw(), "gke-a": gcp(1)}, TGW)
    by_id = {link["id"]: link for link in plan["links"]}
    assert by_id["aws1--aws2"]["tunnels"] == []
    assert len(by_id["aws1--gke-a"]["tunnels"]) == 4


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (
            {"aws1": aws(), "aws2": aws2()},
            "link aws1--aws2: aws_tgw_peering peers two Transit Gateways, but cluster 'aws1' "
            "and cluster 'aws2' have no cluster_aws_gateway: tgw; set cluster_aws_gateway: tgw "
            "and cluster_aws_transit_gateway_id on both, or use link_transports aws-aws: "
            "aws_vpc_peering",
        ),
        (
            {"aws1": two_tgw()["aws1"], "aws2": aws2()},
            "link aws1--aws2: aws_tgw_peering peers two Transit Gateways, but cluster 'aws2' "
            "has no cluster_aws_gateway: tgw; set cluster_aws_gateway: tgw and "
            "cluster_aws_transit_gateway_id on both, or use link_transports aws-aws: "
            "aws_vpc_peering",
        ),
        (
            two_tgw(cluster_asn=64512),
            f"link aws1--aws2: cluster 'aws1' (Transit Gateway {TGW_A}) and cluster 'aws2' "
            f"(Transit Gateway {TGW_B}) both have cluster_asn 64512; peered Transit Gateways "
            "need distinct Amazon-side ASNs: give each TGW its own private ASN and set it as "
            "the cluster's cluster_asn",
        ),
        (
            two_tgw(cluster_aws_transit_gateway_id=TGW_A, cluster_region="eu-west-1"),
            f"link aws1--aws2: cluster 'aws1' and cluster 'aws2' use the same Transit Gateway "
            f"{TGW_A} in eu-west-1, which routes between its own VPC attachments without a "
            "peering; leave this pair out (link_topology: pairs)",
        ),
    ],
)
def test_tgw_peering_limits_name_the_pair_and_the_fix(specs: Any, expected: str) -> None:
    assert errors_of(specs, TGW) == [expected]


def test_tgw_peering_is_not_a_vpc_peering() -> None:
    # Two TGW clusters in one VPC (different TGWs): a VPC peering would be refused, but the
    # TGW peering's own limits are the Transit Gateways'.
    specs = two_tgw(cluster_network="vpc-0a1b2c3d4e5f60718", cluster_region="eu-west-1")
    assert errors_of(specs, TGW) == []


def test_one_transit_gateway_holds_at_most_50_peering_attachments() -> None:
    hub = aws(cluster_aws_gateway="tgw", cluster_aws_transit_gateway_id=TGW_A)
    specs: dict[str, Any] = {"hub": hub}
    for n in range(51):
        specs[f"s{n}"] = aws(
            cluster_network=f"vpc-{n:017x}",
            cluster_aws_gateway="tgw",
            cluster_aws_transit_gateway_id=f"tgw-{n:017x}",
            cluster_asn=65000 + n,
            cluster_node_cidrs=[f"10.{100 + n}.0.0/20"],
            cluster_pod_cidrs=[f"10.{100 + n}.16.0/20"],
            cluster_service_cidrs=[f"10.{100 + n}.32.0/20"],
            cluster_dns_zone=f"s{n}.local",
        )
    pairs = [["hub", f"s{n}"] for n in range(51)]
    plan, errors, _warnings = build_plan(specs, "pairs", pairs, transports=TGW)
    assert errors == [
        f"Transit Gateway {TGW_A} in eu-west-1: 51 links need as many peering attachments, "
        "more than the 50 a transit gateway holds (Transit Gateway quotas); link fewer "
        "clusters with it"
    ]
    plan, errors, _warnings = build_plan(specs, "pairs", pairs[:50], transports=TGW)
    assert errors == [] and plan is not None
