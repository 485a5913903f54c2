# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_checks import route_checks
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan

DOCUMENTATION = r"""
name: link_route_checks
short_description: The verify checks of the routes one cluster's end learned from the other side
version_added: 0.2.0
description:
  - Compares, for every link of the plan with this cluster on one side, what this side learned
    over each BGP session with what the other side advertises on it. Both sides' status comes
    from the C(link_status) fact that C(verify_link) sets on each cluster's host.
  - AWS - each tunnel's C(accepted_route_count) (VgwTelemetry AcceptedRouteCount) equals the
    number of routes the GCP peer of that tunnel advertises (C(advertised_routes) of
    M(crosscluster.link.gcp_vpn_info)).
  - GCP - each BGP peer learned (C(num_learned_routes) and C(learned_routes)) the IPv4 CIDR
    blocks of the AWS cluster's VPC (C(vpc_cidr_blocks) on the AWS host), exactly for a VGW, at
    least those for a transit gateway.
  - A failing check names its likely cause (C(cause)).
options:
  cluster:
    description: The cluster whose end is checked, by its name in the plan.
    type: str
    required: true
extends_documentation_fragment:
  - crosscluster.link._plan_filter.HOSTVARS
  - crosscluster.link._plan_filter.PLAN
"""

EXAMPLES = r"""
- name: Check the routes the GCP end of the links of gcp-euw1 learned
  ansible.builtin.set_fact:
    route_checks: "{{ hostvars | crosscluster.link.link_route_checks(link_plan, 'gcp-euw1') }}"
"""

RETURN = r"""
_value:
  description: >-
    The checks, each with C(link), C(cluster), C(name), C(expected), C(actual), C(ok), C(cause)
    and C(summary).
  type: list
  elements: dict
"""


def link_route_checks(hostvars: Mapping[str, Any], plan: dict[str, Any], cluster: str) -> list:
    check_plan("link_route_checks", plan, cluster)
    return route_checks(plan, cluster, hostvars)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"link_route_checks": link_route_checks}
