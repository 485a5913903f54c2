"""End to end: a mixed mesh of 2 GCP clusters and 1 AWS cluster on the cloud emulators.

The two GCP clusters are on networks of their own (one project), so link_clusters peers
them (transport gcp_vpc_peering) and links each with the AWS cluster over HA VPN <-> Site-to-
Site VPN: 3 links, 2 transports, in one run. The cycle, in file order (one emulator world):

1. link with ``--check`` before anything exists: no mutating request;
2. link: success, and verify (its last play) passed - both peerings ACTIVE and importing the
   other cluster's node, pod and service ranges (networks.listPeeringRoutes), every tunnel
   and BGP session of the two VPN links up; one HA VPN gateway and Cloud Router per GCP
   cluster, one firewall rule per link on each GCP network; then (as root) traffic over the
   peering: the two networks as namespaces routed by what each imports (tests/lab/peering.py);
3. link again: ``changed=0`` for every host and no mutating request;
4. unlink: the seeded state, peerings included, exactly; 5. unlink again: ``changed=0``.

DNS is not linked here (``link_dns: false``; the three-cluster world of
test_link_clusters.py covers it on real control planes).
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
from tests.demo.__main__ import AWS_CLUSTER, seed_aws, seed_gcp
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

AWS, GCP_A, GCP_B = "aws-euw1", "gke-a", "gke-b"
HOSTS = {AWS, GCP_A, GCP_B}
# Each GCP cluster: its network, node range (the subnet), pod and service secondary ranges.
GCP_CLUSTERS = {
    GCP_A: ("mesh-a", "10.20.0.0/20", "10.48.0.0/14", "10.104.0.0/20"),
    GCP_B: ("mesh-b", "10.21.0.0/20", "10.60.0.0/14", "10.105.0.0/20"),
}
AWS_PODS, AWS_SERVICES = "10.32.0.0/16", "10.100.0.0/16"
PEERING = f"xcl-{GCP_A}--{GCP_B}"


class Mesh:
    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        self.emulators = emulators
        env, endpoints = emulators.env, emulators.endpoints
        self.vpc_id = seed_aws(endpoints["aws"], env, [AWS_PODS])
        for network, nodes, pods, services in GCP_CLUSTERS.values():
            seed_gcp(endpoints["gcp"], env, pods, services, network, nodes)
        gcp = endpoints["gcp"]
        self.gcp = Gcp.of(emulators)
        self.region = self.gcp.region
        self.ec2 = ec2_client(emulators)
        hosts: dict[str, Any] = {
            AWS: {
                **AWS_CLUSTER,
                "cluster_region": endpoints["aws"]["region"],
                "cluster_network": self.vpc_id,
                "cluster_pod_cidrs": [AWS_PODS],
                "cluster_service_cidrs": [AWS_SERVICES],
                "aws_vpn_eks_cluster_name": "demo",
            }
        }
        for index, (name, (network, nodes, pods, services)) in enumerate(GCP_CLUSTERS.items()):
            hosts[name] = {
                "cluster_provider": "gcp",
                "cluster_region": gcp["region"],
                "cluster_project": gcp["project"],
                "cluster_network": network,
                "cluster_node_cidrs": [nodes],
                "cluster_pod_cidrs": [pods],
                "cluster_service_cidrs": [services],
                "cluster_asn": 65010 + index,
                "cluster_dns_zone": f"{name}.local",
            }
        self.inventory = tmp / "mesh.yml"
        self.plan_file = tmp / "plan.json"
        clusters = {
            "vars": {
                "ansible_connection": "local",
                "link_psk_secret": "mesh-secret-not-for-production",
                "link_dns": False,
                "link_verify_delay": 1,
                # No route crosses between the two emulators (each knows its own side): the
                # BGP route checks need the lab. The peerings' routes are one emulator's own.
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
        """What the collection may create, read straight from the emulators' APIs."""
        snap: dict[str, Any] = gcp_snapshot(
            self.gcp, [ranges[0] for ranges in GCP_CLUSTERS.values()]
        )
        snap["aws vpn connections"] = aws_snapshot(self.ec2)["vpn connections"]
        return snap


