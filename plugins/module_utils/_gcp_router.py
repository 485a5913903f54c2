# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Cloud Routers, their interfaces and BGP peers (routers).

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _gcp
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    OWNER_MARK,
    Api,
    Outcome,
    check_link_local_30,
    check_name,
    check_owned,
    check_peer_asn,
    check_peer_ip,
    check_private_asn,
    compact,
    ensure,
    matches,
    merged,
    network_link,
    owned_description,
    relative_link,
)

# Cloud Router -------------------------------------------------------------------------


def router_bgp(p: dict[str, Any]) -> dict[str, Any]:
    ranges = p.get("advertised_ip_ranges")
    for position, item in enumerate(ranges or []):
        try:
            ipaddress.ip_network(item["range"])
        except ValueError:
            raise ValueError(
                f"advertised_ip_ranges[{position}].range {item['range']!r} is not a CIDR "
                "(e.g. 10.8.0.0/14)"
            ) from None
    keepalive = p.get("keepalive_interval")
    if keepalive is not None and not 20 <= keepalive <= 60:
        raise ValueError(f"keepalive_interval {keepalive} is out of range: use 20-60 seconds")
    mode = p.get("advertise_mode")
    groups = p.get("advertised_groups")
    if mode != "CUSTOM" and (groups or ranges):
        raise ValueError("advertised_groups and advertised_ip_ranges need advertise_mode: CUSTOM")
    if mode == "DEFAULT":
        # The API accepts custom groups and ranges only in CUSTOM mode (RouterBgp reference).
        groups, ranges = [], []
    return compact(
        {
            "asn": p.get("asn"),
            "advertiseMode": mode,
            "advertisedGroups": groups,
            "advertisedIpRanges": None
            if ranges is None
            else [
                compact({"range": r["range"], "description": r.get("description")}) for r in ranges
            ],
            "keepaliveInterval": keepalive,
        }
    )


def router(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    check_private_asn("asn", p.get("asn"))
    if p["state"] == "present" and not p.get("network"):
        raise ValueError("network is required with state present")
    bgp = router_bgp(p) if p["state"] == "present" else {}
    collection = api.regional("routers")
    current = _gcp.get(api, f"{collection}/{p['name']}")
    desired: dict[str, Any] = {}
    if p["state"] == "absent":
        check_router_deletable(api, p["name"], current)
    else:
        if current is None and p.get("asn") is None:
            raise ValueError("asn is required to create a Cloud Router")
        current_asn = (current or {}).get("bgp", {}).get("asn")
        if current is not None and "asn" in bgp and current_asn != bgp["asn"]:
            raise ValueError(
                f"asn: Cloud Router {p['name']} has ASN {current_asn}; the ASN of an existing "
                f"router cannot be changed and it is not recreated: set asn: {current_asn}, "
                "or delete the router (state: absent) first"
            )
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "bgp": bgp or None,
            }
        )
    return ensure(
        api,
        collection,
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="Cloud Router",
        mutable=("bgp", "description"),
        existing=current,
        fetched=True,
    )


def check_router_deletable(api: Api, name: str, current: dict[str, Any] | None) -> None:
    """Refuse to delete a router that is not ours or still carries interfaces or BGP peers
    this collection does not own (deleting the router would delete them too)."""
    if current is None:
        return
    check_owned("Cloud Router", name, current)
    foreign = foreign_router_entries(api, current)
    if foreign:
        raise ValueError(
            f"Cloud Router {name} is not deleted: it still has {', '.join(foreign)}, which "
            "crosscluster.link does not own (it owns the interfaces linked to VPN tunnels it "
            "created, and their BGP peers). Remove them first (crosscluster.link.gcp_router_peer "
            "with state: absent removes one it created), or keep the router"
        )


def foreign_router_entries(api: Api, current: dict[str, Any]) -> list[str]:
    """The interfaces and BGP peers of a router that this collection did not create, as
    "interface NAME" / "BGP peer NAME". Router interfaces and BGP peers have no description
    (Compute Engine reference, Router: RouterInterface, RouterBgpPeer), so an interface is
    ours when its linkedVpnTunnel is a VPN tunnel whose description carries OWNER_MARK, and a
    BGP peer when its interfaceName is such an interface."""
    interfaces = current.get("interfaces", [])
    prefix = f"projects/{api.project}/"
    owned: set[str | None] = set()
    for interface in interfaces:
        link = relative_link(interface.get("linkedVpnTunnel") or "")
        if link.startswith(prefix):
            tunnel = _gcp.get(api, link[len(prefix) :])
            if tunnel is not None and OWNER_MARK in (tunnel.get("description") or ""):
                owned.add(interface.get("name"))
    return [f"interface {i.get('name')}" for i in interfaces if i.get("name") not in owned] + [
        f"BGP peer {b.get('name')}"
        for b in current.get("bgpPeers", [])
        if b.get("interfaceName") not in owned
    ]


