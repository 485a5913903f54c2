"""End to end: links no longer in the inventory are pruned (``link_prune``), on the cloud
emulators, in the 3-cluster world of test_link_mesh.py (aws-euw1, gke-a, gke-b: two HA VPN
links and one VPC Network Peering). In file order:

1. link the 3 clusters;
2. drop gke-b from the inventory and link again without link_prune: verify lists the
   orphans of aws-euw1 and gke-a with the command that removes them, and nothing changes;
3. link again with ``-e link_prune=true``: the other sides of gke-b's two links are gone (the
   AWS VPN connections and customer gateways and security-group rules of aws-euw1--gke-b, the
   peering and firewall rule of gke-a's network), the remaining link aws-euw1--gke-a gets no
   mutating request and is as it was; a second prune run changes nothing;
4. an inventory of gke-b alone (no link) with link_prune removes gke-b's own side - its
   tunnels, external gateway, firewall rules, peering, and its HA VPN gateway and Cloud Router;
5. unlink with the 2-cluster inventory gives back the seeded state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import EmulatorRun, _start
from tests.integration.e2e import Result, assert_ok, aws_snapshot, changed_hosts, run_playbook
from tests.integration.test_link_mesh import AWS, GCP_A, GCP_B, Mesh

KEPT, DROPPED = f"{AWS}--{GCP_A}", [f"{AWS}--{GCP_B}", f"{GCP_A}--{GCP_B}"]


class PruneWorld(Mesh):
    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        super().__init__(emulators, tmp)
        full = yaml.safe_load(self.inventory.read_text())
        clusters = full["all"]["children"]["clusters"]
        self.inventories = {}
        # no plan file: a changed plan would be a changed task
        common = {k: v for k, v in clusters["vars"].items() if k != "link_plan_file"}
        for label, hosts in (("without-gke-b", (AWS, GCP_A)), ("gke-b-alone", (GCP_B,))):
            inventory = {
                "all": {
                    "children": {
                        "clusters": {
                            "vars": common,
                            "hosts": {h: clusters["hosts"][h] for h in hosts},
                        }
                    }
                }
            }
            path = tmp / f"{label}.yml"
            path.write_text(yaml.safe_dump(inventory, sort_keys=False))
            self.inventories[label] = path

    def run(self, inventory: str, name: str, *extra: str) -> Result:
        return run_playbook(self.emulators, self.inventories[inventory], name, *extra)

    def aws_objects(self) -> dict[str, list[str]]:
        """The AWS objects of the collection by link: VPN connections, customer gateways,
        security-group rule markers."""
        aws = aws_snapshot(self.ec2)
        return {
            "connections": aws["vpn connections"],
            "customer gateways": aws["customer gateways"],
            "rule markers": sorted(
                {
                    r["Description"]
                    for g in self.ec2.describe_security_groups()["SecurityGroups"]
                    for p in g.get("IpPermissions", [])
                    for r in p.get("IpRanges", [])
                    if r.get("Description", "").startswith("crosscluster.link:")
                }
            ),
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PruneWorld]:
    # Emulators of its own: test_link_mesh.py seeds the same networks in the shared ones.
    for emulators in _start(tmp_path_factory.mktemp("prune-emulators"), only=["aws", "gcp"]):
        yield PruneWorld(emulators, tmp_path_factory.mktemp("prune"))


def test_link_the_three_clusters(world: PruneWorld) -> None:
    assert_ok(world.playbook("crosscluster.link.link_clusters"))
    aws = world.aws_objects()
    assert aws["rule markers"] == [
        f"crosscluster.link:{link}" for link in sorted([KEPT, DROPPED[0]])
    ]
    assert len(aws["connections"]) == 4
    world.linked = world.snapshot()


def test_without_prune_verify_lists_the_orphans_and_nothing_changes(world: PruneWorld) -> None:
    mark = world.emulators.mark()
    result = assert_ok(world.run("without-gke-b", "crosscluster.link.link_clusters"))
    assert changed_hosts(result) == {}
    assert world.emulators.mutations_since(mark) == []
    out = result.stdout
    assert (
        f"Cluster {AWS} still has objects of link(s) no longer in the inventory: {DROPPED[0]}"
        in out
    )
    assert (
        f"Cluster {GCP_A} still has objects of link(s) no longer in the inventory: {DROPPED[1]}"
        in out
    )
    assert "crosscluster.link.link_clusters -e link_prune=true" in out
    assert world.snapshot() == world.linked


def test_prune_removes_the_dropped_links_and_leaves_the_other_alone(world: PruneWorld) -> None:
    kept_before = {k: [n for n in v if KEPT in n] for k, v in world.aws_objects().items()}
    mark = world.emulators.mark()
    assert_ok(
        world.run("without-gke-b", "crosscluster.link.link_clusters", "-e", "link_prune=true")
    )
    mutations = world.emulators.mutations_since(mark)
    # GCP requests name what they change: none names the kept link
    assert [m for m in mutations if KEPT in m.get("path", "")] == []
    assert {m["service"] for m in mutations} == {"aws", "gcp"}
    aws = world.aws_objects()
    assert {k: [n for n in v if KEPT in n] for k, v in aws.items()} == kept_before
    assert [n for v in aws.values() for n in v if DROPPED[0] in n] == []
    snap = world.snapshot()
    assert snap["peerings of mesh-a"] == []
    # gke-a's own rule for the peering is gone; gke-b's side (not in this inventory) stays
    rules = [n for n in snap["global/firewalls"] if n.startswith("xcl-")]
    assert rules == sorted([f"xcl-{KEPT}-in4", f"xcl-{DROPPED[0]}-in4", f"xcl-{DROPPED[1]}-1-in4"])
    assert snap[f"regions/{world.region}/vpnGateways"] == [f"xcl-{GCP_A}-gw", f"xcl-{GCP_B}-gw"]
    # the kept link is still verified up, and a second prune run changes nothing
    mark = world.emulators.mark()
    again = assert_ok(
        world.run("without-gke-b", "crosscluster.link.link_clusters", "-e", "link_prune=true")
    )
    assert changed_hosts(again) == {} and world.emulators.mutations_since(mark) == []
    assert "still has objects" not in again.stdout
    world.pruned = snap


def test_the_dropped_cluster_alone_prunes_its_own_side(world: PruneWorld) -> None:
    assert_ok(world.run("gke-b-alone", "crosscluster.link.link_clusters", "-e", "link_prune=true"))
    snap = world.snapshot()
    region = f"regions/{world.region}"
    assert snap[f"{region}/vpnGateways"] == [f"xcl-{GCP_A}-gw"]
    assert snap[f"{region}/routers"] == [f"xcl-{GCP_A}-router"]
    assert [t for t in snap[f"{region}/vpnTunnels"] if GCP_B in t] == []
    assert snap["global/externalVpnGateways"] == [f"xcl-{KEPT}"]
    assert [n for n in snap["global/firewalls"] if n.startswith("xcl-")] == [f"xcl-{KEPT}-in4"]
    assert snap["peerings of mesh-b"] == []


def test_unlink_of_the_remaining_link_gives_back_the_seeded_state(world: PruneWorld) -> None:
    assert_ok(world.run("without-gke-b", "crosscluster.link.unlink_clusters"))
    assert world.snapshot() == world.seeded
