#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_customer_gateway_info
short_description: List AWS Site-to-Site VPN customer gateways
version_added: 0.1.0
description:
  - Lists live (pending or available) customer gateways, optionally filtered.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  customer_gateway_ids:
    description: Only these gateway IDs.
    type: list
    elements: str
  ip_address:
    description: Only gateways with this IP address.
    type: str
  bgp_asn:
    description: Only gateways with this BGP ASN.
    type: int
  name:
    description: Only gateways with this C(Name) tag.
    type: str
  managed_only:
    description: Only gateways tagged as managed by this collection.
    type: bool
    default: false
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: Customer gateways managed by this collection at a GCP HA VPN interface
  crosscluster.link.aws_customer_gateway_info:
    ip_address: 203.0.113.10
    managed_only: true
  register: found
"""

RETURN = r"""
customer_gateways:
  description: Matching gateways (empty list when none match), sorted by ID.
  returned: always
  type: list
  elements: dict
  contains:
    customer_gateway_id:
      description: ID of the gateway.
      type: str
    ip_address:
      description: Public IP address.
      type: str
    bgp_asn:
      description: BGP ASN.
      type: int
    device_name:
      description: Device name.
      type: str
    state:
      description: State.
      type: str
    type:
      description: VPN type.
      type: str
    name:
      description: Name tag.
      type: str
    managed:
      description: Whether it carries the ownership tag.
      type: bool
    tags:
      description: Tags.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_cgw import info


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "customer_gateway_ids": {"type": "list", "elements": "str"},
            "ip_address": {"type": "str"},
            "bgp_asn": {"type": "int"},
            "name": {"type": "str"},
            "managed_only": {"type": "bool", "default": False},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, info)


if __name__ == "__main__":
    main()
