# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: link_remote_cidrs
short_description: The address ranges behind the other end of each of a cluster's links
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For each link of the plan O(_input) that has O(cluster) as an end (as its O(side) end,
    when given), the node, pod and service CIDRs of the link's other cluster, each once - what
    the cluster's routes and firewall rules send to, and accept from, that link.
options:
  cluster:
    description: The cluster whose links are wanted.
    type: string
    required: true
  side:
    description: Only the links where O(cluster) is this end - V(aws) (its C(aws_cluster)), V(gcp) or V(onprem).
    type: string
extends_documentation_fragment:
  - crosscluster.link._plan_filter
"""

EXAMPLES = r"""
- name: The ranges behind each link of aws-euw1
  ansible.builtin.debug:
    msg: "{{ plan | crosscluster.link.link_remote_cidrs('aws-euw1', 'aws') }}"
"""

RETURN = r"""
_value:
  description: Link id -> the remote node, pod and service CIDRs.
  type: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import remote_cidrs
from ansible_collections.crosscluster.link.plugins.plugin_utils._plan_input import check_plan


def link_remote_cidrs(
    plan: Mapping[str, Any], cluster: str, side: str | None = None
) -> dict[str, list[str]]:
    check_plan("link_remote_cidrs", plan, cluster)
    return remote_cidrs(dict(plan), cluster, side)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"link_remote_cidrs": link_remote_cidrs}
