# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one cluster's roles take from the plan and from its peers' facts (the cross-cloud
wiring of link_clusters): a GCP gateway's interface IPs for the AWS side, the AWS tunnels'
outside IPs for the GCP side, and the linked clusters as DNS remotes. Pure functions over
the plan and a host -> facts mapping (``hostvars``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Facts = Mapping[str, Mapping[str, Any]]


def _peer_facts(plan: dict[str, Any], facts: Facts, cluster: str) -> Mapping[str, Any]:
    return facts[plan["clusters"][cluster]["host"]]


def _links(plan: dict[str, Any], cluster: str, side: str | None = None) -> list[dict[str, Any]]:
    return [
        link
        for link in plan["links"]
        if (link.get(f"{side}_cluster") == cluster if side else cluster in link["clusters"])
    ]


def peer_gateways(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    """Link id -> the GCP HA VPN gateway's two interface IPs, for each link where this
    cluster is the AWS side and the GCP host has set ``gcp_vpn_gateway`` (gateways play)."""
    peers = {}
    for link in _links(plan, cluster, "aws"):
        gateway = _peer_facts(plan, facts, link["gcp_cluster"]).get("gcp_vpn_gateway") or {}
        ips = [ip for ip in gateway.get("interface_ips") or [] if ip]
        if len(ips) == 2:
            peers[link["id"]] = {"interface_ips": ips}
    return peers


def peer_tunnels(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    """Link id -> the AWS side of the link (fact ``aws_vpn_links`` of the AWS host, set in
    the AWS tunnels play), for each link where this cluster is the GCP side."""
    peers = {}
    for link in _links(plan, cluster, "gcp"):
        aws_links = _peer_facts(plan, facts, link["aws_cluster"]).get("aws_vpn_links") or {}
        if link["id"] in aws_links:
            peers[link["id"]] = aws_links[link["id"]]
    return peers


def tunnels_ready(plan: dict[str, Any], facts: Facts, cluster: str) -> bool:
    """Whether every tunnel of every link of this cluster has an AWS outside IP (always,
    outside check mode, once the AWS tunnels play ran)."""
    for link in _links(plan, cluster):
        aws_links = _peer_facts(plan, facts, link["aws_cluster"]).get("aws_vpn_links") or {}
        tunnels = (aws_links.get(link["id"]) or {}).get("tunnels") or []
        if len(tunnels) != len(link["tunnels"]) or any(
            t.get("outside_ip") is None for t in tunnels
        ):
            return False
    return True


def dns_remotes(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """Every cluster linked with this one, as the cluster_dns role's remotes."""
    names = sorted(
        {name for link in _links(plan, cluster) for name in link["clusters"]} - {cluster}
    )
    return [
        {
            "name": name,
            "zone": plan["clusters"][name].get("dns_zone"),
            "api_endpoint": plan["clusters"][name].get("api_endpoint"),
            "kubeconfig": plan["clusters"][name].get("kubeconfig"),
            "context": plan["clusters"][name].get("context") or "",
        }
        for name in names
    ]


def wiring(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    return {
        "peer_gateways": peer_gateways(plan, facts, cluster),
        "peer_tunnels": peer_tunnels(plan, facts, cluster),
        "tunnels_ready": tunnels_ready(plan, facts, cluster),
        "dns_remotes": dns_remotes(plan, cluster),
    }
