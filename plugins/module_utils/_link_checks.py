# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify report's checks of one cluster's end of its links: the plan says what must be
there, each side's status (the ``_info`` modules' results) what is. Pure functions.

A check is ``{link, cluster, name, expected, actual, ok, summary}``. Names of the cloud
resources come from the roles' naming (connection ``<link id>-a/-b``, GCP tunnel and BGP
peer ``xcl-<tunnel id>``), as the plan gives them.
"""

from __future__ import annotations

from typing import Any

Check = dict[str, Any]
GONE_STATES = ("deleting", "deleted")


def check(link: str, cluster: str, name: str, expected: str, actual: str) -> Check:
    return {
        "link": link,
        "cluster": cluster,
        "name": name,
        "expected": expected,
        "actual": actual,
        "ok": actual == expected,
        "summary": f"{name}: expected {expected}, got {actual}",
    }


def _links(plan: dict[str, Any], cluster: str, side: str) -> list[dict[str, Any]]:
    return [link for link in plan.get("links", []) if link.get(f"{side}_cluster") == cluster]


def aws_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Both VPN connections of each link available; each planned tunnel present with its
    planned inside CIDR, inside addresses and AWS ASN, and UP in the telemetry."""
    connections = status.get("vpn_connections") or []
    checks = []
    for link in _links(plan, cluster, "aws"):
        for letter in ("a", "b"):
            name = f"{link['id']}-{letter}"
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
                    f"{tunnel['gcp_inside_address']} AS {tunnel['aws_asn']}"
                )
                actual = (
                    f"{r.get('status', 'missing')} {r.get('inside_cidr', '-')} "
                    f"{r.get('aws_inside_address', '-')}/{r.get('customer_inside_address', '-')} "
                    f"AS {r.get('aws_asn', '-')}"
                )
                label = f"AWS tunnel {tunnel['id']} ({name} tunnel {tunnel['aws_tunnel']})"
                checks.append(check(link["id"], cluster, label, expected, actual))
    return checks


def gcp_checks(plan: dict[str, Any], cluster: str, status: dict[str, Any]) -> list[Check]:
    """Each planned tunnel ESTABLISHED and its BGP peer UP."""
    tunnels = {t.get("name"): t for t in status.get("tunnels") or []}
    peers = {p.get("name"): p for p in status.get("bgp_peers") or []}
    checks = []
    for link in _links(plan, cluster, "gcp"):
        for tunnel in link["tunnels"]:
            name = f"xcl-{tunnel['id']}"
            state = tunnels.get(name, {}).get("status", "missing")
            label = f"GCP tunnel {name} (interface {tunnel['gcp_vpn_interface']})"
            checks.append(check(link["id"], cluster, label, "ESTABLISHED", state))
            peer = peers.get(name, {}).get("status", "missing")
            label = (
                f"GCP BGP peer {name} ({tunnel['gcp_inside_address']} AS {tunnel['gcp_asn']}"
                f" -> {tunnel['aws_inside_address']} AS {tunnel['aws_asn']})"
            )
            checks.append(check(link["id"], cluster, label, "UP", peer))
    return checks
