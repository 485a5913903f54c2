# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils._link_checks import (
    aws_checks,
    aws_peering_checks,
    aws_tgw_peering_checks,
    gcp_checks,
)
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan

DOCUMENTATION = r"""
name: link_checks
short_description: The verify checks of one cluster's end of its links
version_added: 0.2.0
description:
  - Takes the status one side reads (the result of M(crosscluster.link.aws_vpn_connection_info),
    M(crosscluster.link.aws_vpc_peering_info) with C(include_routes=true)
    or M(crosscluster.link.gcp_vpn_info)) and returns, for every link of the plan with this
    cluster on that side, one check per planned resource, with what the plan expects, what the
    status shows and whether they agree.
  - AWS - both VPN connections V(available); each planned tunnel present (matched by its inside
    CIDR) with the planned inside addresses and ASN, and C(UP). GCP - each planned tunnel
    C(ESTABLISHED) and its BGP peer C(UP). AWS peering - each VPC peering connection of the
    cluster V(active) and every route table of its C(route_table_ids) routing the other VPC's
    planned ranges to it. AWS TGW peering - each Transit Gateway peering attachment of the
    cluster's TGW V(available) (the result of M(crosscluster.link.aws_tgw_peering_info) with
    C(include_routes=true)) and the TGW route table routing the other cluster's planned ranges
    to it.
  - A failing check names its likely cause (C(cause)) - a tunnel that is down
    C(pre-shared key or proposal mismatch) (IKE fails), a BGP session down on an established
    tunnel C(ASN or inside address mismatch); or what else the status says (connection not
    available, incomplete configuration, no packets from the peer).
options:
  _input:
    description: The side's status (a registered result of the C(_info) module).
    type: dict
    required: true
  cluster:
    description: The cluster whose end is checked.
    type: str
    required: true
  side:
    description: Which cloud's end.
    type: str
    required: true
    choices: [aws, aws_peering, aws_tgw_peering, gcp]
extends_documentation_fragment:
  - crosscluster.link._plan_filter.PLAN
"""

EXAMPLES = r"""
- name: Check the GCP end of the links of gcp-euw1
  ansible.builtin.set_fact:
    checks: "{{ gcp_status | crosscluster.link.link_checks(link_plan, 'gcp-euw1', 'gcp') }}"
"""

RETURN = r"""
_value:
  description: >-
    The checks, each with C(link), C(cluster), C(name), C(expected), C(actual), C(ok),
    C(cause) (the likely cause of a failing check, empty when it passes) and C(summary)
    (C(NAME: expected X, got Y), then C((likely cause: CAUSE)) when it fails).
  type: list
  elements: dict
"""

SIDES = {
    "aws": aws_checks,
    "aws_peering": aws_peering_checks,
    "aws_tgw_peering": aws_tgw_peering_checks,
    "gcp": gcp_checks,
}


def link_checks(status: dict[str, Any], plan: dict[str, Any], cluster: str, side: str) -> list:
    if side not in SIDES:
        raise AnsibleFilterError(f"link_checks: side must be one of {sorted(SIDES)}, not {side!r}")
    check_plan("link_checks", plan, cluster)
    return SIDES[side](plan, cluster, status if isinstance(status, dict) else {})


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"link_checks": link_checks}
