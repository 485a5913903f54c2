# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import wiring
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan

DOCUMENTATION = r"""
name: link_wiring
short_description: What one cluster's roles take from the plan and from its linked peers
version_added: 0.2.0
description:
  - The cross-cloud hand-over of C(link_clusters), for one cluster. Returns a dictionary -
  - C(peer_gateways) - link id -> C({interface_ips}) of the GCP HA VPN gateway (fact
    C(gcp_vpn_gateway) of the GCP host), for the links where the cluster is the AWS side;
    links whose gateway has not both IPs yet are left out.
  - C(peer_tunnels) - link id -> the AWS side of the link (fact C(aws_vpn_links) of the AWS
    host), for the links where the cluster is the GCP side.
  - C(tunnels_ready) - whether every tunnel of every link of the cluster has its cloud ends'
    addresses (an AWS outside IP for each tunnel with an AWS end, the GCP HA VPN interface IPs
    for a gcp <-> onprem link).
  - C(onprem_peers) - link id -> C({tunnels -> [{id, outside_ip}]}), the cloud end's outside IP
    of every tunnel in plan order, for the links where the cluster is the on-prem side (the AWS
    tunnels' outside IPs from C(aws_vpn_links), or the HA VPN interface IP of each tunnel's
    C(gcp_vpn_interface) from C(gcp_vpn_gateway)); links whose cloud end lacks an IP are left out.
  - C(dns_remotes) - every linked cluster as a remote of the C(cluster_dns) role (name, zone,
    api_endpoint, kubeconfig, context).
options:
  cluster:
    description: The cluster, by its name in the plan.
    type: str
    required: true
extends_documentation_fragment:
  - crosscluster.link._plan_filter.HOSTVARS
  - crosscluster.link._plan_filter.PLAN
"""

EXAMPLES = r"""
- name: The GCP gateway IPs the AWS side of each link needs
  ansible.builtin.set_fact:
    aws_vpn_peer_gateways: "{{ (hostvars | crosscluster.link.link_wiring(link_plan, link_cluster)).peer_gateways }}"
"""

RETURN = r"""
_value:
  description: C(peer_gateways), C(peer_tunnels), C(tunnels_ready), C(onprem_peers) and C(dns_remotes).
  type: dict
"""


def link_wiring(hostvars: Mapping[str, Any], plan: dict[str, Any], cluster: str) -> dict[str, Any]:
    check_plan("link_wiring", plan, cluster)
    return wiring(plan, hostvars, cluster)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"link_wiring": link_wiring}
