"""Unit tests of plugins/module_utils/_prune.py: an orphan is the collection's, on this
cluster's own VPC, network or router, of a link naming this cluster and not in the plan."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.link_orphans import link_orphans
from ansible_collections.crosscluster.link.plugins.module_utils._prune import orphan_link

PLAN: dict[str, Any] = {
    "clusters": {
        "aws1": {"network": "vpc-1", "names": {}},
        "gcp1": {"network": "net-1", "names": {"router": "xcl-gcp1-router"}},
    },
    "links": [{"id": "aws1--gcp1", "clusters": ["aws1", "gcp1"]}],
}


@pytest.mark.parametrize(
    ("link", "cluster", "orphan"),
    [
        ("aws1--gcp2", "aws1", True),  # names aws1, not planned
        ("aws0--aws1", "aws1", True),
        ("aws1--gcp1", "aws1", False),  # planned
        ("aws2--gcp2", "aws1", False),  # another inventory's link
        ("aws1", "aws1", False),
        (None, "aws1", False),
    ],
)
def test_an_orphan_link_names_the_cluster_and_is_not_planned(link, cluster, orphan) -> None:
    assert orphan_link(link, PLAN, cluster) is orphan


def test_aws_orphans_are_found_by_the_link_tag_the_rule_marker_and_the_peering_name() -> None:
    def tagged(name: str, link: str, **more: Any) -> dict[str, Any]:
        tags = {"crosscluster.link/link": link}
        return {"name": name, "managed": True, "tags": tags, **more}

    found = {
        "vpn_connections": [
            tagged("aws1--gcp1-a", "aws1--gcp1", state="available"),
            tagged("aws1--gcp2-a", "aws1--gcp2", state="available"),
            tagged("aws1--gcp2-b", "aws1--gcp2", state="deleted"),
            {**tagged("x--y-a", "aws1--gcp2"), "managed": False, "state": "available"},
        ],
        "customer_gateways": [
            tagged("aws1--gcp2-if0", "aws1--gcp2", ip_address="203.0.113.1", bgp_asn=65010)
        ],
        "vpc_peering_connections": [
            {
                "name": "aws0--aws1",
                "managed": True,
                "status": "deleted",
                "vpc_peering_connection_id": "pcx-1",
                "vpc_id": "vpc-0",
                "peer_vpc_id": "vpc-1",
                "routes": [{"destination": "10.50.0.0/16"}],
            },
            {
                "name": "aws1--aws3",
                "managed": True,
                "status": "deleted",
                "vpc_peering_connection_id": "pcx-2",
                "vpc_id": "vpc-1",
                "peer_vpc_id": "vpc-3",
                "routes": [],
            },
        ],
        "security_groups": [
            {
                "ip_permissions": [
                    {
                        "ip_ranges": [
                            {"description": "crosscluster.link:aws1--gcp1"},
                            {"description": "crosscluster.link:aws1--gcp2"},
                            {"description": "someone else's"},
                        ]
                    }
                ]
            }
        ],
    }
    orphans = link_orphans(found, PLAN, "aws1", "aws")
    assert orphans["links"] == ["aws0--aws1", "aws1--gcp2"]
    # entries of aws_vpn_connection connections / aws_customer_gateway gateways, as they are
    assert orphans["vpn_connections"] == [{"name": "aws1--gcp2-a"}]
    assert orphans["customer_gateways"] == [
        {
            "name": "aws1--gcp2-if0",
            "ip_address": "203.0.113.1",
            "bgp_asn": 65010,
            "device_name": None,
        }
    ]
    # a deleted connection with routes left still has them removed; one without is done
    (peering,) = orphans["vpc_peerings"]
    assert (peering["name"], peering["live"], peering["requester"]) == ("aws0--aws1", False, False)
    assert peering["route_cidrs"] == ["10.50.0.0/16"]
    assert orphans["security_group_rules"] == [{"link": "aws1--gcp2", "name": "aws1--gcp2"}]


@pytest.mark.parametrize(
    ("status", "live"),
    [
        ("active", True),
        ("pending-acceptance", True),
        ("deleting", False),
        ("failed", False),
        ("rejected", False),
        ("expired", False),
    ],
)
def test_an_orphan_peering_ec2_refuses_to_delete_keeps_only_its_routes_to_remove(
    status: str, live: bool
) -> None:
    """DeleteVpcPeeringConnection: "You cannot delete a VPC peering connection that's in the
    failed or rejected state" (an expired one allows no action): such an orphan is not live,
    so prune removes its routes (blackholes) and never deletes it; without routes nothing is
    left to do."""
    pcx = {
        "name": "aws0--aws1",
        "managed": True,
        "status": status,
        "vpc_peering_connection_id": "pcx-1",
        "vpc_id": "vpc-1",
        "peer_vpc_id": "vpc-0",
        "routes": [{"destination": "10.50.0.0/16"}],
    }
    (peering,) = link_orphans({"vpc_peering_connections": [pcx]}, PLAN, "aws1", "aws")[
        "vpc_peerings"
    ]
    assert (peering["status"], peering["live"], peering["route_cidrs"]) == (
        status,
        live,
        ["10.50.0.0/16"],
    )
    bare = link_orphans({"vpc_peering_connections": [{**pcx, "routes": []}]}, PLAN, "aws1", "aws")[
        "vpc_peerings"
    ]
    assert [p["live"] for p in bare] == ([True] if live else [])


def test_aws_vpn_orphans_are_module_entries_and_their_links_come_from_the_tags() -> None:
    """A link whose only orphans are VPN objects is still listed; a connection name found
    twice is one entry (the module deletes by name and refuses a repeated one)."""
    tags = {"crosscluster.link/link": "aws1--onprem9"}
    connection = {"name": "aws1--onprem9-a", "managed": True, "tags": tags, "state": "available"}
    gateway = {
        "name": "aws1--onprem9-onprem",
        "managed": True,
        "tags": tags,
        "ip_address": "198.51.100.9",
        "bgp_asn": 65099,
        "device_name": "aws1--onprem9-onprem",
    }
    found = {"vpn_connections": [connection, connection], "customer_gateways": [gateway]}
    orphans = link_orphans(found, PLAN, "aws1", "aws")
    assert orphans["links"] == ["aws1--onprem9"]
    assert orphans["vpn_connections"] == [{"name": "aws1--onprem9-a"}]
    assert orphans["customer_gateways"] == [
        {k: gateway[k] for k in ("name", "ip_address", "bgp_asn", "device_name")}
    ]


# Three AWS clusters on Transit Gateways in two Regions: eks-a and eks-b are still linked,
# eks-c was dropped (its links eks-a--eks-c and eks-b--eks-c are orphans).
TGW_PLAN: dict[str, Any] = {
    "clusters": {
        "eks-a": {
            "network": "vpc-a",
            "names": {},
            "aws_transit_gateway_id": "tgw-a",
            "node_cidrs": ["10.1.0.0/16"],
            "pod_cidrs": ["10.11.0.0/16"],
            "service_cidrs": ["172.21.0.0/16"],
        },
        "eks-b": {
            "network": "vpc-b",
            "names": {},
            "aws_transit_gateway_id": "tgw-b",
            "node_cidrs": ["10.2.0.0/16"],
            "pod_cidrs": ["10.12.0.0/16"],
            "service_cidrs": ["172.22.0.0/16"],
        },
    },
    "links": [{"id": "eks-a--eks-b", "clusters": ["eks-a", "eks-b"]}],
}


def attachment(name: str, requester: str, accepter: str, *routes: str, **more: Any) -> dict:
    """One attachment as aws_tgw_peering_info returns it (include_routes)."""
    return {
        "transit_gateway_attachment_id": f"tgw-attach-{name}",
        "name": name,
        "managed": True,
        "state": "available",
        "transit_gateway_id": requester,
        "peer_transit_gateway_id": accepter,
        "routes": [{"destination": r, "state": "active"} for r in routes],
        **more,
    }


C_RANGES = ("10.3.0.0/16", "10.13.0.0/16", "172.23.0.0/16")


def test_an_orphan_tgw_peering_comes_with_its_routes_and_the_vpc_routes_of_its_ranges() -> None:
    found = {
        "tgw_peering_attachments": [
            attachment("eks-a--eks-b", "tgw-a", "tgw-b", "10.2.0.0/16", "10.12.0.0/16"),
            attachment("eks-a--eks-c", "tgw-a", "tgw-c", *C_RANGES),
        ]
    }
    orphans = link_orphans(found, TGW_PLAN, "eks-a", "aws")
    assert orphans["links"] == ["eks-a--eks-c"]
    assert orphans["tgw_peerings"] == [
        {
            "link": "eks-a--eks-c",
            "name": "eks-a--eks-c",
            "transit_gateway_attachment_id": "tgw-attach-eks-a--eks-c",
            "transit_gateway_id": "tgw-a",
            "peer_transit_gateway_id": "tgw-c",
            "requester": True,
            "live": True,
            "delete": True,
            "route_cidrs": sorted(C_RANGES),
            "vpc_route_cidrs": sorted(C_RANGES),
        }
    ]


def test_a_planned_tgw_peering_is_no_orphan() -> None:
    found = {
        "tgw_peering_attachments": [attachment("eks-a--eks-b", "tgw-a", "tgw-b", "10.2.0.0/16")]
    }
    for cluster in ("eks-a", "eks-b"):
        orphans = link_orphans(found, TGW_PLAN, cluster, "aws")
        assert (orphans["links"], orphans["tgw_peerings"]) == ([], [])


@pytest.mark.parametrize(
    "foreign",
    [
        # not created by the collection (no ownership tags), though named like a link of eks-a
        attachment("eks-a--eks-c", "tgw-a", "tgw-c", *C_RANGES, managed=False),
        # unnamed
        attachment("", "tgw-a", "tgw-c", *C_RANGES) | {"name": None},
        # another cluster's Transit Gateways (another inventory's link naming eks-a)
        attachment("eks-a--eks-c", "tgw-x", "tgw-y", *C_RANGES),
        # another inventory's link, on our TGW
        attachment("eks-x--eks-y", "tgw-a", "tgw-y", *C_RANGES),
    ],
)
def test_a_foreign_or_other_clusters_tgw_peering_is_never_an_orphan(foreign: dict) -> None:
    orphans = link_orphans({"tgw_peering_attachments": [foreign]}, TGW_PLAN, "eks-a", "aws")
    assert (orphans["links"], orphans["tgw_peerings"]) == ([], [])


def test_a_cluster_without_a_transit_gateway_has_no_tgw_peering_orphans() -> None:
    plan = {**TGW_PLAN, "clusters": {**TGW_PLAN["clusters"], "eks-a": {"network": "vpc-a"}}}
    found = {"tgw_peering_attachments": [attachment("eks-a--eks-c", "tgw-a", "tgw-c", *C_RANGES)]}
    assert link_orphans(found, plan, "eks-a", "aws")["tgw_peerings"] == []


def test_one_end_deletes_an_orphan_tgw_peering_and_deleted_ones_keep_only_their_routes() -> None:
    plan = {
        **TGW_PLAN,
        "clusters": {
            **TGW_PLAN["clusters"],
            "eks-c": {"network": "vpc-c", "aws_transit_gateway_id": "tgw-c"},
        },
        "links": [],  # all three still in the inventory, no pair left
    }
    pair = attachment("eks-a--eks-b", "tgw-a", "tgw-b", "10.2.0.0/16")
    # eks-a requested it: eks-a deletes it, eks-b (accepter) only removes its routes
    (on_a,) = link_orphans({"tgw_peering_attachments": [pair]}, plan, "eks-a", "aws")[
        "tgw_peerings"
    ]
    (on_b,) = link_orphans({"tgw_peering_attachments": [pair]}, plan, "eks-b", "aws")[
        "tgw_peerings"
    ]
    assert (on_a["delete"], on_b["delete"]) == (True, False)
    assert (on_b["requester"], on_b["peer_transit_gateway_id"]) == (False, "tgw-a")
    # requested by eks-c, which left the inventory: the accepter eks-a deletes it
    dropped = attachment("eks-c--eks-a", "tgw-c", "tgw-a", "10.3.0.0/16")
    (left,) = link_orphans({"tgw_peering_attachments": [dropped]}, TGW_PLAN, "eks-a", "aws")[
        "tgw_peerings"
    ]
    assert left["delete"] and not left["requester"]
    # deleted (by the other end): its routes still go, the attachment is not deleted again;
    # without routes it is done
    gone = [
        attachment("eks-a--eks-c", "tgw-a", "tgw-c", *C_RANGES, state="deleted"),
        attachment("eks-a--eks-d", "tgw-a", "tgw-d", state="deleting"),
    ]
    (deleted,) = link_orphans({"tgw_peering_attachments": gone}, TGW_PLAN, "eks-a", "aws")[
        "tgw_peerings"
    ]
    assert (deleted["live"], deleted["delete"], deleted["route_cidrs"]) == (
        False,
        False,
        sorted(C_RANGES),
    )
    # failed or rejected (read with include_ended): its routes go, it is not deleted
    failed = attachment("eks-a--eks-c", "tgw-a", "tgw-c", *C_RANGES, state="rejected")
    (ended,) = link_orphans({"tgw_peering_attachments": [failed]}, TGW_PLAN, "eks-a", "aws")[
        "tgw_peerings"
    ]
    assert (ended["live"], ended["delete"], ended["route_cidrs"]) == (
        False,
        False,
        sorted(C_RANGES),
    )


def test_vpc_routes_for_a_range_of_a_planned_cluster_are_never_pruned() -> None:
    # eks-c's node range was reused by eks-b (linked): the TGW route to the orphan attachment
    # goes, the VPC route to the TGW for that range stays (eks-b's link needs it)
    found = {
        "tgw_peering_attachments": [
            attachment("eks-a--eks-c", "tgw-a", "tgw-c", "10.2.0.0/16", "10.13.0.0/16")
        ]
    }
    (orphan,) = link_orphans(found, TGW_PLAN, "eks-a", "aws")["tgw_peerings"]
    assert orphan["route_cidrs"] == ["10.13.0.0/16", "10.2.0.0/16"]
    assert orphan["vpc_route_cidrs"] == ["10.13.0.0/16"]


def test_gcp_orphans_are_on_the_cluster_router_or_network_only() -> None:
    found = {
        "tunnels": [
            {"name": "xcl-aws1--gcp1-t0", "router": "xcl-gcp1-router"},
            {"name": "xcl-aws2--gcp1-t0", "router": "xcl-gcp1-router"},
            {"name": "xcl-aws2--gcp2-t0", "router": "xcl-gcp2-router"},
            {"name": "xcl-aws3--gcp1-t1", "router": "projects/p/regions/r/routers/other"},
            # a side of an HA VPN <-> HA VPN link
            {
                "name": "xcl-gcp1--gcp3-t1-0",
                "router": "projects/p/regions/r/routers/xcl-gcp1-router",
            },
        ],
        "routers": [
            {
                "name": "xcl-gcp1-router",
                "bgp_peers": [
                    {"name": "xcl-aws2--gcp1-t0", "interface_name": "if-xcl-aws2--gcp1-t0"},
                    {"name": "xcl-aws1--gcp1-t0", "interface_name": "if-xcl-aws1--gcp1-t0"},
                    {"name": "theirs", "interface_name": "if-theirs"},
                ],
            }
        ],
        "external_vpn_gateways": [{"name": "xcl-aws2--gcp1"}, {"name": "xcl-aws1--gcp1"}],
        "firewall_rules": [
            {"name": "xcl-aws2--gcp1-in4", "network": "projects/p/global/networks/net-1"},
            {"name": "xcl-gcp1--gcp2-0-in4", "network": "projects/p/global/networks/net-1"},
            {"name": "xcl-gcp1--gcp2-1-in4", "network": "projects/p/global/networks/net-2"},
            {"name": "xcl-aws1--gcp1-in4", "network": "projects/p/global/networks/net-1"},
        ],
        "peerings": [{"name": "xcl-gcp1--gcp2", "network": "projects/p/global/networks/net-2"}],
    }
    orphans = link_orphans(found, PLAN, "gcp1", "gcp")
    assert orphans["links"] == ["aws2--gcp1", "gcp1--gcp2", "gcp1--gcp3"]
    assert [t["name"] for t in orphans["vpn_tunnels"]] == [
        "xcl-aws2--gcp1-t0",
        "xcl-gcp1--gcp3-t1-0",
    ]
    assert orphans["bgp_peers"] == [
        {"name": "xcl-aws2--gcp1-t0", "interface_name": "if-xcl-aws2--gcp1-t0"}
    ]
    assert [g["name"] for g in orphans["external_vpn_gateways"]] == ["xcl-aws2--gcp1"]
    assert [r["name"] for r in orphans["firewall_rules"]] == [
        "xcl-aws2--gcp1-in4",
        "xcl-gcp1--gcp2-0-in4",
    ]
    assert [p["name"] for p in orphans["peerings"]] == ["xcl-gcp1--gcp2"]


def test_nothing_found_is_no_orphan_and_bad_arguments_are_refused() -> None:
    assert link_orphans({}, PLAN, "gcp1", "gcp")["links"] == []
    with pytest.raises(AnsibleFilterError, match="provider must be aws or gcp"):
        link_orphans({}, PLAN, "gcp1", "onprem")
    with pytest.raises(AnsibleFilterError, match="not a cluster of the plan"):
        link_orphans({}, PLAN, "gcp9", "gcp")


def test_orphan_vpn_connections_behind_a_tgw_give_the_ranges_their_links_routed_to_it() -> None:
    """eks-a--gke-9 (a VPN link, gke-9 dropped) recorded gke-9's ranges on its connections;
    one of them is also eks-b's (a planned cluster): not pruned. A cluster on a VGW (no Transit
    Gateway) has none to remove: its routes are propagated by the gateway."""
    recorded = "10.9.0.0/16 10.19.0.0/16 172.29.0.0/16 10.2.0.0/16"
    tags = {"crosscluster.link/link": "eks-a--gke-9", "crosscluster.link/remote-cidrs": recorded}
    connections = [
        {"name": f"eks-a--gke-9-{x}", "managed": True, "tags": tags, "state": "available"}
        for x in "ab"
    ]
    orphans = link_orphans({"vpn_connections": connections}, TGW_PLAN, "eks-a", "aws")
    assert orphans["links"] == ["eks-a--gke-9"]
    assert orphans["vpn_tgw_route_cidrs"] == ["10.19.0.0/16", "10.9.0.0/16", "172.29.0.0/16"]
    on_vgw = {
        "eks-a": {
            k: v for k, v in TGW_PLAN["clusters"]["eks-a"].items() if k != "aws_transit_gateway_id"
        }
    }
    vgw_plan = {**TGW_PLAN, "clusters": {**TGW_PLAN["clusters"], **on_vgw}}
    assert (
        link_orphans({"vpn_connections": connections}, vgw_plan, "eks-a", "aws")[
            "vpn_tgw_route_cidrs"
        ]
        == []
    )
