"""The AWS side of every VPN link of a cluster in one module call each: customer gateways,
VPN connections (keys derived in the filter), the hand-over facts and the checks."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_connections import (
    FilterModule,
    aws_customer_gateways,
    aws_vpn_connections,
    aws_vpn_link_problems,
    aws_vpn_links_facts,
)
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_tunnel_options import (
    FilterModule as TunnelFilters,
)
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_tunnel_options import (
    aws_vpn_link_facts,
    aws_vpn_missing_peers,
    aws_vpn_tunnel_options,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

from tests.unit.plugins.module_utils.test_plan import aws, gcp, onprem

SECRET = "unit-test-link-secret-0123"
OPTIONS = {"ike_versions": ["ikev2"], "phase1_dh_group_numbers": [14]}


def _plan() -> dict:
    plan, errors, _warnings = build_plan({"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()})
    assert not errors
    return plan


def _links(plan: dict) -> dict:
    return {link["transport"]: link for link in plan["links"] if link.get("aws_cluster") == "aws1"}


PEERS_IPS = ["203.0.113.10", "203.0.113.11"]


def test_customer_gateways_of_every_vpn_link() -> None:
    plan = _plan()
    links = _links(plan)
    gcp_link, onprem_link = links["aws_gcp_ha_vpn"], links["aws_onprem_vpn"]
    peers = {gcp_link["id"]: {"interface_ips": PEERS_IPS}}
    gateways = {g["name"]: g for g in aws_customer_gateways(plan, "aws1", peers)}
    for index, connection in enumerate(gcp_link["aws_connections"]):
        gateway = gateways[connection["customer_gateway"]]
        assert gateway["ip_address"] == PEERS_IPS[connection["peer_interface"]] == PEERS_IPS[index]
        assert gateway["bgp_asn"] == int(gcp_link["tunnels"][0]["gcp_asn"])
        assert gateway["device_name"] == connection["customer_gateway"]
        assert gateway["tags"] == {"crosscluster.link/link": gcp_link["id"]}
    onprem_gateway = gateways[onprem_link["aws_connections"][0]["customer_gateway"]]
    assert onprem_gateway["ip_address"] == plan["clusters"]["dc1"]["onprem_gateway_ip"]
    assert onprem_gateway["bgp_asn"] == int(onprem_link["tunnels"][0]["onprem_asn"])
    assert len(gateways) == 3


@pytest.mark.parametrize(
    "peer",
    [None, {}, {"interface_ips": ["203.0.113.10"]}, {"interface_ips": ["203.0.113.10", ""]}],
)
def test_customer_gateways_refuse_a_link_without_its_peer_ips(peer) -> None:
    """The one rule of aws_vpn_missing_peers (the role's check before any call) refuses the
    same links in the filter used alone."""
    plan = _plan()
    gcp_link = _links(plan)["aws_gcp_ha_vpn"]
    peers = {gcp_link["id"]: peer}
    assert aws_vpn_missing_peers([gcp_link], peers) == [gcp_link["id"]]
    with pytest.raises(AnsibleFilterError, match=f"link {gcp_link['id']}: .*interface IPs are"):
        aws_customer_gateways(plan, "aws1", peers)


def test_customer_gateways_refuse_an_unknown_cluster() -> None:
    with pytest.raises(AnsibleFilterError, match="is not a cluster of the plan"):
        aws_customer_gateways(_plan(), "nope", {})


def test_connections_are_the_per_link_ones_with_their_gateway_by_name() -> None:
    plan = _plan()
    connections = aws_vpn_connections(plan, "aws1", OPTIONS, SECRET)
    expected = [
        {
            "name": c["name"],
            "customer_gateway_name": c["customer_gateway"],
            "tags": {"crosscluster.link/link": link["id"]},
            "tunnel_options": aws_vpn_tunnel_options(link, c["letter"], OPTIONS, SECRET),
        }
        for link in plan["links"]
        if link.get("aws_cluster") == "aws1"
        for c in link["aws_connections"]
    ]
    assert connections == expected and len(connections) == 3


def _reported(plan: dict, asn: int = 64512, drop: str | None = None) -> dict:
    """What aws_vpn_connection returns for every connection: tunnels with outside IPs."""
    result = {}
    for link in _links(plan).values():
        for c in link["aws_connections"]:
            tunnels = [t for t in link["tunnels"] if t["aws_vpn_connection"] == c["letter"]]
            result[c["name"]] = {
                "tunnels": [
                    {
                        "inside_cidr": t["inside_cidr"],
                        "outside_ip": f"198.51.100.{i}",
                        "aws_asn": asn,
                    }
                    for i, t in enumerate(tunnels)
                    if t["inside_cidr"] != drop
                ]
            }
    return result


def test_links_facts_are_the_per_link_ones() -> None:
    """Each entry is what the public one-link filter aws_vpn_link_facts (kept for connections
    made one at a time, unused by the roles) gives, by its registered name, over that link's
    tunnels as its docs' example passes them (inside CIDR -> outside IP)."""
    plan = _plan()
    reported = _reported(plan)
    facts = aws_vpn_links_facts(plan, "aws1", reported)
    one_link = TunnelFilters().filters()["aws_vpn_link_facts"]
    assert one_link is aws_vpn_link_facts
    for link in _links(plan).values():
        cidrs = {
            t["inside_cidr"]: t["outside_ip"]
            for c in link["aws_connections"]
            for t in reported[c["name"]]["tunnels"]
        }
        assert facts[link["id"]] == one_link(link, cidrs, plan["clusters"]["aws1"]["asn"])
    assert all(t["outside_ip"] for f in facts.values() for t in f["tunnels"])


def test_link_problems_keep_the_per_link_messages() -> None:
    plan = _plan()
    asn = int(plan["clusters"]["aws1"]["asn"])
    links = _links(plan)
    good = _reported(plan, asn)
    assert aws_vpn_link_problems(plan, "aws1", good, aws_vpn_links_facts(plan, "aws1", good)) == []
    missing = links["aws_gcp_ha_vpn"]["tunnels"][1]["inside_cidr"]
    bad = _reported(plan, asn, drop=missing)
    problems = aws_vpn_link_problems(plan, "aws1", bad, aws_vpn_links_facts(plan, "aws1", bad))
    assert problems == [
        f"aws_vpn: link {links['aws_gcp_ha_vpn']['id']}: its 4 planned tunnels must exist with "
        f"their planned inside CIDRs and the gateway's Amazon-side ASN must be {asn} (cluster_asn "
        f"of aws1; AWS cannot change it): AWS reports ASN(s) {asn} and outside IPs "
        f"['198.51.100.0', None, '198.51.100.0', '198.51.100.1']."
    ]
    other = _reported(plan, 64999)
    problems = aws_vpn_link_problems(plan, "aws1", other, aws_vpn_links_facts(plan, "aws1", other))
    assert len(problems) == 2
    assert any(
        p.startswith(f"aws_vpn: link {links['aws_onprem_vpn']['id']}: its 2 planned tunnels")
        and "AWS reports ASN(s) 64999 and" in p
        for p in problems
    )
    # A connection check mode would create (null) leaves its link unchecked.
    pending = {**bad, links["aws_gcp_ha_vpn"]["aws_connections"][0]["name"]: None}
    assert (
        aws_vpn_link_problems(plan, "aws1", pending, aws_vpn_links_facts(plan, "aws1", pending))
        == []
    )


def test_filters_are_registered() -> None:
    filters = FilterModule().filters()
    assert filters["aws_vpn_connections"] is aws_vpn_connections
    assert filters["aws_customer_gateways"] is aws_customer_gateways


def test_removal_entries_need_no_secret_nor_peer_ips() -> None:
    plan = _plan()
    names = [c["name"] for c in aws_vpn_connections(plan, "aws1")]
    assert all("tunnel_options" not in c for c in aws_vpn_connections(plan, "aws1"))
    assert len(names) == 3
    gcp_link = _links(plan)["aws_gcp_ha_vpn"]
    mine = gcp_link["aws_connections"][0]["customer_gateway"]
    found = [
        {"name": mine, "ip_address": "203.0.113.10", "bgp_asn": 65010, "device_name": mine},
        {"name": "someone-else", "ip_address": "203.0.113.10", "bgp_asn": 65010},
    ]
    assert aws_customer_gateways(plan, "aws1", {}, found) == [found[0]]


def test_connections_behind_a_tgw_record_their_links_remote_ranges() -> None:
    plan, errors, _warnings = build_plan(
        {
            "aws1": aws(
                cluster_aws_gateway="tgw", cluster_aws_transit_gateway_id="tgw-0a1b2c3d4e5f60718"
            ),
            "gcp1": gcp(1),
        }
    )
    assert not errors, errors
    (link,) = plan["links"]
    remote = plan["clusters"]["gcp1"]
    ranges = [*remote["node_cidrs"], *remote["pod_cidrs"], *remote["service_cidrs"]]
    for connection in aws_vpn_connections(plan, "aws1", OPTIONS, SECRET):
        assert connection["tags"] == {
            "crosscluster.link/link": link["id"],
            "crosscluster.link/remote-cidrs": " ".join(ranges),
        }
