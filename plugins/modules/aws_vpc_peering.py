#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpc_peering
short_description: Manage a VPC peering connection between two VPCs of one account
version_added: 0.3.0
description:
  - Requests a VPC peering connection from O(vpc_id) to O(peer_vpc_id) (in O(peer_region),
    the module's region by default) and, with O(accept), accepts it in the accepter's region
    with the same credentials, then waits until it is C(active) (O(wait)).
  - Two VPCs peer once. The connection is this task's when it carries the ownership tags of
    O(name) (C(Name), C(crosscluster.link/name), C(crosscluster.link/managed=true)); any
    other live connection between the two VPCs is refused before a change, never touched.
  - Tags are Regional (VPC Peering Guide, VPC peering limitations - tags are only applied in
    the account or Region in which they are created). Across Regions the connection has a
    view in each, so with O(accept) the module gives the accepter's view in O(peer_region)
    the same C(Name), ownership tags and O(tags) as the requester's, and keeps them there on
    later runs (it reads both views; O(purge_tags) applies to both). That is how the
    accepter's side finds it by name, for example with
    M(crosscluster.link.aws_vpc_peering_info) and O(crosscluster.link.aws_vpc_peering_info#module:managed_only).
    With O(accept=false) the accepter's Region is left alone.
  - O(state=absent) deletes only this task's connection (both views go with it).
  - Routes to the connection and security-group rules are not made here.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  name:
    description: Name of the connection, set as the C(Name) and C(crosscluster.link/name) tags.
    type: str
    required: true
  vpc_id:
    description: The requester VPC, in the module's region.
    type: str
    required: true
  peer_vpc_id:
    description: The accepter VPC. Required with O(state=present).
    type: str
  peer_region:
    description: Region of O(peer_vpc_id); the module's region by default.
    type: str
  accept:
    description:
      - Accept the request in the accepter's region (the account owns both VPCs). With
        V(false) the connection stays C(pending-acceptance) for the accepter to accept.
    type: bool
    default: true
  wait:
    description:
      - Wait until the accepted connection is C(active).
      - With O(state=absent), wait until the connection is C(deleted) (it is C(deleting)
        first), also one an earlier run left C(deleting).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the request to reach the accepter and for C(active), or for C(deleted).
    type: int
    default: 300
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
    description: Whether the connection should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
notes:
  - A request between VPCs with overlapping CIDR blocks goes to C(failed); the module reports
    it with the status message at once, as any final status (C(rejected), C(failed),
    C(expired)), without waiting for O(wait_timeout).
seealso:
  - name: VPC peering
    description: What a peering connection carries, and its limits (no transitive peering).
    link: https://docs.aws.amazon.com/vpc/latest/peering/what-is-vpc-peering.html
"""

EXAMPLES = r"""
- name: Peer the EKS VPC of eu-west-1 with the one of us-east-1
  crosscluster.link.aws_vpc_peering:
    name: xcl-eks-euw1--eks-use1
    region: eu-west-1
    vpc_id: vpc-0a1b2c3d4e5f60718
    peer_vpc_id: vpc-0f1e2d3c4b5a69788
    peer_region: us-east-1
  register: pcx

- name: Remove it
  crosscluster.link.aws_vpc_peering:
    name: xcl-eks-euw1--eks-use1
    region: eu-west-1
    vpc_id: vpc-0a1b2c3d4e5f60718
    peer_vpc_id: vpc-0f1e2d3c4b5a69788
    state: absent
"""

RETURN = r"""
vpc_peering_connection:
  description: The connection (null when absent, or when it would be created in check mode).
  returned: always
  type: dict
  contains:
    vpc_peering_connection_id:
      description: ID of the connection.
      type: str
      sample: pcx-0123456789abcdef0
    status:
      description: Its status code, for example C(pending-acceptance) or C(active).
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
      description: Tags of the requester's view (the module's region).
      type: dict
    accepter_tags:
      description:
        - Tags of the accepter's view, in O(peer_region). In one region, where there is one
          view, the same as RV(vpc_peering_connection.tags); null with O(accept=false) across
          regions (the accepter's view is not read).
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpc_peering import (
    ensure,
    validate,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "name": {"type": "str", "required": True},
            "vpc_id": {"type": "str", "required": True},
            "peer_vpc_id": {"type": "str"},
            "peer_region": {"type": "str"},
            "accept": {"type": "bool", "default": True},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 300},
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
