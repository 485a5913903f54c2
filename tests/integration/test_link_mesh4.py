"""End to end: a 4-cluster mixed mesh - 2 AWS clusters in two regions, 1 GCP, 1 on-prem - on
the cloud emulators, every pair linked in one run by the transport of its providers:

- aws-euw1 <-> aws-use1: one VPC peering connection (inter-Region, requested by aws-euw1,
  accepted in us-east-1), each VPC routing the other's node and pod ranges to it;
- each AWS cluster <-> gke-a: HA VPN <-> Site-to-Site VPN (4 tunnels, BGP);
- each AWS cluster and gke-a <-> dc1: VPN to the on-prem gateway, whose strongSwan and FRR
  files the onprem_vpn role renders under a directory of the test (nothing of this machine is
  configured).

The cycle, in file order (one emulator world): check mode before anything exists (no
mutating request) -> link (verify passes: the peering active and routed on both sides, every
tunnel and session of the VPN links) -> traffic over the peering (as root: the two VPCs as
namespaces routed by their route tables, tests/lab/peering.py; and cut when one VPC loses its
routes) -> link again (``changed=0``, no mutating request) -> dc1
alone with ``link_prune`` (its gateway files gone, no cloud change) -> unlink (the seeded state
exactly, in both regions, the on-prem files gone). A second unlink and check mode on a linked
world are covered by test_link_mesh.py and test_link_clusters.py (CI minutes).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EmulatorRun
from tests.demo.__main__ import AWS_CLUSTER, ONPREM_CLUSTER, seed_aws, seed_gcp
from tests.integration.e2e import (
    Gcp,
    Result,
    assert_ok,
    aws_snapshot,
    changed_hosts,
    ec2_client,
    gcp_snapshot,
    run_playbook,
)
from tests.lab import peering
from tests.lab.pods import address

EUW1, USE1, GKE, DC1 = "aws-euw1", "aws-use1", "gke-a", "dc1"
HOSTS = {EUW1, USE1, GKE, DC1}
SECOND_REGION = "us-east-1"
# Each AWS cluster: region (None: the emulator's), VPC block (nodes), pods (a secondary
# block), services, Amazon-side ASN.
AWS_CLUSTERS = {
    EUW1: (None, "10.10.0.0/16", "10.32.0.0/16", "10.100.0.0/16", 64512),
    USE1: (SECOND_REGION, "10.12.0.0/16", "10.33.0.0/16", "10.101.0.0/16", 64513),
}
GCP_NETWORK, GCP_RANGES = "mesh4-a", ("10.20.0.0/20", "10.48.0.0/14", "10.104.0.0/20")
ONPREM_RANGES = ("192.168.50.0/24", "192.168.64.0/18", "192.168.128.0/20")
PEERING = f"{EUW1}--{USE1}"


class Mesh4:
    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        self.emulators = emulators
        env, endpoints = emulators.env, emulators.endpoints
        self.region = endpoints["aws"]["region"]
        self.ec2 = {
            region: ec2_client(emulators, region) for region in (self.region, SECOND_REGION)
        }
        gcp = endpoints["gcp"]
        seed_gcp(gcp, env, GCP_RANGES[1], GCP_RANGES[2], GCP_NETWORK, GCP_RANGES[0])
        self.gcp = Gcp.of(emulators)
        self.gcp_region = self.gcp.region
        self.onprem_root = tmp / "onprem-gateway"
        self.vpcs: dict[str, str] = {}
        hosts: dict[str, Any] = {}
        for name, (region, nodes, pods, services, asn) in AWS_CLUSTERS.items():
            self.vpcs[name] = seed_aws(endpoints["aws"], env, [pods], region, nodes)
            hosts[name] = {
                **AWS_CLUSTER,
                "cluster_region": region or self.region,
                "cluster_network": self.vpcs[name],
                "cluster_node_cidrs": [nodes],
                "cluster_pod_cidrs": [pods],
                "cluster_service_cidrs": [services],
                "cluster_asn": asn,
                "cluster_dns_zone": f"{name}.local",
                "aws_vpn_eks_cluster_name": "demo",
            }
        hosts[GKE] = {
            "cluster_provider": "gcp",
            "cluster_region": gcp["region"],
            "cluster_project": gcp["project"],
            "cluster_network": GCP_NETWORK,
            "cluster_node_cidrs": [GCP_RANGES[0]],
            "cluster_pod_cidrs": [GCP_RANGES[1]],
            "cluster_service_cidrs": [GCP_RANGES[2]],
            "cluster_asn": 65010,
            "cluster_dns_zone": f"{GKE}.local",
        }
        hosts[DC1] = {
            **ONPREM_CLUSTER,
            "cluster_node_cidrs": [ONPREM_RANGES[0]],
            "cluster_pod_cidrs": [ONPREM_RANGES[1]],
            "cluster_service_cidrs": [ONPREM_RANGES[2]],
            "cluster_dns_zone": f"{DC1}.local",
            "onprem_vpn_root": str(self.onprem_root),
            "onprem_vpn_manage_packages": False,
            "onprem_vpn_manage_services": False,
        }
        self.inventory = tmp / "mesh4.yml"
        self.plan_file = tmp / "plan.json"
        clusters = {
            "vars": {
                "ansible_connection": "local",
                "link_psk_secret": "mesh4-secret-not-for-production",
                "link_dns": False,
                "link_verify_delay": 1,
                # No route crosses between the two emulators (each knows its own side): the
                # BGP route checks need the lab. A peering's routes are one emulator's own.
                "link_verify_routes": False,
                "link_plan_file": str(self.plan_file),
            },
            "hosts": hosts,
        }
        inventory = {"all": {"children": {"clusters": clusters}}}
        self.inventory.write_text(yaml.safe_dump(inventory, sort_keys=False))
        self.seeded = self.snapshot()
        self.linked: dict[str, Any] = {}

    def playbook(self, name: str, *extra: str) -> Result:
        return run_playbook(self.emulators, self.inventory, name, *extra)

    def snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = gcp_snapshot(self.gcp)
        for aws_region, ec2 in self.ec2.items():
            snap[f"aws {aws_region}"] = aws_snapshot(ec2)
        snap["on-prem files"] = sorted(
            str(p.relative_to(self.onprem_root)) for p in self.onprem_root.rglob("*") if p.is_file()
        )
        return snap


@pytest.fixture(scope="module")
def mesh(cloud_emulators: EmulatorRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh4]:
    yield Mesh4(cloud_emulators, tmp_path_factory.mktemp("mesh4"))


def test_check_mode_before_the_first_run_makes_no_mutating_request(mesh: Mesh4) -> None:
    mark = mesh.emulators.mark()
    assert_ok(mesh.playbook("crosscluster.link.link_clusters", "--check"), HOSTS)
    assert mesh.emulators.mutations_since(mark) == []
    assert mesh.snapshot() == mesh.seeded


def test_link_builds_every_pair_by_its_transport(mesh: Mesh4) -> None:
    result = mesh.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    plan = json.loads(mesh.plan_file.read_text())
    assert {link["id"]: link["transport"] for link in plan["links"]} == {
        PEERING: "aws_vpc_peering",
        f"{EUW1}--{GKE}": "aws_gcp_ha_vpn",
        f"{USE1}--{GKE}": "aws_gcp_ha_vpn",
        f"{EUW1}--{DC1}": "aws_onprem_vpn",
        f"{USE1}--{DC1}": "aws_onprem_vpn",
        f"{DC1}--{GKE}": "gcp_onprem_ha_vpn",
    }
    # verify_link (the last plays) passed: its checks include both ends of the peering.
    assert "checks passed over 6 link(s)" in result.stdout
    snap = mesh.snapshot()
    euw1, use1 = snap[f"aws {mesh.region}"], snap[f"aws {SECOND_REGION}"]
    # One inter-Region connection, visible (and active) in both Regions.
    assert euw1["peerings"] == use1["peerings"] == [f"{PEERING} active"]
    for routes, other in ((euw1["routes"], USE1), (use1["routes"], EUW1)):
        _region, nodes, pods, _services, _asn = AWS_CLUSTERS[other]
        to_peering = sorted(r.split(" ", 1)[1] for r in routes if "-> pcx-" in r)
        assert [r.split(" -> ")[0] for r in to_peering] == [nodes, pods]
    # Each AWS cluster: a VGW for its VPN links, 2 + 1 connections (GCP, on-prem).
    assert euw1["vpn gateways"] == [f"{EUW1}-vgw"] and use1["vpn gateways"] == [f"{USE1}-vgw"]
    assert len(euw1["vpn connections"]) == len(use1["vpn connections"]) == 3
    assert len(snap[f"regions/{mesh.gcp_region}/vpnTunnels"]) == 4 + 4 + 2
    assert snap["on-prem files"] != []
    mesh.linked = snap


PCX_PREFIX = "xcl-pcxt-"  # the namespaces of the peering datapath (tests/lab/peering.py)
DATAPATH = os.geteuid() == 0 and all(shutil.which(t) for t in ("ip", "ping"))


@pytest.mark.skipif(not DATAPATH, reason="the peering datapath needs root, ip(8) and ping(8)")
def test_traffic_crosses_the_vpc_peering_only_where_both_vpcs_route_it(mesh: Mesh4) -> None:
    """The linked VPCs as namespaces, the peering as a veth, their route tables' routes to it
    as routes (read from the emulator): every node and pod block of one VPC answers every one
    of the other. Without aws-use1's routes to aws-euw1's pods, those pods and aws-use1 no
    longer reach each other (the answers have no way back); the routes are then put back as
    they were."""
    euw1_pods = AWS_CLUSTERS[EUW1][2]
    use1 = mesh.ec2[SECOND_REGION]
    peering.cleanup(PCX_PREFIX)
    try:
        (built,) = peering.wire(peering.aws(mesh.ec2), PCX_PREFIX)
        assert [len(end.pods) for end in built.ends] == [2, 2]  # nodes and pods, each VPC
        reach = peering.reachable(built)
        assert len(reach) == 8 and all(reach.values()), reach
    finally:
        peering.cleanup(PCX_PREFIX)
    tables = use1.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [mesh.vpcs[USE1]]}])[
        "RouteTables"
    ]
    routes = [
        (table["RouteTableId"], route["VpcPeeringConnectionId"])
        for table in tables
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == euw1_pods and route.get("VpcPeeringConnectionId")
    ]
    assert len(routes) == len(tables) > 0
    for table_id, _pcx in routes:
        use1.delete_route(RouteTableId=table_id, DestinationCidrBlock=euw1_pods)
    try:
        (built,) = peering.wire(peering.aws(mesh.ec2), PCX_PREFIX)
        reach = peering.reachable(built)
    finally:
        peering.cleanup(PCX_PREFIX)
        for table_id, pcx in routes:
            use1.create_route(
                RouteTableId=table_id, DestinationCidrBlock=euw1_pods, VpcPeeringConnectionId=pcx
            )
    cut = address(euw1_pods, 0)
    assert reach == {pair: cut not in pair.split(" -> ") for pair in reach}, reach


def test_link_again_changes_nothing(mesh: Mesh4) -> None:
    mark = mesh.emulators.mark()
    result = mesh.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    assert changed_hosts(result) == {}
    assert mesh.emulators.mutations_since(mark) == []
    assert mesh.snapshot() == mesh.linked


def test_an_onprem_cluster_left_alone_prunes_its_gateway_files(mesh: Mesh4) -> None:
    """dc1 alone in the inventory (its links dropped) with link_prune: the files the onprem_vpn
    role recorded are gone, no cloud gets a request that changes anything; again: unchanged."""
    data = yaml.safe_load(mesh.inventory.read_text())
    clusters = data["all"]["children"]["clusters"]
    clusters["hosts"] = {DC1: clusters["hosts"][DC1]}
    clusters["vars"].pop("link_plan_file")  # unlink below reads the 4-cluster plan
    alone = mesh.inventory.with_name("dc1-alone.yml")
    alone.write_text(yaml.safe_dump(data, sort_keys=False))
    mark = mesh.emulators.mark()
    pruned = run_playbook(
        mesh.emulators, alone, "crosscluster.link.link_clusters", "-e", "link_prune=true"
    )
    assert_ok(pruned, (DC1,))
    assert mesh.snapshot()["on-prem files"] == []
    assert mesh.emulators.mutations_since(mark) == []
    again = run_playbook(
        mesh.emulators, alone, "crosscluster.link.link_clusters", "-e", "link_prune=true"
    )
    assert_ok(again, (DC1,))
    assert changed_hosts(again) == {}


def test_unlink_gives_back_the_seeded_state(mesh: Mesh4) -> None:
    assert_ok(mesh.playbook("crosscluster.link.unlink_clusters"), HOSTS)
    assert mesh.snapshot() == mesh.seeded
