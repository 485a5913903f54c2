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
    assert [c["name"] for c in orphans["vpn_connections"]] == ["aws1--gcp2-a"]
    assert orphans["customer_gateways"][0]["bgp_asn"] == 65010
    # a deleted connection with routes left still has them removed; one without is done
    (peering,) = orphans["vpc_peerings"]
    assert (peering["name"], peering["live"], peering["requester"]) == ("aws0--aws1", False, False)
    assert peering["route_cidrs"] == ["10.50.0.0/16"]
    assert orphans["security_group_rules"] == [{"link": "aws1--gcp2", "name": "aws1--gcp2"}]


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
    assert orphans["vpn_tunnels"][1]["link"] == "gcp1--gcp3"
    assert orphans["bgp_peers"] == [
        {"link": "aws2--gcp1", "name": "xcl-aws2--gcp1-t0", "interface": "if-xcl-aws2--gcp1-t0"}
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
