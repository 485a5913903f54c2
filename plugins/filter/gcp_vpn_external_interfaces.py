# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gcp_vpn_external_interfaces
short_description: The interfaces of the external VPN gateway that stands for the AWS side of a link
version_added: 0.3.0
author: crosscluster.link contributors (@crosscluster)
description:
  - For the aws <-> gcp plan link O(_input), the O(interfaces) of
    M(crosscluster.link.gcp_external_vpn_gateway) in interface order - each plan tunnel's
    C(gcp_external_interface) with the outside IP that the AWS side reports for the same
    tunnel id (O(aws_side), the link's entry of the AWS host's C(aws_vpn_links)), never by
    the position AWS lists its tunnels in.
options:
  _input:
    description: One aws <-> gcp link of the plan.
    type: dict
    required: true
  aws_side:
    description: The link's entry of C(aws_vpn_links) (C(tunnels) with C(id) and C(outside_ip)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The external gateway's interfaces
  ansible.builtin.debug:
    msg: "{{ link | crosscluster.link.gcp_vpn_external_interfaces(gcp_vpn_peer_tunnels[link.id]) }}"
"""

RETURN = r"""
_value:
  description: The interfaces, C(id) and C(ip_address) (V(null) while the AWS side reports none).
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils._link_wiring import (
    external_interfaces,
)


def gcp_vpn_external_interfaces(
    link: Mapping[str, Any], aws_side: Mapping[str, Any]
) -> list[dict[str, Any]]:
    if not isinstance(link, Mapping) or not isinstance(aws_side, Mapping):
        raise AnsibleFilterError(
            "gcp_vpn_external_interfaces: the input must be a plan link and aws_side its "
            "aws_vpn_links entry"
        )
    return external_interfaces(link, aws_side)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"gcp_vpn_external_interfaces": gcp_vpn_external_interfaces}
