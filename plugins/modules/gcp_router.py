#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_router
short_description: Manage a Cloud Router and its BGP advertisements
version_added: 0.1.0
description:
  - Creates, updates or deletes a Compute Engine Cloud Router with its BGP ASN,
    advertisement mode, advertised groups, custom advertised IP ranges and keepalive.
  - Only options that are set are managed; the router's interfaces and BGP peers are never
    touched here (use M(crosscluster.link.gcp_router_peer)).
  - The ASN of an existing router cannot be changed; the module fails instead of recreating it.
  - An existing router whose description does not contain C(crosscluster.link) is not modified
    or deleted.
  - With O(state=absent) the module fails, naming them, while the router still has interfaces
    or BGP peers this collection did not create (deleting the router would delete them too).
    Interfaces and BGP peers carry no description, so an interface is the collection's when it
    is linked to a VPN tunnel whose description contains C(crosscluster.link), and a BGP peer
    when its interface is; remove the others first, or keep the router.
options:
  name:
    description: Name of the router.
    type: str
    required: true
  state:
    description: Whether the router should exist.
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Name or URL of the VPC network. Required with O(state=present).
    type: str
  asn:
    description:
      - Private BGP ASN of the router, 64512-65534 or 4200000000-4294967294.
      - Required to create the router; cannot change afterwards.
    type: int
  advertise_mode:
    description:
      - V(DEFAULT) advertises the subnets; V(CUSTOM) advertises O(advertised_groups) and
        O(advertised_ip_ranges).
    type: str
    choices: [DEFAULT, CUSTOM]
  advertised_groups:
    description: Groups advertised in V(CUSTOM) mode, for example V(ALL_SUBNETS).
    type: list
    elements: str
    choices: [ALL_SUBNETS]
  advertised_ip_ranges:
    description:
      - Custom ranges advertised in V(CUSTOM) mode, such as the local GKE pod and service ranges.
    type: list
    elements: dict
    suboptions:
      range:
        description: A CIDR.
        type: str
        required: true
      description:
        description: Free text.
        type: str
  keepalive_interval:
    description: BGP keepalive interval in seconds, 20-60.
    type: int
  description:
    description: Description; C(crosscluster.link) ownership marker is added when missing.
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
- name: Cloud Router advertising all subnets and the GKE pod and service ranges
  crosscluster.link.gcp_router:
    name: xcl-router
    project: my-project
    region: europe-west1
    network: gke-net
    asn: 65010
    advertise_mode: CUSTOM
    advertised_groups: [ALL_SUBNETS]
    advertised_ip_ranges:
      - range: 10.8.0.0/14
        description: GKE pods
      - range: 10.12.0.0/20
        description: GKE services

- name: Remove the router
  crosscluster.link.gcp_router:
    name: xcl-router
    project: my-project
    region: europe-west1
    state: absent
"""

RETURN = r"""
router:
  description: The router as the API returns it (snake_case keys); empty when absent.
  returned: always
  type: dict
  sample: {"name": "xcl-router", "bgp": {"asn": 65010, "advertise_mode": "CUSTOM"}}
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
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_router import router

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "network": {"type": "str"},
    "asn": {"type": "int"},
    "advertise_mode": {"type": "str", "choices": ["DEFAULT", "CUSTOM"]},
    "advertised_groups": {"type": "list", "elements": "str", "choices": ["ALL_SUBNETS"]},
    "advertised_ip_ranges": {
        "type": "list",
        "elements": "dict",
        "options": {
            "range": {"type": "str", "required": True},
            "description": {"type": "str"},
        },
    },
    "keepalive_interval": {"type": "int"},
    "description": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **WAIT_ARGSPEC, **ARGSPEC}, supports_check_mode=True
    )
    run(module, router, "router")


if __name__ == "__main__":
    main()
