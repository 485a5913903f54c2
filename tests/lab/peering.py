"""The datapath of the clouds' peerings, as the emulators' state says.

Each network (AWS VPC, GCP VPC network) is a namespace (its implicit router), each live
peering a veth pair between the two networks' namespaces, and each destination a network
routes into the peering a route into that veth: AWS - the destinations every route table of
the VPC sends to the ``active`` connection (``active`` routes: a blackhole carries nothing);
GCP - the routes the network imports over the ``ACTIVE`` peering (networks.listPeeringRoutes).
Each CIDR block of a network (nodes, pods, and on GCP services: the subnet's ranges) gets one
"pod" (``pods.py``) at its 10th host. So a pod reaches another network's pod only if both
networks route to a live peering between them: what ``link_clusters`` must have set up, read
from the cloud, never from the plan. Firewalls and security groups are not modelled. Only
namespaces with ``prefix`` are created (``cleanup``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.lab import netns, pods

# The veths between two VPCs' namespaces: link-local /30s, only inside the VPC namespaces
# (which hold no tunnel).
LINK_NET = "169.254.200"


@dataclass
class Vpc:
    vpc_id: str
    ns: str
    blocks: list[str]
    pods: list[pods.Pod] = field(default_factory=list)


@dataclass
class Peering:
    connection_id: str
    ends: tuple[Vpc, Vpc]


def _routed(ec2: Any, vpc_id: str, connection_id: str) -> list[str]:
    """The destinations every route table of the VPC sends to the connection (active)."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    per_table = [
        {
            r["DestinationCidrBlock"]
            for r in table.get("Routes", [])
            if r.get("VpcPeeringConnectionId") == connection_id
            and r.get("State") == "active"
            and r.get("DestinationCidrBlock")
        }
        for table in tables["RouteTables"]
    ]
    return sorted(set.intersection(*per_table)) if per_table else []


def _blocks(ec2: Any, vpc_id: str) -> list[str]:
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    return [
        a["CidrBlock"]
        for a in vpc.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State") == "associated"
    ]


@dataclass(frozen=True)
class Found:
    """One live peering as a cloud reports it: its id, and per end the network, its CIDR
    blocks and the destinations it routes into the peering."""

    peering_id: str
    networks: tuple[str, str]
    blocks: tuple[list[str], list[str]]
    routed: tuple[list[str], list[str]]


def wire(found: list[Found], prefix: str) -> list[Peering]:
    """A namespace per network with a pod per CIDR block, a veth per peering (a /30 of its
    own, so each end routes via the other's address), a route per routed destination."""
    networks: dict[str, Vpc] = {}

    def network(name: str, blocks: list[str]) -> Vpc:
        if name not in networks:
            ns = f"{prefix}v{len(networks)}"
            netns.add(ns)
            made = Vpc(name, ns, blocks)
            for index, block in enumerate(blocks):
                pod = pods.Pod(name, f"{ns}p{index}", pods.address(block, 0), ns)
                pods.plug(pod, f"p{index}")
                made.pods.append(pod)
            networks[name] = made
        return networks[name]

    peerings = []
    for index, item in enumerate(found):
        ends = tuple(network(n, b) for n, b in zip(item.networks, item.blocks, strict=True))
        names = (f"x{index}a", f"x{index}b")
        addresses = (f"{LINK_NET}.{4 * index + 1}", f"{LINK_NET}.{4 * index + 2}")
        netns.veth(ends[0].ns, names[0], ends[1].ns, names[1])
        for end, name, address, other, routed in zip(
            ends, names, addresses, addresses[::-1], item.routed, strict=True
        ):
            netns.ip("addr", "add", f"{address}/30", "dev", name, ns=end.ns)
            for destination in routed:
                netns.ip("route", "add", destination, "via", other, "dev", name, ns=end.ns)
        peerings.append(Peering(item.peering_id, (ends[0], ends[1])))
    return peerings


