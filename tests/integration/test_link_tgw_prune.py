"""End to end: three AWS clusters linked over Transit Gateway peering, and the prune of a
dropped cluster's peerings, on the AWS emulator alone.

eks-a and eks-b in the emulator's Region, eks-c in us-east-1; each cluster's VPC is attached
to the customer's existing Transit Gateway (``cluster_aws_gateway: tgw``, not tagged as ours)
and every aws <-> aws link is a TGW peering attachment (``link_transports: {aws-aws:
aws_tgw_peering}``): eks-a--eks-b in one Region, eks-a--eks-c and eks-b--eks-c across two.
In file order (one emulator world):

1. link with ``--check`` before anything exists: no mutating request;
2. link: success, verify passed; three ``available`` attachments named by their links, each
   TGW routing the other clusters' ranges to them, each VPC routing them to its TGW;
3. link again: ``changed=0`` and no mutating request;
4. drop eks-a (the requester of both its links: the accepters delete them) and link with
   ``-e link_prune=true``: the attachments eks-a--eks-b and eks-a--eks-c, the TGW and VPC
   routes of eks-a's ranges in eks-b and eks-c, and eks-a's rules are gone; the remaining
   link eks-b--eks-c is as it was and only deletions of the dropped links were requested; a
   second prune run changes nothing;
5. eks-a alone with link_prune removes its own side (routes to its deleted attachments, its
   rules and TGW attachment);
6. unlink with the 2-cluster inventory gives back the seeded state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EmulatorRun, _start
from tests.demo.__main__ import seed_aws
from tests.integration.e2e import (
    GONE,
    Result,
    assert_ok,
    aws_snapshot,
    changed_hosts,
    ec2_client,
    run_playbook,
)

A, B, C = "eks-a", "eks-b", "eks-c"
HOSTS = {A, B, C}
DROPPED, KEPT = [f"{A}--{B}", f"{A}--{C}"], f"{B}--{C}"
SECOND_REGION = "us-east-1"
# Each cluster: Region (None: the emulator's), VPC block (nodes), pods (a secondary block of
# the VPC, VPC CNI custom networking), services, the Amazon-side ASN of its TGW.
CLUSTERS: dict[str, tuple[str | None, str, str, str, int]] = {
    A: (None, "10.10.0.0/16", "10.32.0.0/16", "10.100.0.0/16", 64612),
    B: (None, "10.12.0.0/16", "10.33.0.0/16", "10.101.0.0/16", 64613),
    C: (SECOND_REGION, "10.14.0.0/16", "10.34.0.0/16", "10.102.0.0/16", 64614),
}
# What the prune of a dropped link may request: deletions only.
PRUNE_OPERATIONS = {
    "DeleteRoute",
    "DeleteTransitGatewayRoute",
    "DeleteTransitGatewayPeeringAttachment",
    "RevokeSecurityGroupIngress",
}


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


class TgwWorld:
    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        self.emulators = emulators
        aws = emulators.endpoints["aws"]
        self.regions = sorted({aws["region"], SECOND_REGION})
        assert len(self.regions) == 2, "the links must cross two Regions"
        self.ec2 = {r: ec2_client(emulators, r) for r in self.regions}
        hosts: dict[str, Any] = {}
        self.tgws: dict[str, str] = {}
        self.vpcs: dict[str, str] = {}
        self.region_of = {n: spec[0] or aws["region"] for n, spec in CLUSTERS.items()}
        for name, (_region, nodes, pods, services, asn) in CLUSTERS.items():
            region = self.region_of[name]
            vpc = seed_aws(aws, emulators.env, [pods], region, nodes)
            self.vpcs[name] = vpc
            tgw = self.ec2[region].create_transit_gateway(
                Description=f"{name}-tgw", Options={"AmazonSideAsn": asn}
            )["TransitGateway"]["TransitGatewayId"]
            self.tgws[name] = tgw
            hosts[name] = {
                "cluster_provider": "aws",
                "cluster_region": region,
                "cluster_network": vpc,
                "cluster_node_cidrs": [nodes],
                "cluster_pod_cidrs": [pods],
                "cluster_service_cidrs": [services],
                "cluster_dns_zone": f"{name}.local",
                "cluster_asn": asn,
                "cluster_aws_gateway": "tgw",
                "cluster_aws_transit_gateway_id": tgw,
                "aws_vpn_eks_cluster_name": "demo",
            }
        self.plan_file = tmp / "plan.json"
        common = {
            "ansible_connection": "local",
            "link_psk_secret": "tgw-mesh-secret-not-for-production",
            "link_transports": {"aws-aws": "aws_tgw_peering"},
            "link_dns": False,
            "link_verify_delay": 1,
        }
        self.inventories: dict[str, Path] = {}
        for label, names, extra in (
            ("all", HOSTS, {"link_plan_file": str(self.plan_file)}),
            # no plan file: a changed plan would be a changed task
            ("without-eks-a", {B, C}, {}),
            ("eks-a-alone", {A}, {}),
        ):
            clusters = {"vars": {**common, **extra}, "hosts": {h: hosts[h] for h in sorted(names)}}
            path = tmp / f"{label}.yml"
            inventory = {"all": {"children": {"clusters": clusters}}}
            path.write_text(yaml.safe_dump(inventory, sort_keys=False))
            self.inventories[label] = path
        self.seeded = self.snapshot()
        self.linked: dict[str, Any] = {}

    def run(self, inventory: str, name: str, *extra: str) -> Result:
        return run_playbook(self.emulators, self.inventories[inventory], name, *extra)

    def attachments(self) -> dict[str, str]:
        """Name -> state of the live TGW peering attachments, as each Region sees them."""
        return {
            f"{region} {_tags(a).get('Name', '?')}": a["State"]
            for region, ec2 in self.ec2.items()
            for a in ec2.describe_transit_gateway_peering_attachments()[
                "TransitGatewayPeeringAttachments"
            ]
            # the emulator (moto) lists VPC attachments here too: peering ones only
            if a["State"] not in GONE and (a.get("RequesterTgwInfo") or {}).get("TransitGatewayId")
        }

    def tgw_routes(self) -> dict[str, list[str]]:
        """Cluster -> the static routes of its TGW's association default route table, with
        the Name of the attachment they go to."""
        names = {}
        for ec2 in self.ec2.values():
            for a in ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]:
                names[a["TransitGatewayAttachmentId"]] = (
                    f"{a['ResourceType']} {_tags(a).get('Name', a['ResourceId'])}"
                )
        routes = {}
        for name in CLUSTERS:
            ec2 = self.ec2[self.region_of[name]]
            tgw = ec2.describe_transit_gateways(TransitGatewayIds=[self.tgws[name]])
            table = tgw["TransitGateways"][0]["Options"]["AssociationDefaultRouteTableId"]
            found = ec2.search_transit_gateway_routes(
                TransitGatewayRouteTableId=table,
                Filters=[{"Name": "type", "Values": ["static"]}],
            )["Routes"]
            routes[name] = sorted(
                f"{r['DestinationCidrBlock']} -> "
                + ", ".join(
                    names.get(t["TransitGatewayAttachmentId"], "?")
                    for t in r.get("TransitGatewayAttachments", [])
                )
                + f" {r['State']}"
                for r in found
            )
        return routes

    def vpc_routes(self, cluster: str) -> dict[str, str]:
        """Destination -> target of the routes of the cluster's VPC route tables."""
        tables = self.ec2[self.region_of[cluster]].describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [self.vpcs[cluster]]}]
        )["RouteTables"]
        return {
            f"{t['RouteTableId']} {r.get('DestinationCidrBlock')}": str(
                r.get("TransitGatewayId") or r.get("GatewayId")
            )
            for t in tables
            for r in t["Routes"]
        }

    def rule_markers(self, cluster: str) -> list[str]:
        """The link markers of the security-group rules in the cluster's VPC."""
        groups = self.ec2[self.region_of[cluster]].describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [self.vpcs[cluster]]}]
        )["SecurityGroups"]
        return sorted(
            {
                r["Description"]
                for g in groups
                for p in g.get("IpPermissions", [])
                for r in p.get("IpRanges", [])
                if r.get("Description", "").startswith("crosscluster.link:")
            }
        )

    def vpc_attachments(self) -> list[str]:
        """The live VPC attachments of the Transit Gateways: Region, TGW, VPC."""
        return sorted(
            f"{region} {a['TransitGatewayId']} {a['ResourceId']}"
            for region, ec2 in self.ec2.items()
            for a in ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
            if a["State"] not in GONE and a.get("ResourceType") == "vpc"
        )

    def snapshot(self) -> dict[str, Any]:
        """What the collection may create, read through the EC2 API of both Regions."""
        snap: dict[str, Any] = {
            f"{region} {kind}": items
            for region, ec2 in self.ec2.items()
            for kind, items in aws_snapshot(ec2).items()
        }
        snap["tgw peering attachments"] = self.attachments()
        snap["tgw routes"] = self.tgw_routes()
        snap["tgw vpc attachments"] = self.vpc_attachments()
        snap["vpc routes"] = {name: self.vpc_routes(name) for name in CLUSTERS}
        snap["rule markers"] = {name: self.rule_markers(name) for name in CLUSTERS}
        return snap


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TgwWorld]:
    # An AWS emulator of its own: the snapshots read whole Regions.
    for emulators in _start(tmp_path_factory.mktemp("tgw-emulators"), only=["aws"]):
        yield TgwWorld(emulators, tmp_path_factory.mktemp("tgw"))


