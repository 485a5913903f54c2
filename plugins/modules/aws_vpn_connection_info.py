#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpn_connection_info
short_description: List AWS Site-to-Site VPN connections with per-tunnel details
version_added: 0.1.0
description:
  - Lists live (pending, available or modifying) VPN connections, optionally filtered, with per
    tunnel the outside IP, inside addresses, AWS-side ASN and telemetry status.
  - Pre-shared keys are never returned.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  vpn_connection_ids:
    description: Only these connection IDs.
    type: list
    elements: str
  name:
    description: Only the connection with this C(crosscluster.link/name) tag.
    type: str
  customer_gateway_id:
    description: Only connections to this customer gateway.
    type: str
  vpn_gateway_id:
    description: Only connections on this virtual private gateway.
    type: str
  transit_gateway_id:
    description: Only connections on this transit gateway.
    type: str
  managed_only:
    description: Only connections tagged as managed by this collection.
    type: bool
    default: false
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: Tunnel status of a link's connection
  crosscluster.link.aws_vpn_connection_info:
    name: link-aws-gcp-a
  register: vpn

- name: Fail unless both tunnels are up
  ansible.builtin.assert:
    that: vpn.vpn_connections[0].tunnels | selectattr('status', '==', 'UP') | length == 2
"""

RETURN = r"""
vpn_connections:
  description: Matching connections (empty list when none match), sorted by ID.
  returned: always
  type: list
  elements: dict
  contains:
    vpn_connection_id:
      description: ID of the connection.
      type: str
    state:
      description: State.
      type: str
    type:
      description: VPN type.
      type: str
    customer_gateway_id:
      description: Customer gateway ID.
      type: str
    vpn_gateway_id:
      description: VGW ID or null.
      type: str
    transit_gateway_id:
      description: TGW ID or null.
      type: str
    static_routes_only:
      description: Whether routing is static.
      type: bool
    name:
      description: Name tag.
      type: str
    managed:
      description: Whether it carries the ownership tag.
      type: bool
    tags:
      description: Tags.
      type: dict
    routes:
      description: Static routes of the connection.
      type: list
      elements: dict
    tunnels:
      description:
        - Per tunnel C(outside_ip), C(inside_cidr), C(aws_inside_address),
          C(customer_inside_address), C(aws_asn), C(status), C(status_message),
          C(accepted_route_count) and C(options) (pre-shared key masked).
        - Ordered by outside IP (AWS reports tunnels in no documented order).
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpn import info


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "vpn_connection_ids": {"type": "list", "elements": "str"},
            "name": {"type": "str"},
            "customer_gateway_id": {"type": "str"},
            "vpn_gateway_id": {"type": "str"},
            "transit_gateway_id": {"type": "str"},
            "managed_only": {"type": "bool", "default": False},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, info)


if __name__ == "__main__":
    main()
