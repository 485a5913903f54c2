# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one input check of the filters that read the link plan (controller side only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError


def check_plan(filter_name: str, plan: Any, cluster: str | None = None) -> None:
    """Raise AnsibleFilterError naming ``filter_name`` unless ``plan`` is the result of
    crosscluster.link.link_plan (with ``clusters`` and ``links``) and, when given, ``cluster``
    is one of its clusters."""
    if not isinstance(plan, Mapping) or "links" not in plan or "clusters" not in plan:
        raise AnsibleFilterError(
            f"{filter_name}: the input must be the link plan (the result of "
            "crosscluster.link.link_plan, with clusters and links)"
        )
    if cluster is not None and cluster not in plan["clusters"]:
        raise AnsibleFilterError(f"{filter_name}: {cluster!r} is not a cluster of the plan")
