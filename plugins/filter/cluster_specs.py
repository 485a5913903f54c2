# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_specs
short_description: Collect the cluster_* variables of the cluster hosts
version_added: 0.1.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Returns a dictionary host -> {variable -> value} holding only the variables whose name starts
    with C(cluster_), for each host in O(hosts).
  - This is the input of M(crosscluster.link.link_plan); nothing else (in particular no
    C(link_psk_secret) or other secret) leaves the host variables.
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  hosts:
    description: The cluster hosts, normally C(groups['clusters']).
    type: list
    elements: string
    required: true
"""

EXAMPLES = r"""
- name: Plan the links
  crosscluster.link.link_plan:
    clusters: "{{ hostvars | crosscluster.link.cluster_specs(groups['clusters']) }}"
"""

RETURN = r"""
_value:
  description: Host name -> its C(cluster_*) variables.
  type: dict
"""

from collections.abc import Iterable, Mapping
from typing import Any

PREFIX = "cluster_"


def cluster_specs(hostvars: Mapping[str, Any], hosts: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Only the cluster_* variables of each host."""
    result = {}
    for host in hosts:
        host_vars = hostvars[host]
        result[host] = {key: host_vars[key] for key in host_vars if key.startswith(PREFIX)}
    return result


def variable_names(hostvars: Mapping[str, Any], hosts: Iterable[str], prefix: str) -> list[str]:
    """The names (never the values) of the variables starting with ``prefix`` of the hosts."""
    return sorted({key for host in hosts for key in hostvars[host] if key.startswith(prefix)})


class FilterModule:
    def filters(self):
        return {"cluster_specs": cluster_specs, "variable_names": variable_names}
