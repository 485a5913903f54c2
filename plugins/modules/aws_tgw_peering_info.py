#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_tgw_peering_info
short_description: List the peering attachments of a Transit Gateway
version_added: 0.3.0
description:
  - Lists the Transit Gateway peering attachments that have O(transit_gateway_id) at either
    end (requester or accepter), in the module's region, optionally filtered, and with
    O(include_routes) the static routes of the TGW's route table to each.
  - Tags are Regional. An inter-Region attachment is listed with the tags of the module's
    region's view, so O(name) and O(managed_only) match on the accepter's side only when that
    view is tagged there too (M(crosscluster.link.aws_tgw_peering) does it when it accepts, and
    keeps it so).
author:
  - crosscluster.link contributors (@crosscluster)
options:
  transit_gateway_id:
    description: The Transit Gateway whose peering attachments are listed.
    type: str
    required: true
  peer_transit_gateway_id:
    description: Only the attachments between O(transit_gateway_id) and this Transit Gateway.
    type: str
  name:
    description: Only attachments with this C(Name) tag.
    type: str
  managed_only:
    description: Only attachments tagged as managed by this collection.
    type: bool
    default: false
  states:
    description:
      - Only attachments whose state is one of these. The default lists the live ones.
      - Add V(deleting) and V(deleted) to find the routes left to a deleted attachment.
    type: list
    elements: str
    default: [initiatingRequest, pendingAcceptance, pending, available, modifying]
  include_ended:
    description:
      - Also the attachments that ended, added to O(states) - V(failed), V(failing),
        V(rejected), V(rejecting), V(rollingBack), V(deleting), V(deleted); routes to one may
        be left (a route to an attachment that is not up is a blackhole).
    type: bool
    default: false
  include_routes:
    description:
      - Also return, per attachment, the static routes of the route table to it
        (RV(transit_gateway_peering_attachments[].routes)) and the table (RV(route_table_id)).
    type: bool
    default: false
  route_table_id:
    description: The route table read with O(include_routes); by default the TGW's association default route table.
    type: str
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: The attachment of a link, created by crosscluster.link.aws_tgw_peering
  crosscluster.link.aws_tgw_peering_info:
    region: us-east-1
    transit_gateway_id: tgw-0f1e2d3c4b5a69788
    name: eks-euw1--eks-use1
    managed_only: true
    include_routes: true
  register: found
"""

RETURN = r"""
transit_gateway_peering_attachments:
  description: The matching attachments, sorted by ID (C([]) when none).
  returned: always
  type: list
  elements: dict
  contains:
    transit_gateway_attachment_id:
      description: ID of the attachment.
      type: str
    state:
      description: Its state.
      type: str
    status_message:
      description: The status message.
      type: str
    transit_gateway_id:
      description: The requester Transit Gateway.
      type: str
    region:
      description: The requester's region.
      type: str
    peer_transit_gateway_id:
      description: The accepter Transit Gateway.
      type: str
    peer_region:
      description: The accepter's region.
      type: str
    peer_account_id:
      description: The accepter's account.
      type: str
    name:
      description: Value of the Name tag.
      type: str
    managed:
      description: Whether the attachment carries the ownership tag.
      type: bool
    tags:
      description: Tags of the attachment's view in the module's region.
      type: dict
    routes:
      description: With O(include_routes), the static routes of the route table to it.
      type: list
      elements: dict
      returned: when O(include_routes=true)
      contains:
        destination:
          description: The destination CIDR.
          type: str
        state:
          description: C(active) or C(blackhole).
          type: str
        transit_gateway_attachment_ids:
          description: The route's targets.
          type: list
          elements: str
route_table_id:
  description: With O(include_routes), the route table read.
  returned: when O(include_routes=true)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_tgw_peering import (
    LIVE,
    info,
    validate_info,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "transit_gateway_id": {"type": "str", "required": True},
            "peer_transit_gateway_id": {"type": "str"},
            "name": {"type": "str"},
            "managed_only": {"type": "bool", "default": False},
            "states": {"type": "list", "elements": "str", "default": list(LIVE)},
            "include_ended": {"type": "bool", "default": False},
            "include_routes": {"type": "bool", "default": False},
            "route_table_id": {"type": "str"},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, info, validate_info)


if __name__ == "__main__":
    main()
