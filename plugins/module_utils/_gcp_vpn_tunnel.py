# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""HA VPN tunnels (vpnTunnels).

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _gcp
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    REDUNDANCY_INTERFACES,
    Api,
    Outcome,
    check_name,
    ensure,
    owned_description,
    relative_link,
)

# VPN tunnel ---------------------------------------------------------------------------


def vpn_tunnel(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """The secret is write-only: the API returns sharedSecretHash, whose algorithm is not
    documented (VpnTunnel reference: "Hash of the shared secret."), so a changed secret is
    applied only with replace: true."""
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        for option in ("vpn_gateway", "peer_external_gateway", "shared_secret", "router"):
            if not p.get(option):
                raise ValueError(f"{option} is required with state present")
        if p["vpn_gateway_interface"] not in (0, 1):
            raise ValueError(
                f"vpn_gateway_interface {p['vpn_gateway_interface']} is out of range: "
                "an HA VPN gateway has interfaces 0 and 1"
            )
        peer_if = p["peer_external_gateway_interface"]
        if not 0 <= peer_if <= 3:
            raise ValueError(f"peer_external_gateway_interface {peer_if} is out of range: use 0-3")
        for option in ("vpn_gateway", "peer_external_gateway", "router"):
            if "/" not in p[option]:
                check_name(option, p[option])
        external = p["peer_external_gateway"]
        ext_link = (
            relative_link(external)
            if "/" in external
            else api.link(f"global/externalVpnGateways/{external}")
        )
        ext = _gcp.get(api, ext_link.split(f"projects/{api.project}/", 1)[-1])
        if ext is None:
            raise ValueError(f"peer_external_gateway {external} does not exist")
        count = REDUNDANCY_INTERFACES.get(ext.get("redundancyType", ""), 4)
        if peer_if >= count:
            raise ValueError(
                f"peer_external_gateway_interface {peer_if} is out of range for "
                f"{external} ({ext.get('redundancyType')}): use 0-{count - 1}"
            )
        desired = {
            "description": owned_description(p.get("description")),
            "vpnGateway": _regional_link(api, p["vpn_gateway"], "vpnGateways"),
            "vpnGatewayInterface": p["vpn_gateway_interface"],
            "peerExternalGateway": ext_link,
            "peerExternalGatewayInterface": peer_if,
            "ikeVersion": p["ike_version"],
            "router": _regional_link(api, p["router"], "routers"),
        }
    return ensure(
        api,
        api.regional("vpnTunnels"),
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="VPN tunnel",
        replace=bool(p.get("replace")),
        write_only={"sharedSecret": p.get("shared_secret")},
    )


def _regional_link(api: Api, value: str, collection: str) -> str:
    if "/" in value:
        return relative_link(value)
    return api.link(api.regional(f"{collection}/{value}"))
