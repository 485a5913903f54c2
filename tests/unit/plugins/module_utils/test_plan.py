"""Validation rules, link enumeration and plan shape of module_utils/_plan.py."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._plan import (
    build_plan,
    parse_cidr,
    pool_capacity,
    summarize,
)


def aws(**over: Any) -> dict[str, Any]:
    spec = {
        "cluster_provider": "aws",
        "cluster_region": "eu-west-1",
        "cluster_network": "vpc-0a1b2c3d4e5f60718",
        "cluster_node_cidrs": ["10.10.0.0/16"],
        "cluster_pod_cidrs": ["10.11.0.0/16"],
        "cluster_service_cidrs": ["172.20.0.0/16"],
        "cluster_dns_zone": "aws-euw1.local",
        "cluster_asn": 64512,
    }
    spec.update(over)
    return spec


def gcp(n: int = 1, **over: Any) -> dict[str, Any]:
    spec = {
        "cluster_provider": "gcp",
        "cluster_region": "europe-west1",
        "cluster_project": "crosscluster-demo",
        "cluster_network": "prod-vpc",
        "cluster_node_cidrs": [f"10.{100 + 10 * n}.0.0/20"],
        "cluster_pod_cidrs": [f"10.{104 + 10 * n}.0.0/16"],
        "cluster_service_cidrs": [f"10.{108 + 10 * n}.0.0/20"],
        "cluster_dns_zone": f"gcp{n}.local",
        "cluster_asn": 65000 + n,
    }
    spec.update(over)
    return spec


def onprem(**over: Any) -> dict[str, Any]:
    spec = {
        "cluster_provider": "onprem",
        "cluster_node_cidrs": ["192.168.0.0/20"],
        "cluster_pod_cidrs": ["192.168.64.0/18"],
        "cluster_service_cidrs": ["192.168.128.0/20"],
        "cluster_dns_zone": "dc1.local",
        "cluster_asn": 65100,
        "cluster_onprem_gateway_ip": "192.0.2.10",
    }
    spec.update(over)
    return spec


DC2 = onprem(
    cluster_node_cidrs=["192.168.16.0/20"],
    cluster_pod_cidrs=["192.168.192.0/18"],
    cluster_service_cidrs=["192.168.144.0/20"],
    cluster_dns_zone="dc2.local",
    cluster_asn=65101,
    cluster_onprem_gateway_ip="192.0.2.11",
)


def base() -> dict[str, dict[str, Any]]:
    return {"aws1": aws(), "gcp1": gcp(1)}


def errors_of(specs, topology: Any = "full_mesh", pairs: Any = None) -> list[str]:
    plan, errors, _warnings = build_plan(specs, topology, pairs)
    assert (plan is None) == bool(errors)
    return errors


def test_valid_pair_plans() -> None:
    plan, errors, warnings = build_plan(base())
    assert errors == [] and warnings == []
    assert plan is not None
    (link,) = plan["links"]
    assert link["id"] == "aws1--gcp1"
    assert link["clusters"] == ["aws1", "gcp1"]
    assert (link["aws_cluster"], link["gcp_cluster"]) == ("aws1", "gcp1")
    assert plan["clusters"]["aws1"]["aws_gateway"] == "vgw"
    assert plan["clusters"]["gcp1"]["aws_gateway"] is None
    assert plan["clusters"]["gcp1"]["dns_zone"] == "gcp1.local"
    assert [t["id"] for t in link["tunnels"]] == [f"aws1--gcp1-t{i}" for i in range(4)]
    assert "aws1--gcp1-t3" in "\n".join(summarize(plan))


def test_tunnels_follow_reference_topology() -> None:
    plan, _errors, _warnings = build_plan(base())
    tunnels = plan["links"][0]["tunnels"]
    rows = [
        (
            t["aws_vpn_connection"],
            t["aws_tunnel"],
            t["gcp_vpn_interface"],
            t["gcp_external_interface"],
        )
        for t in tunnels
    ]
    assert rows == [("a", 1, 0, 0), ("a", 2, 0, 1), ("b", 1, 1, 2), ("b", 2, 1, 3)]
    for t in tunnels:
        net, problem = parse_cidr(t["inside_cidr"])
        assert problem is None and net.prefixlen == 30
        assert t["aws_inside_address"] == str(net[1])
        assert t["gcp_inside_address"] == str(net[2])
        assert (t["aws_asn"], t["gcp_asn"]) == (64512, 65001)


def test_cluster_name_overrides_host_and_cluster_prefix_is_kept() -> None:
    specs = {"host-a": aws(cluster_name="prod-aws"), "gcp1": gcp(1)}
    plan, errors, _warnings = build_plan(specs, "pairs", [["gcp1", "prod-aws"]])
    assert errors == []
    assert plan["links"][0]["id"] == "gcp1--prod-aws"
    assert plan["clusters"]["prod-aws"]["host"] == "host-a"


def test_unknown_variable_is_a_warning() -> None:
    specs = base()
    specs["aws1"]["cluster_colour"] = "blue"
    _plan, errors, warnings = build_plan(specs)
    assert errors == []
    assert warnings == ["cluster 'aws1': unknown variable(s) cluster_colour ignored"]


def test_cluster_dns_role_variables_are_not_unknown() -> None:
    specs = base()
    specs["aws1"]["cluster_dns_reload_window"] = 5
    _plan, errors, warnings = build_plan(specs)
    assert errors == []
    assert warnings == []


def test_pairs_ignored_with_full_mesh_warns() -> None:
    _plan, errors, warnings = build_plan(base(), "full_mesh", [["aws1", "gcp1"]])
    assert errors == []
    assert warnings == ["link_pairs is ignored because link_topology is full_mesh"]


def test_plan_is_deterministic_and_input_order_independent() -> None:
    specs = {"aws1": aws(), "gcp1": gcp(1), "gcp2": gcp(2, cluster_dns_zone="gcp2.local")}
    reordered = dict(reversed(list(copy.deepcopy(specs).items())))
    pairs = [["aws1", "gcp1"], ["gcp2", "aws1"]]
    one = build_plan(specs, "pairs", pairs)
    two = build_plan(reordered, "pairs", list(reversed(pairs)))
    assert one == two


def test_string_asn_is_accepted() -> None:
    plan, errors, _warnings = build_plan({"aws1": aws(cluster_asn="64512"), "gcp1": gcp(1)})
    assert errors == []
    assert plan["clusters"]["aws1"]["asn"] == 64512


# Each case: (cluster overrides {host: {var: value}} on base(), expected message fragment).
CLUSTER_RULES = [
    # names
    ({"aws1": {"cluster_name": "Prod_AWS"}}, "cluster_name 'Prod_AWS' is not a valid cluster name"),
    ({"aws1": {"cluster_name": "a" * 25}}, "is not a valid cluster name: use 1-24 characters"),
    ({"aws1": {"cluster_name": "a--b"}}, "cluster_name 'a--b' is not a valid cluster name"),
    ({"aws1": {"cluster_name": "gcp1"}}, "cluster 'gcp1': cluster_name is used by hosts"),
    # provider and required variables
    ({"aws1": {"cluster_provider": "azure"}}, "cluster_provider 'azure' is unknown"),
    ({"aws1": {"cluster_provider": None}}, "cluster 'aws1': cluster_provider is required"),
    ({"aws1": {"cluster_node_cidrs": []}}, "cluster 'aws1': cluster_node_cidrs is required"),
    ({"aws1": {"cluster_pod_cidrs": None}}, "cluster 'aws1': cluster_pod_cidrs is required"),
    (
        {"aws1": {"cluster_service_cidrs": None}},
        "cluster 'aws1': cluster_service_cidrs is required",
    ),
    ({"aws1": {"cluster_dns_zone": None}}, "cluster 'aws1': cluster_dns_zone is required"),
    ({"aws1": {"cluster_asn": None}}, "cluster 'aws1': cluster_asn is required"),
    (
        {"aws1": {"cluster_region": None}},
        "cluster 'aws1': cluster_region is required for provider aws",
    ),
    (
        {"aws1": {"cluster_network": ""}},
        "cluster 'aws1': cluster_network is required for provider aws",
    ),
    (
        {"gcp1": {"cluster_project": None}},
        "cluster 'gcp1': cluster_project is required for provider gcp",
    ),
    (
        {"gcp1": {"cluster_region": None}},
        "cluster 'gcp1': cluster_region is required for provider gcp",
    ),
    (
        {"gcp1": {"cluster_network": None}},
        "cluster 'gcp1': cluster_network is required for provider gcp",
    ),
    # location syntax
    (
        {"aws1": {"cluster_region": "europe-west1"}},
        "cluster_region 'europe-west1' is not an AWS region",
    ),
    ({"gcp1": {"cluster_region": "eu-west-1"}}, "cluster_region 'eu-west-1' is not a GCP region"),
    ({"aws1": {"cluster_network": "prod-vpc"}}, "cluster_network 'prod-vpc' is not a VPC id"),
    (
        {"gcp1": {"cluster_network": "Prod_VPC"}},
        "cluster_network 'Prod_VPC' is not a GCP network name",
    ),
    ({"gcp1": {"cluster_project": "P"}}, "cluster_project 'P' is not a GCP project id"),
    (
        {"aws1": {"cluster_aws_gateway": "dx"}},
        "cluster_aws_gateway 'dx' is unknown; use vgw or tgw",
    ),
    (
        {"aws1": {"cluster_aws_gateway": "tgw"}},
        "cluster 'aws1': cluster_aws_transit_gateway_id is required when "
        "cluster_aws_gateway is tgw",
    ),
    (
        {"aws1": {"cluster_aws_gateway": "tgw", "cluster_aws_transit_gateway_id": "tgw-xyz"}},
        "cluster_aws_transit_gateway_id 'tgw-xyz' is not a transit gateway id",
    ),
    (
        {"aws1": {"cluster_aws_transit_gateway_id": "tgw-0a1b2c3d4e5f60718"}},
        "is set but cluster_aws_gateway is vgw",
    ),
    (
        {"gcp1": {"cluster_aws_gateway": "vgw"}},
        "cluster_aws_gateway 'vgw' applies to provider aws only",
    ),
    (
        {"aws1": {"cluster_api_endpoint": "http://k8s.example.com"}},
        "cluster_api_endpoint 'http://k8s.example.com' is not an https URL",
    ),
    ({"aws1": {"cluster_kubeconfig": 42}}, "cluster 'aws1': cluster_kubeconfig must be a string"),
    # malformed CIDRs
    (
        {"aws1": {"cluster_node_cidrs": ["10.10.0.1/16"]}},
        "cluster 'aws1': cluster_node_cidrs: '10.10.0.1/16' has host bits set; "
        "did you mean 10.10.0.0/16?",
    ),
    (
        {"aws1": {"cluster_pod_cidrs": ["fd00::1/64"]}},
        "'fd00::1/64' has host bits set; did you mean fd00::/64?",
    ),
    (
        {"aws1": {"cluster_pod_cidrs": ["10.11.0.0/33"]}},
        "'10.11.0.0/33' has a bad prefix length '33'",
    ),
    ({"aws1": {"cluster_pod_cidrs": ["fd00::/129"]}}, "'fd00::/129' has a bad prefix length '129'"),
    ({"aws1": {"cluster_pod_cidrs": ["10.11.0.0/x"]}}, "'10.11.0.0/x' has a bad prefix length 'x'"),
    ({"aws1": {"cluster_pod_cidrs": ["10.11.0.0"]}}, "'10.11.0.0' has no prefix length"),
    (
        {"aws1": {"cluster_pod_cidrs": ["pods/16"]}},
        "'pods/16' is not a CIDR: 'pods' is not an IP address",
    ),
    (
        {"aws1": {"cluster_pod_cidrs": ["10.11/16"]}},
        "'10.11/16' is not a CIDR: '10.11' is not an IP",
    ),
    ({"aws1": {"cluster_pod_cidrs": [16]}}, "cluster_pod_cidrs: 16 is not a CIDR string"),
    (
        {"aws1": {"cluster_pod_cidrs": "10.11.0.0/16"}},
        "cluster_pod_cidrs must be a list of CIDR strings",
    ),
    # tunnel space
    (
        {"aws1": {"cluster_pod_cidrs": ["169.254.10.0/24"]}},
        "cluster 'aws1': cluster_pod_cidrs: 169.254.10.0/24 overlaps the tunnel address space",
    ),
    (
        {"aws1": {"cluster_node_cidrs": ["169.0.0.0/8"]}},
        "169.0.0.0/8 overlaps the tunnel address space",
    ),
    # more ranges than the tag recording them on a TGW's VPN connections holds (264 > 256)
    (
        {"aws1": {"cluster_pod_cidrs": [f"10.{n}.0.0/16" for n in range(200, 217)]}},
        "cluster 'aws1': its node, pod and service ranges take 264 characters written out",
    ),
    # ASNs
    ({"aws1": {"cluster_asn": 0}}, "cluster 'aws1': cluster_asn 0 is out of range 1-4294967295"),
    ({"aws1": {"cluster_asn": 4294967296}}, "cluster_asn 4294967296 is out of range"),
    (
        {"aws1": {"cluster_asn": "AS64512"}},
        "cluster 'aws1': cluster_asn 'AS64512' is not an integer",
    ),
    ({"aws1": {"cluster_asn": True}}, "cluster_asn True is not an integer"),
    (
        {"gcp1": {"cluster_asn": 65535}},
        "cluster 'gcp1': cluster_asn 65535 is not a private ASN; GCP Cloud Router needs",
    ),
    ({"gcp1": {"cluster_asn": 4294967295}}, "cluster_asn 4294967295 is not a private ASN"),
    (
        {"aws1": {"cluster_asn": 64511}},
        "cluster 'aws1': cluster_asn 64511 is not a private ASN; the Amazon side of a VGW",
    ),
    (
        {"gcp1": {"cluster_asn": 7224}},
        "link aws1--gcp1: cluster 'gcp1' cluster_asn 7224 is reserved by AWS for customer gateways "
        "everywhere (AWS end: cluster 'aws1', region eu-west-1)",
    ),
    (
        {"gcp1": {"cluster_asn": 9059}},
        "cluster 'gcp1' cluster_asn 9059 is reserved by AWS for customer gateways in eu-west-1",
    ),
    (
        {"aws1": {"cluster_region": "ap-northeast-1"}, "gcp1": {"cluster_asn": 10124}},
        "cluster_asn 10124 is reserved by AWS for customer gateways in ap-northeast-1",
    ),
    (
        {"aws1": {"cluster_region": "ap-southeast-1"}, "gcp1": {"cluster_asn": 17943}},
        "cluster_asn 17943 is reserved by AWS for customer gateways in ap-southeast-1",
    ),
    (
        {"gcp1": {"cluster_asn": 64512}},
        "link aws1--gcp1: cluster 'aws1' and cluster 'gcp1' both have cluster_asn 64512",
    ),
    # zones
    (
        {"aws1": {"cluster_dns_zone": "bad_zone.local"}},
        "cluster_dns_zone 'bad_zone.local' is not a valid DNS name",
    ),
    (
        {"aws1": {"cluster_dns_zone": "-x.local"}},
        "cluster_dns_zone '-x.local' is not a valid DNS name",
    ),
    (
        {"aws1": {"cluster_dns_zone": "a..local"}},
        "cluster_dns_zone 'a..local' is not a valid DNS name",
    ),
    ({"aws1": {"cluster_dns_zone": "x" * 64 + ".local"}}, "is not a valid DNS name"),
    ({"aws1": {"cluster_dns_zone": 5}}, "cluster 'aws1': cluster_dns_zone 5 is not a string"),
    (
        {"aws1": {"cluster_dns_zone": "cluster.local"}},
        "cluster_dns_zone 'cluster.local' collides with",
    ),
    (
        {"aws1": {"cluster_dns_zone": "Cluster.Local."}},
        "cluster_dns_zone 'Cluster.Local.' collides with",
    ),
    ({"aws1": {"cluster_dns_zone": "aws.cluster.local"}}, "'aws.cluster.local' collides with"),
    (
        {"aws1": {"cluster_dns_zone": "svc.aws-euw1.local"}},
        "cluster_dns_zone 'svc.aws-euw1.local' starts with 'svc.'",
    ),
    (
        {"aws1": {"cluster_dns_zone": "GCP1.local"}},
        "cluster 'aws1' and cluster 'gcp1': cluster_dns_zone 'gcp1.local' is duplicated",
    ),
    (
        {"aws1": {"cluster_dns_zone": "x.gcp1.local"}},
        "cluster 'aws1' cluster_dns_zone 'x.gcp1.local' and cluster 'gcp1' cluster_dns_zone "
        "'gcp1.local' are nested",
    ),
    # overlaps across clusters: every pairing of fields, containment, partial overlap, IPv6
    (
        {"gcp1": {"cluster_node_cidrs": ["10.10.0.0/16"]}},
        "CIDR overlap (across clusters): cluster 'aws1' cluster_node_cidrs 10.10.0.0/16 equals "
        "cluster 'gcp1' cluster_node_cidrs 10.10.0.0/16",
    ),
    (
        {"gcp1": {"cluster_pod_cidrs": ["10.11.128.0/20"]}},
        "cluster 'aws1' cluster_pod_cidrs 10.11.0.0/16 contains cluster 'gcp1' cluster_pod_cidrs "
        "10.11.128.0/20",
    ),
    (
        {"gcp1": {"cluster_service_cidrs": ["172.0.0.0/8"]}},
        "cluster 'aws1' cluster_service_cidrs 172.20.0.0/16 is inside cluster 'gcp1' "
        "cluster_service_cidrs 172.0.0.0/8",
    ),
    (
        {"gcp1": {"cluster_pod_cidrs": ["10.10.5.0/24"]}},
        "cluster 'aws1' cluster_node_cidrs 10.10.0.0/16 contains cluster 'gcp1' cluster_pod_cidrs",
    ),
    (
        {"gcp1": {"cluster_service_cidrs": ["10.11.0.0/20"]}},
        "cluster 'aws1' cluster_pod_cidrs 10.11.0.0/16 contains cluster 'gcp1' "
        "cluster_service_cidrs",
    ),
    (
        {"gcp1": {"cluster_node_cidrs": ["172.20.1.0/24"]}},
        "cluster 'aws1' cluster_service_cidrs 172.20.0.0/16 contains cluster 'gcp1' "
        "cluster_node_cidrs",
    ),
    (
        {
            "aws1": {"cluster_node_cidrs": ["fd00::/56"]},
            "gcp1": {"cluster_node_cidrs": ["fd00:0:0:10::/60"]},
        },
        "cluster 'aws1' cluster_node_cidrs fd00::/56 contains cluster 'gcp1' cluster_node_cidrs "
        "fd00:0:0:10::/60",
    ),
    (
        # Partial overlap in terms of lists: one list entry spans the other's two entries.
        {
            "aws1": {"cluster_pod_cidrs": ["10.40.0.0/15"]},
            "gcp1": {"cluster_pod_cidrs": ["10.41.0.0/16"]},
        },
        "cluster 'aws1' cluster_pod_cidrs 10.40.0.0/15 contains cluster 'gcp1' "
        "cluster_pod_cidrs 10.41.0.0/16",
    ),
    # inside one cluster
    (
        {"aws1": {"cluster_pod_cidrs": ["10.10.128.0/17"]}},
        "CIDR overlap (inside one cluster): cluster 'aws1' cluster_node_cidrs 10.10.0.0/16 "
        "contains cluster 'aws1' cluster_pod_cidrs 10.10.128.0/17",
    ),
    (
        {"aws1": {"cluster_service_cidrs": ["10.11.0.0/16"]}},
        "CIDR overlap (inside one cluster): cluster 'aws1' cluster_pod_cidrs 10.11.0.0/16 equals "
        "cluster 'aws1' cluster_service_cidrs 10.11.0.0/16",
    ),
    (
        {"aws1": {"cluster_service_cidrs": ["10.10.0.0/24"]}},
        "cluster 'aws1' cluster_node_cidrs 10.10.0.0/16 contains cluster 'aws1' "
        "cluster_service_cidrs",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), CLUSTER_RULES)
def test_cluster_rule(overrides: dict[str, dict[str, Any]], expected: str) -> None:
    specs = base()
    for host, over in overrides.items():
        specs[host].update(over)
    errors = errors_of(specs)
    assert any(expected in e for e in errors), errors


def test_partial_overlap_is_reported() -> None:
    # IPv4 ranges in a list may overlap partially only through differently sized networks;
    # netaddr networks are aligned, so "partial" shows as containment between two entries of
    # different lists: both relationships are named.
    specs = base()
    specs["gcp1"]["cluster_node_cidrs"] = ["10.10.255.0/24", "10.9.0.0/16"]
    specs["aws1"]["cluster_node_cidrs"] = ["10.8.0.0/15", "10.10.0.0/16"]
    errors = errors_of(specs)
    assert any(
        "10.8.0.0/15 contains cluster 'gcp1' cluster_node_cidrs 10.9.0.0/16" in e for e in errors
    )
    assert any(
        "10.10.0.0/16 contains cluster 'gcp1' cluster_node_cidrs 10.10.255.0/24" in e
        for e in errors
    )


TOPOLOGY_RULES = [
    ("ring", None, "link_topology 'ring' is unknown; use full_mesh or pairs"),
    ("pairs", None, "link_pairs is required when link_topology is pairs"),
    ("pairs", "aws1,gcp1", "link_pairs must be a list of [cluster, cluster] lists"),
    ("pairs", [["aws1"]], "link_pairs entry ['aws1'] is not a list of two cluster names"),
    ("pairs", [["aws1", "gcp1", "x"]], "is not a list of two cluster names"),
    ("pairs", ["aws1"], "link_pairs entry 'aws1' is not a list of two cluster names"),
    (
        "pairs",
        [["aws1", "gcp9"]],
        "link_pairs entry ['aws1', 'gcp9'] names unknown cluster(s) 'gcp9'",
    ),
    (
        "pairs",
        [["aws1", "aws1"]],
        "link_pairs entry ['aws1', 'aws1'] links cluster 'aws1' to itself",
    ),
    (
        "pairs",
        [["aws1", "gcp1"], ["gcp1", "aws1"]],
        "link_pairs entry ['gcp1', 'aws1'] duplicates the link aws1--gcp1",
    ),
]


@pytest.mark.parametrize(("topology", "pairs", "expected"), TOPOLOGY_RULES)
def test_topology_rule(topology: str, pairs: Any, expected: str) -> None:
    errors = errors_of(base(), topology, pairs)
    assert any(expected in e for e in errors), errors


def test_cluster_variables_must_be_a_mapping() -> None:
    errors = errors_of({"aws1": aws(), "gcp1": "gcp"})
    assert "cluster 'gcp1': variables must be a mapping, got 'gcp'" in errors


def test_empty_inventory() -> None:
    assert errors_of({}) == ["no clusters: the inventory group 'clusters' is empty"]


def test_unsupported_pairs() -> None:
    assert errors_of({"dc1": onprem(), "dc2": DC2}) == [
        "link dc1--dc2: cluster 'dc1' (onprem) <-> cluster 'dc2' (onprem) is not supported yet"
        "; supported: aws <-> aws, aws <-> gcp, aws <-> onprem, gcp <-> gcp, gcp <-> onprem"
    ]


def test_unsupported_is_reported_after_every_other_rule() -> None:
    specs = {"aws1": aws(), "dc2": DC2, "dc1": onprem(cluster_pod_cidrs=["10.11.0.0/16"])}
    errors = errors_of(specs)
    unsupported = [i for i, e in enumerate(errors) if "not supported yet" in e]
    assert unsupported and any("CIDR overlap" in e for e in errors)
    assert unsupported == list(range(len(errors) - len(unsupported), len(errors)))


def test_all_errors_are_reported_together() -> None:
    specs = base()
    specs["aws1"].update(cluster_asn="x", cluster_pod_cidrs=["10.11.0.1/16"], cluster_region=None)
    specs["gcp1"].update(cluster_dns_zone="cluster.local", cluster_project=None)
    specs["gcp1"]["cluster_node_cidrs"] = ["10.10.1.0/24"]
    errors = errors_of(specs, "pairs", [["aws1", "gcp1"], ["aws1", "nope"]])
    expected = [
        "cluster 'aws1': cluster_region is required for provider aws",
        "cluster 'aws1': cluster_asn 'x' is not an integer",
        "'10.11.0.1/16' has host bits set; did you mean 10.11.0.0/16?",
        "cluster 'gcp1': cluster_project is required for provider gcp",
        "cluster_dns_zone 'cluster.local' collides with",
        "cluster 'aws1' cluster_node_cidrs 10.10.0.0/16 contains cluster 'gcp1' cluster_node_cidrs",
        "names unknown cluster(s) 'nope'",
    ]
    for fragment in expected:
        assert any(fragment in e for e in errors), (fragment, errors)
    assert len(errors) == len(expected)


def test_more_tunnels_than_the_pool_holds() -> None:
    # 64 GCP x 64 on-prem clusters: 4090 tunnelled links, more than the 4089 free /28 blocks.
    specs = {}
    for i in range(64):
        specs[f"g{i}"] = gcp(
            1,
            cluster_network=f"net{i}",
            cluster_node_cidrs=[f"10.{i}.0.0/20"],
            cluster_pod_cidrs=[f"10.{i}.64.0/18"],
            cluster_service_cidrs=[f"10.{i}.128.0/20"],
            cluster_dns_zone=f"g{i}.local",
            cluster_asn=65000 + i,
        )
        specs[f"d{i}"] = onprem(
            cluster_node_cidrs=[f"10.{64 + i}.0.0/20"],
            cluster_pod_cidrs=[f"10.{64 + i}.64.0/18"],
            cluster_service_cidrs=[f"10.{64 + i}.128.0/20"],
            cluster_dns_zone=f"d{i}.local",
            cluster_asn=65200 + i,
            cluster_onprem_gateway_ip=f"198.51.100.{i + 1}",
        )
    pairs = [[f"g{i}", f"d{j}"] for i in range(64) for j in range(64)][:4090]
    assert pool_capacity() == 4089
    errors = errors_of(specs, "pairs", pairs)
    assert errors == [
        "link_topology pairs: 4090 links need 16360 tunnels, more than the tunnel pool "
        "169.254.0.0/16 holds (16356 tunnels, 4089 links); link fewer clusters"
    ]


def test_peering_links_take_no_block_of_the_tunnel_pool() -> None:
    # The 91 clusters of a full mesh (4095 links) on networks of their own: all peerings.
    specs = {
        f"g{i}": gcp(
            1,
            cluster_network=f"net{i}",
            cluster_node_cidrs=[f"10.{i}.0.0/20"],
            cluster_pod_cidrs=[f"10.{i}.64.0/18"],
            cluster_service_cidrs=[f"10.{i}.128.0/20"],
            cluster_dns_zone=f"g{i}.local",
        )
        for i in range(91)
    }
    errors = errors_of(specs)
    # No pool error; each network would hold 90 peerings, more than its quota.
    assert len(errors) == 91
    assert errors[0] == (
        "network net0 of project crosscluster-demo: 90 links need as many VPC peerings, more "
        "than the 25 a network holds (VPC quotas); link fewer clusters with it"
    )


# ---------------------------------------------------------------------------- on-prem links


def onprem_plan() -> dict[str, Any]:
    plan, errors, warnings = build_plan({"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()})
    assert errors == [] and warnings == []
    assert plan is not None
    return plan


def test_onprem_links_get_their_transports() -> None:
    links = {link["id"]: link for link in onprem_plan()["links"]}
    assert sorted(links) == ["aws1--dc1", "aws1--gcp1", "dc1--gcp1"]
    assert links["aws1--gcp1"]["transport"] == "aws_gcp_ha_vpn"
    aws_dc = links["aws1--dc1"]
    assert aws_dc["transport"] == "aws_onprem_vpn"
    assert (aws_dc["aws_cluster"], aws_dc["onprem_cluster"]) == ("aws1", "dc1")
    assert "gcp_cluster" not in aws_dc
    gcp_dc = links["dc1--gcp1"]
    assert gcp_dc["transport"] == "gcp_onprem_ha_vpn"
    assert (gcp_dc["gcp_cluster"], gcp_dc["onprem_cluster"]) == ("gcp1", "dc1")
    assert "aws_cluster" not in gcp_dc


def test_aws_onprem_tunnels_are_one_connection_with_two_tunnels() -> None:
    link = next(x for x in onprem_plan()["links"] if x["id"] == "aws1--dc1")
    assert [t["id"] for t in link["tunnels"]] == ["aws1--dc1-t0", "aws1--dc1-t1"]
    for index, tunnel in enumerate(link["tunnels"]):
        network = parse_cidr(tunnel["inside_cidr"])[0]
        assert network.prefixlen == 30
        assert tunnel["aws_inside_address"] == str(network[1])  # AWS: first host
        assert tunnel["onprem_inside_address"] == str(network[2])  # customer side: second
        assert (tunnel["aws_asn"], tunnel["onprem_asn"]) == (64512, 65100)
        assert (tunnel["aws_vpn_connection"], tunnel["aws_tunnel"]) == ("a", index + 1)
        assert tunnel["index"] == index


def test_gcp_onprem_tunnels_use_both_ha_interfaces_and_one_peer_interface() -> None:
    link = next(x for x in onprem_plan()["links"] if x["id"] == "dc1--gcp1")
    rows = [
        (t["gcp_vpn_interface"], t["gcp_external_interface"], t["gcp_asn"], t["onprem_asn"])
        for t in link["tunnels"]
    ]
    assert rows == [(0, 0, 65001, 65100), (1, 0, 65001, 65100)]
    for tunnel in link["tunnels"]:
        network = parse_cidr(tunnel["inside_cidr"])[0]
        assert tunnel["gcp_inside_address"] == str(network[1])
        assert tunnel["onprem_inside_address"] == str(network[2])


def test_onprem_tunnels_are_the_first_two_of_the_link_block() -> None:
    plan = onprem_plan()
    cidrs = [t["inside_cidr"] for link in plan["links"] for t in link["tunnels"]]
    assert len(cidrs) == len(set(cidrs)) == 4 + 2 + 2
    for link in plan["links"]:
        first = parse_cidr(link["tunnels"][0]["inside_cidr"])[0]
        assert first.first % 16 == 0  # the block's first /30
        nets = [parse_cidr(t["inside_cidr"])[0] for t in link["tunnels"]]
        assert [n.first - first.first for n in nets] == [4 * i for i in range(len(nets))]


def test_onprem_cluster_carries_its_gateway_ip_and_cloud_clusters_do_not() -> None:
    clusters = onprem_plan()["clusters"]
    assert clusters["dc1"]["onprem_gateway_ip"] == "192.0.2.10"
    assert "onprem_gateway_ip" not in clusters["aws1"]
    assert "onprem_gateway_ip" not in clusters["gcp1"]


def test_summary_names_each_side_of_onprem_links() -> None:
    text = "\n".join(summarize(onprem_plan()))
    assert "link aws1--dc1 (aws_onprem_vpn): aws1 (aws) <-> dc1 (onprem)" in text
    assert "link dc1--gcp1 (gcp_onprem_ha_vpn): gcp1 (gcp) <-> dc1 (onprem)" in text
    assert "(connection a tunnel 2) <-> onprem " in text
    assert "(HA VPN interface 1, external interface 0) <-> onprem " in text


def test_aws_gcp_summary_lines_keep_their_format() -> None:
    plan, _errors, _warnings = build_plan(base())
    tunnel = plan["links"][0]["tunnels"][3]
    line = (
        f"  tunnel aws1--gcp1-t3 {tunnel['inside_cidr']}: aws {tunnel['aws_inside_address']} "
        f"AS 64512 (connection b tunnel 2) <-> gcp {tunnel['gcp_inside_address']} AS 65001 "
        f"(HA VPN interface 1, external interface 3)"
    )
    assert line in summarize(plan)
    assert "link aws1--gcp1 (aws_gcp_ha_vpn): aws1 (aws) <-> gcp1 (gcp)" in summarize(plan)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "cluster_onprem_gateway_ip is required for provider onprem; set it"),
        ("", "cluster_onprem_gateway_ip is required for provider onprem; set it"),
        ("10.1.2.3", "'10.1.2.3' is in 10.0.0.0/8 (private (RFC 1918)), not a public address"),
        ("172.16.0.1", "is in 172.16.0.0/12 (private (RFC 1918))"),
        ("192.168.1.1", "is in 192.168.0.0/16 (private (RFC 1918))"),
        ("100.64.0.1", "is in 100.64.0.0/10 (shared address space"),
        ("127.0.0.1", "is in 127.0.0.0/8 (loopback)"),
        ("169.254.1.1", "is in 169.254.0.0/16 (link-local)"),
        ("224.0.0.5", "is in 224.0.0.0/4 (multicast)"),
        ("255.255.255.255", "is in 240.0.0.0/4 (reserved (RFC 1112) or broadcast)"),
        ("0.0.0.0", "is in 0.0.0.0/8 ('this network')"),
        ("2001:db8::1", "'2001:db8::1' is not an IPv4 address"),
        ("203.0.113.010", "'203.0.113.010' is not an IPv4 address"),
        ("gw.example.com", "'gw.example.com' is not an IPv4 address"),
        (3405803786, "3405803786 is not an IPv4 address string"),
    ],
)
def test_onprem_gateway_ip_rule(value: Any, expected: str) -> None:
    errors = errors_of({"aws1": aws(), "dc1": onprem(cluster_onprem_gateway_ip=value)})
    assert len(errors) == 1 and expected in errors[0], errors
    assert errors[0].startswith("cluster 'dc1': cluster_onprem_gateway_ip")


@pytest.mark.parametrize("value", ["192.0.2.10", "198.51.100.7", "203.0.113.200", "8.8.8.8"])
def test_public_and_documentation_gateway_ips_are_accepted(value: str) -> None:
    assert errors_of({"aws1": aws(), "dc1": onprem(cluster_onprem_gateway_ip=value)}) == []


def test_gateway_ip_only_for_onprem() -> None:
    errors = errors_of({"aws1": aws(cluster_onprem_gateway_ip="192.0.2.1"), "gcp1": gcp(1)})
    assert errors == [
        "cluster 'aws1': cluster_onprem_gateway_ip '192.0.2.1' applies to provider onprem "
        "only, not aws; remove it"
    ]


def test_two_onprem_clusters_cannot_share_a_gateway_ip() -> None:
    dc2 = dict(DC2, cluster_onprem_gateway_ip="192.0.2.10")
    errors = errors_of({"aws1": aws(), "dc1": onprem(), "dc2": dc2}, "pairs", [["aws1", "dc1"]])
    assert errors == [
        "cluster 'dc1' and cluster 'dc2': cluster_onprem_gateway_ip 192.0.2.10 is duplicated; "
        "every on-prem cluster needs a gateway of its own"
    ]


def test_onprem_peer_asn_reserved_by_aws_is_refused() -> None:
    errors = errors_of({"aws1": aws(), "dc1": onprem(cluster_asn=9059)})
    assert any(
        "cluster_asn 9059 is reserved by AWS for customer gateways in eu-west-1" in e
        for e in errors
    ), errors


def test_the_plan_names_every_resource_the_roles_create() -> None:
    specs = {"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()}
    plan, errors, _warnings = build_plan(specs)
    assert errors == [] and plan is not None
    clusters, links = plan["clusters"], {link["id"]: link for link in plan["links"]}
    assert clusters["gcp1"]["names"] == {
        "prefix": "xcl-",
        "vpn_gateway": "xcl-gcp1-gw",
        "router": "xcl-gcp1-router",
    }
    assert clusters["aws1"]["names"] == {"vgw": "aws1-vgw", "tgw_attachment": "aws1-tgw-attachment"}
    assert clusters["dc1"]["names"] == {}
    to_gcp = links["aws1--gcp1"]
    assert to_gcp["aws_connections"] == [
        {
            "letter": "a",
            "name": "aws1--gcp1-a",
            "customer_gateway": "aws1--gcp1-if0",
            "peer_interface": 0,
        },
        {
            "letter": "b",
            "name": "aws1--gcp1-b",
            "customer_gateway": "aws1--gcp1-if1",
            "peer_interface": 1,
        },
    ]
    assert to_gcp["gcp_external_gateway"] == "xcl-aws1--gcp1"
    assert to_gcp["gcp_firewall_rules"] == {
        "in4": "xcl-aws1--gcp1-in4",
        "in6": "xcl-aws1--gcp1-in6",
    }
    t3 = to_gcp["tunnels"][3]
    assert (t3["gcp_tunnel"], t3["gcp_bgp_peer"], t3["gcp_interface"]) == (
        "xcl-aws1--gcp1-t3",
        "xcl-aws1--gcp1-t3",
        "if-xcl-aws1--gcp1-t3",
    )
    # a tunnel's VPN connection is its aws_vpn_connection letter's entry of aws_connections
    assert "aws_vpn_connection_name" not in t3
    assert links["aws1--dc1"]["aws_connections"] == [
        {
            "letter": "a",
            "name": "aws1--dc1-a",
            "customer_gateway": "aws1--dc1-onprem",
            "peer_interface": 0,
        }
    ]
    assert "gcp_tunnel" not in links["aws1--dc1"]["tunnels"][0]
    assert "aws_connections" not in links["dc1--gcp1"]
    assert [t["gcp_tunnel"] for t in links["dc1--gcp1"]["tunnels"]] == [
        "xcl-dc1--gcp1-t0",
        "xcl-dc1--gcp1-t1",
    ]


def test_gcp_names_are_rfc1035_labels_for_the_longest_cluster_names() -> None:
    # cluster names are capped at 24 characters; every GCP name must still fit in 63
    a, g = "a" * 23 + "1", "g" * 23 + "2"
    plan, errors, _warnings = build_plan(
        {"aws": aws(cluster_name=a), "gcp": gcp(1, cluster_name=g)}
    )
    assert errors == [] and plan is not None
    (link,) = plan["links"]
    cluster_names = plan["clusters"][g]["names"]
    names = [cluster_names["vpn_gateway"], cluster_names["router"]]
    names += [link["gcp_external_gateway"], *link["gcp_firewall_rules"].values()]
    names += [
        t[k] for t in link["tunnels"] for k in ("gcp_tunnel", "gcp_bgp_peer", "gcp_interface")
    ]
    label = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    assert [n for n in names if not label.match(n)] == []
    assert max(len(n) for n in names) == len(f"if-xcl-{a}--{g}-t3") == 60


# ---------------------------------------------------------------------------- gcp <-> gcp


def two_networks() -> dict[str, dict[str, Any]]:
    return {
        "aws1": aws(),
        "gcp1": gcp(1),
        "gcp2": gcp(2, cluster_project="other-team", cluster_network="data-vpc"),
    }


def test_gcp_pair_is_a_vpc_peering_from_each_network() -> None:
    plan, errors, _warnings = build_plan(two_networks())
    assert errors == []
    links = {link["id"]: link for link in plan["links"]}
    assert [links[i]["transport"] for i in sorted(links)] == [
        "aws_gcp_ha_vpn",
        "aws_gcp_ha_vpn",
        "gcp_vpc_peering",
    ]
    peering = links["gcp1--gcp2"]
    assert peering["clusters"] == ["gcp1", "gcp2"] and peering["tunnels"] == []
    assert "gcp_cluster" not in peering and "aws_connections" not in peering
    assert peering["gcp_peerings"] == {
        "gcp1": {
            "name": "xcl-gcp1--gcp2",
            "network": "prod-vpc",
            "peer_project": "other-team",
            "peer_network": "data-vpc",
            "remote_cluster": "gcp2",
            "firewall_rules": {"in4": "xcl-gcp1--gcp2-0-in4", "in6": "xcl-gcp1--gcp2-0-in6"},
        },
        "gcp2": {
            "name": "xcl-gcp1--gcp2",
            "network": "data-vpc",
            "peer_project": "crosscluster-demo",
            "peer_network": "prod-vpc",
            "remote_cluster": "gcp1",
            "firewall_rules": {"in4": "xcl-gcp1--gcp2-1-in4", "in6": "xcl-gcp1--gcp2-1-in6"},
        },
    }
    assert (
        "link gcp1--gcp2 (gcp_vpc_peering): gcp1 (network prod-vpc) <-> gcp2 (network data-vpc)"
        in (summarize(plan))
    )


def test_peering_links_do_not_move_the_blocks_of_tunnelled_links() -> None:
    with_peering, _errors, _warnings = build_plan(two_networks())
    alone, _errors, _warnings = build_plan(
        {"aws1": aws(), "gcp1": gcp(1)},
    )
    tunnels = {link["id"]: link["tunnels"] for link in with_peering["links"]}
    assert tunnels["aws1--gcp1"] == alone["links"][0]["tunnels"]


def test_only_clusters_with_a_tunnel_need_the_secret() -> None:
    mixed, _errors, _warnings = build_plan(
        two_networks(), "pairs", [["aws1", "gcp1"], ["gcp1", "gcp2"]]
    )
    peered, _errors, _warnings = build_plan({"gcp1": gcp(1), "gcp2": two_networks()["gcp2"]})
    assert {name: c["tunnelled"] for name, c in mixed["clusters"].items()} == {
        "aws1": True,
        "gcp1": True,
        "gcp2": False,
    }
    assert {name: c["tunnelled"] for name, c in peered["clusters"].items()} == {
        "gcp1": False,
        "gcp2": False,
    }


def test_equal_asns_are_fine_on_a_peering() -> None:
    specs = two_networks()
    del specs["aws1"]
    specs["gcp2"]["cluster_asn"] = specs["gcp1"]["cluster_asn"]
    assert errors_of(specs) == []


def test_two_clusters_on_one_network_are_not_peered() -> None:
    specs = {"gcp1": gcp(1), "gcp2": gcp(2)}
    assert errors_of(specs) == [
        "link gcp1--gcp2: cluster 'gcp1' and cluster 'gcp2' are on the same network prod-vpc "
        "of project crosscluster-demo, which reaches itself without a link; leave this pair "
        "out (link_topology: pairs)"
    ]


def test_one_project_two_networks_get_distinct_firewall_rules() -> None:
    specs = {"gcp1": gcp(1), "gcp2": gcp(2, cluster_network="data-vpc")}
    plan, errors, _warnings = build_plan(specs)
    assert errors == []
    sides = plan["links"][0]["gcp_peerings"]
    rules = [r for side in sides.values() for r in side["firewall_rules"].values()]
    assert len(set(rules)) == 4


def test_peering_names_are_rfc1035_labels_for_the_longest_cluster_names() -> None:
    a, b = "a" * 23 + "1", "b" * 23 + "2"
    specs = {a: gcp(1), b: gcp(2, cluster_network="data-vpc")}
    plan, errors, _warnings = build_plan(specs)
    assert errors == []
    sides = plan["links"][0]["gcp_peerings"].values()
    names = [n for side in sides for n in (side["name"], *side["firewall_rules"].values())]
    label = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    assert [n for n in names if not label.match(n)] == []
    assert max(len(n) for n in names) == len(f"xcl-{a}--{b}-0-in4") == 60


# ---------------------------------------------------------------------------- aws <-> aws


def aws2(**over: Any) -> dict[str, Any]:
    spec = {
        "cluster_region": "us-east-1",
        "cluster_network": "vpc-0f1e2d3c4b5a69788",
        "cluster_dns_zone": "aws2.local",
        "cluster_node_cidrs": ["10.50.0.0/16"],
        "cluster_pod_cidrs": ["10.51.0.0/16", "fd00:51::/56"],
        "cluster_service_cidrs": ["10.52.0.0/16"],
        "cluster_asn": 64513,
    }
    return aws(**{**spec, **over})


def test_aws_pair_is_one_vpc_peering_requested_by_the_first_cluster() -> None:
    plan, errors, _warnings = build_plan({"aws1": aws(), "aws2": aws2(), "gcp1": gcp(1)})
    assert errors == []
    links = {link["id"]: link for link in plan["links"]}
    peering = links["aws1--aws2"]
    assert peering["transport"] == "aws_vpc_peering" and peering["tunnels"] == []
    assert "aws_cluster" not in peering and "aws_connections" not in peering
    assert peering["aws_peerings"] == {
        "aws1": {
            "name": "aws1--aws2",
            "requester": True,
            "region": "eu-west-1",
            "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "peer_region": "us-east-1",
            "peer_vpc_id": "vpc-0f1e2d3c4b5a69788",
            "remote_cluster": "aws2",
            # the other VPC's node and pod ranges; its service range is not in its VPC
            "route_cidrs": ["10.50.0.0/16", "10.51.0.0/16", "fd00:51::/56"],
        },
        "aws2": {
            "name": "aws1--aws2",
            "requester": False,
            "region": "us-east-1",
            "vpc_id": "vpc-0f1e2d3c4b5a69788",
            "peer_region": "eu-west-1",
            "peer_vpc_id": "vpc-0a1b2c3d4e5f60718",
            "remote_cluster": "aws1",
            "route_cidrs": ["10.10.0.0/16", "10.11.0.0/16"],
        },
    }
    assert [links[i]["transport"] for i in ("aws1--gcp1", "aws2--gcp1")] == [
        "aws_gcp_ha_vpn",
        "aws_gcp_ha_vpn",
    ]
    assert (
        "link aws1--aws2 (aws_vpc_peering): aws1 (VPC vpc-0a1b2c3d4e5f60718 in eu-west-1, "
        "requester) <-> aws2 (VPC vpc-0f1e2d3c4b5a69788 in us-east-1, accepter)"
    ) in summarize(plan)


def test_aws_peering_takes_no_tunnel_block_and_allows_equal_asns() -> None:
    plan, errors, _warnings = build_plan({"aws1": aws(), "aws2": aws2(cluster_asn=64512)})
    assert errors == [] and plan["links"][0]["tunnels"] == []


def test_two_clusters_in_one_vpc_are_not_peered() -> None:
    specs = {"aws1": aws(), "aws2": aws2(cluster_region="eu-west-1")}
    specs["aws2"]["cluster_network"] = specs["aws1"]["cluster_network"]
    assert errors_of(specs) == [
        "link aws1--aws2: cluster 'aws1' and cluster 'aws2' are on the same VPC "
        "vpc-0a1b2c3d4e5f60718 in eu-west-1, which reaches itself without a link; leave this "
        "pair out (link_topology: pairs)"
    ]


def test_one_vpc_holds_at_most_50_peering_connections() -> None:
    # 52 AWS clusters in VPCs of their own, one of them linked with all others: 51 peerings.
    specs = {"hub": aws()}
    for n in range(51):
        specs[f"s{n}"] = aws(
            cluster_network=f"vpc-{n:017x}",
            cluster_node_cidrs=[f"10.{100 + n}.0.0/20"],
            cluster_pod_cidrs=[f"10.{100 + n}.16.0/20"],
            cluster_service_cidrs=[f"10.{100 + n}.32.0/20"],
            cluster_dns_zone=f"s{n}.local",
        )
    pairs = [["hub", f"s{n}"] for n in range(51)]
    assert errors_of(specs, "pairs", pairs) == [
        "VPC vpc-0a1b2c3d4e5f60718 in eu-west-1: 51 links need as many VPC peering connections, "
        "more than the 50 active ones a VPC holds (Amazon VPC quotas); link fewer clusters "
        "with it"
    ]
    assert errors_of(specs, "pairs", pairs[:50]) == []
