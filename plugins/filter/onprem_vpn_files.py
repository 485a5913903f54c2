# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils._onprem_vpn import (
    OnpremConfigError,
    gateway_files,
    secrets_conf,
)


def onprem_vpn_files(
    plan: Mapping[str, Any], cluster: str, peers: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    if not isinstance(plan, Mapping) or "clusters" not in plan or "links" not in plan:
        raise AnsibleFilterError("onprem_vpn_files: the input must be the plan of link_plan")
    if not isinstance(peers, Mapping):
        raise AnsibleFilterError("onprem_vpn_files: peers must be a dict (link id -> tunnels)")
    try:
        return gateway_files(plan, cluster, peers, options)
    except OnpremConfigError as exc:
        raise AnsibleFilterError(f"onprem_vpn: {exc}") from None


def onprem_vpn_secrets_conf(entry: Mapping[str, Any], psk: str) -> str:
    """The swanctl ``secrets`` file of one entry of ``onprem_vpn_files``' ``secrets``."""
    if not isinstance(psk, str) or not psk:
        raise AnsibleFilterError("onprem_vpn_secrets_conf: the pre-shared key is empty")
    return secrets_conf(entry, psk)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "onprem_vpn_files": onprem_vpn_files,
            "onprem_vpn_secrets_conf": onprem_vpn_secrets_conf,
        }
