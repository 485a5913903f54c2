# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""HA VPN gateways and external VPN gateways (vpnGateways, externalVpnGateways).

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    REDUNDANCY_INTERFACES,
    Api,
    Outcome,
    check_name,
    compact,
    ensure,
    network_link,
    owned_description,
)

# HA VPN gateway -------------------------------------------------------------------


def ha_vpn_gateway(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        if not p.get("network"):
            raise ValueError("network is required with state present")
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "stackType": p.get("stack_type"),
            }
        )
    outcome = ensure(
        api,
        api.regional("vpnGateways"),
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="HA VPN gateway",
    )
    outcome.values["interface_ips"] = interface_ips(outcome.after)
    return outcome


def interface_ips(gateway: dict[str, Any] | None) -> list[str]:
    if not gateway:
        return []
    return [i.get("ipAddress", "") for i in gateway.get("vpnInterfaces", [])]


# External VPN gateway ---------------------------------------------------------------


def external_interfaces(redundancy: str, interfaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    count = REDUNDANCY_INTERFACES[redundancy]
    if len(interfaces) != count:
        raise ValueError(
            f"interfaces has {len(interfaces)} entries but redundancy_type {redundancy} "
            f"needs exactly {count}"
        )
    result = []
    for position, item in enumerate(interfaces):
        index = position if item.get("id") is None else item["id"]
        if not 0 <= index < count:
            raise ValueError(
                f"interfaces[{position}].id {index} is out of range for redundancy_type "
                f"{redundancy}: use 0-{count - 1}"
            )
        try:
            ipaddress.IPv4Address(item["ip_address"])
        except ValueError:
            raise ValueError(
                f"interfaces[{position}].ip_address {item['ip_address']!r} is not an IPv4 address"
            ) from None
        result.append({"id": index, "ipAddress": item["ip_address"]})
    if len({i["id"] for i in result}) != len(result):
        raise ValueError("interfaces ids must be unique")
    return sorted(result, key=lambda i: i["id"])


def external_vpn_gateway(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        if not p.get("interfaces"):
            raise ValueError("interfaces is required with state present")
        desired = {
            "description": owned_description(p.get("description")),
            "redundancyType": p["redundancy_type"],
            "interfaces": external_interfaces(p["redundancy_type"], p["interfaces"]),
        }
    return ensure(
        api,
        "global/externalVpnGateways",
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="external VPN gateway",
    )
