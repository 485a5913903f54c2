# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gcp_vpn_firewall_rules
short_description: The ingress firewall rules a GCP cluster's network needs for its links
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the GCP cluster O(cluster) of the link plan O(_input), one rule per link (HA VPN or VPC
    Network Peering) and address family - a VPC firewall rule holds IPv4 or IPv6 source
    ranges, not both - with the plan's name for it and the remote cluster's node, pod and
    service ranges of that family as its source ranges.
  - A rule without source ranges (the remote cluster has none of that family) is one to
    remove.
options:
  cluster:
    description: The GCP cluster whose rules are wanted.
    type: string
    required: true
extends_documentation_fragment:
  - crosscluster.link._plan_filter
"""

EXAMPLES = r"""
- name: The firewall rules of gcp-euw1
  ansible.builtin.debug:
    msg: "{{ plan | crosscluster.link.gcp_vpn_firewall_rules('gcp-euw1') }}"
"""

RETURN = r"""
_value:
  description: The rules, each C(name), C(link), C(remote) and C(source_ranges), in plan order.
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import (
    gcp_firewall_rules,
)
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def gcp_vpn_firewall_rules(plan: Mapping[str, Any], cluster: str) -> list[dict[str, Any]]:
    check_plan("gcp_vpn_firewall_rules", plan, cluster)
    return gcp_firewall_rules(dict(plan), cluster)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gcp_vpn_firewall_rules": gcp_vpn_firewall_rules}
