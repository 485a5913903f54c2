# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_dns_remote_problems
short_description: What is wrong with the cluster_dns role's remotes, each with its fix
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Checks the O(_input) entries of C(cluster_dns_remotes) before the role changes anything -
    each C(name) a lowercase DNS label of at most 32 characters, each C(zone) a DNS name
    that is not, does not contain and is not under C(cluster.local) and does not start with
    C(svc.), each C(api_endpoint) an C(https://) URL - and that names are unique and no two
    zones (the remotes' and the local O(zone)) are the same or nested.
  - Returns one message per problem, naming the entry and the field; an empty list when all is
    well.
options:
  _input:
    description: The C(cluster_dns_remotes) list.
    type: list
    elements: dict
    required: true
  zone:
    description: The local cluster's own zone (C(cluster_dns_zone)); empty when it has none.
    type: string
    default: ''
"""

EXAMPLES = r"""
- name: Refuse bad remotes before any change
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ cluster_dns_remotes | crosscluster.link.cluster_dns_remote_problems(cluster_dns_zone) }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each.
  type: list
  elements: str
"""

import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils import _zones

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
ENDPOINT_RE = re.compile(r"^https://[^/\s]+")


def _entry_problems(remote: Mapping[str, Any]) -> list[str]:
    name = str(remote.get("name") or "")
    where = f"cluster_dns_remotes entry {name or '(unnamed)'}:"
    problems = []
    if not NAME_RE.match(name):
        problems.append(
            f"{where} name must be a lowercase DNS label of at most 32 characters (e.g. gcp-euw1)."
        )
    zone = remote.get("zone")
    wrong = _zones.problem(_zones.normalize(zone)) if isinstance(zone, str) else "is not a string"
    if wrong:
        problems.append(f"{where} zone ({zone}) {wrong}.")
    endpoint = remote.get("api_endpoint")
    if not isinstance(endpoint, str) or not ENDPOINT_RE.match(endpoint):
        problems.append(
            f"{where} api_endpoint ({endpoint}) must be the https:// URL of the remote API server."
        )
    return problems


def cluster_dns_remote_problems(remotes: list[Mapping[str, Any]], zone: str = "") -> list[str]:
    if not isinstance(remotes, list) or not all(isinstance(r, Mapping) for r in remotes):
        raise AnsibleFilterError(
            "cluster_dns_remote_problems: cluster_dns_remotes must be a list of "
            "{name, zone, api_endpoint, ...} entries"
        )
    problems = [p for remote in remotes for p in _entry_problems(remote)]
    names = [r.get("name") for r in remotes]
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        problems.append(
            f"cluster_dns_remotes: name {name} is listed twice; each remote needs its own."
        )
    zones = [_zones.normalize(r["zone"]) for r in remotes if isinstance(r.get("zone"), str)]
    if zone:
        zones.append(_zones.normalize(zone))
    for a, b in _zones.conflicts(zones):
        problems.append(
            f"Zones {a} and {b} are the same or nested: every cluster needs a zone of its own "
            "that contains no other (cluster_dns_zone and each remote's zone)."
        )
    return problems


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"cluster_dns_remote_problems": cluster_dns_remote_problems}