def _of(items: list[str], link: str) -> list[str]:
    return [i for i in items if link in i]


def test_check_mode_before_the_first_run_makes_no_mutating_request(world: TgwWorld) -> None:
    mark = world.emulators.mark()
    assert_ok(world.run("all", "crosscluster.link.link_clusters", "--check"), HOSTS)
    assert world.emulators.requests_since(mark) != []
    assert world.emulators.mutations_since(mark) == []
    assert world.snapshot() == world.seeded


def test_link_peers_every_pair_of_transit_gateways(world: TgwWorld) -> None:
    result = assert_ok(world.run("all", "crosscluster.link.link_clusters"), HOSTS)
    assert "checks passed over" in result.stdout
    plan = json.loads(world.plan_file.read_text())
    assert {link["id"]: link["transport"] for link in plan["links"]} == {
        link: "aws_tgw_peering" for link in [*DROPPED, KEPT]
    }
    # eks-a requests both its links: the accepters (eks-b, eks-c) delete them on prune
    sides = {link["id"]: link["aws_tgw_peerings"] for link in plan["links"]}
    assert all(sides[link][A]["requester"] for link in DROPPED)
    attachments = world.attachments()
    # each attachment is seen in the requester's and the accepter's Region (one when the same)
    assert set(attachments.values()) == {"available"}
    assert sorted({k.split(" ", 1)[1] for k in attachments}) == sorted([*DROPPED, KEPT])
    routes = world.tgw_routes()
    for name, (_region, nodes, pods, services, _asn) in CLUSTERS.items():
        for other in HOSTS - {name}:
            link = "--".join(sorted((name, other)))
            assert sorted(_of(routes[other], f"peering {link} ")) == sorted(
                f"{cidr} -> peering {link} active" for cidr in (nodes, pods, services)
            )
    assert len(world.vpc_attachments()) == 3
    world.linked = world.snapshot()


