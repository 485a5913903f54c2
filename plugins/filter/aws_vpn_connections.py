# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_vpn_connections
short_description: An AWS cluster's VPN connections, from the link plan
version_added: 0.6.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the AWS cluster O(cluster) of the link plan O(_input), every VPN connection of its VPN
    links (to GCP HA VPN gateways and to on-prem gateways), in plan order (link, then
    connection V(a), V(b)), as the entries of
    O(crosscluster.link.aws_vpn_connection#module:connections) (C(name),
    C(customer_gateway_name), C(tags), C(tunnel_options)), one module call for them all.
  - Each connection's C(tunnel_options) are O(options) for both tunnels, with the tunnel's
    planned C(inside_cidr) and its C(pre_shared_key) derived from O(secret) and the plan tunnel
    id (P(crosscluster.link.tunnel_psk#filter)); use the filter in a task with C(no_log).
options:
  _input:
    description: The link plan (M(crosscluster.link.link_plan)).
    type: dict
    required: true
  cluster:
    description: The AWS cluster whose connections are wanted.
    type: string
    required: true
  options:
    description: The options every tunnel gets (C(aws_vpn_tunnel_options)).
    type: dict
  secret:
    description: The link secret the keys are derived from; none to leave the tunnel options
      out (removal).
    type: string
"""

EXAMPLES = r"""
- name: Every VPN connection of aws-a's links, created together, waited for once
  crosscluster.link.aws_vpn_connection:
    region: eu-west-1
    vpn_gateway_id: vgw-0123456789abcdef0
    connections: "{{ plan | crosscluster.link.aws_vpn_connections('aws-a', aws_vpn_tunnel_options, link_psk_secret) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The connections, in plan order.
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.aws_vpn_tunnel_options import (
    aws_vpn_link_facts,
)
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils import _link_wiring
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
        return [
            {
                "name": g["name"],
                "ip_address": g["ip_address"],
                "bgp_asn": g["bgp_asn"],
                "device_name": g.get("device_name") or None,
            }
            for g in found
            if g.get("name") in names and g.get("managed", True)
        ]
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
