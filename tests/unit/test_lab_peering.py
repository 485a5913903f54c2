"""The peering datapath's readers (tests/lab/peering.py), without namespaces: what they take
from the EC2 and Compute Engine answers."""

from __future__ import annotations

from typing import Any

from tests.lab import peering

PCX = "pcx-0a1b2c3d4e5f60718"


def pcx(status: str = "active") -> dict[str, Any]:
    return {
        "VpcPeeringConnectionId": PCX,
        "Status": {"Code": status},
        "RequesterVpcInfo": {"VpcId": "vpc-a", "Region": "eu-west-1"},
        "AccepterVpcInfo": {"VpcId": "vpc-b", "Region": "us-east-1"},
    }


class Ec2:
    """The three reads, as one Region answers them."""

    def __init__(self, vpcs: dict[str, list[str]], tables: dict[str, list[list[Any]]]) -> None:
        self.vpcs, self.tables = vpcs, tables

    def describe_vpc_peering_connections(self, **_: Any) -> dict[str, Any]:
        return {"VpcPeeringConnections": [pcx(), {**pcx("deleted"), "VpcPeeringConnectionId": "x"}]}

    def describe_vpcs(self, VpcIds: list[str]) -> dict[str, Any]:
        (vpc_id,) = VpcIds
        blocks = [
            {"CidrBlock": c, "CidrBlockState": {"State": "associated"}} for c in self.vpcs[vpc_id]
        ]
        blocks.append({"CidrBlock": "10.99.0.0/16", "CidrBlockState": {"State": "disassociated"}})
        return {"Vpcs": [{"VpcId": vpc_id, "CidrBlockAssociationSet": blocks}]}

    def describe_route_tables(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        (vpc_id,) = Filters[0]["Values"]
        return {
            "RouteTables": [
                {
                    "Routes": [
                        {"DestinationCidrBlock": d, "VpcPeeringConnectionId": t, "State": s}
                        for d, t, s in routes
                    ]
                }
                for routes in self.tables[vpc_id]
            ]
        }


def test_aws_reads_each_live_connection_once_with_what_every_table_routes_to_it() -> None:
    # vpc-a: both tables route the nodes, only one the pods (a subnet there could not reach
    # them), a blackhole is no route; vpc-b (other Region): both ranges in its only table.
    a = Ec2(
        {"vpc-a": ["10.10.0.0/16", "10.32.0.0/16"]},
        {
            "vpc-a": [
                [("10.12.0.0/16", PCX, "active"), ("10.33.0.0/16", PCX, "active")],
                [("10.12.0.0/16", PCX, "active"), ("10.33.0.0/16", PCX, "blackhole")],
            ]
        },
    )
    b = Ec2(
        {"vpc-b": ["10.12.0.0/16", "10.33.0.0/16"]},
        {"vpc-b": [[("10.10.0.0/16", PCX, "active"), ("10.32.0.0/16", PCX, "active")]]},
    )
    (found,) = peering.aws({"eu-west-1": a, "us-east-1": b})
    assert found == peering.Found(
        PCX,
        ("vpc-a", "vpc-b"),
        (["10.10.0.0/16", "10.32.0.0/16"], ["10.12.0.0/16", "10.33.0.0/16"]),
        (["10.12.0.0/16"], ["10.10.0.0/16", "10.32.0.0/16"]),
    )


def test_gcp_reads_each_active_peering_once_with_the_ranges_each_network_imports() -> None:
    base = "https://compute.googleapis.com/compute/v1/projects/p/global/networks"
    answers = {
        "regions/r/subnetworks": {
            "items": [
                {
                    "network": f"{base}/net-a",
                    "ipCidrRange": "10.20.0.0/20",
                    "secondaryIpRanges": [{"ipCidrRange": "10.48.0.0/14"}],
                },
                {"network": f"{base}/net-b", "ipCidrRange": "10.21.0.0/20"},
            ]
        },
        "global/networks/net-a": {
            "peerings": [{"name": "p-ab", "network": f"{base}/net-b", "state": "ACTIVE"}]
        },
        "global/networks/net-b": {
            "peerings": [{"name": "p-ba", "network": f"{base}/net-a", "state": "ACTIVE"}]
        },
        "global/networks/net-a/listPeeringRoutes?peeringName=p-ab&direction=INCOMING&region=r": {
            "items": [
                {"destRange": "10.21.0.0/20", "imported": True},
                {"destRange": "10.77.0.0/16", "imported": False},
            ]
        },
        "global/networks/net-b/listPeeringRoutes?peeringName=p-ba&direction=INCOMING&region=r": {
            "items": [
                {"destRange": "10.20.0.0/20", "imported": True},
                {"destRange": "10.48.0.0/14", "imported": True},
            ]
        },
    }
    (found,) = peering.gcp(answers.__getitem__, "r", ["net-a", "net-b"])
    assert found == peering.Found(
        "p-ab",
        ("net-a", "net-b"),
        (["10.20.0.0/20", "10.48.0.0/14"], ["10.21.0.0/20"]),
        (["10.21.0.0/20"], ["10.20.0.0/20", "10.48.0.0/14"]),
    )
    # a peering carries traffic only while both sides are ACTIVE
    for side in ("net-a", "net-b"):
        key = f"global/networks/{side}"
        inactive = {
            **answers,
            key: {"peerings": [{**answers[key]["peerings"][0], "state": "INACTIVE"}]},
        }
        assert peering.gcp(inactive.__getitem__, "r", ["net-a", "net-b"]) == []
