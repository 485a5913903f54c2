#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_network_peering
short_description: Manage one VPC Network Peering of a network
version_added: 0.3.0
description:
  - Adds, updates or removes the peering O(name) of the VPC network O(network) towards
    O(peer_network) (C(networks.addPeering), C(updatePeering), C(removePeering)). Subnet routes,
    secondary ranges included, are always exchanged.
  - A peering is C(INACTIVE) until the peer network has a peering back to this network; then both
    are C(ACTIVE). Run the module once on each side; RV(peering.state) tells which it is.
  - A peering has no description or labels, so its name is its only ownership mark. The module
    touches the peering named O(name) and no other; give the peerings it manages a prefix of
    their own (the link_clusters playbook uses C(xcl-)).
  - Refused before any change, with the fix named - a second peering to the same peer network
    (two networks peer once), a peering of O(name) that goes to another peer network (the peer
    cannot be changed in place), peering a network with itself.
  - Only O(export_custom_routes), O(import_custom_routes) and O(stack_type) of an existing peering
    are changed in place.
options:
  name:
    description: Name of the peering (an RFC 1035 label, at most 63 characters).
    type: str
    required: true
  state:
    description: Whether the peering should exist.
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Name or URL of the VPC network that holds the peering, in O(project).
    type: str
    required: true
  peer_network:
    description:
      - Name or URL of the network to peer with. A name is looked up in O(peer_project).
      - Required with O(state=present).
    type: str
  peer_project:
    description: Project of O(peer_network) when it is given by name; O(project) by default.
    type: str
  export_custom_routes:
    description: Export this network's custom (static and dynamic) routes to the peer.
    type: bool
    default: false
  import_custom_routes:
    description: Import the peer's custom routes it exports.
    type: bool
    default: false
  stack_type:
    description: Which subnet routes are exchanged.
    type: str
    choices: [IPV4_ONLY, IPV4_IPV6]
    default: IPV4_ONLY
extends_documentation_fragment:
  - crosscluster.link.gcp
  - crosscluster.link.gcp.WAIT
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
author:
  - crosscluster.link contributors (@crosscluster)
notes:
  - The peering is global, so O(region) is not used.
  - One peering operation runs at a time on a network and its peer (VPC Network Peering - a
    peering call fails while another is in progress); with O(wait=false), wait for the
    RV(operation) before the next peering call on either network.
seealso:
  - name: VPC Network Peering
    description: What peering exchanges, and its limits (no transitive peering, no overlapping ranges).
    link: https://cloud.google.com/vpc/docs/vpc-peering
"""

EXAMPLES = r"""
- name: Peer the network of gke-a with the network of gke-b (and back)
  crosscluster.link.gcp_network_peering:
    project: "{{ item.project }}"
    name: "xcl-{{ item.network }}-to-{{ item.peer_network }}"
    network: "{{ item.network }}"
    peer_project: "{{ item.peer_project }}"
    peer_network: "{{ item.peer_network }}"
  loop:
    - {project: team-a, network: vpc-a, peer_project: team-b, peer_network: vpc-b}
    - {project: team-b, network: vpc-b, peer_project: team-a, peer_network: vpc-a}
  register: peerings

- name: Remove the peering
  crosscluster.link.gcp_network_peering:
    project: team-a
    name: xcl-vpc-a-to-vpc-b
    network: vpc-a
    state: absent
"""

RETURN = r"""
peering:
  description: The peering as the API returns it in the network's C(peerings) (snake_case keys); empty when absent.
  returned: always
  type: dict
  contains:
    network:
      description: URL of the peer network.
      type: str
    state:
      description: C(ACTIVE) once the peer network has the matching peering, C(INACTIVE) until then.
      type: str
  sample:
    name: xcl-vpc-a-to-vpc-b
    network: https://compute.googleapis.com/compute/v1/projects/team-b/global/networks/vpc-b
    state: ACTIVE
    exchange_subnet_routes: true
    export_custom_routes: false
    import_custom_routes: false
    stack_type: IPV4_ONLY
operation:
  description:
    - With O(wait=false) and a change, the Operation the API returned for it (snake_case
      keys), usually PENDING or RUNNING; not returned otherwise.
  returned: when O(wait=false) and changed, not in check mode
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    GCP_ARGSPEC,
    WAIT_ARGSPEC,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_network_peering import (
    network_peering,
)

ARGSPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "network": {"type": "str", "required": True},
    "peer_network": {"type": "str"},
    "peer_project": {"type": "str"},
    "export_custom_routes": {"type": "bool", "default": False},
    "import_custom_routes": {"type": "bool", "default": False},
    "stack_type": {"type": "str", "choices": ["IPV4_ONLY", "IPV4_IPV6"], "default": "IPV4_ONLY"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **WAIT_ARGSPEC, **ARGSPEC}, supports_check_mode=True
    )
    run(module, network_peering, "peering", need_region=False)


if __name__ == "__main__":
    main()
