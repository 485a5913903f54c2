# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_vpn_gateways
short_description: Sort the live VPN gateways of a region into the collection's own and foreign ones in the way
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Takes the C(virtual_gateways) of M(amazon.aws.ec2_vpc_vgw_info) and returns C(ours), the
    gateways this collection created under the name O(name) (tags C(crosscluster.link/managed=true)
    and C(crosscluster.link/name=<name>)), and C(foreign), the ids of the other gateways that
    are attached (or attaching) to the VPC O(vpc_id) or carry the Name tag O(name).
  - A foreign gateway in the way stops the role before it creates anything; the collection
    never touches it.
options:
  _input:
    description: The C(virtual_gateways) list of M(amazon.aws.ec2_vpc_vgw_info).
    type: list
    elements: dict
    required: true
  vpc_id:
    description: The VPC of the cluster.
    type: string
    required: true
  name:
    description: The name the collection gives its VPN gateway in this VPC.
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Sort the gateways
  ansible.builtin.set_fact:
    gateways: "{{ vgw_info.virtual_gateways | crosscluster.link.aws_vpn_gateways('vpc-0123', 'xcl-aws-euw1') }}"
"""

RETURN = r"""
_value:
  description: C(ours) (the gateways, as listed) and C(foreign) (their ids).
  type: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

ATTACHED = ("attaching", "attached")


def aws_vpn_gateways(
    gateways: list[Mapping[str, Any]], vpc_id: str, name: str
) -> dict[str, list[Any]]:
    if not isinstance(gateways, list) or not all(isinstance(g, Mapping) for g in gateways):
        raise AnsibleFilterError("aws_vpn_gateways: the input must be the list of virtual_gateways")
    ours: list[Any] = []
    foreign: list[Any] = []
    for gateway in gateways:
        tags = gateway.get("resource_tags") or {}
        attached = any(
            a.get("vpc_id") == vpc_id and a.get("state") in ATTACHED
            for a in gateway.get("vpc_attachments") or []
        )
        if (
            tags.get("crosscluster.link/managed") == "true"
            and tags.get("crosscluster.link/name") == name
        ):
            ours.append(gateway)
        elif attached or tags.get("Name") == name:
            foreign.append(gateway.get("vpn_gateway_id"))
    return {"ours": ours, "foreign": foreign}


class FilterModule:
    def filters(self):
        return {"aws_vpn_gateways": aws_vpn_gateways}