def aws(ec2_by_region: Mapping[str, Any]) -> list[Found]:
    """Every active VPC peering connection the clients' Regions see (an inter-Region one is
    seen in both: once), each VPC's associated CIDR blocks and the destinations every route
    table of it sends to the connection."""
    region_of: dict[str, str] = {}
    connections: dict[str, dict[str, Any]] = {}
    for region, ec2 in ec2_by_region.items():
        listed = ec2.describe_vpc_peering_connections(
            Filters=[{"Name": "status-code", "Values": ["active"]}]
        )["VpcPeeringConnections"]
        for pcx in listed:
            if pcx.get("Status", {}).get("Code") != "active":
                continue
            connections.setdefault(pcx["VpcPeeringConnectionId"], pcx)
            for end in ("RequesterVpcInfo", "AccepterVpcInfo"):
                info = pcx[end]
                region_of.setdefault(info["VpcId"], info.get("Region") or region)
    found = []
    for connection_id, pcx in sorted(connections.items()):
        vpcs = (pcx["RequesterVpcInfo"]["VpcId"], pcx["AccepterVpcInfo"]["VpcId"])
        clients = [ec2_by_region[region_of[v]] for v in vpcs]
        found.append(
            Found(
                connection_id,
                vpcs,
                (_blocks(clients[0], vpcs[0]), _blocks(clients[1], vpcs[1])),
                (
                    _routed(clients[0], vpcs[0], connection_id),
                    _routed(clients[1], vpcs[1], connection_id),
                ),
            )
        )
    return found


def gcp(get: Callable[[str], dict[str, Any]], region: str, networks: list[str]) -> list[Found]:
    """Every ACTIVE VPC Network Peering between two of ``networks`` (``get``: a Compute
    Engine read of the project, path relative to it), each network's subnet ranges in
    ``region`` (primary and secondary: nodes, pods, services) and the destinations it imports
    over the peering (networks.listPeeringRoutes, INCOMING, ``imported``)."""
    subnets = get(f"regions/{region}/subnetworks").get("items", [])

    def blocks(name: str) -> list[str]:
        return [
            cidr
            for subnet in subnets
            if subnet["network"].rsplit("/", 1)[-1] == name
            for cidr in [
                subnet["ipCidrRange"],
                *(r["ipCidrRange"] for r in subnet.get("secondaryIpRanges", [])),
            ]
        ]

    def imported(name: str, peering: str) -> list[str]:
        query = f"peeringName={peering}&direction=INCOMING&region={region}"
        routes = get(f"global/networks/{name}/listPeeringRoutes?{query}").get("items", [])
        return sorted({r["destRange"] for r in routes if r.get("imported")})

    found = []
    for name in sorted(networks):
        for peering in get(f"global/networks/{name}").get("peerings", []):
            other = peering["network"].rsplit("/", 1)[-1]
            if peering.get("state") != "ACTIVE" or other not in networks or other < name:
                continue
            back = next(
                (
                    p
                    for p in get(f"global/networks/{other}").get("peerings", [])
                    if p["network"].rsplit("/", 1)[-1] == name
                ),
                {},
            )
            if back.get("state") != "ACTIVE":
                continue
            found.append(
                Found(
                    peering["name"],
                    (name, other),
                    (blocks(name), blocks(other)),
                    (imported(name, peering["name"]), imported(other, back["name"])),
                )
            )
    return found


def reachable(peering: Peering) -> dict[str, bool]:
    """``"source -> target": ping answered`` for every pod of one end to every pod of the
    other, both ways."""
    a, b = peering.ends
    return {
        f"{source.ip} -> {target.ip}": pods.ping(source, target)
        for sources, targets in ((a.pods, b.pods), (b.pods, a.pods))
        for source in sources
        for target in targets
    }


def cleanup(prefix: str) -> None:
    netns.cleanup(prefix)
