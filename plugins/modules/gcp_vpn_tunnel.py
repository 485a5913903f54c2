#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gcp_vpn_tunnel
short_description: Manage an HA VPN tunnel to an external VPN gateway or another HA VPN gateway
version_added: 0.1.0
description:
  - Creates or deletes a Compute Engine VPN tunnel from an HA VPN gateway interface to an
    external VPN gateway interface (O(peer_external_gateway)), or to another HA VPN gateway
    (O(peer_gcp_gateway), the same interface number on it), attached to a Cloud Router
    (dynamic routing).
  - VPN tunnels cannot be updated in place. A different gateway, interface, IKE version or
    router is reported as an error; set O(replace=true) to delete and recreate the tunnel.
  - The shared secret cannot be read back. The API returns C(sharedSecretHash), but its
    algorithm is not documented, so a changed secret is not detected; to apply a new secret,
    run with O(replace=true) (the tunnel is recreated on every such run).
  - An existing tunnel whose description does not contain C(crosscluster.link) is not modified
    or deleted.
  - With O(tunnels), several tunnels in one call - every entry is checked and compared first
    (nothing changes when one is wrong), then every insert or delete is started and their
    operations are waited for once, side by side, instead of one task and one wait per tunnel.
options:
  name:
    description: Name of the tunnel. Exactly one of O(name) and O(tunnels) is given.
    type: str
  tunnels:
    description:
      - Several tunnels, each with the options that differ per tunnel; the other options
        (O(vpn_gateway), O(router), O(ike_version), O(state), O(replace), the wait) and any of
        these left unset in an entry are the module's own.
      - The diff and the return value are keyed by tunnel name; a bad entry is named
        C(tunnels[i]) in the error.
    type: list
    elements: dict
    version_added: 0.6.0
    suboptions:
      name:
        description: Name of the tunnel.
        type: str
        required: true
      vpn_gateway_interface:
        description: HA VPN gateway interface, 0 or 1.
        type: int
      peer_external_gateway:
        description: Name or URL of the external VPN gateway.
        type: str
      peer_external_gateway_interface:
        description: External gateway interface (see O(peer_external_gateway_interface)).
        type: int
      peer_gcp_gateway:
        description: The peer HA VPN gateway (see O(peer_gcp_gateway)).
        type: str
      shared_secret:
        description: Pre-shared key. Sent on creation only.
        type: str
      description:
        description: Description; the ownership marker is added when missing.
        type: str
  state:
    description: Whether the tunnel should exist.
    type: str
    choices: [present, absent]
    default: present
  vpn_gateway:
    description: Name or URL of the HA VPN gateway. Required with O(state=present).
    type: str
  vpn_gateway_interface:
    description: HA VPN gateway interface, 0 or 1.
    type: int
    default: 0
  peer_external_gateway:
    description:
      - Name or URL of the external VPN gateway.
      - With O(state=present), exactly one of O(peer_external_gateway) and O(peer_gcp_gateway)
        is required.
    type: str
  peer_external_gateway_interface:
    description:
      - External gateway interface, within the count of its redundancy type. V(0) when unset.
      - Only with O(peer_external_gateway).
    type: int
  peer_gcp_gateway:
    description:
      - Name (same project and region) or URL / C(projects/...) link (any project or region) of
        the peer HA VPN gateway, for HA VPN to HA VPN (VpnTunnel C(peerGcpGateway)). The
        tunnel connects to the same interface number of the peer gateway as
        O(vpn_gateway_interface); the peer gateway must exist.
      - The peer side needs its own tunnel back to this gateway, with the same O(shared_secret),
        and a BGP peer mirroring this one.
    type: str
    version_added: 0.5.0
  ike_version:
    description: IKE version; use 2.
    type: int
    choices: [1, 2]
    default: 2
  shared_secret:
    description: Pre-shared key. Required with O(state=present). Sent on creation only.
    type: str
  router:
    description:
      - Name or URL of the Cloud Router that runs BGP over the tunnel. Required with
        O(state=present).
    type: str
  replace:
    description:
      - Delete and recreate an existing tunnel, to apply a new shared secret or other settings.
    type: bool
    default: false
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
- name: Tunnel from HA interface 0 to AWS connection A tunnel 1
  crosscluster.link.gcp_vpn_tunnel:
    name: xcl-aws-a1
    project: my-project
    region: europe-west1
    vpn_gateway: xcl-gw
    vpn_gateway_interface: 0
    peer_external_gateway: xcl-aws-peer
    peer_external_gateway_interface: 0
    shared_secret: "{{ link_psk_a1 }}"
    router: xcl-router

