# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

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
