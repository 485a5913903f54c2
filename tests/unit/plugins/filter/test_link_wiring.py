"""The cross-cloud hand-over between one cluster's roles and its linked peers' facts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.link_wiring import link_wiring

LINK = "aws-euw1--gcp-euw1"
PLAN = {
    "clusters": {
        "aws-euw1": {
            "host": "aws",
            "dns_zone": "aws.local",
            "api_endpoint": "https://a",
            "kubeconfig": "/k/a",
        },
        "gcp-euw1": {
            "host": "gcp",
            "dns_zone": "gcp.local",
            "api_endpoint": "https://g",
            "kubeconfig": "/k/g",
            "context": "g",
        },
        "onprem-lab": {"host": "lab", "dns_zone": "lab.local"},
    },
    "links": [
        {
            "id": LINK,
            "clusters": ["aws-euw1", "gcp-euw1"],
            "aws_cluster": "aws-euw1",
            "gcp_cluster": "gcp-euw1",
            "tunnels": [{"id": "t0"}, {"id": "t1"}],
        }
    ],
}
AWS_LINK = {"tunnels": [{"outside_ip": "198.51.100.1"}, {"outside_ip": "198.51.100.2"}]}


def test_before_the_peers_ran_nothing_is_handed_over() -> None:
    hostvars = {
        "aws": {},
        "gcp": {"gcp_vpn_gateway": {"interface_ips": ["203.0.113.1", None]}},
        "lab": {},
    }
    aws = link_wiring(hostvars, PLAN, "aws-euw1")
    assert aws["peer_gateways"] == {} and aws["tunnels_ready"] is False
    assert link_wiring(hostvars, PLAN, "gcp-euw1")["peer_tunnels"] == {}


def test_after_the_gateways_and_tunnels_plays_each_side_gets_the_other() -> None:
    hostvars = {
        "aws": {"aws_vpn_links": {LINK: AWS_LINK}},
        "gcp": {"gcp_vpn_gateway": {"interface_ips": ["203.0.113.1", "203.0.113.2"]}},
        "lab": {},
    }
    aws, gcp = link_wiring(hostvars, PLAN, "aws-euw1"), link_wiring(hostvars, PLAN, "gcp-euw1")
    assert aws["peer_gateways"] == {LINK: {"interface_ips": ["203.0.113.1", "203.0.113.2"]}}
    assert gcp["peer_tunnels"] == {LINK: AWS_LINK}
    assert aws["tunnels_ready"] and gcp["tunnels_ready"]
    assert aws["dns_remotes"] == [
        {
            "name": "gcp-euw1",
            "zone": "gcp.local",
            "api_endpoint": "https://g",
            "kubeconfig": "/k/g",
            "context": "g",
        }
    ]
    assert gcp["dns_remotes"][0]["context"] == ""


def test_a_tunnel_without_outside_ip_is_not_ready_and_an_unlinked_cluster_has_nothing() -> None:
    half = {"tunnels": [{"outside_ip": "198.51.100.1"}, {"outside_ip": None}]}
    hostvars = {"aws": {"aws_vpn_links": {LINK: half}}, "gcp": {}, "lab": {}}
    assert link_wiring(hostvars, PLAN, "gcp-euw1")["tunnels_ready"] is False
    lab = link_wiring(hostvars, PLAN, "onprem-lab")
    assert lab == {
        "peer_gateways": {},
        "peer_tunnels": {},
        "tunnels_ready": True,
        "dns_remotes": [],
    }


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="not in the plan"):
        link_wiring({}, PLAN, "azure-1")
    with pytest.raises(AnsibleFilterError, match="must be the plan"):
        link_wiring({}, {}, "aws-euw1")
