#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpc_cidr_check
short_description: Check that a cluster's node and pod ranges lie inside its VPC's CIDR blocks
version_added: 0.1.0
description:
  - Reads the VPC (C(DescribeVpcs)) and fails when a range of O(node_cidrs) or O(pod_cidrs) is not
    inside the VPC's CIDR blocks in state C(associated) (the primary block and the associated
    secondary IPv4 blocks, and the associated IPv6 blocks).
  - A VGW advertises to its BGP peers only the VPC's CIDR blocks, and a TGW what its VPC
    attachment propagates, the same blocks. With the AWS VPC CNI pods take VPC addresses (custom
    networking puts them in subnets of a secondary CIDR block), so a range outside the blocks is
    never advertised to the other cloud, whose traffic then has no way back.
  - The failure names each range, the part of it not covered, and the fix, C(aws ec2
    associate-vpc-cidr-block) (a VPC IPv4 block is /16 to /28, so a larger range needs several).
  - Read-only; it runs in check mode too. The C(aws_vpn) role and the C(link_clusters) playbook run
    it before their first change.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  vpc_id:
    description: The VPC of the cluster.
    type: str
    required: true
  node_cidrs:
    description: Node ranges that must lie inside the VPC's CIDR blocks.
    type: list
    elements: str
    default: []
  pod_cidrs:
    description: Pod ranges that must lie inside the VPC's CIDR blocks.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: The EKS cluster's node and pod ranges are routable from the other cloud
  crosscluster.link.aws_vpc_cidr_check:
    region: eu-west-1
    vpc_id: vpc-0a1b2c3d4e5f60718
    node_cidrs: [10.10.0.0/16]
    pod_cidrs: [10.32.0.0/16]
"""

RETURN = r"""
vpc_id:
  description: The VPC checked.
  returned: success
  type: str
cidr_blocks:
  description: The VPC's associated IPv4 and IPv6 CIDR blocks.
  returned: success
  type: list
  elements: str
  sample: [10.10.0.0/16, 10.32.0.0/16]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpc import check, validate


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "vpc_id": {"type": "str", "required": True},
            "node_cidrs": {"type": "list", "elements": "str", "default": []},
            "pod_cidrs": {"type": "list", "elements": "str", "default": []},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, check, validate)


if __name__ == "__main__":
    main()
