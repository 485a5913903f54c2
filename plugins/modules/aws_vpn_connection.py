#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_vpn_connection
short_description: Manage an AWS Site-to-Site VPN connection and its tunnel options
version_added: 0.1.0
description:
  - Creates, updates or deletes an EC2 Site-to-Site VPN connection on a virtual private
    gateway (VGW) or a transit gateway (TGW), with BGP (default) or static routing and full
    per-tunnel IKE options.
  - The connection is identified by the ownership tags C(crosscluster.link/managed=true) and
    C(crosscluster.link/name=<name>). O(state=absent) deletes only such a connection.
  - Drift in tunnel options is corrected in place with C(ModifyVpnTunnelOptions), one tunnel at
    a time. AWS modifies one tunnel at a time and the connection is C(modifying) meanwhile, so
    the module waits for C(available) (up to O(wait_timeout)) before each further modification.
    A change AWS cannot make in place (customer gateway, VGW/TGW, O(static_routes_only)) is
    refused with an explanation unless O(replace=true), which deletes and recreates the
    connection.
  - Only the tunnel options you set are compared and changed; the others keep AWS's values.
  - AWS reports the tunnels in no documented order, so each entry of O(tunnel_options) is
    paired with the AWS tunnel that has its O(tunnel_options[].inside_cidr), never by position.
  - Outside IPs exist while the connection is still C(pending), so O(wait) is off by default.
  - O(state=absent) (and O(replace=true)) waits until the deleted connection is C(deleted), up
    to O(delete_timeout). AWS takes minutes, and until then its customer gateway and VGW cannot
    be deleted (C(IncorrectState) "is in use").
  - With O(connections), several connections in one call. One C(DescribeVpnConnections) for all
    of them; every entry is checked and planned first, so a wrong entry (named
    C(connections[i]) in the error) changes nothing. Then every creation, deletion and first
    tunnel modification is started without waiting, and the waits come after, side by side.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  name:
    description:
      - Name of the connection (C(Name) and C(crosscluster.link/name) tags).
      - Exactly one of O(name) and O(connections) is given.
    type: str
  connections:
    description:
      - Several connections, each with the options that differ per connection; the other
        options (O(vpn_gateway_id), O(transit_gateway_id), O(static_routes_only), O(tags) when
        an entry has none, O(purge_tags), O(replace), O(wait), O(wait_timeout),
        O(delete_timeout), O(state), the AWS options) are the module's own.
      - The diff and the return value are keyed by connection name.
    type: list
    elements: dict
    version_added: 0.6.0
    suboptions:
      name:
        description: Name of the connection (see O(name)).
        type: str
        required: true
      customer_gateway_id:
        description: ID of the customer gateway.
        type: str
      customer_gateway_name:
        description:
          - Instead of O(connections[].customer_gateway_id), the name of a customer gateway
            managed by this collection (its C(crosscluster.link/name) tag), resolved with one
            C(DescribeCustomerGateways) for all entries.
          - In check mode a gateway that does not exist yet means the connection would be
            created.
        type: str
      tunnel_options:
        description: Options of the two tunnels (see O(tunnel_options)).
        type: list
        elements: dict
        suboptions: &tunnel_suboptions
          inside_cidr:
            description:
              - A /30 inside 169.254.0.0/16; not 169.254.0.0/30 to 169.254.5.0/30 nor
                169.254.169.252/30. AWS takes the first host, the customer the second.
            type: str
          pre_shared_key:
            description:
              - 8 to 64 letters, digits, C(.) or C(_), not starting with C(0). Never shown in diff
                or results.
            type: str
          ike_versions:
            description: Permitted IKE versions.
            type: list
            elements: str
            choices: [ikev1, ikev2]
          phase1_encryption_algorithms:
            description: Phase 1 encryption algorithms.
            type: list
            elements: str
            choices: [AES128, AES256, AES128-GCM-16, AES256-GCM-16]
          phase2_encryption_algorithms:
            description: Phase 2 encryption algorithms.
            type: list
            elements: str
            choices: [AES128, AES256, AES128-GCM-16, AES256-GCM-16]
          phase1_integrity_algorithms:
            description: Phase 1 integrity algorithms.
            type: list
            elements: str
            choices: [SHA1, SHA2-256, SHA2-384, SHA2-512]
          phase2_integrity_algorithms:
            description: Phase 2 integrity algorithms.
            type: list
            elements: str
            choices: [SHA1, SHA2-256, SHA2-384, SHA2-512]
          phase1_dh_group_numbers:
            description: Phase 1 Diffie-Hellman groups.
            type: list
            elements: int
            choices: [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
          phase2_dh_group_numbers:
            description: Phase 2 Diffie-Hellman groups.
            type: list
            elements: int
            choices: [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
          phase1_lifetime_seconds:
            description: Phase 1 lifetime, 900 to 28800.
            type: int
          phase2_lifetime_seconds:
            description: Phase 2 lifetime, 900 to 3600 and less than the phase 1 lifetime.
            type: int
          rekey_margin_time_seconds:
            description: Rekey margin, 60 to half of the phase 2 lifetime.
            type: int
          rekey_fuzz_percentage:
            description: Rekey fuzz, 0 to 100.
            type: int
          replay_window_size:
            description: Replay window packets, 64 to 2048.
            type: int
          dpd_timeout_seconds:
            description: Dead peer detection timeout, at least 30.
            type: int
          dpd_timeout_action:
            description: Action after a DPD timeout.
            type: str
            choices: [clear, none, restart]
          startup_action:
            description: V(start) makes AWS initiate the IKE negotiation; V(add) waits for the peer.
            type: str
            choices: [add, start]
          enable_tunnel_lifecycle_control:
            description: Tunnel endpoint lifecycle control.
            type: bool
      tags:
        description: Tags of this connection, instead of O(tags).
        type: dict
  customer_gateway_id:
    description:
      - ID of the customer gateway. Required when O(state=present).
    type: str
  vpn_gateway_id:
    description:
      - ID of the virtual private gateway. Give exactly one of O(vpn_gateway_id) and
        O(transit_gateway_id) when O(state=present).
    type: str
  transit_gateway_id:
    description:
      - ID of the transit gateway. Give exactly one of O(vpn_gateway_id) and
        O(transit_gateway_id) when O(state=present).
    type: str
  static_routes_only:
    description:
      - Use static routes instead of BGP.
    type: bool
    default: false
  tunnel_options:
    description:
      - Options of the two tunnels (at most 2 entries).
      - An entry is paired with the AWS tunnel that has its O(tunnel_options[].inside_cidr). Entries
        without one (or with a new one) are paired with the remaining AWS tunnels so that the
        fewest options change; set O(tunnel_options[].inside_cidr) on both to be explicit.
      - Values are validated as the EC2 C(VpnTunnelOptionsSpecification) reference allows,
        before any API call.
    type: list
    elements: dict
    # The same suboptions as O(connections[].tunnel_options).
    suboptions: *tunnel_suboptions
  tags:
    description:
      - Tags to set. The ownership tags are always added. If not set, tags are left alone.
    type: dict
  purge_tags:
    description:
      - Remove tags not in O(tags) (never the ownership tags).
    type: bool
    default: false
  replace:
    description:
      - Allow deleting and recreating the connection when a setting AWS cannot change in place
        differs. The tunnels get new outside IPs.
    type: bool
    default: false
  wait:
    description:
      - Wait until the connection is C(available).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for C(available) with O(wait=true), and before each tunnel
        modification after the first (whatever O(wait) says).
    type: int
    default: 600
  delete_timeout:
    description:
      - Seconds O(state=absent) and O(replace=true) wait for a deleted connection to be
        C(deleted), polling. V(0) returns as soon as AWS accepted the deletion.
    type: int
    default: 900
  state:
    description:
      - Whether the connection should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: BGP VPN connection to GCP HA VPN interface 0, IKEv2 with one proposal set
  crosscluster.link.aws_vpn_connection:
    name: link-aws-gcp-a
    customer_gateway_id: "{{ cgw_if0.customer_gateway.customer_gateway_id }}"
    vpn_gateway_id: "{{ vgw.vgw.id }}"
    tunnel_options:
      - inside_cidr: 169.254.10.0/30
        pre_shared_key: "{{ psk_a1 }}"
        ike_versions: [ikev2]
        phase1_encryption_algorithms: [AES256]
        phase1_integrity_algorithms: [SHA2-256]
        phase1_dh_group_numbers: [20]
        phase2_encryption_algorithms: [AES256]
        phase2_integrity_algorithms: [SHA2-256]
        phase2_dh_group_numbers: [20]
      - inside_cidr: 169.254.10.4/30
        pre_shared_key: "{{ psk_a2 }}"
        ike_versions: [ikev2]
  register: vpn_a

- name: Outside IPs for the GCP external VPN gateway
  ansible.builtin.debug:
    msg: "{{ vpn_a.vpn_connection.tunnels | map(attribute='outside_ip') | list }}"

- name: Delete it
  crosscluster.link.aws_vpn_connection:
    name: link-aws-gcp-a
    state: absent

- name: Both connections of a link, created together, waited for once
  crosscluster.link.aws_vpn_connection:
    vpn_gateway_id: "{{ vgw.vgw.id }}"
    wait: true
    connections:
      - name: link-aws-gcp-a
        customer_gateway_name: link-gcp-if0
        tunnel_options:
          - {inside_cidr: 169.254.10.0/30, pre_shared_key: "{{ psk_a1 }}"}
          - {inside_cidr: 169.254.10.4/30, pre_shared_key: "{{ psk_a2 }}"}
      - name: link-aws-gcp-b
        customer_gateway_name: link-gcp-if1
        tunnel_options:
          - {inside_cidr: 169.254.10.8/30, pre_shared_key: "{{ psk_b1 }}"}
          - {inside_cidr: 169.254.10.12/30, pre_shared_key: "{{ psk_b2 }}"}
  no_log: true
  register: vpn
"""

RETURN = r"""
vpn_connections:
  description:
    - With O(connections), each connection by name, shaped as RV(vpn_connection) (null when
      absent, or when it would be created in check mode).
  returned: when O(connections) is given
  type: dict
  sample: {"link-aws-gcp-a": {"vpn_connection_id": "vpn-0123456789abcdef0"}}
vpn_connection:
  description: The connection (null when absent, or when it would be created in check mode).
  returned: when O(name) is given
  type: dict
  contains:
    vpn_connection_id:
      description: ID of the connection.
      type: str
      sample: vpn-0123456789abcdef0
    state:
      description: State (pending, available, modifying, deleting, deleted).
      type: str
    type:
      description: VPN type.
      type: str
    customer_gateway_id:
      description: Customer gateway ID.
      type: str
    vpn_gateway_id:
      description: VGW ID, or null.
      type: str
    transit_gateway_id:
      description: TGW ID, or null.
      type: str
    static_routes_only:
      description: Whether routing is static.
      type: bool
    name:
      description: Name tag.
      type: str
    managed:
      description: Whether it carries the ownership tag.
      type: bool
    tags:
      description: Tags.
      type: dict
    routes:
      description: Static routes of the connection.
      type: list
      elements: dict
    tunnels:
      description:
        - One entry per tunnel, in the order of O(tunnel_options) (paired by inside CIDR), then
          any other tunnel by outside IP.
      type: list
      elements: dict
      contains:
        outside_ip:
          description: AWS outside (public) IP of the tunnel.
          type: str
        inside_cidr:
          description: Inside /30.
          type: str
        aws_inside_address:
          description: AWS-side BGP address (first host of the /30).
          type: str
        customer_inside_address:
          description: Customer-side BGP address (second host of the /30).
          type: str
        aws_asn:
          description: AWS-side ASN (of the VGW or TGW).
          type: int
        status:
          description: Telemetry status, V(UP) or V(DOWN).
          type: str
        status_message:
          description: Telemetry status message.
          type: str
        accepted_route_count:
          description: Routes accepted over BGP.
          type: int
        options:
          description: Tunnel options as AWS reports them (pre-shared key masked).
          type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_vpn import (
    DPD_TIMEOUT_ACTIONS,
    ENCRYPTION_ALGORITHMS,
    IKE_VERSIONS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    STARTUP_ACTIONS,
    ensure,
    validate,
)

TUNNEL_SPEC = {
    "inside_cidr": {"type": "str"},
    "pre_shared_key": {"type": "str", "no_log": True},
    "ike_versions": {"type": "list", "elements": "str", "choices": list(IKE_VERSIONS)},
    "phase1_encryption_algorithms": {
        "type": "list",
        "elements": "str",
        "choices": list(ENCRYPTION_ALGORITHMS),
    },
    "phase2_encryption_algorithms": {
        "type": "list",
        "elements": "str",
        "choices": list(ENCRYPTION_ALGORITHMS),
    },
    "phase1_integrity_algorithms": {
        "type": "list",
        "elements": "str",
        "choices": list(INTEGRITY_ALGORITHMS),
    },
    "phase2_integrity_algorithms": {
        "type": "list",
        "elements": "str",
        "choices": list(INTEGRITY_ALGORITHMS),
    },
    "phase1_dh_group_numbers": {
        "type": "list",
        "elements": "int",
        "choices": list(PHASE1_DH_GROUPS),
    },
    "phase2_dh_group_numbers": {
        "type": "list",
        "elements": "int",
        "choices": list(PHASE2_DH_GROUPS),
    },
    "phase1_lifetime_seconds": {"type": "int"},
    "phase2_lifetime_seconds": {"type": "int"},
    "rekey_margin_time_seconds": {"type": "int", "no_log": False},
    "rekey_fuzz_percentage": {"type": "int", "no_log": False},
    "replay_window_size": {"type": "int"},
    "dpd_timeout_seconds": {"type": "int"},
    "dpd_timeout_action": {"type": "str", "choices": list(DPD_TIMEOUT_ACTIONS)},
    "startup_action": {"type": "str", "choices": list(STARTUP_ACTIONS)},
    "enable_tunnel_lifecycle_control": {"type": "bool"},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "name": {"type": "str"},
            "connections": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "name": {"type": "str", "required": True},
                    "customer_gateway_id": {"type": "str"},
                    "customer_gateway_name": {"type": "str"},
                    "tunnel_options": {
                        "type": "list",
                        "elements": "dict",
                        "options": TUNNEL_SPEC,
                    },
                    "tags": {"type": "dict"},
                },
            },
            "customer_gateway_id": {"type": "str"},
            "vpn_gateway_id": {"type": "str"},
            "transit_gateway_id": {"type": "str"},
            "static_routes_only": {"type": "bool", "default": False},
            "tunnel_options": {"type": "list", "elements": "dict", "options": TUNNEL_SPEC},
            "tags": {"type": "dict"},
            "purge_tags": {"type": "bool", "default": False},
            "replace": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 600},
            "delete_timeout": {"type": "int", "default": 900},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=[*AWS_MUTUALLY_EXCLUSIVE, ("name", "connections")],
        required_one_of=[("name", "connections")],
        supports_check_mode=True,
    )
    run(module, ensure, validate)


if __name__ == "__main__":
    main()
