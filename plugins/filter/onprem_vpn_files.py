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

DOCUMENTATION = r"""
name: onprem_vpn_files
short_description: The files of an on-prem gateway (strongSwan, FRR, sysctls, nftables) from the plan
version_added: 0.2.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the on-prem cluster O(cluster) of the plan O(_input), returns every file the
    C(crosscluster.link.onprem_vpn) role writes, except the pre-shared key files - C(files) (a
    list of C(path), C(content), C(mode), C(kind)), C(secrets) (the key files, C(path),
    C(tunnel), C(name), C(local_ip), C(peer_ip), no key), C(tunnels) (the tunnel ends), C(ranges)
    (the advertised IPv4 ranges), C(dirs), C(paths) and C(manifest).
  - One swanctl connection file per tunnel (IKEv2, PSK, route-based CHILD_SA 0.0.0.0/0 on the
    tunnel's XFRM interface), the FRR configuration (one eBGP neighbour per tunnel, prefix-lists),
    a sysctl file, the nftables table C(inet crosscluster_link) and a systemd unit for the XFRM
    interfaces. The companion filter C(onprem_vpn_secrets_conf) renders a key file.
options:
  _input:
    description: The plan (M(crosscluster.link.link_plan)'s C(plan)).
    type: dict
    required: true
  cluster:
    description: The on-prem cluster, by its name in the plan.
    type: str
    required: true
  peers:
    description:
      - Link id -> C({tunnels -> [{id, outside_ip}]}), the cloud end's outside IP of every tunnel
        (the C(onprem_peers) of P(crosscluster.link.link_wiring#filter)).
    type: dict
    required: true
  options:
    description: The role's settings (C(root), paths, proposals, C(tcp_mss), ...); see the role.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The gateway's files
  ansible.builtin.set_fact:
    _files: "{{ link_plan | crosscluster.link.onprem_vpn_files('onprem-lab', peers, options) }}"
"""

RETURN = r"""
_value:
  description: C(files), C(secrets), C(tunnels), C(ranges), C(dirs), C(paths) and C(manifest).
  type: dict
"""


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
