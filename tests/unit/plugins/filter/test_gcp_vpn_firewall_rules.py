"""The firewall rules of a GCP cluster's links: HA VPN and peering, one per address family."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.gcp_vpn_firewall_rules import (
    gcp_vpn_firewall_rules,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan


def cluster(provider: str, n: int, **extra: Any) -> dict[str, Any]:
    spec = {
        "cluster_provider": provider,
        "cluster_region": "europe-west1" if provider == "gcp" else "eu-west-1",
        "cluster_network": f"net-{n}" if provider == "gcp" else "vpc-0a1b2c3d4e5f60718",
        "cluster_node_cidrs": [f"10.{n}.0.0/20"],
        "cluster_pod_cidrs": [f"10.{n}.64.0/18"],
        "cluster_service_cidrs": [f"10.{n}.128.0/20"],
        "cluster_dns_zone": f"c{n}.local",
        "cluster_asn": 64512 + n,
    }
    if provider == "gcp":
        spec["cluster_project"] = "team-a"
    spec.update(extra)
    return spec


def plan() -> dict[str, Any]:
    specs = {
        "aws1": cluster("aws", 1),
        "ga": cluster("gcp", 2, cluster_service_cidrs=["10.2.128.0/20", "fd02::/108"]),
        "gb": cluster("gcp", 3),
    }
    result, errors, _warnings = build_plan(specs)
    assert errors == []
    return result


def test_every_link_of_the_cluster_has_a_rule_per_family_with_the_remote_ranges() -> None:
    rules = gcp_vpn_firewall_rules(plan(), "gb")
    assert rules == [
        {
            "name": "xcl-aws1--gb-in4",
            "link": "aws1--gb",
            "remote": "aws1",
            "source_ranges": ["10.1.0.0/20", "10.1.64.0/18", "10.1.128.0/20"],
        },
        {"name": "xcl-aws1--gb-in6", "link": "aws1--gb", "remote": "aws1", "source_ranges": []},
        {
            "name": "xcl-ga--gb-1-in4",
            "link": "ga--gb",
            "remote": "ga",
            "source_ranges": ["10.2.0.0/20", "10.2.64.0/18", "10.2.128.0/20"],
        },
        {
            "name": "xcl-ga--gb-1-in6",
            "link": "ga--gb",
            "remote": "ga",
            "source_ranges": ["fd02::/108"],
        },
    ]
    # the other end of the peering has rules of its own names
    assert [r["name"] for r in gcp_vpn_firewall_rules(plan(), "ga")][2:] == [
        "xcl-ga--gb-0-in4",
        "xcl-ga--gb-0-in6",
    ]


def test_an_aws_cluster_has_no_gcp_rule_and_bad_input_is_refused() -> None:
    assert gcp_vpn_firewall_rules(plan(), "aws1") == []
    with pytest.raises(AnsibleFilterError, match="not a cluster of the plan"):
        gcp_vpn_firewall_rules(plan(), "nope")
    with pytest.raises(AnsibleFilterError, match="must be the link plan"):
        gcp_vpn_firewall_rules({}, "ga")
