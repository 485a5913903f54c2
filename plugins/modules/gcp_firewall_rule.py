#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_firewall_rule
short_description: Manage an owned ingress firewall rule admitting remote ranges
version_added: 0.1.0
description:
  - Creates, updates or deletes a VPC ingress firewall rule that admits traffic from remote
    CIDRs (the pod, service and node ranges of linked clusters).
  - Rules are owned through their description, which always contains C(crosscluster.link); a
    rule of the same name without it is never modified or deleted. Give rules a common name
    prefix so M(crosscluster.link.gcp_firewall_rule_info) can list them.
options:
  name:
    description: Name of the rule.
    type: str
    required: true
  state:
    description: Whether the rule should exist.
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Name or URL of the VPC network. Required with O(state=present).
    type: str
  source_ranges:
    description:
      - Remote CIDRs admitted. Required with O(state=present).
      - All IPv4 or all IPv6. A VPC firewall rule cannot hold both, so a mix is refused before
        any API call; use one rule per address family.
    type: list
    elements: str
  allowed:
    description: Protocols and ports admitted; all protocols by default.
    type: list
    elements: dict
    suboptions:
      protocol:
        description:
          - V(all), V(tcp), V(udp), V(icmp), V(esp), V(ah), V(sctp), V(ipip) or a protocol number.
        type: str
        required: true
      ports:
        description: Ports or ranges such as V(443) or V(8000-8100), for tcp, udp and sctp.
        type: list
        elements: str
  priority:
    description: Rule priority, 0-65535 (API default 1000).
    type: int
  target_tags:
    description: Instance network tags the rule applies to; all instances when unset.
    type: list
    elements: str
  description:
    description: Description; the C(crosscluster.link) ownership marker is added when missing.
    type: str
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: Admit the AWS cluster's pod, service and node ranges
  crosscluster.link.gcp_firewall_rule:
    name: xcl-from-aws-euwest1
    project: my-project
    network: gke-net
    source_ranges: [10.100.0.0/16, 172.20.0.0/16, 10.0.0.0/16]

- name: Only TCP 9042 and ICMP
  crosscluster.link.gcp_firewall_rule:
    name: xcl-from-aws-cassandra
    project: my-project
    network: gke-net
    source_ranges: [10.100.0.0/16]
    allowed:
      - protocol: tcp
        ports: ["9042"]
      - protocol: icmp
"""

RETURN = r"""
firewall_rule:
  description: The rule as the API returns it (snake_case keys); empty when absent.
  returned: always
  type: dict
  sample:
    name: xcl-from-aws-euwest1
    direction: INGRESS
    allowed: [{"ip_protocol": "all"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_firewall import firewall_rule

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "network": {"type": "str"},
    "source_ranges": {"type": "list", "elements": "str"},
    "allowed": {
        "type": "list",
        "elements": "dict",
        "options": {
            "protocol": {"type": "str", "required": True},
            "ports": {"type": "list", "elements": "str"},
        },
    },
    "priority": {"type": "int"},
    "target_tags": {"type": "list", "elements": "str"},
    "description": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(argument_spec={**GCP_ARGSPEC, **ARGSPEC}, supports_check_mode=True)
    run(module, firewall_rule, "firewall_rule", need_region=False)


if __name__ == "__main__":
    main()
