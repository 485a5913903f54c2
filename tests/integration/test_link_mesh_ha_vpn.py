"""End to end: two GCP clusters linked over HA VPN <-> HA VPN (``link_transports: {gcp-gcp:
gcp_ha_vpn}``) on the GCP emulator, instead of the default VPC Network Peering.

Google Cloud's "Create two fully configured HA VPN gateways that connect to each other": each
cluster's HA VPN gateway gets two tunnels to the other's (interface 0 -> 0, 1 -> 1,
peerGcpGateway), four tunnel resources in all, and each Cloud Router two BGP peers on the
link's first two /30s. Both clusters are in one project and region, so every name carries the
side. The emulator derives each tunnel's status from both ends (the same PSK, the mirror BGP
peer), so verify passing means the two sides match. The cycle, in file order (one world):

1. link with ``--check`` before anything exists: no mutating request;
2. link: success and verify passed (4 tunnels ESTABLISHED, 4 BGP peers UP);
3. link again: ``changed=0`` and no mutating request;
4. unlink: the seeded state exactly; 5. unlink again: ``changed=0``.

No AWS cluster and no DNS (``link_dns: false``): test_link_mesh.py covers a GCP cluster with
both kinds of links, test_link_clusters.py DNS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EmulatorRun
from tests.demo.__main__ import seed_gcp
from tests.integration.e2e import Gcp, Result, assert_ok, changed_hosts, gcp_snapshot, run_playbook

GKE_C, GKE_D = "gke-c", "gke-d"
HOSTS = {GKE_C, GKE_D}
# Each cluster: its network, node range (the subnet), pod and service secondary ranges.
CLUSTERS = {
    GKE_C: ("havpn-c", "10.22.0.0/20", "10.64.0.0/14", "10.106.0.0/20"),
    GKE_D: ("havpn-d", "10.23.0.0/20", "10.68.0.0/14", "10.107.0.0/20"),
}
LINK = f"{GKE_C}--{GKE_D}"


class World:
    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        self.emulators = emulators
        env, gcp = emulators.env, emulators.endpoints["gcp"]
        for network, nodes, pods, services in CLUSTERS.values():
            seed_gcp(gcp, env, pods, services, network, nodes)
        self.gcp = Gcp.of(emulators)
        self.region = self.gcp.region
        hosts = {
            name: {
                "cluster_provider": "gcp",
                "cluster_region": gcp["region"],
                "cluster_project": gcp["project"],
                "cluster_network": network,
                "cluster_node_cidrs": [nodes],
                "cluster_pod_cidrs": [pods],
                "cluster_service_cidrs": [services],
                "cluster_asn": 65030 + index,
                "cluster_dns_zone": f"{name}.local",
            }
            for index, (name, (network, nodes, pods, services)) in enumerate(CLUSTERS.items())
        }
        self.inventory = tmp / "ha.yml"
        self.plan_file = tmp / "plan.json"
        clusters = {
            "vars": {
                "ansible_connection": "local",
                "link_psk_secret": "ha-vpn-secret-not-for-production",
                "link_transports": {"gcp-gcp": "gcp_ha_vpn"},
                "link_dns": False,
                "link_verify_delay": 1,
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
        """What the collection may create in the project, read from the emulator; tunnels
        also with their gateway, interface and peer gateway."""
        snap: dict[str, Any] = gcp_snapshot(self.gcp, [ranges[0] for ranges in CLUSTERS.values()])
        snap["tunnels"] = sorted(
            (
                t["name"],
                t["vpnGateway"].rsplit("/", 1)[-1],
                t.get("vpnGatewayInterface", 0),
                t.get("peerGcpGateway", "").rsplit("/", 1)[-1],
            )
            for t in self.gcp.get(f"regions/{self.region}/vpnTunnels").get("items", [])
        )
        return snap

    def router_peers(self, cluster: str) -> dict[str, tuple[str, str, int]]:
        router = self.gcp.get(f"regions/{self.region}/routers/xcl-{cluster}-router")
        return {
            p["name"]: (p["ipAddress"], p["peerIpAddress"], int(p["peerAsn"]))
            for p in router.get("bgpPeers", [])
        }


@pytest.fixture(scope="module")
def world(
    cloud_emulators: EmulatorRun, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield World(cloud_emulators, tmp_path_factory.mktemp("ha-vpn"))


def test_check_mode_before_the_first_run_makes_no_mutating_request(world: World) -> None:
    mark = world.emulators.mark()
    assert_ok(world.playbook("crosscluster.link.link_clusters", "--check"), HOSTS)
    assert world.emulators.mutations_since(mark) == []
    assert world.snapshot() == world.seeded


def test_link_connects_the_two_ha_vpn_gateways_and_verify_passes(world: World) -> None:
    result = world.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    (link,) = json.loads(world.plan_file.read_text())["links"]
    assert link["transport"] == "gcp_ha_vpn"
    # verify_link (the last plays) passed: every tunnel ESTABLISHED, every BGP peer UP.
    assert "8 of 8 checks passed over 1 link(s)" in result.stdout, result.stdout[-3000:]
    snap = world.snapshot()
    gateways = [f"xcl-{GKE_C}-gw", f"xcl-{GKE_D}-gw"]
    assert snap[f"regions/{world.region}/vpnGateways"] == gateways
    assert snap["tunnels"] == [
        (f"xcl-{LINK}-t0-0", gateways[0], 0, gateways[1]),
        (f"xcl-{LINK}-t0-1", gateways[1], 0, gateways[0]),
        (f"xcl-{LINK}-t1-0", gateways[0], 1, gateways[1]),
        (f"xcl-{LINK}-t1-1", gateways[1], 1, gateways[0]),
    ]
    assert snap["global/externalVpnGateways"] == world.seeded["global/externalVpnGateways"]
    assert snap[f"peerings of {CLUSTERS[GKE_C][0]}"] == []
    # The BGP peers mirror each other: addresses swapped, each the other router's ASN.
    c_peers, d_peers = world.router_peers(GKE_C), world.router_peers(GKE_D)
    for index in (0, 1):
        mine, theirs = c_peers[f"xcl-{LINK}-t{index}-0"], d_peers[f"xcl-{LINK}-t{index}-1"]
        assert (mine[0], mine[1]) == (theirs[1], theirs[0])
        assert (mine[2], theirs[2]) == (65031, 65030)
    rules = [n for n in snap["global/firewalls"] if n.startswith(f"xcl-{LINK}")]
    assert rules == [f"xcl-{LINK}-0-in4", f"xcl-{LINK}-1-in4"]
    firewall = world.gcp.get(f"global/firewalls/xcl-{LINK}-0-in4")
    assert firewall["network"].endswith(f"/{CLUSTERS[GKE_C][0]}")
    assert sorted(firewall["sourceRanges"]) == sorted(CLUSTERS[GKE_D][1:])
    world.linked = snap


def test_link_again_changes_nothing(world: World) -> None:
    mark = world.emulators.mark()
    result = world.playbook("crosscluster.link.link_clusters")
    assert_ok(result, HOSTS)
    assert changed_hosts(result) == {}
    assert world.emulators.mutations_since(mark) == []
    assert world.snapshot() == world.linked


def test_unlink_gives_back_the_seeded_state(world: World) -> None:
    assert world.linked, "the link test did not run"
    assert_ok(world.playbook("crosscluster.link.unlink_clusters"), HOSTS)
    assert world.snapshot() == world.seeded
    again = world.playbook("crosscluster.link.unlink_clusters")
    assert_ok(again, HOSTS)
    assert changed_hosts(again) == {}
