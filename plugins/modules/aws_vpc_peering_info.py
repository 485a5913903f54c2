#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpc_peering_info
short_description: List the VPC peering connections of a VPC
version_added: 0.3.0
description:
  - Lists the VPC peering connections that have O(vpc_id) at either end (requester or
    accepter), in the module's region, optionally filtered.
  - Tags are Regional. An inter-Region connection is listed with the tags of the module's
    region's view, so O(name) and O(managed_only) match on the accepter's side only when that
    view is tagged there too (M(crosscluster.link.aws_vpc_peering) does it when it accepts).
author:
  - crosscluster.link contributors (@crosscluster)
options:
  vpc_id:
    description: The VPC whose connections are listed.
    type: str
    required: true
  peer_vpc_id:
    description: Only the connections between O(vpc_id) and this VPC.
    type: str
  name:
    description: Only connections with this C(Name) tag.
    type: str
  managed_only:
    description: Only connections tagged as managed by this collection.
    type: bool
    default: false
  states:
    description:
      - Only connections whose status code is one of these. The default lists the live ones.
      - A deleted connection stays visible for a while; add V(deleting) and V(deleted) to
        find the routes left to one.
    type: list
    elements: str
    default: [initiating-request, pending-acceptance, provisioning, active]
  include_ended:
    description:
      - Also the connections that ended, added to O(states) - V(rejected), V(failed),
        V(expired), V(deleting), V(deleted); routes to one may be left (a route to a connection
        that is not active is a blackhole).
    type: bool
    default: false
  include_routes:
    description:
      - Also read the route tables of O(vpc_id) and return, per connection, the routes they
        send to it (RV(vpc_peering_connections[].routes)), and every route table ID
        (RV(route_table_ids)).
    type: bool
    default: false
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: The connection of a link, created by crosscluster.link.aws_vpc_peering
  crosscluster.link.aws_vpc_peering_info:
    region: us-east-1
    vpc_id: vpc-0f1e2d3c4b5a69788
    name: eks-euw1--eks-use1
    managed_only: true
  register: found
"""

RETURN = r"""
vpc_peering_connections:
  description: Matching connections (empty list when none match), sorted by ID.
  returned: always
  type: list
  elements: dict
  contains:
    vpc_peering_connection_id:
      description: ID of the connection.
      type: str
      sample: pcx-0123456789abcdef0
    status:
      description: Its status code, for example C(active).
      type: str
    status_message:
      description: The status message.
      type: str
    vpc_id:
      description: The requester VPC.
      type: str
    peer_vpc_id:
      description: The accepter VPC.
      type: str
    peer_region:
      description: The accepter VPC's region.
      type: str
    peer_cidr_blocks:
      description: The accepter VPC's IPv4 CIDR blocks.
      type: list
      elements: str
    name:
      description: Value of the Name tag.
      type: str
    managed:
      description: Whether the connection carries the ownership tag.
      type: bool
    tags:
      description: Tags of the connection's view in the module's region.
      type: dict
    routes:
      description: With O(include_routes), the routes of O(vpc_id)'s route tables to it.
      type: list
      elements: dict
      returned: when O(include_routes=true)
      contains:
        route_table_id:
          description: The route table.
          type: str
        destination:
          description: The destination CIDR (IPv4 or IPv6).
          type: str
        state:
          description: C(active), or C(blackhole) while the connection is not active.
          type: str
route_table_ids:
  description: With O(include_routes), the IDs of every route table of O(vpc_id), sorted.
  returned: when O(include_routes=true)
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpc_peering import (
    LIVE,
    info,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "vpc_id": {"type": "str", "required": True},
            "peer_vpc_id": {"type": "str"},
            "name": {"type": "str"},
            "managed_only": {"type": "bool", "default": False},
            "states": {"type": "list", "elements": "str", "default": list(LIVE)},
            "include_ended": {"type": "bool", "default": False},
            "include_routes": {"type": "bool", "default": False},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, info)


if __name__ == "__main__":
    main()
