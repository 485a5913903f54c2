#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_router_peer
short_description: Manage one Cloud Router interface and its BGP peer
version_added: 0.1.0
description:
  - Adds, updates or removes one interface (an IP range on a VPN tunnel) and the BGP peer on
    it, on an existing Cloud Router.
  - The router is patched with its full interface and peer lists (PATCH replaces lists), in
    which every other interface and peer is sent back unchanged; only the entries named by
    O(interface_name) and O(name) are ever changed or removed.
options:
  name:
    description: Name of the BGP peer.
    type: str
    required: true
  router:
    description: Name of the Cloud Router.
    type: str
    required: true
  state:
    description: Whether the interface and the peer should exist.
    type: str
    choices: [present, absent]
    default: present
  interface_name:
    description: Name of the router interface; defaults to C(if-) followed by O(name).
    type: str
  ip_range:
    description:
      - The router's address and prefix on the tunnel, a /30 inside 169.254.0.0/16,
        e.g. V(169.254.10.2/30). Required with O(state=present).
    type: str
  linked_vpn_tunnel:
    description: Name or URL of the VPN tunnel the interface is on.
    type: str
  peer_ip_address:
    description:
      - The peer's address, the other host of the O(ip_range) /30. Required with O(state=present).
    type: str
  peer_asn:
    description:
      - The peer's ASN (for AWS, the VGW or Transit Gateway ASN). Required with O(state=present).
    type: int
  advertised_route_priority:
    description: Base priority (MED) of the routes advertised to this peer, 0-65535.
    type: int
  enable:
    description: Whether the BGP session is enabled.
    type: bool
    default: true
  bfd_mode:
    description: BFD session initialization mode; BFD is off by default.
    type: str
    choices: [DISABLED, ACTIVE, PASSIVE]
    default: DISABLED
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: BGP peer for AWS connection A tunnel 1
  crosscluster.link.gcp_router_peer:
    name: xcl-aws-a1
    router: xcl-router
    project: my-project
    region: europe-west1
    ip_range: 169.254.10.2/30
    peer_ip_address: 169.254.10.1
    peer_asn: 64512
    linked_vpn_tunnel: xcl-aws-a1
"""

RETURN = r"""
router_peer:
  description:
    - The managed interface and BGP peer as the router returns them (snake_case keys); empty when
      absent.
  returned: always
  type: dict
  contains:
    interface:
      description: The router interface.
      type: dict
      returned: when present
    bgp_peer:
      description: The BGP peer.
      type: dict
      returned: when present
  sample:
    interface: {"name": "if-xcl-aws-a1", "ip_range": "169.254.10.2/30"}
    bgp_peer: {"name": "xcl-aws-a1", "peer_asn": 64512}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_router import router_peer

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "router": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "interface_name": {"type": "str"},
    "ip_range": {"type": "str"},
    "linked_vpn_tunnel": {"type": "str"},
    "peer_ip_address": {"type": "str"},
    "peer_asn": {"type": "int"},
    "advertised_route_priority": {"type": "int"},
    "enable": {"type": "bool", "default": True},
    "bfd_mode": {
        "type": "str",
        "choices": ["DISABLED", "ACTIVE", "PASSIVE"],
        "default": "DISABLED",
    },
}


def main() -> None:
    module = AnsibleModule(argument_spec={**GCP_ARGSPEC, **ARGSPEC}, supports_check_mode=True)
    run(module, router_peer, "router_peer")


if __name__ == "__main__":
    main()
