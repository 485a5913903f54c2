#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_security_group_rules
short_description: Security-group ingress for remote CIDRs, owned by a description marker
version_added: 0.1.0
description:
  - Admits traffic from O(cidrs) into each of O(group_ids) (for EKS, typically the cluster
    security group) with ingress rules whose description is C(crosscluster.link:<name>).
  - Only rules carrying that exact marker are ever removed. Other rules of the groups are
    never changed; a wanted rule that another rule already allows (same protocol, ports and
    CIDR) is left alone and reported in RV(security_groups[].covered_by_other_rules).
author:
  - crosscluster.link contributors (@crosscluster)
options:
  name:
    description:
      - Owner name; the rules' description is C(crosscluster.link:<name>).
    type: str
    required: true
  group_ids:
    description: Security group IDs.
    type: list
    elements: str
    required: true
  cidrs:
    description: Source CIDRs (IPv4 or IPv6 network addresses) to admit.
    type: list
    elements: str
    default: []
  protocol:
    description: Protocol; V(all) admits every protocol and port.
    type: str
    choices: [all, tcp, udp, icmp]
    default: all
  from_port:
    description:
      - First port (tcp, udp; default 0) or ICMP type (default -1 = all).
    type: int
  to_port:
    description:
      - Last port (tcp, udp; default 65535) or ICMP code (default -1 = all).
    type: int
  purge_rules:
    description:
      - With O(state=present), remove rules carrying this O(name)'s marker that are not wanted
        any more (for example a CIDR dropped from O(cidrs)).
    type: bool
    default: true
  state:
    description:
      - V(absent) removes this O(name)'s rules for O(cidrs), or all of them when O(cidrs) is empty.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: Admit the GKE cluster's pod and service ranges into the EKS cluster security group
  crosscluster.link.aws_security_group_rules:
    name: link-eks-gke
    group_ids: ["{{ eks.cluster.resources_vpc_config.cluster_security_group_id }}"]
    cidrs: [10.64.0.0/14, 10.68.0.0/20, 10.128.0.0/20]

- name: Remove them
  crosscluster.link.aws_security_group_rules:
    name: link-eks-gke
    group_ids: ["{{ eks.cluster.resources_vpc_config.cluster_security_group_id }}"]
    state: absent
"""

RETURN = r"""
security_groups:
  description: Per group, the owned rules after the change.
  returned: always
  type: list
  elements: dict
  contains:
    group_id:
      description: Security group ID.
      type: str
    rules:
      description: Rules carrying this name's marker, as C(protocol[:from-to] from CIDR).
      type: list
      elements: str
      sample: ["-1 from 10.64.0.0/14"]
    added:
      description: Rules added.
      type: list
      elements: str
    removed:
      description: Rules removed.
      type: list
      elements: str
    covered_by_other_rules:
      description: Wanted rules already allowed by a rule this name does not own (left alone).
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_sg import ensure, validate


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "name": {"type": "str", "required": True},
            "group_ids": {"type": "list", "elements": "str", "required": True},
            "cidrs": {"type": "list", "elements": "str", "default": []},
            "protocol": {
                "type": "str",
                "choices": ["all", "tcp", "udp", "icmp"],
                "default": "all",
            },
            "from_port": {"type": "int"},
            "to_port": {"type": "int"},
            "purge_rules": {"type": "bool", "default": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, ensure, validate)


if __name__ == "__main__":
    main()
