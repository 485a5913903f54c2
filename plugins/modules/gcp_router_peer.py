#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_router_peer
short_description: Manage Cloud Router interfaces and their BGP peers
version_added: 0.1.0
description:
  - Adds, updates or removes one interface (an IP range on a VPN tunnel) and the BGP peer on
    it (O(name)), or every one of O(peers) in a single router update, on an existing Cloud
    Router.
  - The router is patched with its full interface and peer lists (PATCH replaces lists), in
    which every other interface and peer is sent back unchanged; only the entries named by
    O(interface_name) and O(name) (or by O(peers)) are ever changed or removed.
  - With O(peers), one read, one PATCH and one wait for them all (each PATCH of a router
    waits for the one before, as the router's fingerprint changes), instead of one per peer.
options:
  name:
    description:
      - Name of the BGP peer. Exactly one of O(name) and O(peers) is given.
    type: str
  peers:
    description:
      - Several interfaces and BGP peers, each with the options of the single one (O(name),
        O(interface_name), O(ip_range), ...), applied in one router update with O(state).
      - The diff and the return value are keyed by BGP peer name.
    type: list
    elements: dict
    version_added: 0.6.0
    suboptions:
      name:
        description: Name of the BGP peer.
        type: str
        required: true
      interface_name:
        description: Name of the router interface; defaults to C(if-) followed by the name.
        type: str
      ip_range:
        description: The router's address and prefix on the tunnel (see O(ip_range)).
        type: str
      linked_vpn_tunnel:
        description: Name or URL of the VPN tunnel the interface is on.
        type: str
      peer_ip_address:
        description: The peer's address, the other host of the ip_range /30.
        type: str
      peer_asn:
        description: The peer's ASN.
        type: int
      advertised_route_priority:
        description: Base priority (MED) of the routes advertised to this peer, 0-65535.
        type: int
      enable:
        description: Whether the BGP session is enabled.
        type: bool
        default: true
      bfd_mode:
        description: BFD session initialization mode.
        type: str
        choices: [DISABLED, ACTIVE, PASSIVE]
        default: DISABLED
  router:
    description: Name of the Cloud Router.
    type: str
    required: true
  state:
    description: Whether the interface and the peer (every one of O(peers)) should exist.
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

- name: Every BGP peer of a link, one router update
  crosscluster.link.gcp_router_peer:
    router: xcl-router
    project: my-project
    region: europe-west1
    peers:
      - name: xcl-aws-a1
        ip_range: 169.254.10.2/30
        peer_ip_address: 169.254.10.1
        peer_asn: 64512
        linked_vpn_tunnel: xcl-aws-a1
      - name: xcl-aws-a2
        ip_range: 169.254.11.2/30
        peer_ip_address: 169.254.11.1
        peer_asn: 64512
        linked_vpn_tunnel: xcl-aws-a2
"""

RETURN = r"""
router_peers:
  description:
    - With O(peers), each managed interface and BGP peer as the router returns them, by BGP peer
      name (each shaped as RV(router_peer)); absent ones are left out.
  returned: with O(peers)
  type: dict
  sample:
    xcl-aws-a1:
      interface: {"name": "if-xcl-aws-a1", "ip_range": "169.254.10.2/30"}
      bgp_peer: {"name": "xcl-aws-a1", "peer_asn": 64512}
router_peer:
  description:
    - The managed interface and BGP peer as the router returns them (snake_case keys); empty when
      absent.
  returned: with O(name)
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

PEER_OPTIONS = {
    "name": {"type": "str", "required": True},
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
ARGSPEC = {
    "name": {"type": "str"},
    "peers": {"type": "list", "elements": "dict", "options": PEER_OPTIONS},
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
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **ARGSPEC},
        mutually_exclusive=[("name", "peers")],
        required_one_of=[("name", "peers")],
        supports_check_mode=True,
    )
    run(module, router_peer, "router_peer" if module.params["peers"] is None else "router_peers")


if __name__ == "__main__":
    main()