# Router interface + BGP peer ------------------------------------------------------------


def merge_router_entries(
    interfaces: list[dict[str, Any]],
    peers: list[dict[str, Any]],
    interface: dict[str, Any] | None,
    peer: dict[str, Any] | None,
    interface_name: str,
    peer_name: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Full interface and peer lists to PATCH (PATCH replaces lists): every entry with
    another name is kept as it is, ours is replaced in place, appended, or (None) removed."""

    def merge(entries: list[dict[str, Any]], name: str, ours: dict[str, Any] | None) -> list:
        result = []
        placed = False
        for entry in entries:
            if entry.get("name") != name:
                result.append(entry)
            elif ours is not None and not placed:
                result.append(merged(entry, ours))
                placed = True
        if ours is not None and not placed:
            result.append(ours)
        return result

    return merge(interfaces, interface_name, interface), merge(peers, peer_name, peer)


def router_peer_entries(
    api: Api, p: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The interface and BGP peer this module manages, validated (None when absent)."""
    if p["state"] == "absent":
        return None, None
    for option in ("ip_range", "peer_ip_address", "peer_asn"):
        if p.get(option) is None:
            raise ValueError(f"{option} is required with state present")
    iface = check_link_local_30("ip_range", p["ip_range"])
    check_peer_ip("peer_ip_address", p["peer_ip_address"], iface)
    check_peer_asn("peer_asn", p["peer_asn"])
    priority = p.get("advertised_route_priority")
    if priority is not None and not 0 <= priority <= 65535:
        raise ValueError(f"advertised_route_priority {priority} is out of range: use 0-65535")
    interface = {"name": p["interface_name"], "ipRange": str(iface)}
    if p.get("linked_vpn_tunnel"):
        tunnel = p["linked_vpn_tunnel"]
        if "/" not in tunnel:
            check_name("linked_vpn_tunnel", tunnel)
            tunnel = api.link(api.regional(f"vpnTunnels/{tunnel}"))
        interface["linkedVpnTunnel"] = relative_link(tunnel)
    peer = compact(
        {
            "name": p["name"],
            "interfaceName": p["interface_name"],
            "ipAddress": str(iface.ip),
            "peerIpAddress": p["peer_ip_address"],
            "peerAsn": p["peer_asn"],
            "advertisedRoutePriority": priority,
            "enable": "TRUE" if p.get("enable", True) else "FALSE",
            "bfd": {"sessionInitializationMode": p.get("bfd_mode") or "DISABLED"},
        }
    )
    return interface, peer


def router_peer(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """One router interface and its BGP peer on an existing Cloud Router."""
    check_name("name", p["name"])
    check_name("router", p["router"])
    p = dict(p, interface_name=p.get("interface_name") or f"if-{p['name']}")
    check_name("interface_name", p["interface_name"])
    interface, peer = router_peer_entries(api, p)
    path = f"{api.regional('routers')}/{p['router']}"
    current = _gcp.get(api, path)
    if current is None:
        if p["state"] == "absent":
            return Outcome(False, None, None)
        raise ValueError(f"router {p['router']} does not exist: create it with gcp_router first")
    interfaces = current.get("interfaces", [])
    peers = current.get("bgpPeers", [])
    new_interfaces, new_peers = merge_router_entries(
        interfaces, peers, interface, peer, p["interface_name"], p["name"]
    )
    before = _peer_view(interfaces, peers, p["interface_name"], p["name"])
    after = _peer_view(new_interfaces, new_peers, p["interface_name"], p["name"])
    if matches(new_interfaces, interfaces) and matches(new_peers, peers):
        return Outcome(False, before, before)
    if not check_mode:
        _gcp.mutate(api, "PATCH", path, {"interfaces": new_interfaces, "bgpPeers": new_peers})
        current = _gcp.get(api, path) or {}
        after = _peer_view(
            current.get("interfaces", []),
            current.get("bgpPeers", []),
            p["interface_name"],
            p["name"],
        )
    return Outcome(True, before, after)


def _peer_view(
    interfaces: list[dict[str, Any]], peers: list[dict[str, Any]], iface: str, name: str
) -> dict[str, Any] | None:
    found_iface = next((i for i in interfaces if i.get("name") == iface), None)
    found_peer = next((b for b in peers if b.get("name") == name), None)
    if found_iface is None and found_peer is None:
        return None
    return {"interface": found_iface or {}, "bgpPeer": found_peer or {}}