- name: Tunnel from HA interface 1 to interface 1 of another HA VPN gateway
  crosscluster.link.gcp_vpn_tunnel:
    name: xcl-gke-a--gke-b-t1-0
    project: team-a
    region: europe-west1
    vpn_gateway: xcl-gke-a-gw
    vpn_gateway_interface: 1
    peer_gcp_gateway: projects/team-b/regions/europe-west1/vpnGateways/xcl-gke-b-gw
    shared_secret: "{{ link_psk_t1 }}"
    router: xcl-gke-a-router

- name: Both tunnels of an HA VPN gateway to an on-prem gateway, started together, waited for once
  crosscluster.link.gcp_vpn_tunnel:
    project: my-project
    region: europe-west1
    vpn_gateway: xcl-gw
    router: xcl-router
    peer_external_gateway: xcl-dc1
    tunnels:
      - {name: xcl-dc1-t0, vpn_gateway_interface: 0, shared_secret: "{{ link_psk_t0 }}"}
      - {name: xcl-dc1-t1, vpn_gateway_interface: 1, shared_secret: "{{ link_psk_t1 }}"}
  no_log: true
"""

RETURN = r"""
vpn_tunnels:
  description:
    - With O(tunnels), each tunnel as the API returns it, by name (each shaped as
      RV(vpn_tunnel)); absent ones are left out.
  returned: with O(tunnels)
  type: dict
  sample:
    xcl-dc1-t0: {"name": "xcl-dc1-t0", "status": "ESTABLISHED", "ike_version": 2}
operations:
  description:
    - With O(tunnels), O(wait=false) and a change, the Operations the API returned (see
      RV(operation)).
  returned: with O(tunnels) and O(wait=false), not in check mode
  type: list
  elements: dict
vpn_tunnel:
  description:
    - The tunnel as the API returns it (snake_case keys, the secret masked); empty when absent.
  returned: with O(name)
  type: dict
  sample: {"name": "xcl-aws-a1", "status": "ESTABLISHED", "ike_version": 2}
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
from ansible_collections.crosscluster.link.plugins.module_utils._gcp_vpn_tunnel import vpn_tunnel

TUNNEL_OPTIONS = {
    "name": {"type": "str", "required": True},
    "vpn_gateway_interface": {"type": "int"},
    "peer_external_gateway": {"type": "str"},
    "peer_external_gateway_interface": {"type": "int"},
    "peer_gcp_gateway": {"type": "str"},
    "shared_secret": {"type": "str", "no_log": True},
    "description": {"type": "str"},
}
ARGSPEC = {
    "name": {"type": "str"},
    "tunnels": {"type": "list", "elements": "dict", "options": TUNNEL_OPTIONS},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "vpn_gateway": {"type": "str"},
    "vpn_gateway_interface": {"type": "int", "default": 0},
    "peer_external_gateway": {"type": "str"},
    "peer_external_gateway_interface": {"type": "int"},
    "peer_gcp_gateway": {"type": "str"},
    "ike_version": {"type": "int", "choices": [1, 2], "default": 2},
    "shared_secret": {"type": "str", "no_log": True},
    "router": {"type": "str"},
    "replace": {"type": "bool", "default": False},
    "description": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec={**GCP_ARGSPEC, **WAIT_ARGSPEC, **ARGSPEC},
        mutually_exclusive=[("peer_external_gateway", "peer_gcp_gateway"), ("name", "tunnels")],
        required_one_of=[("name", "tunnels")],
        supports_check_mode=True,
    )
    run(module, vpn_tunnel, "vpn_tunnel" if module.params["tunnels"] is None else "vpn_tunnels")


if __name__ == "__main__":
    main()
