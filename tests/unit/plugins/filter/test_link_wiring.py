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
        "onprem_peers": {},
        "dns_remotes": [],
    }


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="is not a cluster of the plan"):
        link_wiring({}, PLAN, "azure-1")
    with pytest.raises(AnsibleFilterError, match="must be the link plan"):
        link_wiring({}, {}, "aws-euw1")


# ---------------------------------------------------------------------------- on-prem links

ONPREM_PLAN = {
    "clusters": {
        "aws-euw1": {"host": "aws", "dns_zone": "aws.local"},
        "gcp-euw1": {"host": "gcp", "dns_zone": "gcp.local"},
        "onprem-lab": {"host": "lab", "dns_zone": "lab.local", "onprem_gateway_ip": "192.0.2.10"},
    },
    "links": [
        {
            "id": LINK,
            "clusters": ["aws-euw1", "gcp-euw1"],
            "transport": "aws_gcp_ha_vpn",
            "aws_cluster": "aws-euw1",
            "gcp_cluster": "gcp-euw1",
            "tunnels": [{"id": f"{LINK}-t{i}"} for i in range(4)],
        },
        {
            "id": "aws-euw1--onprem-lab",
            "clusters": ["aws-euw1", "onprem-lab"],
            "transport": "aws_onprem_vpn",
            "aws_cluster": "aws-euw1",
            "onprem_cluster": "onprem-lab",
            "tunnels": [{"id": "aws-euw1--onprem-lab-t0"}, {"id": "aws-euw1--onprem-lab-t1"}],
        },
        {
            "id": "gcp-euw1--onprem-lab",
            "clusters": ["gcp-euw1", "onprem-lab"],
            "transport": "gcp_onprem_ha_vpn",
            "gcp_cluster": "gcp-euw1",
            "onprem_cluster": "onprem-lab",
            "tunnels": [
                {"id": "gcp-euw1--onprem-lab-t0", "gcp_vpn_interface": 0},
                {"id": "gcp-euw1--onprem-lab-t1", "gcp_vpn_interface": 1},
            ],
        },
    ],
}
# The AWS side reports its tunnels in plan order (aws_vpn's aws_vpn_links); pairing is by id.
AWS_ONPREM = {
    "asn": 64512,
    "tunnels": [
        {"id": "aws-euw1--onprem-lab-t1", "outside_ip": "198.51.100.12"},
        {"id": "aws-euw1--onprem-lab-t0", "outside_ip": "198.51.100.11"},
    ],
}
GATEWAY = {"interface_ips": ["203.0.113.1", "203.0.113.2"]}


def test_the_onprem_side_gets_the_cloud_ends_outside_ips() -> None:
    hostvars = {
        "aws": {"aws_vpn_links": {"aws-euw1--onprem-lab": AWS_ONPREM}},
        "gcp": {"gcp_vpn_gateway": GATEWAY},
        "lab": {},
    }
    lab = link_wiring(hostvars, ONPREM_PLAN, "onprem-lab")
    assert lab["onprem_peers"] == {
        "aws-euw1--onprem-lab": {
            "tunnels": [
                {"id": "aws-euw1--onprem-lab-t0", "outside_ip": "198.51.100.11"},
                {"id": "aws-euw1--onprem-lab-t1", "outside_ip": "198.51.100.12"},
            ]
        },
        "gcp-euw1--onprem-lab": {
            "tunnels": [
                {"id": "gcp-euw1--onprem-lab-t0", "outside_ip": "203.0.113.1"},
                {"id": "gcp-euw1--onprem-lab-t1", "outside_ip": "203.0.113.2"},
            ]
        },
    }
    assert lab["tunnels_ready"] is True
    assert lab["peer_gateways"] == {} and lab["peer_tunnels"] == {}
    assert [r["name"] for r in lab["dns_remotes"]] == ["aws-euw1", "gcp-euw1"]


def test_onprem_links_are_not_handed_to_the_aws_gcp_wiring() -> None:
    hostvars = {
        "aws": {"aws_vpn_links": {"aws-euw1--onprem-lab": AWS_ONPREM}},
        "gcp": {"gcp_vpn_gateway": GATEWAY},
        "lab": {},
    }
    aws = link_wiring(hostvars, ONPREM_PLAN, "aws-euw1")
    gcp = link_wiring(hostvars, ONPREM_PLAN, "gcp-euw1")
    assert list(aws["peer_gateways"]) == [LINK]
    assert gcp["peer_tunnels"] == {}  # the aws <-> gcp link has no AWS tunnels yet
    assert aws["onprem_peers"] == {} and gcp["onprem_peers"] == {}
    # the aws <-> gcp link has no outside IPs yet: neither cloud is ready, on-prem links aside
    assert aws["tunnels_ready"] is False and gcp["tunnels_ready"] is False


@pytest.mark.parametrize(
    ("aws_tunnels", "gateway", "ready_links"),
    [
        ([], {}, []),
        (
            [{"id": "aws-euw1--onprem-lab-t0", "outside_ip": "198.51.100.11"}],
            {"interface_ips": ["203.0.113.1", None]},
            [],
        ),
        (
            [
                {"id": "aws-euw1--onprem-lab-t0", "outside_ip": "198.51.100.11"},
                {"id": "aws-euw1--onprem-lab-t1", "outside_ip": None},
            ],
            GATEWAY,
            ["gcp-euw1--onprem-lab"],
        ),
        (AWS_ONPREM["tunnels"], {}, ["aws-euw1--onprem-lab"]),
    ],
)
def test_an_onprem_link_whose_cloud_end_lacks_an_ip_is_left_out(
    aws_tunnels, gateway, ready_links
) -> None:
    hostvars = {
        "aws": {"aws_vpn_links": {"aws-euw1--onprem-lab": {"tunnels": aws_tunnels}}},
        "gcp": {"gcp_vpn_gateway": gateway},
        "lab": {},
    }
    lab = link_wiring(hostvars, ONPREM_PLAN, "onprem-lab")
    assert sorted(lab["onprem_peers"]) == ready_links
    assert lab["tunnels_ready"] is (len(ready_links) == 2)


def test_a_peering_needs_no_tunnel_and_makes_its_ends_dns_remotes() -> None:
    plan = {
        "clusters": {**PLAN["clusters"], "gcp-b": {"host": "gb", "dns_zone": "b.local"}},
        "links": [
            *PLAN["links"],
            {
                "id": "gcp-b--gcp-euw1",
                "clusters": ["gcp-b", "gcp-euw1"],
                "transport": "gcp_vpc_peering",
                "tunnels": [],
                "gcp_peerings": {},
            },
        ],
    }
    hostvars = {"aws": {"aws_vpn_links": {LINK: AWS_LINK}}, "gcp": {}, "gb": {}, "lab": {}}
    assert link_wiring(hostvars, plan, "gcp-b")["tunnels_ready"] is True
    assert link_wiring(hostvars, plan, "gcp-euw1")["tunnels_ready"] is True
    assert [r["name"] for r in link_wiring(hostvars, plan, "gcp-euw1")["dns_remotes"]] == [
        "aws-euw1",
        "gcp-b",
    ]
    assert link_wiring(hostvars, plan, "gcp-b")["peer_tunnels"] == {}