def test_link_again_changes_nothing(world: TgwWorld) -> None:
    mark = world.emulators.mark()
    result = assert_ok(world.run("all", "crosscluster.link.link_clusters"), HOSTS)
    assert changed_hosts(result) == {}
    assert world.emulators.mutations_since(mark) == []
    assert world.snapshot() == world.linked


def test_prune_removes_the_dropped_clusters_peerings_and_their_routes(world: TgwWorld) -> None:
    a_ranges = CLUSTERS[A][1:4]
    # without link_prune: listed as orphans, nothing changes
    mark = world.emulators.mark()
    listed = assert_ok(world.run("without-eks-a", "crosscluster.link.link_clusters"), {B, C})
    assert world.emulators.mutations_since(mark) == [] and changed_hosts(listed) == {}
    for cluster, link in ((B, DROPPED[0]), (C, DROPPED[1])):
        assert (
            f"Cluster {cluster} still has objects of link(s) no longer in the inventory: {link}"
            in listed.stdout
        )
    assert world.snapshot() == world.linked

    mark = world.emulators.mark()
    assert_ok(
        world.run("without-eks-a", "crosscluster.link.link_clusters", "-e", "link_prune=true"),
        {B, C},
    )
    operations = [m["operation"] for m in world.emulators.mutations_since(mark)]
    # deletions only: one attachment per dropped link (by its accepter, eks-a being gone), the
    # TGW routes of eks-a's three ranges in eks-b's and eks-c's route tables, the VPC routes
    # of those ranges, the dropped links' rules
    assert set(operations) == PRUNE_OPERATIONS, operations
    assert operations.count("DeleteTransitGatewayPeeringAttachment") == 2
    assert operations.count("DeleteTransitGatewayRoute") == 6

    snap, linked = world.snapshot(), world.linked
    assert sorted({k.split(" ", 1)[1] for k in snap["tgw peering attachments"]}) == [KEPT]
    assert snap["tgw peering attachments"] == {
        k: v for k, v in linked["tgw peering attachments"].items() if k.endswith(f" {KEPT}")
    }
    for cluster in (B, C):
        # the remaining link's routes and rules are as they were, the dropped link's are gone
        assert snap["tgw routes"][cluster] == _of(linked["tgw routes"][cluster], KEPT)
        assert snap["vpc routes"][cluster] == {
            k: v for k, v in linked["vpc routes"][cluster].items() if k.split()[1] not in a_ranges
        }
        assert snap["rule markers"][cluster] == [f"crosscluster.link:{KEPT}"]
    # eks-a's own side (not in this inventory) is left as it was
    for kind in ("vpc routes", "rule markers"):
        assert snap[kind][A] == linked[kind][A]
    assert snap["tgw vpc attachments"] == linked["tgw vpc attachments"]

    mark = world.emulators.mark()
    again = assert_ok(
        world.run("without-eks-a", "crosscluster.link.link_clusters", "-e", "link_prune=true"),
        {B, C},
    )
    assert changed_hosts(again) == {} and world.emulators.mutations_since(mark) == []
    assert "still has objects" not in again.stdout
    assert world.snapshot() == snap


def test_the_dropped_cluster_alone_prunes_its_own_side(world: TgwWorld) -> None:
    assert_ok(
        world.run("eks-a-alone", "crosscluster.link.link_clusters", "-e", "link_prune=true"), {A}
    )
    snap = world.snapshot()
    assert snap["tgw routes"][A] == []
    assert snap["vpc routes"][A] == world.seeded["vpc routes"][A]
    assert snap["rule markers"][A] == []
    assert [a for a in snap["tgw vpc attachments"] if world.tgws[A] in a] == []


def test_unlink_of_the_remaining_link_gives_back_the_seeded_state(world: TgwWorld) -> None:
    assert_ok(world.run("without-eks-a", "crosscluster.link.unlink_clusters"), {B, C})
    assert world.snapshot() == world.seeded
