# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any

DOCUMENTATION = r"""
name: pod_problems
short_description: Say why pods are not ready, as the kubelet reports it
version_added: 0.1.0
description:
  - >-
    Takes Pod objects (as C(kubernetes.core.k8s_info) returns them) and returns one line per
    container that is not ready, C(POD/CONTAINER: REASON: MESSAGE), from the container's
    waiting state (C(ContainerCreating), C(ErrImagePull), C(CrashLoopBackOff)) or its last
    termination; pods without container statuses yet say C(POD: PHASE).
options:
  _input:
    description: The pods.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Report why the resolver pods are not ready
  ansible.builtin.debug:
    msg: "{{ pods.resources | crosscluster.link.pod_problems | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One line per container that is not ready; empty when all are ready.
  type: list
  elements: str
"""


def pod_problems(pods: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for pod in pods or []:
        name = (pod.get("metadata") or {}).get("name", "?")
        status = pod.get("status") or {}
        statuses = status.get("containerStatuses") or []
        if not statuses:
            lines.append(f"{name}: {status.get('phase', 'Pending')}")
        for cs in statuses:
            if cs.get("ready"):
                continue
            waiting = (cs.get("state") or {}).get("waiting") or {}
            last = (cs.get("lastState") or {}).get("terminated") or {}
            reason = waiting.get("reason") or last.get("reason") or "NotReady"
            message = waiting.get("message") or last.get("message") or ""
            lines.append(f"{name}/{cs.get('name', '?')}: {reason}: {message}".rstrip(": "))
    return list(dict.fromkeys(lines))


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"pod_problems": pod_problems}
