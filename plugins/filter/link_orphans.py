# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: link_orphans
short_description: What the collection created on one cluster's side for links no longer in the plan
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Takes what the read-only modules found on one cluster's side and returns the orphans - the
    objects carrying the collection's mark, attached to the cluster's own VPC, network or Cloud
    Router, whose link id names the cluster as an end and is not a link of the plan O(plan) (a
    link of a cluster dropped from the inventory, or a pair no longer listed).
  - Objects of other inventories in the same account or project are never orphans of this
    one (their link ids do not name this cluster, or they are on another VPC or network).
options:
  _input:
    description:
      - What was found. AWS - C(vpn_connections), C(customer_gateways), C(vpc_peering_connections)
        (with routes), C(tgw_peering_attachments) (M(crosscluster.link.aws_tgw_peering_info) of the
        cluster's Transit Gateway, with routes) and C(security_groups). GCP - C(tunnels), C(routers), C(external_vpn_gateways),
        C(firewall_rules) and C(peerings).
    type: dict
    required: true
  cluster:
    description: The cluster whose side was read.
    type: str
    required: true
  provider:
    description: The cluster's provider.
    type: str
    required: true
    choices: [aws, gcp]
extends_documentation_fragment:
  - crosscluster.link._plan_filter.PLAN
"""

EXAMPLES = r"""
- name: The orphans of aws-euw1
  ansible.builtin.set_fact:
    orphans: "{{ found | crosscluster.link.link_orphans(link_plan, 'aws-euw1', 'aws') }}"
"""

RETURN = r"""
_value:
  description:
    - C(links), the orphan link ids, sorted; then per kind of object a list of the orphans, each
      with its C(name) and, unless said otherwise, its C(link).
    - AWS - C(vpn_connections) and C(customer_gateways), entries of
      O(crosscluster.link.aws_vpn_connection#module:connections) (C(name)) and
      O(crosscluster.link.aws_customer_gateway#module:gateways) (C(name), C(ip_address),
      C(bgp_asn), C(device_name)) as they are, without C(link), so that each kind is removed in
      one call; C(vpn_tgw_route_cidrs), on a cluster behind a Transit Gateway, the ranges the
      orphan VPN connections' links routed to it in the VPC's tables (recorded in the
      connections' C(crosscluster.link/remote-cidrs) tag), never a range of a cluster of the
      plan; C(vpc_peerings) (with the connection id, both VPCs,
      C(requester), its C(status), C(live) - false when deleting, deleted, or failed, rejected
      or expired, which EC2 refuses to delete - and the C(route_cidrs) routed to it), C(tgw_peerings) (with the
      attachment id, both Transit Gateways, C(requester), C(live), C(delete) - whether this end
      deletes it -, the C(route_cidrs) the TGW routes to it and the C(vpc_route_cidrs) the VPC
      routes to the TGW for them, never a range of a cluster of the plan),
      C(security_group_rules).
    - GCP - C(bgp_peers) and C(vpn_tunnels), entries of
      O(crosscluster.link.gcp_router_peer#module:peers) (C(name), C(interface_name)) and
      O(crosscluster.link.gcp_vpn_tunnel#module:tunnels) (C(name)), without C(link);
      C(external_vpn_gateways), C(firewall_rules), C(peerings).
  type: dict
"""

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils._prune import (
    aws_orphans,
    gcp_orphans,
)
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan

PROVIDERS = {"aws": aws_orphans, "gcp": gcp_orphans}


def link_orphans(found: Any, plan: Any, cluster: str, provider: str) -> dict[str, Any]:
    if provider not in PROVIDERS:
        raise AnsibleFilterError(f"link_orphans: provider must be aws or gcp, not {provider!r}")
    check_plan("link_orphans", plan, cluster)
    return PROVIDERS[provider](plan, cluster, found if isinstance(found, dict) else {})


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"link_orphans": link_orphans}
