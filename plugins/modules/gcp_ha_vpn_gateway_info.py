#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_ha_vpn_gateway_info
short_description: List HA VPN gateways
version_added: 0.1.0
description:
  - Returns the HA VPN gateways in the region, one by name, those whose name starts with a prefix,
    or all.
  - See M(crosscluster.link.gcp_ha_vpn_gateway) to manage them.
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link.gcp.NAME_FILTER
  - crosscluster.link.gcp.OPERATION
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
author:
  - crosscluster.link contributors (@crosscluster)
"""

EXAMPLES = r"""
- name: List the HA VPN gateways this collection created
  crosscluster.link.gcp_ha_vpn_gateway_info:
    project: my-project
    region: europe-west1
    name_prefix: xcl-
  register: found

- name: Start the HA VPN gateway without waiting
  crosscluster.link.gcp_ha_vpn_gateway:
    name: xcl-gke-a-gw
    project: my-project
    region: europe-west1
    network: gke-a-net
    wait: false
  register: started

- name: Other independent work runs here; then wait once, where the gateway's IPs are needed
  crosscluster.link.gcp_ha_vpn_gateway_info:
    name: xcl-gke-a-gw
    project: my-project
    region: europe-west1
    operation: "{{ started.operation }}"
  register: gateway
  when: started.operation is defined
"""

RETURN = r"""
vpn_gateways:
  description:
    - The HA VPN gateways as the API returns them (snake_case keys); an empty list when none
      match.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    NAME_FILTER_ARGSPEC,
    OPERATION_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_info import listing


def main() -> None:
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **NAME_FILTER_ARGSPEC, **OPERATION_ARGSPEC},
        mutually_exclusive=[("name", "name_prefix")],
        supports_check_mode=True,
    )
    run(module, listing("vpn_gateways", "vpnGateways"))


if __name__ == "__main__":
    main()
