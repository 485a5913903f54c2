# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Orphans: what the collection created for links that are no longer in the plan, found on
one cluster's side by its ownership marks. Pure functions over what the ``_info`` modules
return.

An object is an orphan of cluster C when it carries the collection's mark (AWS: the
``crosscluster.link/managed`` tag, or a security-group rule described
``crosscluster.link:<link>``; GCP: the ``xcl-`` name prefix), it is attached to C's own VPC,
network, Transit Gateway or Cloud Router, its link id names C as one end (``C--X`` or
``X--C``: the plan's link ids, docs/plan.md "Names"), and that link is not in the plan. So
objects of other inventories sharing an account or project are never orphans of this one, and
neither is anything the collection did not create. Routes have no mark: a route is an
orphan when its target is one (a VPC peering connection, a TGW peering attachment).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import (
    _aws_cgw,
    _aws_tgw_peering,
    _aws_vpc_peering,
    _aws_vpn,
)
from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import (
    REMOTE_CIDRS_TAG,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import (
    GCP_PREFIX,
    LINK_SEPARATOR,
)

SG_MARKER = "crosscluster.link:"
# GCP names of a link's objects (the plan's name_link and _gcp_peering_side): tunnels, BGP
# peers "xcl-<link>-t<n>" ("xcl-<link>-t<n>-<0|1>": a side of an HA VPN <-> HA VPN link);
# external gateway and peering "xcl-<link>"; firewall rules "xcl-<link>-in4|in6" (VPN links
# to AWS or on-prem) or "xcl-<link>-<0|1>-in4|in6" (a side of a gcp <-> gcp link).
GCP_TUNNEL = re.compile(rf"^{GCP_PREFIX}(?P<link>.+)-t[0-9]+(-[01])?$")
GCP_FIREWALL = re.compile(rf"^{GCP_PREFIX}(?P<link>.+?)(-[01])?-in[46]$")
GCP_LINK = re.compile(rf"^{GCP_PREFIX}(?P<link>.+)$")
# The VPC peering connections prune never deletes: gone already (deleting, deleted), or in a
# final state EC2 refuses to delete ("You cannot delete a VPC peering connection that's in the
# failed or rejected state", API_DeleteVpcPeeringConnection; an expired request allows "no
# action", VPC Peering Guide, "VPC peering connection lifecycle") and removes itself. Their
# routes, blackholes, are still removed.
PCX_NOT_DELETABLE = (*_aws_vpc_peering.GONE, *_aws_vpc_peering.FAILED)


def linked_ids(plan: Mapping[str, Any], cluster: str) -> set[str]:
    return {link["id"] for link in plan.get("links", []) if cluster in link["clusters"]}


def orphan_link(link: str | None, plan: Mapping[str, Any], cluster: str) -> bool:
    """Whether ``link`` is a link id naming ``cluster`` as an end and not in the plan."""
    if not link:
        return False
    ends = link.split(LINK_SEPARATOR)
    return len(ends) == 2 and cluster in ends and link not in linked_ids(plan, cluster)


def _match(pattern: re.Pattern[str], name: str | None) -> str | None:
    found = pattern.match(name or "")
    return found.group("link") if found else None


def _links(items: Iterable[Mapping[str, Any]], ids: Iterable[str | None] = ()) -> list[str]:
    """The link ids of ``items`` (their ``link``) and ``ids``, sorted, each once."""
    return sorted({*(str(i["link"]) for i in items), *(str(i) for i in ids if i)})


def _planned_ranges(plan: Mapping[str, Any], cluster: str) -> set[str]:
    """Every range of the plan's other clusters: routes for them may be needed by a planned
    link (a dropped cluster's range may be reused by a new one), so they are never pruned."""
    return {
        _network(cidr)
        for name, spec in (plan.get("clusters") or {}).items()
        if name != cluster
        for key in ("node_cidrs", "pod_cidrs", "service_cidrs")
        for cidr in spec.get(key) or []
    }


def _network(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


def _tgw_peerings(
    plan: Mapping[str, Any], cluster: str, attachments: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The orphan TGW peering attachments of ``cluster``'s Transit Gateway (aws_tgw_peering_info
    of it with include_routes, managed_only, deleted ones too). The link id is the Name tag, one
    of the ownership tags both Regions' views carry (aws_tgw_peering tags each). Each has the static
    routes of the TGW's route table to it (``route_cidrs``: a TGW route has no tags, so a route
    is ours when its target is our attachment) and the VPC routes to the TGW the role added for
    the same ranges (``vpc_route_cidrs``: not those of a cluster still in the plan). ``delete``:
    whether this cluster deletes the attachment - the requester's cluster does, the accepter's
    only when the requester's cluster (the link's other end) is not one of the plan on that
    Transit Gateway, so two prunes of one link do not both delete it (Transit Gateway guide,
    "Delete a peering attachment": the owner of either transit gateway can delete it)."""
    clusters = plan.get("clusters") or {}
    tgw = clusters[cluster].get("aws_transit_gateway_id")
    if not tgw:
        return []
    planned = _planned_ranges(plan, cluster)
    orphans = []
    for a in attachments:
        link = a.get("name")
        requester, accepter = a.get("transit_gateway_id"), a.get("peer_transit_gateway_id")
        if not (a.get("managed") and tgw in (requester, accepter)):
            continue
        if not orphan_link(link, plan, cluster):
            continue
        other = next(e for e in str(link).split(LINK_SEPARATOR) if e != cluster)
        other_tgw = (clusters.get(other) or {}).get("aws_transit_gateway_id")
        live = a.get("state") not in _aws_tgw_peering.ENDED
        routes = sorted({_network(r["destination"]) for r in a.get("routes") or []})
        orphans.append(
            {
                "link": link,
                "name": link,
                "transit_gateway_attachment_id": a["transit_gateway_attachment_id"],
                "transit_gateway_id": tgw,
                "peer_transit_gateway_id": accepter if requester == tgw else requester,
                "requester": requester == tgw,
                "live": live,
                "delete": live and (requester == tgw or other_tgw != requester),
                "route_cidrs": routes,
                "vpc_route_cidrs": [c for c in routes if c not in planned],
            }
        )
    # a deleted attachment with routes left still has them removed; one without is done
    return [p for p in orphans if p["live"] or p["route_cidrs"]]


def aws_orphans(plan: Mapping[str, Any], cluster: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """``found``: ``vpn_connections`` (aws_vpn_connection_info, managed_only),
    ``customer_gateways`` (aws_customer_gateway_info, managed_only), ``vpc_peering_connections``
    (aws_vpc_peering_info of the VPC with include_routes, managed_only),
    ``tgw_peering_attachments`` (aws_tgw_peering_info of the cluster's Transit Gateway with
    include_routes, managed_only) and ``security_groups`` (amazon.aws.ec2_security_group_info of
    the groups the role admits ranges into). VPN connections and customer gateways are entries
    of aws_vpn_connection ``connections`` and aws_customer_gateway ``gateways`` (each kind
    removed in one call; their links, from their tags, are in ``links``); every other orphan
    carries its ``link``, a peering its routes (every route to the collection's own
    connection or attachment is the collection's)."""
    vpc = plan["clusters"][cluster].get("network")

    def link_tag(item: Mapping[str, Any]) -> str | None:
        return (item.get("tags") or {}).get("crosscluster.link/link")

    found_connections = [
        c
        for c in found.get("vpn_connections") or []
        if c.get("managed")
        and c.get("state") not in _aws_vpn.GONE_STATES
        and orphan_link(link_tag(c), plan, cluster)
    ]
    found_gateways = [
        g
        for g in found.get("customer_gateways") or []
        if g.get("managed") and orphan_link(link_tag(g), plan, cluster)
    ]
    # the module deletes a connection by name (its connections' names are unique)
    connections = [{"name": n} for n in dict.fromkeys(c["name"] for c in found_connections)]
    # behind a Transit Gateway, the ranges a connection's link routed to it in the VPC's tables
    # (recorded in its tags: a route has none), less those a planned cluster may still need
    tgw = plan["clusters"][cluster].get("aws_transit_gateway_id")
    recorded = {
        _network(cidr)
        for c in found_connections
        for cidr in str((c.get("tags") or {}).get(REMOTE_CIDRS_TAG) or "").split()
    }
    vpn_routes = sorted(recorded - _planned_ranges(plan, cluster)) if tgw else []
    gateways = _aws_cgw.absent_entries(found_gateways)
    peerings = [
        {
            "link": p["name"],
            "name": p["name"],
            "vpc_peering_connection_id": p["vpc_peering_connection_id"],
            "vpc_id": p["vpc_id"],
            "peer_vpc_id": p["peer_vpc_id"],
            "peer_region": p.get("peer_region"),
            "requester": p["vpc_id"] == vpc,
            "status": p.get("status"),
            "live": p.get("status") not in PCX_NOT_DELETABLE,
            "route_cidrs": sorted({r["destination"] for r in p.get("routes") or []}),
        }
        for p in found.get("vpc_peering_connections") or []
        if p.get("managed")
        and vpc in (p.get("vpc_id"), p.get("peer_vpc_id"))
        and orphan_link(p.get("name"), plan, cluster)
    ]
    markers = {
        str(r.get("description"))[len(SG_MARKER) :]
        for group in found.get("security_groups") or []
        for permission in group.get("ip_permissions") or []
        for r in [*(permission.get("ip_ranges") or []), *(permission.get("ipv6_ranges") or [])]
        if str(r.get("description") or "").startswith(SG_MARKER)
    }
    rules = [{"link": m, "name": m} for m in sorted(markers) if orphan_link(m, plan, cluster)]
    # a peering with routes left in this VPC but deleted by the other side (or failed, rejected
    # or expired) is still an orphan to clean: its routes; only a live one is deleted
    peerings = [p for p in peerings if p["live"] or p["route_cidrs"]]
    tgw_peerings = _tgw_peerings(plan, cluster, found.get("tgw_peering_attachments") or [])
    return {
        "links": _links(
            [*peerings, *tgw_peerings, *rules],
            [link_tag(o) for o in [*found_connections, *found_gateways]],
        ),
        "vpn_connections": connections,
        "vpn_tgw_route_cidrs": vpn_routes,
        "customer_gateways": gateways,
        "vpc_peerings": peerings,
        "tgw_peerings": tgw_peerings,
        "security_group_rules": rules,
    }


def gcp_orphans(plan: Mapping[str, Any], cluster: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """``found``: ``tunnels`` (gcp_vpn_tunnel_info of the region), ``routers``
    (gcp_router_info of the cluster's Cloud Router), ``external_vpn_gateways``
    (gcp_external_vpn_gateway_info), ``firewall_rules`` (gcp_firewall_rule_info) and
    ``peerings`` (gcp_vpn_info ``peerings`` of the cluster's network), all by the ``xcl-``
    prefix. Tunnels and BGP peers count when on the cluster's router, firewall rules and
    peerings when on its network; an external gateway is global, its link id alone says."""
    spec = plan["clusters"][cluster]
    router, network = spec["names"].get("router"), spec.get("network")

    def on_network(url: Any) -> bool:
        return str(url or "").rsplit("/", 1)[-1] == network

    # Tunnels and BGP peers as gcp_vpn_tunnel ``tunnels`` and gcp_router_peer ``peers`` take
    # them (all removed in one call each); their links come from their names.
    tunnels = [
        {"name": t["name"]}
        for t in found.get("tunnels") or []
        if str(t.get("router") or "").rsplit("/", 1)[-1] == router
        and orphan_link(_match(GCP_TUNNEL, t["name"]), plan, cluster)
    ]
    peers = [
        {"name": p["name"], "interface_name": p.get("interface_name")}
        for r in found.get("routers") or []
        if r.get("name") == router
        for p in r.get("bgp_peers") or []
        if orphan_link(_match(GCP_TUNNEL, p.get("name")), plan, cluster)
    ]
    gateways = [
        {"link": _match(GCP_LINK, g["name"]), "name": g["name"]}
        for g in found.get("external_vpn_gateways") or []
        if orphan_link(_match(GCP_LINK, g["name"]), plan, cluster)
    ]
    rules = [
        {"link": _match(GCP_FIREWALL, f["name"]), "name": f["name"]}
        for f in found.get("firewall_rules") or []
        if on_network(f.get("network"))
        and orphan_link(_match(GCP_FIREWALL, f["name"]), plan, cluster)
    ]
    peerings = [
        {
            "link": _match(GCP_LINK, p["name"]),
            "name": p["name"],
            "peer_network": str(p.get("network") or ""),
        }
        for p in found.get("peerings") or []
        if orphan_link(_match(GCP_LINK, p["name"]), plan, cluster)
    ]
    return {
        "links": _links(
            [*gateways, *rules, *peerings],
            [_match(GCP_TUNNEL, i["name"]) for i in [*tunnels, *peers]],
        ),
        "bgp_peers": peers,
        "vpn_tunnels": tunnels,
        "external_vpn_gateways": gateways,
        "firewall_rules": rules,
        "peerings": peerings,
    }
