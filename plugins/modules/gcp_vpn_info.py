#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_vpn_info
short_description: Report HA VPN tunnel and BGP session status
version_added: 0.1.0
description:
  - Returns the status and detailed status of the VPN tunnels in a region, and for every BGP
    peer of the routers they use (or of O(routers)) its session status, uptime and the routes
    learned from it (C(routers.getRouterStatus)).
options:
  tunnel_prefix:
    description: Only tunnels whose name starts with this prefix.
    type: str
  routers:
    description:
      - Routers whose BGP peers to report; by default the routers of the listed tunnels.
      - An empty list reports no BGP peer (tunnels and peerings only).
    type: list
    elements: str
  network:
    description:
      - Also report the VPC Network Peerings of this network (by name) whose name starts with
        O(tunnel_prefix), in RV(peerings), with the routes each imports in O(region).
    type: str
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: Wait until all four BGP sessions are up
  crosscluster.link.gcp_vpn_info:
    project: my-project
    region: europe-west1
    tunnel_prefix: xcl-aws-
  register: vpn
  until: vpn.bgp_peers | selectattr('status', 'equalto', 'UP') | list | length == 4
  retries: 30
  delay: 10
"""

RETURN = r"""
tunnels:
  description: One entry per tunnel; an empty list when none match.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Tunnel name.
      type: str
      returned: always
    status:
      description: Tunnel status, e.g. C(ESTABLISHED), C(NO_INCOMING_PACKETS).
      type: str
      returned: always
    detailed_status:
      description: Human-readable detail of the status.
      type: str
      returned: always
    router:
      description: Name of the tunnel's router.
      type: str
      returned: always
bgp_peers:
  description: One entry per BGP peer of the reported routers; an empty list when there are none.
  returned: always
  type: list
  elements: dict
  contains:
    router:
      description: Router name.
      type: str
      returned: always
    name:
      description: BGP peer name.
      type: str
      returned: always
    status:
      description: C(UP), C(DOWN) or C(UNKNOWN).
      type: str
      returned: always
    state:
      description: BGP state, e.g. C(Established), C(Idle).
      type: str
      returned: always
    uptime:
      description: Session uptime as the API formats it.
      type: str
      returned: always
    uptime_seconds:
      description: Session uptime in seconds.
      type: str
      returned: always
    num_learned_routes:
      description: Number of routes learned from the peer.
      type: int
      returned: always
    learned_routes:
      description: Destination ranges of the best routes whose next hop is the peer.
      type: list
      elements: str
      returned: always
    advertised_routes:
      description: Destination ranges the router advertises to the peer (C(advertisedRoutes)).
      type: list
      elements: str
      returned: always
      version_added: 0.2.0
peerings:
  description: With O(network), its peerings whose name starts with O(tunnel_prefix).
  returned: when O(network) is set
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    name:
      description: Peering name.
      type: str
      returned: always
    network:
      description: URL of the peer network.
      type: str
      returned: always
    state:
      description: C(ACTIVE) once the peer network peers back, else C(INACTIVE).
      type: str
      returned: always
    state_details:
      description: Why the peering is in its state.
      type: str
      returned: always
    incoming_routes:
      description:
        - Destination ranges the peering imports in O(region) (C(networks.listPeeringRoutes),
          direction C(INCOMING)) - the peer's subnet ranges, secondary ranges included.
        - Empty while the peering is not C(ACTIVE).
      type: list
      elements: str
      returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_info import vpn_info

ARGSPEC = {
    "tunnel_prefix": {"type": "str"},
    "network": {"type": "str"},
    "routers": {"type": "list", "elements": "str"},
}


def main() -> None:
    module = AnsibleModule(argument_spec={**GCP_ARGSPEC, **ARGSPEC}, supports_check_mode=True)
    run(module, vpn_info)


if __name__ == "__main__":
    main()
