# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gcp_vpn_ha_tunnels
short_description: A GCP cluster's tunnels of its gcp <-> gcp HA VPN links
version_added: 0.5.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the GCP cluster O(cluster) of the link plan O(_input), its side of every C(gcp_ha_vpn)
    link (two HA VPN gateways connected to each other), one entry per tunnel in plan order -
    the plan's side tunnel (C(id), C(index), C(inside_cidr), C(gcp_vpn_interface),
    C(gcp_inside_address), C(peer_inside_address), C(gcp_asn), C(peer_asn), C(gcp_tunnel),
    C(gcp_bgp_peer), C(gcp_interface), C(peer_gcp_tunnel)) with its C(link), the C(remote)
    cluster (C(remote_project), C(remote_region)) and the C(peer_gcp_gateway) (a
    C(projects/...) link) it connects to.
  - Both ends of a tunnel derive their pre-shared key from the same C(id).
extends_documentation_fragment:
  - crosscluster.link._plan_filter
  - crosscluster.link._plan_filter.GCP_TUNNELS
"""

EXAMPLES = r"""
- name: The HA VPN tunnels of gke-a to other GCP clusters
  ansible.builtin.debug:
    msg: "{{ plan | crosscluster.link.gcp_vpn_ha_tunnels('gke-a') }}"
"""

RETURN = r"""
_value:
  description: The tunnels, in plan order (link, then tunnel index).
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import (
    gcp_ha_vpn_tunnels,
)
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def gcp_vpn_ha_tunnels(plan: Mapping[str, Any], cluster: str) -> list[dict[str, Any]]:
    check_plan("gcp_vpn_ha_tunnels", plan, cluster)
    return gcp_ha_vpn_tunnels(dict(plan), cluster)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gcp_vpn_ha_tunnels": gcp_vpn_ha_tunnels}
