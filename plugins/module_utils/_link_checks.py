# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify report's checks of one cluster's end of its links: the plan says what must be
there, each side's status (the ``_info`` modules' results) what is. Pure functions.

A check is ``{link, cluster, name, expected, actual, ok, cause, summary}``; ``cause`` is
the likely cause of a failing check ("" when it passes or none is known), and the summary
names it. Names of the cloud resources are the plan's (``aws_connections``, the tunnels'
``gcp_tunnel`` and ``gcp_bgp_peer``: docs/plan.md, "Names").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import (
    _aws_tgw_peering,
    _aws_vpc_peering,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpn import GONE_STATES

Check = dict[str, Any]
# The two causes a link's own configuration explains: IKE fails (the tunnel is down), or IKE
# works and BGP does not (the session is down on an established tunnel).
TUNNEL_CAUSE = "pre-shared key or proposal mismatch"
SESSION_CAUSE = "ASN or inside address mismatch"
# VpnTunnel.status values (Compute Engine API reference, VpnTunnel) of a configured tunnel
# whose IKE negotiation fails: "AUTHORIZATION_ERROR: Auth error (for example, bad shared
# secret)", "NEGOTIATION_FAILURE: Handshake failed", "REJECTED", "PEER_IDENTITY_MISMATCH".
GCP_NEGOTIATION_FAILED = (
    "AUTHORIZATION_ERROR",
    "NEGOTIATION_FAILURE",
    "REJECTED",
    "PEER_IDENTITY_MISMATCH",
)
GCP_INCOMPLETE = ("WAITING_FOR_FULL_CONFIG", "FIRST_HANDSHAKE", "PROVISIONING")


def check(
    link: str,
    cluster: str,
    name: str,
    expected: str,
    actual: str,
    cause: str = "",
    ok: bool | None = None,
) -> Check:
    passed = actual == expected if ok is None else ok
    summary = f"{name}: expected {expected}, got {actual}"
    if not passed and cause:
        summary += f" (likely cause: {cause})"
    return {
        "link": link,
        "cluster": cluster,
        "name": name,
        "expected": expected,
        "actual": actual,
        "ok": passed,
        "cause": "" if passed else cause,
        "summary": summary,
    }


def aws_tunnel_cause(connection_state: str, reported: Mapping[str, Any]) -> str:
    """Why an AWS tunnel check fails. For a VPN with dynamic routing the tunnel is UP only
    with IPsec and BGP up (CloudWatch "Site-to-Site VPN tunnel metrics", TunnelState: "For
    BGP VPNs, 1 indicates ESTABLISHED and 0 is used for all other states"); VgwTelemetry
    StatusMessage describes the error (API_VgwTelemetry), "IPSEC IS UP" when only BGP is
    down. Any other DOWN is taken for an IKE failure."""
    if connection_state != "available":
        return f"VPN connection {connection_state}"
    if not reported:
        return "no tunnel with the planned inside CIDR (changed outside this collection?)"
    if reported.get("status") == "DOWN":
        message = str(reported.get("status_message") or "").upper()
        return SESSION_CAUSE if "IPSEC IS UP" in message else TUNNEL_CAUSE
    return "configured differently from the plan (changed outside this collection?)"


def gcp_tunnel_cause(tunnel: Mapping[str, Any]) -> str:
    status = tunnel.get("status")
    if not tunnel:
        return "tunnel not created"
    if status == "NO_INCOMING_PACKETS":  # "No incoming packets from peer"
        return "no packets from the peer (its outside IP, or the path between the gateways)"
    if status in GCP_INCOMPLETE:
        return f"incomplete configuration: {tunnel.get('detailed_status') or status}"
    return TUNNEL_CAUSE


def _links(
    plan: Mapping[str, Any], cluster: str, side: str, transport: str | None = None
) -> list[dict[str, Any]]:
    return [
        link
        for link in plan.get("links", [])
        if link.get(f"{side}_cluster") == cluster
        and (transport is None or link.get("transport", "aws_gcp_ha_vpn") == transport)
    ]


def _peer_end(tunnel: Mapping[str, Any], side: str) -> tuple[Any, Any]:
    """The other end of a tunnel seen from ``side`` (aws or gcp): its inside address and
    ASN - the GCP or on-prem end of an AWS tunnel, the AWS or on-prem end of a GCP one. The
    on-prem gateway itself cannot be read through a cloud API: what the cloud reports about
    its tunnels to it is what verify checks."""
    for other in ("aws", "gcp", "onprem"):
        if other != side and f"{other}_inside_address" in tunnel:
            return tunnel[f"{other}_inside_address"], tunnel.get(f"{other}_asn")
    return None, None


def aws_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Both VPN connections of each link available; each planned tunnel present with its
    planned inside CIDR, inside addresses and AWS ASN, and UP in the telemetry."""
    connections = status.get("vpn_connections") or []
    checks = []
    for link in _links(plan, cluster, "aws"):
        for connection in link["aws_connections"]:
            letter, name = connection["letter"], connection["name"]
            conn = next(
                (
                    c
                    for c in connections
                    if c.get("name") == name and c.get("state") not in GONE_STATES
                ),
                {},
            )
            state = conn.get("state", "missing")
            checks.append(
                check(link["id"], cluster, f"AWS VPN connection {name}", "available", state)
            )
            reported_by_cidr = {t.get("inside_cidr"): t for t in conn.get("tunnels") or []}
            for tunnel in link["tunnels"]:
                if tunnel["aws_vpn_connection"] != letter:
                    continue
                r = reported_by_cidr.get(tunnel["inside_cidr"], {})
                expected = (
                    f"UP {tunnel['inside_cidr']} {tunnel['aws_inside_address']}/"
                    f"{_peer_end(tunnel, 'aws')[0]} AS {tunnel['aws_asn']}"
                )
                actual = (
                    f"{r.get('status', 'missing')} {r.get('inside_cidr', '-')} "
                    f"{r.get('aws_inside_address', '-')}/{r.get('customer_inside_address', '-')} "
                    f"AS {r.get('aws_asn', '-')}"
                )
                label = f"AWS tunnel {tunnel['id']} ({name} tunnel {tunnel['aws_tunnel']})"
                cause = aws_tunnel_cause(state, r)
                checks.append(check(link["id"], cluster, label, expected, actual, cause))
    return checks


def gcp_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Each planned tunnel ESTABLISHED and its BGP peer UP: the tunnels of the links whose
    GCP end the cluster is, and this cluster's side of each gcp <-> gcp HA VPN link."""
    tunnels = {t.get("name"): t for t in status.get("tunnels") or []}
    peers = {p.get("name"): p for p in status.get("bgp_peers") or []}
    checks = []
    for link in _links(plan, cluster, "gcp"):
        for tunnel in link["tunnels"]:
            peer_end = _peer_end(tunnel, "gcp")
            checks += _gcp_tunnel_checks(link["id"], cluster, tunnel, peer_end, tunnels, peers)
    for link in plan.get("links", []):
        side = (link.get("gcp_ha_vpn_sides") or {}).get(cluster)
        for tunnel in (side or {}).get("tunnels", []):
            peer_end = (tunnel["peer_inside_address"], tunnel["peer_asn"])
            checks += _gcp_tunnel_checks(link["id"], cluster, tunnel, peer_end, tunnels, peers)
    return checks + peering_checks(plan, cluster, status)


def _gcp_tunnel_checks(
    link: str,
    cluster: str,
    tunnel: Mapping[str, Any],
    peer_end: tuple[Any, Any],
    tunnels: Mapping[Any, Mapping[str, Any]],
    peers: Mapping[Any, Mapping[str, Any]],
) -> list[Check]:
    """One GCP tunnel ESTABLISHED and its BGP peer (to ``peer_end``: address, ASN) UP."""
    name, peer_name = tunnel["gcp_tunnel"], tunnel["gcp_bgp_peer"]
    reported = tunnels.get(name, {})
    state = reported.get("status", "missing")
    label = f"GCP tunnel {name} (interface {tunnel['gcp_vpn_interface']})"
    checks = [check(link, cluster, label, "ESTABLISHED", state, gcp_tunnel_cause(reported))]
    peer = peers.get(peer_name, {}).get("status", "missing")
    peer_address, peer_asn = peer_end
    label = (
        f"GCP BGP peer {peer_name} ({tunnel['gcp_inside_address']} AS {tunnel['gcp_asn']}"
        f" -> {peer_address} AS {peer_asn})"
    )
    if peer == "missing":
        cause = "BGP peer not configured"
    elif state == "ESTABLISHED":
        cause = SESSION_CAUSE  # the transport is there, the session is not
    else:
        cause = "its tunnel is not established"
    checks.append(check(link, cluster, label, "UP", peer, cause))
    return checks


def peering_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Each VPC Network Peering of the cluster's network ACTIVE, and importing every IPv4
    node, pod and service range of the other cluster (gcp_vpn_info ``peerings``: the routes
    networks.listPeeringRoutes lists INCOMING). A peering is ACTIVE only once the peer network
    peers back ("There is no matching configuration on the peer", NetworkPeering.state)."""
    reported = {p.get("name"): p for p in status.get("peerings") or []}
    checks = []
    for link in plan.get("links", []):
        side = (link.get("gcp_peerings") or {}).get(cluster)
        if side is None:
            continue
        remote = side["remote_cluster"]
        mine = reported.get(side["name"], {})
        state = mine.get("state", "missing")
        label = f"GCP peering {side['name']} ({side['network']} -> {side['peer_network']})"
        if state == "missing":
            cause = "peering not created"
        else:
            cause = f"no peering back from {side['peer_network']} (is {remote} linked?)"
        checks.append(check(link["id"], cluster, label, "ACTIVE", state, cause))
        spec = plan["clusters"][remote]
        wanted = _ipv4(
            [
                *spec.get("node_cidrs", []),
                *spec.get("pod_cidrs", []),
                *spec.get("service_cidrs", []),
            ]
        )
        incoming = set(_ipv4(mine.get("incoming_routes") or []))
        missing = [r for r in wanted if r not in incoming]
        label = f"GCP peering {side['name']} routes imported from {remote}"
        if state != "ACTIVE":
            cause = "no routes while the peering is not active"
        else:
            cause = (
                f"a range of {remote} is not a subnet or secondary range of {side['peer_network']}"
            )
        actual = "all" if not missing else f"missing {', '.join(missing)}"
        expected = f"all of {', '.join(wanted)}"
        checks.append(check(link["id"], cluster, label, expected, actual, cause, not missing))
    return checks


def aws_peering_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Each VPC peering connection of the cluster's VPC ``active``, and every route table
    routing the other VPC's planned ranges to it (``active`` routes). ``status`` is the
    result of aws_vpc_peering_info with include_routes; its ``route_table_ids`` are the
    tables that must route (the VPC's, or aws_vpn_route_table_ids). A connection is active
    only once accepted and provisioned (VpcPeeringConnectionStateReason: ... -> provisioning ->
    active); a route to a connection that is not active is a ``blackhole`` (EC2 API reference,
    "Route")."""
    reported = {
        c.get("name"): c
        for c in status.get("vpc_peering_connections") or []
        if c.get("status") not in _aws_vpc_peering.GONE
    }
    tables = sorted(status.get("route_table_ids") or [])
    checks = []
    for link in plan.get("links", []):
        side = (link.get("aws_peerings") or {}).get(cluster)
        if side is None:
            continue
        mine = reported.get(side["name"], {})
        state = mine.get("status", "missing")
        label = f"AWS VPC peering {side['name']} ({side['vpc_id']} -> {side['peer_vpc_id']})"
        if state == "missing":
            starter = cluster if side["requester"] else side["remote_cluster"]
            cause = f"connection not requested (by {starter}: is it linked?)"
        elif state in _aws_vpc_peering.UNACCEPTED:
            cause = (
                f"not accepted in {side['peer_region'] if side['requester'] else side['region']}"
            )
        elif state in _aws_vpc_peering.PROVISIONING:
            cause = "accepted, still provisioning"
        else:
            cause = f"request {state}: {mine.get('status_message') or 'no message'}"
        checks.append(check(link["id"], cluster, label, _aws_vpc_peering.UP, state, cause))
        routed = {
            (r.get("route_table_id"), r.get("destination"))
            for r in mine.get("routes") or []
            if r.get("state") == "active"
        }
        missing = [
            f"{table} {cidr}"
            for table in tables
            for cidr in side["route_cidrs"]
            if (table, cidr) not in routed
        ]
        label = f"AWS routes to {side['name']} in {side['vpc_id']}"
        expected = f"{', '.join(side['route_cidrs'])} in {len(tables)} route table(s)"
        actual = "all" if tables and not missing else f"missing {', '.join(missing) or 'tables'}"
        if state != _aws_vpc_peering.UP:
            cause = "a route to a connection that is not active is a blackhole"
        else:
            cause = "route removed or replaced outside this collection"
        ok = bool(tables) and not missing
        checks.append(check(link["id"], cluster, label, expected, actual, cause, ok))
    return checks


def aws_tgw_peering_checks(
    plan: dict[str, Any], cluster: str, status: dict[str, Any]
) -> list[Check]:
    """Each Transit Gateway peering attachment of the cluster's TGW ``available``, and the
    TGW's route table routing the other cluster's planned ranges to it (``active`` static
    routes). ``status`` is the result of aws_tgw_peering_info with include_routes, read in
    the cluster's Region on its TGW. An attachment is available only once accepted and
    provisioned (pendingAcceptance -> pending -> available); a route to an attachment that
    is gone is a ``blackhole`` (EC2 API reference, TransitGatewayRoute)."""
    reported = {
        a.get("name"): a
        for a in status.get("transit_gateway_peering_attachments") or []
        if a.get("state") not in _aws_tgw_peering.GONE
    }
    table = status.get("route_table_id") or "its route table"
    checks = []
    for link in plan.get("links", []):
        side = (link.get("aws_tgw_peerings") or {}).get(cluster)
        if side is None:
            continue
        mine = reported.get(side["name"], {})
        state = mine.get("state", "missing")
        label = (
            f"AWS TGW peering {side['name']} ({side['transit_gateway_id']} -> "
            f"{side['peer_transit_gateway_id']})"
        )
        if state == "missing":
            starter = cluster if side["requester"] else side["remote_cluster"]
            cause = f"attachment not requested (by {starter}: is it linked?)"
        elif state in _aws_tgw_peering.UNACCEPTED:
            accepter = side["peer_region"] if side["requester"] else side["region"]
            cause = f"not accepted in {accepter}"
        elif state in _aws_tgw_peering.PROVISIONING:
            cause = "accepted, still provisioning"
        else:
            cause = f"attachment {state}: {mine.get('status_message') or 'no message'}"
        checks.append(check(link["id"], cluster, label, _aws_tgw_peering.UP, state, cause))
        routed = {
            r.get("destination") for r in mine.get("routes") or [] if r.get("state") == "active"
        }
        missing = [cidr for cidr in side["route_cidrs"] if cidr not in routed]
        label = f"AWS TGW routes to {side['name']} in {side['transit_gateway_id']} ({table})"
        actual = "all" if not missing else f"missing {', '.join(missing)}"
        cause = (
            "no attachment to route to"
            if state == "missing"
            else "route removed or replaced outside this collection"
        )
        expected = ", ".join(side["route_cidrs"])
        checks.append(check(link["id"], cluster, label, expected, actual, cause, not missing))
    return checks


# ---------------------------------------------------------------------- learned routes


def _ipv4(prefixes: list[str]) -> list[str]:
    """The IPv4 prefixes, sorted: the sessions run over IPv4 inside addresses."""
    nets = {ipaddress.ip_network(p, strict=False) for p in prefixes}
    return [str(n) for n in sorted(n for n in nets if n.version == 4)]


def _side_status(plan: Mapping[str, Any], facts: Mapping[str, Any], cluster: str) -> Any:
    """The ``link_status`` fact verify set on the host of ``cluster`` (None: not read)."""
    host = plan["clusters"][cluster]["host"]
    status = (facts.get(host) or {}).get("link_status")
    return status if isinstance(status, Mapping) else None


def aws_route_checks(
    plan: Mapping[str, Any], cluster: str, facts: Mapping[str, Any]
) -> list[Check]:
    """Each AWS tunnel accepted as many routes (VgwTelemetry AcceptedRouteCount) as the GCP
    peer of that tunnel advertises to it (getRouterStatus bgpPeerStatus advertisedRoutes,
    read on the GCP host)."""
    own = _side_status(plan, facts, cluster) or {}
    reported = {
        t.get("inside_cidr"): t
        for c in own.get("vpn_connections") or []
        if c.get("state") not in GONE_STATES
        for t in c.get("tunnels") or []
    }
    checks = []
    for link in _links(plan, cluster, "aws", "aws_gcp_ha_vpn"):
        remote = _side_status(plan, facts, link["gcp_cluster"])
        peers = {p.get("name"): p for p in (remote or {}).get("bgp_peers") or []}
        for tunnel in link["tunnels"]:
            mine = reported.get(tunnel["inside_cidr"], {})
            advertised = _ipv4(peers.get(tunnel["gcp_bgp_peer"], {}).get("advertised_routes") or [])
            count = mine.get("accepted_route_count")
            label = f"AWS tunnel {tunnel['id']} routes accepted from GCP"
            expected = (
                f"{len(advertised)} ({', '.join(advertised)})"
                if advertised
                else "what the GCP peer advertises (it reports none)"
            )
            if remote is None:
                cause = f"the GCP side ({link['gcp_cluster']}) was not read in this run"
            elif mine.get("status") != "UP":
                cause = "no BGP session (see the tunnel's check)"
            elif not advertised:
                cause = "the GCP peer advertises nothing (its BGP session is down)"
            else:
                cause = "AWS accepted other routes than GCP advertises"
            ok = bool(advertised) and count == len(advertised)
            actual = "missing" if count is None else str(count)
            checks.append(check(link["id"], cluster, label, expected, actual, cause, ok))
    return checks


def gcp_route_checks(
    plan: Mapping[str, Any], cluster: str, facts: Mapping[str, Any]
) -> list[Check]:
    """Each GCP BGP peer learned (numLearnedRoutes, and its routes in the router's
    bestRoutes) what the AWS side advertises: a VGW exactly the VPC's CIDR blocks, a TGW at
    least those (its route table; REFERENCE "Cloud behaviour tests must reproduce"). The
    blocks are read on the AWS host (``vpc_cidr_blocks``)."""
    own = _side_status(plan, facts, cluster) or {}
    peers = {p.get("name"): p for p in own.get("bgp_peers") or []}
    checks = []
    for link in _links(plan, cluster, "gcp", "aws_gcp_ha_vpn"):
        remote = _side_status(plan, facts, link["aws_cluster"])
        blocks = _ipv4(list((remote or {}).get("vpc_cidr_blocks") or []))
        exact = plan["clusters"][link["aws_cluster"]].get("aws_gateway") != "tgw"
        for tunnel in link["tunnels"]:
            name = tunnel["gcp_bgp_peer"]
            peer = peers.get(name, {})
            learned = _ipv4(peer.get("learned_routes") or [])
            number = int(peer.get("num_learned_routes") or 0)
            label = f"GCP BGP peer {name} routes learned from AWS"
            expected = ("" if exact else "at least ") + f"{len(blocks)} ({', '.join(blocks)})"
            actual = f"{number} ({', '.join(learned) or 'none'})"
            if exact:
                ok = bool(blocks) and learned == blocks and number == len(blocks)
            else:
                ok = bool(blocks) and set(blocks) <= set(learned) and number >= len(blocks)
            if remote is None or not blocks:
                cause = f"the AWS side ({link['aws_cluster']}) was not read in this run"
            elif peer.get("status") != "UP":
                cause = "no BGP session (see the peer's check)"
            else:
                cause = "the AWS side advertises other routes than its VPC's CIDR blocks"
            checks.append(check(link["id"], cluster, label, expected, actual, cause, ok))
    return checks


def route_checks(plan: Mapping[str, Any], cluster: str, facts: Mapping[str, Any]) -> list[Check]:
    return aws_route_checks(plan, cluster, facts) + gcp_route_checks(plan, cluster, facts)
