# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""HA VPN tunnels (vpnTunnels): one (``name``) or several (``tunnels``) in one call.

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _gcp
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    REDUNDANCY_INTERFACES,
    Api,
    Change,
    Outcome,
    apply,
    check_name,
    owned_description,
    plan,
    relative_link,
)

# VPN tunnel ---------------------------------------------------------------------------


def vpn_tunnel(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """The tunnel ``name``, or every one of ``tunnels``.

    The secret is write-only: the API returns sharedSecretHash, whose algorithm is not
    documented (VpnTunnel reference: "Hash of the shared secret."), so a changed secret is
    applied only with replace: true."""
    if p.get("tunnels") is not None:
        return _vpn_tunnels(api, p, check_mode)
    desired = _desired(api, p)
    current = _gcp.get(api, f"{api.regional('vpnTunnels')}/{p['name']}")
    return apply(api, _plan(api, p, desired, current), check_mode)


def _vpn_tunnels(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """Every tunnel of ``tunnels`` (each entry over the shared options). First every entry is
    checked and planned (reads only: bad input, a foreign tunnel or one that cannot change
    in place fails before any change); then every change is started, and the operations
    (vpnTunnels.insert / delete return an Operation each, Compute Engine reference) are
    waited for once, side by side, unless ``wait`` is false. ``before`` and ``after`` are keyed
    by tunnel name (absent tunnels left out, so the diff names what is added or removed)."""
    shared = {k: v for k, v in p.items() if k != "tunnels"}
    given = [entry["name"] for entry in p["tunnels"]]
    repeated = sorted({n for n in given if given.count(n) > 1})
    if repeated:
        raise ValueError(f"tunnels: name {', '.join(repeated)} given more than once")
    # One list call for what exists (not one read per tunnel), one read per peer gateway.
    collection = api.regional("vpnTunnels")
    existing = {t.get("name"): t for t in _gcp.list_all(api, collection)}
    gateways: dict[str, dict[str, Any] | None] = {}

    def read_gateway(path: str) -> dict[str, Any] | None:
        if path not in gateways:
            gateways[path] = _gcp.get(api, path)
        return gateways[path]

    changes = []
    for position, entry in enumerate(p["tunnels"]):
        params = {**shared, **{k: v for k, v in entry.items() if v is not None}}
        try:
            desired = _desired(api, params, read_gateway)
        except ValueError as error:  # its message starts with the option
            raise ValueError(f"tunnels[{position}].{error}") from None
        try:
            changes.append(_plan(api, params, desired, existing.get(params["name"])))
        except ValueError as error:
            raise ValueError(f"tunnels[{position}] ({params['name']}): {error}") from None
    names = [entry["name"] for entry in p["tunnels"]]
    nowait = dataclasses.replace(api, wait=False)
    started = [apply(nowait, change, check_mode) for change in changes]
    values: dict[str, Any] = {}
    if api.wait:
        for outcome in started:
            if outcome.pending is not None:
                _gcp.wait_operation(api, outcome.pending)
    else:
        values["operations"] = [o.values["operation"] for o in started if o.pending]
    made = api.wait and any(o.pending is not None and o.after is not None for o in started)
    listed = {t.get("name"): t for t in _gcp.list_all(api, collection)} if made else {}
    after = {}
    for name, outcome in zip(names, started, strict=True):
        current = outcome.after
        if outcome.pending is not None and name in listed:
            current = listed[name]  # as the API shows it once its operation is DONE
        if current is not None:
            after[name] = current
    before = {n: o.before for n, o in zip(names, started, strict=True) if o.before is not None}
    return Outcome(any(o.changed for o in started), before, after, values)


def _plan(
    api: Api, p: dict[str, Any], desired: dict[str, Any], current: dict[str, Any] | None
) -> Change:
    """The change that creates, replaces or deletes the tunnel; ``current`` read already."""
    return plan(
        api,
        api.regional("vpnTunnels"),
        p["name"],
        desired,
        p["state"],
        kind="VPN tunnel",
        replace=bool(p.get("replace")),
        existing=current,
        fetched=True,
        write_only={"sharedSecret": p.get("shared_secret")},
        fix=" or set replace: true",
    )


def _desired(
    api: Api, p: dict[str, Any], read: Callable[[str], dict[str, Any] | None] | None = None
) -> dict[str, Any]:
    """The fields the options set (none with state absent), checked; reads the peer gateway
    (with ``read``, else one GET)."""
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        for option in ("vpn_gateway", "shared_secret", "router"):
            if not p.get(option):
                raise ValueError(f"{option} is required with state present")
        if bool(p.get("peer_external_gateway")) == bool(p.get("peer_gcp_gateway")):
            raise ValueError(
                "set exactly one of peer_external_gateway (a peer VPN device, or AWS) and "
                "peer_gcp_gateway (another HA VPN gateway) with state present"
            )
        if p["vpn_gateway_interface"] not in (0, 1):
            raise ValueError(
                f"vpn_gateway_interface {p['vpn_gateway_interface']} is out of range: "
                "an HA VPN gateway has interfaces 0 and 1"
            )
        for option in ("vpn_gateway", "router"):
            if "/" not in p[option]:
                check_name(option, p[option])
        desired = {
            "description": owned_description(p.get("description")),
            "vpnGateway": _regional_link(api, p["vpn_gateway"], "vpnGateways"),
            "vpnGatewayInterface": p["vpn_gateway_interface"],
            **_peer(api, p, read or (lambda path: _gcp.get(api, path))),
            "ikeVersion": p["ike_version"],
            "router": _regional_link(api, p["router"], "routers"),
        }
    return desired


def _peer(
    api: Api, p: dict[str, Any], read: Callable[[str], dict[str, Any] | None]
) -> dict[str, Any]:
    """The peer fields of the tunnel, checked against the peer gateway (read, never changed).

    VpnTunnel reference: peerExternalGateway with peerExternalGatewayInterface (0-3, within
    the external gateway's redundancy type), or peerGcpGateway - "the field is exclusive with
    the field peerExternalGateway. If provided, the VPN tunnel will automatically use the same
    vpnGatewayInterface ID in the peer Google Cloud VPN gateway" (so no interface is sent)."""
    peer_if = p.get("peer_external_gateway_interface")
    if p.get("peer_gcp_gateway"):
        if peer_if is not None:
            raise ValueError(
                "peer_external_gateway_interface applies to peer_external_gateway only: a "
                "tunnel to peer_gcp_gateway uses the same interface number "
                "(vpn_gateway_interface) on the peer HA VPN gateway"
            )
        gateway = p["peer_gcp_gateway"]
        if "/" not in gateway:
            check_name("peer_gcp_gateway", gateway)
        link = _regional_link(api, gateway, "vpnGateways")  # another project or region too
        if read(f"{api.endpoint.rstrip('/')}/compute/v1/{link}") is None:
            raise ValueError(f"peer_gcp_gateway {gateway} does not exist")
        return {"peerGcpGateway": link}
    peer_if = 0 if peer_if is None else peer_if
    if not 0 <= peer_if <= 3:
        raise ValueError(f"peer_external_gateway_interface {peer_if} is out of range: use 0-3")
    external = p["peer_external_gateway"]
    if "/" not in external:
        check_name("peer_external_gateway", external)
    ext_link = (
        relative_link(external)
        if "/" in external
        else api.link(f"global/externalVpnGateways/{external}")
    )
    ext = read(ext_link.split(f"projects/{api.project}/", 1)[-1])
    if ext is None:
        raise ValueError(f"peer_external_gateway {external} does not exist")
    count = REDUNDANCY_INTERFACES.get(ext.get("redundancyType", ""), 4)
    if peer_if >= count:
        raise ValueError(
            f"peer_external_gateway_interface {peer_if} is out of range for "
            f"{external} ({ext.get('redundancyType')}): use 0-{count - 1}"
        )
    return {"peerExternalGateway": ext_link, "peerExternalGatewayInterface": peer_if}


def _regional_link(api: Api, value: str, collection: str) -> str:
    if "/" in value:
        return relative_link(value)
    return api.link(api.regional(f"{collection}/{value}"))
