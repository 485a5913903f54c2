# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""The gcp_*_info modules: listings and the status of a whole link.

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _gcp
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    Api,
    Operation,
    Outcome,
    check_name,
    snake,
)

# Info -----------------------------------------------------------------------------------


def find(
    api: Api, collection: str, name: str | None = None, name_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Resources of a collection: one by name, those whose name starts with a prefix, or
    all; [] when none match."""
    check_name("name", name)
    if name:
        found = _gcp.get(api, f"{collection}/{name}")
        return [found] if found else []
    items = _gcp.list_all(api, collection)
    return [i for i in items if i.get("name", "").startswith(name_prefix or "")]


def listing(key: str, collection: str) -> Operation:
    """The operation of a ``*_info`` module: the resources of ``collection`` (``global/...``,
    else in the region) that match the name or name_prefix option, under ``key``; with the
    ``operation`` option (OPERATION_ARGSPEC), once that operation is DONE."""

    def operation(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
        if p.get("operation"):  # a change started with wait: false, waited for here once
            _gcp.wait_operation(api, p["operation"])
        path = collection if collection.startswith("global/") else api.regional(collection)
        items = find(api, path, p.get("name"), p.get("name_prefix"))
        return Outcome(False, None, None, {key: [snake(item) for item in items]})

    return operation


def vpn_info(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """The operation of gcp_vpn_info: tunnels and BGP peers with their status, and with
    ``network`` the network's peerings with the routes they bring in."""
    status: dict[str, Any] = vpn_status(api, p.get("routers"), p.get("tunnel_prefix"))
    if p.get("network"):
        status["peerings"] = peering_status(api, p["network"], p.get("tunnel_prefix"))
    return Outcome(False, None, None, status)


def peering_status(api: Api, network: str, prefix: str | None) -> list[dict[str, Any]]:
    """The peerings of ``network`` whose name starts with ``prefix``: state, and for an
    ACTIVE one the destination ranges it imports in the region (networks.listPeeringRoutes,
    direction INCOMING: "For routes exported from peer network"; only an ACTIVE peering
    exchanges routes)."""
    check_name("network", network)
    found = _gcp.get(api, f"global/networks/{network}") or {}
    peerings = []
    for peering in found.get("peerings") or []:
        if not peering.get("name", "").startswith(prefix or ""):
            continue
        routes = []
        if peering.get("state") == "ACTIVE":
            query = {"peeringName": peering["name"], "direction": "INCOMING", "region": api.region}
            path = f"global/networks/{network}/listPeeringRoutes"
            routes = [r.get("destRange") for r in _gcp.list_all(api, path, query)]
        peerings.append(
            {
                "name": peering["name"],
                "network": peering.get("network"),
                "state": peering.get("state"),
                "state_details": peering.get("stateDetails"),
                "incoming_routes": routes,
            }
        )
    return peerings


def vpn_status(
    api: Api, routers: list[str] | None, tunnel_prefix: str | None
) -> dict[str, list[dict[str, Any]]]:
    """Tunnel status and BGP peer status with learned routes (routers.getRouterStatus)."""
    for position, name in enumerate(routers or []):
        check_name(f"routers[{position}]", name)
    tunnels = [
        {
            "name": t["name"],
            "status": t.get("status"),
            "detailed_status": t.get("detailedStatus"),
            "router": (t.get("router") or "").rsplit("/", 1)[-1],
            "vpn_gateway_interface": t.get("vpnGatewayInterface"),
            "peer_external_gateway_interface": t.get("peerExternalGatewayInterface"),
        }
        for t in find(api, api.regional("vpnTunnels"), name_prefix=tunnel_prefix)
    ]
    names = sorted({t["router"] for t in tunnels if t["router"]}) if routers is None else routers
    peers = []
    for name in names:
        status = _gcp.request(api, "GET", f"{api.regional('routers')}/{name}/getRouterStatus").get(
            "result", {}
        )
        best = status.get("bestRoutes", [])
        for peer in status.get("bgpPeerStatus", []):
            learned = [
                r.get("destRange")
                for r in best
                if r.get("nextHopIp") and r.get("nextHopIp") == peer.get("peerIpAddress")
            ]
            peers.append(
                {
                    "router": name,
                    "name": peer.get("name"),
                    "status": peer.get("status"),
                    "state": peer.get("state"),
                    "uptime": peer.get("uptime"),
                    "uptime_seconds": peer.get("uptimeSeconds"),
                    "ip_address": peer.get("ipAddress"),
                    "peer_ip_address": peer.get("peerIpAddress"),
                    "linked_vpn_tunnel": (peer.get("linkedVpnTunnel") or "").rsplit("/", 1)[-1],
                    "num_learned_routes": peer.get("numLearnedRoutes", 0),
                    "learned_routes": learned,
                    "advertised_routes": [
                        r.get("destRange") for r in peer.get("advertisedRoutes", [])
                    ],
                }
            )
    return {"tunnels": tunnels, "bgp_peers": peers}
