# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gcp_vpn_router_peers
short_description: A GCP cluster's Cloud Router interfaces and BGP peers, from the link plan
version_added: 0.6.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the GCP cluster O(cluster) of the link plan O(_input), every router interface and BGP
    peer of its VPN links (to AWS, to on-prem gateways and to other GCP clusters' HA VPN
    gateways), in plan order, each with the options of M(crosscluster.link.gcp_router_peer)
    (C(name), C(interface_name), C(ip_range), C(peer_ip_address), C(peer_asn),
    C(linked_vpn_tunnel)), the module's O(crosscluster.link.gcp_router_peer#module:peers), one
    router update for them all.
  - The peer's address and ASN are the other side's in the plan.
options:
  cluster:
    description: The GCP cluster whose router peers are wanted.
    type: string
    required: true
extends_documentation_fragment:
  - crosscluster.link._plan_filter
"""

EXAMPLES = r"""
- name: Every BGP peer of gke-a's links, one router update
  crosscluster.link.gcp_router_peer:
    router: xcl-gke-a-router
    project: my-project
    region: europe-west1
    peers: "{{ plan | crosscluster.link.gcp_vpn_router_peers('gke-a') }}"
"""

RETURN = r"""
_value:
  description: The interfaces and BGP peers, in plan order (link, then tunnel index).
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import (
    gcp_router_peers,
)
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def gcp_vpn_router_peers(plan: Mapping[str, Any], cluster: str) -> list[dict[str, Any]]:
    check_plan("gcp_vpn_router_peers", plan, cluster)
    return gcp_router_peers(dict(plan), cluster)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gcp_vpn_router_peers": gcp_vpn_router_peers}
