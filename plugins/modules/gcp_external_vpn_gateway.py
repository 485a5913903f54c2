#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_external_vpn_gateway
short_description: Manage an external (peer) VPN gateway for Cloud HA VPN
version_added: 0.1.0
description:
  - Creates or deletes a global Compute Engine external VPN gateway describing the peer side
    of HA VPN tunnels, for example the four outside IPs of two AWS Site-to-Site VPN connections.
  - External VPN gateways cannot be updated in place; different interfaces or redundancy type
    are reported as an error instead of recreating the gateway (tunnels use it).
  - An existing gateway whose description does not contain C(crosscluster.link) is not modified
    or deleted.
options:
  name:
    description: Name of the external gateway.
    type: str
    required: true
  state:
    description: Whether the gateway should exist.
    type: str
    choices: [present, absent]
    default: present
  redundancy_type:
    description:
      - V(FOUR_IPS_REDUNDANCY) (AWS, two connections of two tunnels) needs four interfaces,
        V(TWO_IPS_REDUNDANCY) two, V(SINGLE_IP_INTERNALLY_REDUNDANT) one.
    type: str
    choices: [FOUR_IPS_REDUNDANCY, TWO_IPS_REDUNDANCY, SINGLE_IP_INTERNALLY_REDUNDANT]
    default: FOUR_IPS_REDUNDANCY
  interfaces:
    description:
      - The peer interfaces. Their number must match O(redundancy_type). Required with
        O(state=present).
      - For AWS, in this order - connection A tunnel 1, A tunnel 2, B tunnel 1, B tunnel 2.
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Interface index, 0 to the interface count minus one; defaults to the position in the
            list.
        type: int
      ip_address:
        description: Public IPv4 address of the peer interface.
        type: str
        required: true
  description:
    description: Description; the C(crosscluster.link) ownership marker is added when missing.
    type: str
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: External gateway with the four AWS tunnel outside IPs
  crosscluster.link.gcp_external_vpn_gateway:
    name: xcl-aws-peer
    project: my-project
    redundancy_type: FOUR_IPS_REDUNDANCY
    interfaces:
      - ip_address: 3.120.1.10
      - ip_address: 3.120.1.11
      - ip_address: 18.192.1.12
      - ip_address: 18.192.1.13
"""

RETURN = r"""
external_vpn_gateway:
  description: The external gateway as the API returns it (snake_case keys); empty when absent.
  returned: always
  type: dict
  sample: {"name": "xcl-aws-peer", "redundancy_type": "FOUR_IPS_REDUNDANCY"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    REDUNDANCY_INTERFACES,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_vpn_gateway import (
    external_vpn_gateway,
)

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "redundancy_type": {
        "type": "str",
        "choices": list(REDUNDANCY_INTERFACES),
        "default": "FOUR_IPS_REDUNDANCY",
    },
    "interfaces": {
        "type": "list",
        "elements": "dict",
        "options": {
            "id": {"type": "int"},
            "ip_address": {"type": "str", "required": True},
        },
    },
    "description": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(argument_spec={**GCP_ARGSPEC, **ARGSPEC}, supports_check_mode=True)
    run(module, external_vpn_gateway, "external_vpn_gateway", need_region=False)


if __name__ == "__main__":
    main()
