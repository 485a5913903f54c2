"""The critical path (tests/perf/graph.py), the latency model and the mesh's address plan."""

from __future__ import annotations

import pytest

from tests.perf import mesh
from tests.perf.__main__ import full_mesh, pairs
from tests.perf.graph import Cluster, Link, Wait, critical_path, link_waits
from tests.perf.model import AWS_VPN_PENDING, GCP_OPERATIONS, Latencies

# Round numbers: every GCP kind its own value, so a wrong edge changes the sum.
LAT = Latencies(
    scale=1.0,
    aws_pending=100.0,
    aws_deleting=50.0,
    gcp_other=1.0,
    gcp_by_kind={
        "vpnGateways.insert": 10.0,
        "routers.insert": 7.0,
        "externalVpnGateways.insert": 3.0,
        "vpnTunnels.insert": 20.0,
        "routers.patch": 5.0,
        "firewalls.insert": 2.0,
        "networks.addPeering": 30.0,
    },
    coredns_reload=4.0,
    kube_dns_window=9.0,
)


def test_longest_chain_of_a_diamond() -> None:
    waits = [
        Wait("a", 1.0),
        Wait("b", 5.0, ("a",)),
        Wait("c", 2.0, ("a",)),
        Wait("d", 1.0, ("b", "c")),
        Wait("alone", 6.0),
    ]
    assert critical_path(waits) == (7.0, ["a", "b", "d"])
    assert critical_path([]) == (0.0, [])


@pytest.mark.parametrize(
    ("waits", "error"),
    [
        ([Wait("a", 1.0, ("missing",))], "unknown wait 'missing'"),
        ([Wait("a", 1.0, ("b",)), Wait("b", 1.0, ("a",))], "cycle"),
    ],
)
def test_a_wrong_graph_is_refused(waits: list[Wait], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        critical_path(waits)


def test_one_vpn_link_waits_for_the_gateway_then_the_pending_connection() -> None:
    clusters = [Cluster("aws-1", "aws"), Cluster("gcp-2", "gcp")]
    links = [Link("aws-1", "gcp-2", "aws_gcp_ha_vpn")]
    seconds, chain = critical_path(link_waits(clusters, links, LAT, dns=False))
    assert (seconds, chain) == (
        110.0,
        ["gcp-2: vpnGateways.insert", "aws-1--gcp-2: aws vpn connection pending"],
    )


def test_without_the_pending_wait_the_gcp_chain_is_the_path() -> None:
    clusters = [Cluster("aws-1", "aws"), Cluster("gcp-2", "gcp")]
    links = [Link("aws-1", "gcp-2", "aws_gcp_ha_vpn")]
    quick = Latencies(**{**LAT.__dict__, "aws_pending": 0.0})
    seconds, chain = critical_path(link_waits(clusters, links, quick, dns=False))
    # gateway 10 -> external gateway 3 -> tunnels 20 (router 7 in parallel) -> router patch 5
    assert seconds == 38.0
    assert chain[-1] == "gcp-2: routers.patch"


def test_dns_adds_one_reload_per_cluster_in_parallel() -> None:
    clusters = [Cluster("aws-1", "aws"), Cluster("gcp-2", "gcp")]
    links = [Link("aws-1", "gcp-2", "aws_gcp_ha_vpn")]
    waits = {w.name: w for w in link_waits(clusters, links, LAT, dns=True)}
    assert waits["aws-1: native DNS reload"] == Wait("aws-1: native DNS reload", 4.0)
    assert waits["gcp-2: native DNS reload"].seconds == 9.0
    assert critical_path(waits.values())[0] == 110.0


def test_peering_operations_are_serial_across_the_networks_they_touch() -> None:
    clusters = [Cluster(f"gcp-{i}", "gcp") for i in (1, 2, 3)]
    links = [
        Link("gcp-1", "gcp-2", "gcp_vpc_peering"),
        Link("gcp-1", "gcp-3", "gcp_vpc_peering"),
        Link("gcp-2", "gcp-3", "gcp_vpc_peering"),
    ]
    seconds, chain = critical_path(link_waits(clusters, links, LAT, dns=False))
    # Every pair of links shares a network: six addPeering operations, one at a time.
    assert seconds == 6 * 30.0
    assert len(chain) == 6


def test_unknown_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="no waits modelled"):
        link_waits([Cluster("a", "x")], [Link("a", "a", "carrier_pigeon")], LAT, dns=False)


def test_a_mesh_of_six_has_its_longest_chain_through_one_vpn_link() -> None:
    specs = mesh.specs(6)
    links = full_mesh(specs)
    assert len(links) == 15
    assert {x.transport for x in links} == {"aws_gcp_ha_vpn", "gcp_vpc_peering", "aws_vpc_peering"}
    clusters = [s.cluster() for s in specs]
    seconds, _chain = critical_path(link_waits(clusters, links, LAT, dns=False))
    # 3 gcp clusters: 3 peering links, 6 serial addPeering (180) > gateway + pending (110)
    assert seconds == 180.0


def test_the_model_scales_every_wait_by_one_factor() -> None:
    lat = Latencies.scaled(0.1)
    assert lat.aws_pending == pytest.approx(AWS_VPN_PENDING / 10)
    assert lat.gcp("vpnTunnels.insert") == pytest.approx(GCP_OPERATIONS["vpnTunnels.insert"] / 10)
    assert lat.gcp("subnetworks.insert") == pytest.approx(1.0)
    # CoreDNS cannot reload more often than every 2 s
    assert Latencies.scaled(0.01).reload_interval() == "2s"
    with pytest.raises(ValueError):
        Latencies.scaled(0)


@pytest.mark.parametrize("size", [2, 3, 4, 6, 12])
def test_mesh_alternates_providers_on_disjoint_ranges(size: int) -> None:
    specs = mesh.specs(size)
    assert [s.provider for s in specs[:3]] == ["aws", "gcp", "aws"][: min(size, 3)]
    assert mesh.disjoint(specs)
    assert len({s.asn for s in specs}) == size
    assert len({s.name for s in specs}) == size


def test_the_plans_links_match_the_mesh_whatever_the_order_of_their_ends() -> None:
    mesh4 = full_mesh(mesh.specs(4))
    planned = [Link(x.b, x.a, x.transport) for x in reversed(mesh4)]
    assert pairs(planned) == pairs(mesh4)
    assert pairs(planned[1:]) != pairs(mesh4)
