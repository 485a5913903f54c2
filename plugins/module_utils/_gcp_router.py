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


def _peer_params(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries to manage: ``peers`` (one router PATCH for them all) or the single one
    named by ``name``; each with its interface name and checked names."""
    single = p.get("peers") is None
    entries = [p] if single else p["peers"]
    result = []
    for position, entry in enumerate(entries):
        field = "" if single else f"peers[{position}]."
        check_name(f"{field}name", entry["name"])
        interface = entry.get("interface_name") or f"if-{entry['name']}"
        check_name(f"{field}interface_name", interface)
        result.append({**entry, "interface_name": interface, "state": p["state"], "_field": field})
    for key in ("name", "interface_name"):
        seen = [e[key] for e in result]
        repeated = sorted({n for n in seen if seen.count(n) > 1})
        if repeated:
            raise ValueError(f"peers: {key} {', '.join(repeated)} given more than once")
    return result


def router_peer(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """Router interfaces and their BGP peers on an existing Cloud Router: the one named by
    ``name``, or every one of ``peers``, in one PATCH."""
    check_name("router", p["router"])
    entries = _peer_params(p)
    wanted = []
    for entry in entries:
        try:
            wanted.append(router_peer_entries(api, entry))
        except ValueError as error:
            raise ValueError(f"{entry['_field']}{error}") from None
    path = f"{api.regional('routers')}/{p['router']}"
    current = _gcp.get(api, path)
    if current is None:
        if p["state"] == "absent":
            return Outcome(False, None, None)
        raise ValueError(f"router {p['router']} does not exist: create it with gcp_router first")
    interfaces = current.get("interfaces", [])
    peers = current.get("bgpPeers", [])
    new_interfaces, new_peers = interfaces, peers
    for entry, (interface, peer) in zip(entries, wanted, strict=True):
        new_interfaces, new_peers = merge_router_entries(
            new_interfaces, new_peers, interface, peer, entry["interface_name"], entry["name"]
        )
    names = [(e["interface_name"], e["name"]) for e in entries]
    before = _peer_views(interfaces, peers, names, p)
    if matches(new_interfaces, interfaces) and matches(new_peers, peers):
        return Outcome(False, before, before)
    after = _peer_views(new_interfaces, new_peers, names, p)
    if not check_mode:
        _gcp.mutate(api, "PATCH", path, {"interfaces": new_interfaces, "bgpPeers": new_peers})
        current = _gcp.get(api, path) or {}
        after = _peer_views(current.get("interfaces", []), current.get("bgpPeers", []), names, p)
    return Outcome(True, before, after)


def _peer_views(
    interfaces: list[dict[str, Any]],
    peers: list[dict[str, Any]],
    names: list[tuple[str, str]],
    p: dict[str, Any],
) -> Any:
    """The managed entries as the router has them: one view (``name``), or the views by BGP
    peer name (``peers``; absent ones left out, so a diff names what is added or removed)."""
    views = {name: _peer_view(interfaces, peers, iface, name) for iface, name in names}
    if p.get("peers") is None:
        return views[names[0][1]]
    return {name: view for name, view in views.items() if view is not None}


def _peer_view(
    interfaces: list[dict[str, Any]], peers: list[dict[str, Any]], iface: str, name: str
) -> dict[str, Any] | None:
    found_iface = next((i for i in interfaces if i.get("name") == iface), None)
    found_peer = next((b for b in peers if b.get("name") == name), None)
    if found_iface is None and found_peer is None:
        return None
    return {"interface": found_iface or {}, "bgpPeer": found_peer or {}}
