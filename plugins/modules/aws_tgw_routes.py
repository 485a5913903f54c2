#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_tgw_routes
short_description: Route given CIDRs of a Transit Gateway route table to a peering attachment
version_added: 0.3.0
description:
  - Adds static routes for O(cidrs) to the Transit Gateway peering attachment
    O(transit_gateway_attachment_id) in the route table O(route_table_id) (by default the
    Transit Gateway's association default route table, where its VPC attachments are
    associated), and associates the attachment with that table when it has no association
    (Transit Gateway guide, "Add a route to a transit gateway route table").
  - A Transit Gateway route has no tags. The module manages only routes whose target is the
    given attachment, and the attachment must carry the collection's ownership tag
    (C(crosscluster.link/managed=true), set by M(crosscluster.link.aws_tgw_peering)); any
    other attachment is refused before a change.
  - A route for one of O(cidrs) to another target is a conflict. The module then fails,
    naming the table, the CIDR and the other target, and changes nothing.
  - O(state=absent) deletes only the routes of O(cidrs) whose target is the attachment (a
    deleted attachment too, whose routes are left as blackholes), never the association.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  transit_gateway_id:
    description: The Transit Gateway whose route table gets the routes.
    type: str
    required: true
  transit_gateway_attachment_id:
    description: The peering attachment (of O(transit_gateway_id)) the routes go to.
    type: str
    required: true
  route_table_id:
    description: The Transit Gateway route table; by default its association default route table.
    type: str
  cidrs:
    description: Destination CIDRs (IPv4 or IPv6 network addresses).
    type: list
    elements: str
    default: []
  associate:
    description: Associate the attachment with the route table when it has no association yet.
    type: bool
    default: true
  state:
    description: Whether the routes should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
seealso:
  - module: crosscluster.link.aws_tgw_peering
"""

EXAMPLES = r"""
- name: Route the other cluster's ranges to the peering attachment
  crosscluster.link.aws_tgw_routes:
    region: eu-west-1
    transit_gateway_id: tgw-0a1b2c3d4e5f60718
    transit_gateway_attachment_id: tgw-attach-0123456789abcdef0
    cidrs: [10.50.0.0/16, 10.51.0.0/16, 10.52.0.0/16]
"""

RETURN = r"""
route_table_id:
  description: The route table.
  returned: always
  type: str
created:
  description: The CIDRs routed to the attachment by this run (would be, in check mode).
  returned: always
  type: list
  elements: str
deleted:
  description: The CIDRs whose route to the attachment this run removed.
  returned: always
  type: list
  elements: str
associated:
  description: Whether this run associated the attachment with the route table.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_tgw_peering import (
    ensure_routes,
    validate_routes,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "transit_gateway_id": {"type": "str", "required": True},
            "transit_gateway_attachment_id": {"type": "str", "required": True},
            "route_table_id": {"type": "str"},
            "cidrs": {"type": "list", "elements": "str", "default": []},
            "associate": {"type": "bool", "default": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=AWS_MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    run(module, ensure_routes, validate_routes)


if __name__ == "__main__":
    main()
