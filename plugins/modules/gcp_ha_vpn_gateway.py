#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_ha_vpn_gateway
short_description: Manage a Cloud HA VPN gateway
version_added: 0.1.0
description:
  - Creates or deletes a Compute Engine HA VPN gateway (C(vpnGateways)) with its two
    interfaces, and returns the two public interface IP addresses.
  - HA VPN gateways cannot be updated in place; a different network or stack type is reported
    as an error instead of recreating the gateway.
  - An existing gateway whose description does not contain C(crosscluster.link) is not modified
    or deleted.
options:
  name:
    description: Name of the gateway.
    type: str
    required: true
  state:
    description: Whether the gateway should exist.
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Name or URL of the VPC network. Required with O(state=present).
    type: str
  stack_type:
    description: IP stack of the interfaces.
    type: str
    choices: [IPV4_ONLY, IPV4_IPV6, IPV6_ONLY]
  description:
    description: Description; the C(crosscluster.link) ownership marker is added when missing.
    type: str
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link.gcp.WAIT
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: HA VPN gateway for the link to AWS
  crosscluster.link.gcp_ha_vpn_gateway:
    name: xcl-gw
    project: my-project
    region: europe-west1
    network: gke-net
    stack_type: IPV4_ONLY
  register: gw

- name: Show the two public IPs (customer gateway IPs on the AWS side)
  ansible.builtin.debug:
    var: gw.interface_ips
"""

RETURN = r"""
vpn_gateway:
  description: The gateway as the API returns it (snake_case keys); empty when absent.
  returned: always
  type: dict
  sample: {"name": "xcl-gw", "vpn_interfaces": [{"id": 0, "ip_address": "35.242.1.10"}]}
interface_ips:
  description:
    - Public IP addresses of interface 0 and 1, in that order; empty in check mode before
      creation.
  returned: always
  type: list
  elements: str
  sample: ["35.242.1.10", "35.220.1.11"]
operation:
  description:
    - With O(wait=false) and a change, the Operation the API returned for it (snake_case
      keys), usually PENDING or RUNNING; not returned otherwise.
  returned: when O(wait=false) and changed, not in check mode
  type: dict
  sample:
    name: operation-1764130000000-1a2b3c4d
    status: PENDING
    operation_type: insert
    self_link: https://compute.googleapis.com/compute/v1/projects/my-project/regions/europe-west1/operations/operation-1764130000000-1a2b3c4d
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    WAIT_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_vpn_gateway import (
    ha_vpn_gateway,
)

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "network": {"type": "str"},
    "stack_type": {"type": "str", "choices": ["IPV4_ONLY", "IPV4_IPV6", "IPV6_ONLY"]},
    "description": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **WAIT_ARGSPEC, **ARGSPEC}, supports_check_mode=True
    )
    run(module, ha_vpn_gateway, "vpn_gateway")


if __name__ == "__main__":
    main()
