# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_tunnel_options import (
    aws_vpn_link_facts,
)
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_cgw, _link_wiring
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def aws_vpn_connections(
    plan: Mapping[str, Any],
    cluster: str,
    options: Mapping[str, Any] | None = None,
    secret: str | None = None,
) -> list[dict[str, Any]]:
    check_plan("aws_vpn_connections", plan, cluster)
    if secret is None:
        return [
            {k: v for k, v in c.items() if k not in ("link", "tunnels")}
            for c in _link_wiring.aws_vpn_connections(dict(plan), cluster)
        ]
    return [
        {
            **{k: v for k, v in c.items() if k not in ("link", "tunnels")},
            "tunnel_options": [
                {
                    **(options or {}),
                    "inside_cidr": t["inside_cidr"],
                    "pre_shared_key": tunnel_psk(secret, t["id"]),
                }
                for t in c["tunnels"]
            ],
        }
        for c in _link_wiring.aws_vpn_connections(dict(plan), cluster)
    ]


def aws_customer_gateways(
    plan: Mapping[str, Any],
    cluster: str,
    peer_gateways: Mapping[str, Any] | None = None,
    found: list[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    check_plan("aws_customer_gateways", plan, cluster)
    if found is not None:
        names = {
            c["customer_gateway"]
            for link in _link_wiring.aws_vpn_links(dict(plan), cluster)
            for c in link["aws_connections"]
        }
        return _aws_cgw.absent_entries(
            [g for g in found if g.get("name") in names and g.get("managed", True)]
        )
    try:
        return _link_wiring.aws_customer_gateways(dict(plan), cluster, peer_gateways or {})
    except ValueError as error:
        raise AnsibleFilterError(f"aws_customer_gateways: {error}") from None


def _link_connections(
    plan: Mapping[str, Any], cluster: str
) -> list[tuple[dict[str, Any], list[str]]]:
    links = _link_wiring.aws_vpn_links(dict(plan), cluster)
    return [(link, [c["name"] for c in link["aws_connections"]]) for link in links]


def aws_vpn_links_facts(
    plan: Mapping[str, Any], cluster: str, connections: Mapping[str, Any] | None
) -> dict[str, Any]:
    check_plan("aws_vpn_links_facts", plan, cluster)
    asn = plan["clusters"][cluster]["asn"]
    facts = {}
    for link, names in _link_connections(plan, cluster):
        reported = {
            t.get("inside_cidr"): t.get("outside_ip")
            for name in names
            for t in ((connections or {}).get(name) or {}).get("tunnels") or []
        }
        facts[link["id"]] = aws_vpn_link_facts(link, reported, asn)
    return facts


def aws_vpn_link_problems(
    plan: Mapping[str, Any],
    cluster: str,
    connections: Mapping[str, Any] | None,
    links: Mapping[str, Any] | None,
) -> list[str]:
    check_plan("aws_vpn_link_problems", plan, cluster)
    return _link_wiring.aws_link_problems(dict(plan), cluster, connections or {}, links or {})


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "aws_vpn_connections": aws_vpn_connections,
            "aws_customer_gateways": aws_customer_gateways,
            "aws_vpn_links_facts": aws_vpn_links_facts,
            "aws_vpn_link_problems": aws_vpn_link_problems,
        }
