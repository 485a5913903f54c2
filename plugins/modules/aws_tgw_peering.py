#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_tgw_peering
short_description: Manage a Transit Gateway peering attachment between two TGWs of one account
version_added: 0.3.0
description:
  - Requests a Transit Gateway peering attachment from O(transit_gateway_id) to
    O(peer_transit_gateway_id) (in O(peer_region), the module's region by default) and, with
    O(accept), accepts it in the accepter's region with the same credentials, then waits
    until it is C(available) (O(wait)).
  - The attachment is this task's when it carries the ownership tags of O(name) (C(Name),
    C(crosscluster.link/name), C(crosscluster.link/managed=true)); any other live attachment
    between the two Transit Gateways is refused before a change, never touched.
  - Tags are Regional (EC2 keeps them per Region; the VPC Peering Guide says so of peering
    connections, VPC peering limitations). Across Regions the attachment has a view in each,
    so with O(accept) the module gives the accepter's view in O(peer_region) the same
    C(Name), ownership tags and O(tags) as the requester's, when it accepts and on every later
    run (it reads both views; O(purge_tags) applies to both). That is how the accepter's side
    finds it by name, for example with M(crosscluster.link.aws_tgw_peering_info) and
    O(crosscluster.link.aws_tgw_peering_info#module:managed_only), and how its
    M(crosscluster.link.aws_tgw_routes) proves the attachment is ours. With O(accept=false)
    the accepter's Region is left alone.
  - O(state=absent) deletes only this task's attachment (both views go with it).
  - Routes to the attachment are made by M(crosscluster.link.aws_tgw_routes).
author:
  - crosscluster.link contributors (@crosscluster)
options:
  name:
    description: Name of the attachment, set as the C(Name) and C(crosscluster.link/name) tags.
    type: str
    required: true
  transit_gateway_id:
    description: The requester Transit Gateway, in the module's region.
    type: str
    required: true
  peer_transit_gateway_id:
    description: The accepter Transit Gateway. Required with O(state=present).
    type: str
  peer_region:
    description: Region of O(peer_transit_gateway_id); the module's region by default.
    type: str
  peer_account_id:
    description: Account of O(peer_transit_gateway_id); by default the owner of O(transit_gateway_id).
    type: str
  accept:
    description:
      - Accept the request in the accepter's region (the account owns both TGWs). With
        V(false) the attachment stays C(pendingAcceptance) for the accepter to accept.
    type: bool
    default: true
  wait:
    description:
      - Wait until the accepted attachment is C(available).
      - With O(state=absent), wait until the attachment is C(deleted) (it is C(deleting)
        first), also one an earlier run left C(deleting).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the request to reach the accepter and for C(available), or for C(deleted).
    type: int
    default: 600
  tags:
    description:
      - Tags to set, in the requester's view and (across Regions, with O(accept)) the
        accepter's. The ownership tags are always added.
      - If not set, existing tags are left alone.
    type: dict
  purge_tags:
    description: Remove tags not in O(tags) (never the ownership tags), in each view the module tags.
    type: bool
    default: false
  state:
    description: Whether the attachment should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
seealso:
  - name: Transit gateway peering attachments
    description: Peering two Transit Gateways, in one Region or two, and routing over it.
    link: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html
  - module: crosscluster.link.aws_tgw_routes
  - module: crosscluster.link.aws_tgw_peering_info
"""

EXAMPLES = r"""
- name: Peer the Transit Gateway of eu-west-1 with the one of us-east-1
  crosscluster.link.aws_tgw_peering:
    name: eks-euw1--eks-use1
    region: eu-west-1
    transit_gateway_id: tgw-0a1b2c3d4e5f60718
    peer_transit_gateway_id: tgw-0f1e2d3c4b5a69788
    peer_region: us-east-1
    wait: false
  register: peering

- name: Remove it
  crosscluster.link.aws_tgw_peering:
    name: eks-euw1--eks-use1
    region: eu-west-1
    transit_gateway_id: tgw-0a1b2c3d4e5f60718
    state: absent
"""

RETURN = r"""
transit_gateway_peering_attachment:
  description: The attachment (null when absent, or when it would be created in check mode).
  returned: always
  type: dict
  contains:
    transit_gateway_attachment_id:
      description: ID of the attachment.
      type: str
      sample: tgw-attach-0123456789abcdef0
    state:
      description: Its state, for example C(pendingAcceptance) or C(available).
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
      description: Tags of the requester's view (the module's region).
      type: dict
    accepter_tags:
      description:
        - Tags of the accepter's view, in O(peer_region). In one region, where there is one
          view, the same as RV(transit_gateway_peering_attachment.tags); null with
          O(accept=false) across regions (the accepter's view is not read).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_tgw_peering import (
    ensure,
    validate,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "name": {"type": "str", "required": True},
            "transit_gateway_id": {"type": "str", "required": True},
            "peer_transit_gateway_id": {"type": "str"},
            "peer_region": {"type": "str"},
            "peer_account_id": {"type": "str"},
            "accept": {"type": "bool", "default": True},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 600},
            "tags": {"type": "dict"},
            "purge_tags": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, ensure, validate)


if __name__ == "__main__":
    main()
