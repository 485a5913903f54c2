#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpc_routes
short_description: Route given CIDRs of a VPC to a VGW, TGW or VPC peering, or propagate VGW routes
version_added: 0.1.0
description:
  - Adds static routes for O(cidrs) to a virtual private gateway, a transit gateway or a VPC
    peering connection in the chosen route tables (default every route table of the VPC), and turns VGW route
    propagation on or off.
  - Touches only the routes of O(cidrs). Other routes of the tables are never changed, unlike
    C(amazon.aws.ec2_vpc_route_table), which purges routes by default.
  - A route for one of O(cidrs) to another target is a conflict. The module then fails, naming
    the table, the CIDR and the other target, and changes nothing.
  - O(state=absent) deletes only routes for O(cidrs) that point at the given gateway, and
    with O(propagation=true) turns the VGW propagation off.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  vpc_id:
    description: ID of the VPC.
    type: str
    required: true
  cidrs:
    description:
      - Destination CIDRs (IPv4 or IPv6 network addresses) to route to the gateway.
    type: list
    elements: str
    default: []
  vpn_gateway_id:
    description:
      - Virtual private gateway to route to. Give exactly one of O(vpn_gateway_id),
        O(transit_gateway_id) and O(vpc_peering_connection_id).
    type: str
  transit_gateway_id:
    description:
      - Transit gateway to route to (a TGW does not propagate into VPC route tables).
    type: str
  vpc_peering_connection_id:
    description:
      - VPC peering connection to route to (M(crosscluster.link.aws_vpc_peering)); it does not
        propagate into route tables either.
    type: str
    version_added: 0.3.0
  route_table_ids:
    description:
      - Route tables to manage. Default every route table of the VPC.
    type: list
    elements: str
  propagation:
    description:
      - Turn route propagation from O(vpn_gateway_id) on (V(true)) or off (V(false)) in the
        route tables. If not set, propagation is left alone. Only with O(vpn_gateway_id).
    type: bool
  state:
    description:
      - Whether the routes (and propagation) should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: Propagate the VGW's BGP routes into every route table of the VPC
  crosscluster.link.aws_vpc_routes:
    vpc_id: vpc-0123456789abcdef0
    vpn_gateway_id: vgw-0123456789abcdef0
    propagation: true

- name: Static routes to the remote pod and service ranges through a transit gateway
  crosscluster.link.aws_vpc_routes:
    vpc_id: vpc-0123456789abcdef0
    transit_gateway_id: tgw-0123456789abcdef0
    cidrs: [10.64.0.0/14, 10.68.0.0/20]

- name: Remove them again (only routes pointing at this TGW)
  crosscluster.link.aws_vpc_routes:
    vpc_id: vpc-0123456789abcdef0
    transit_gateway_id: tgw-0123456789abcdef0
    cidrs: [10.64.0.0/14, 10.68.0.0/20]
    state: absent
"""

RETURN = r"""
route_tables:
  description: The managed route tables after the change (only the routes of O(cidrs)).
  returned: always
  type: list
  elements: dict
  contains:
    route_table_id:
      description: Route table ID.
      type: str
    routes:
      description: Route target per managed CIDR.
      type: dict
      sample: {"10.64.0.0/14": "vgw-0123456789abcdef0"}
    propagation:
      description: Whether the VGW propagates into the table (with O(vpn_gateway_id) only).
      type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_routes import (
    ensure,
    validate,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "vpc_id": {"type": "str", "required": True},
            "cidrs": {"type": "list", "elements": "str", "default": []},
            "vpn_gateway_id": {"type": "str"},
            "transit_gateway_id": {"type": "str"},
            "vpc_peering_connection_id": {"type": "str"},
            "route_table_ids": {"type": "list", "elements": "str"},
            "propagation": {"type": "bool"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, ensure, validate)


if __name__ == "__main__":
    main()
