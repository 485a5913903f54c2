# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""VPC firewall rules (firewalls).

Transport, comparison and the plan/apply step are in :mod:`_gcp`."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    Api,
    Outcome,
    check_name,
    compact,
    ensure,
    network_link,
    owned_description,
)

# Firewall rule --------------------------------------------------------------------------


def firewall_rule(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        for option in ("network", "source_ranges"):
            if not p.get(option):
                raise ValueError(f"{option} is required with state present")
        families: dict[int, str] = {}
        for position, cidr in enumerate(p["source_ranges"]):
            try:
                families.setdefault(ipaddress.ip_network(cidr).version, cidr)
            except ValueError:
                raise ValueError(
                    f"source_ranges[{position}] {cidr!r} is not a CIDR (e.g. 10.8.0.0/14)"
                ) from None
        if len(families) > 1:
            # A VPC firewall rule's source ranges are all IPv4 or all IPv6 (the API refuses
            # a mix with 400).
            raise ValueError(
                f"source_ranges mixes IPv4 ({families[4]}) and IPv6 ({families[6]}) ranges, "
                "which one firewall rule cannot hold: give the IPv4 ranges to one rule and the "
                f"IPv6 ranges to another (e.g. {p['name']}-in4 and {p['name']}-in6)"
            )
        allowed = []
        for position, rule in enumerate(p.get("allowed") or [{"protocol": "all"}]):
            if rule.get("ports") and rule["protocol"] not in ("tcp", "udp", "sctp"):
                raise ValueError(
                    f"allowed[{position}].ports applies to tcp, udp and sctp only, "
                    f"not {rule['protocol']}"
                )
            allowed.append(compact({"IPProtocol": rule["protocol"], "ports": rule.get("ports")}))
        priority = p.get("priority")
        if priority is not None and not 0 <= priority <= 65535:
            raise ValueError(f"priority {priority} is out of range: use 0-65535")
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "direction": "INGRESS",
                "sourceRanges": p["source_ranges"],
                "allowed": allowed,
                "priority": priority,
                "targetTags": p.get("target_tags"),
            }
        )
    return ensure(
        api,
        "global/firewalls",
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="firewall rule",
        mutable=("description", "sourceRanges", "allowed", "priority", "targetTags"),
    )