@pytest.fixture(scope="module")
def mesh(cloud_emulators: EmulatorRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    # Answers at once (CI minutes): the clouds' waits are covered by test_link_clusters.py,
    # peering operations in progress on both networks by the gcp_vpn_peering scenario.
    yield Mesh(cloud_emulators, tmp_path_factory.mktemp("mesh"))


def test_check_mode_before_the_first_run_makes_no_mutating_request(mesh: Mesh) -> None:
    mark = mesh.emulators.mark()
    assert_ok(mesh.playbook("crosscluster.link.link_clusters", "--check"), HOSTS)
    assert mesh.emulators.mutations_since(mark) == []
    assert mesh.snapshot() == mesh.seeded


def test_link_peers_the_gcp_pair_and_tunnels_each_gcp_cluster_to_aws(mesh: Mesh) -> None:
    result = mesh.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    plan = json.loads(mesh.plan_file.read_text())
    transports = {link["id"]: link["transport"] for link in plan["links"]}
    assert transports == {
        f"{AWS}--{GCP_A}": "aws_gcp_ha_vpn",
        f"{AWS}--{GCP_B}": "aws_gcp_ha_vpn",
        f"{GCP_A}--{GCP_B}": "gcp_vpc_peering",
    }
    # verify_link (the last plays) passed: its checks include both peerings'.
    assert "checks passed over" in result.stdout
    snap = mesh.snapshot()
    assert snap["peerings of mesh-a"] == [f"{PEERING} -> mesh-b ACTIVE"]
    assert snap["peerings of mesh-b"] == [f"{PEERING} -> mesh-a ACTIVE"]
    imported = mesh.gcp.get(
        "global/networks/mesh-a/listPeeringRoutes?"
        f"peeringName={PEERING}&direction=INCOMING&region={mesh.region}"
    )
    _network, nodes, pods, services = GCP_CLUSTERS[GCP_B]
    assert {r["destRange"] for r in imported["items"]} >= {nodes, pods, services}
    assert snap[f"regions/{mesh.region}/vpnGateways"] == [f"xcl-{GCP_A}-gw", f"xcl-{GCP_B}-gw"]
    assert len(snap[f"regions/{mesh.region}/vpnTunnels"]) == 8
    rules = [n for n in snap["global/firewalls"] if n.startswith("xcl-")]
    # IPv4 only: one rule per link on each GCP end (the HA VPN links have one GCP end).
    expected = [f"xcl-{AWS}--{GCP_A}-in4", f"xcl-{AWS}--{GCP_B}-in4"]
    assert rules == sorted([*expected, f"{PEERING}-0-in4", f"{PEERING}-1-in4"])
    firewall = mesh.gcp.get(f"global/firewalls/{PEERING}-0-in4")
    assert firewall["network"].endswith("/mesh-a")
    assert sorted(firewall["sourceRanges"]) == sorted([nodes, pods, services])
    assert len(snap["aws vpn connections"]) == 4
    mesh.linked = snap


PEERING_PREFIX = "xcl-gpxt-"  # the namespaces of the peering datapath (tests/lab/peering.py)
DATAPATH = os.geteuid() == 0 and all(shutil.which(t) for t in ("ip", "ping"))


@pytest.mark.skipif(not DATAPATH, reason="the peering datapath needs root, ip(8) and ping(8)")
def test_traffic_crosses_the_gcp_peering_both_ways(mesh: Mesh) -> None:
    """The two networks as namespaces, the peering as a veth, the routes each imports over it
    (listPeeringRoutes) as routes: every subnet range of one (nodes, pods, services) answers
    every one of the other. (The cut of a missing route: test_link_mesh4.py, AWS.)"""
    networks = [GCP_CLUSTERS[GCP_A][0], GCP_CLUSTERS[GCP_B][0]]
    peering.cleanup(PEERING_PREFIX)
    try:
        found = peering.gcp(mesh.gcp.get, mesh.region, networks)
        assert [f.peering_id for f in found] == [PEERING]
        (built,) = peering.wire(found, PEERING_PREFIX)
        assert [len(end.pods) for end in built.ends] == [3, 3]
        reach = peering.reachable(built)
        assert len(reach) == 18 and all(reach.values()), reach
    finally:
        peering.cleanup(PEERING_PREFIX)


def test_link_again_changes_nothing(mesh: Mesh) -> None:
    mark = mesh.emulators.mark()
    result = mesh.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    assert changed_hosts(result) == {}
    assert mesh.emulators.mutations_since(mark) == []
    assert mesh.snapshot() == mesh.linked


def test_unlink_gives_back_the_seeded_state(mesh: Mesh) -> None:
    assert_ok(mesh.playbook("crosscluster.link.unlink_clusters"), HOSTS)
    assert mesh.snapshot() == mesh.seeded
    again = mesh.playbook("crosscluster.link.unlink_clusters")
    assert_ok(again, HOSTS)
    assert changed_hosts(again) == {}
