# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gcp_vpn_tunnels
short_description: A GCP cluster's VPN tunnels, from the link plan
version_added: 0.6.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the GCP cluster O(cluster) of the link plan O(_input), every VPN tunnel of its VPN
    links (to AWS and on-prem gateways through each link's external VPN gateway, to other GCP
    clusters' HA VPN gateways), in plan order, as the entries of
    O(crosscluster.link.gcp_vpn_tunnel#module:tunnels) (C(name), C(vpn_gateway_interface),
    C(peer_external_gateway) and C(peer_external_gateway_interface) or C(peer_gcp_gateway),
    C(description)), one module call for them all.
  - With O(secret), each entry's C(shared_secret) is derived from it and the plan tunnel id
    (M(crosscluster.link.tunnel_psk)); use the filter in a task with C(no_log).
options:
  secret:
    description: The link secret (C(link_psk_secret)); none to leave the keys out (removal).
    type: string
  skip_links:
    description: Ids of links whose tunnels are left out (check mode, before their external
      gateway exists).
    type: list
    elements: string
extends_documentation_fragment:
  - crosscluster.link._plan_filter
  - crosscluster.link._plan_filter.GCP_TUNNELS
"""

EXAMPLES = r"""
- name: Every tunnel of gke-a's links, started together, waited for once
  crosscluster.link.gcp_vpn_tunnel:
    project: my-project
    region: europe-west1
    vpn_gateway: xcl-gke-a-gw
    router: xcl-gke-a-router
    tunnels: "{{ plan | crosscluster.link.gcp_vpn_tunnels('gke-a', link_psk_secret) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The tunnels, in plan order (link, then tunnel index).
  type: list
  elements: dict
"""

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import gcp_tunnels
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def gcp_vpn_tunnels(
    plan: Mapping[str, Any],
    cluster: str,
    secret: str | None = None,
    skip_links: Iterable[str] = (),
) -> list[dict[str, Any]]:
    check_plan("gcp_vpn_tunnels", plan, cluster)
    skipped = set(skip_links or ())
    return [
        {
            **{k: v for k, v in t.items() if k not in ("id", "link")},
            **({"shared_secret": tunnel_psk(secret, t["id"])} if secret is not None else {}),
        }
        for t in gcp_tunnels(dict(plan), cluster)
        if t["link"] not in skipped
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gcp_vpn_tunnels": gcp_vpn_tunnels}
