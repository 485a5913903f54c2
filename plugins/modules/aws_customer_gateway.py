#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_customer_gateway
short_description: Manage an AWS Site-to-Site VPN customer gateway
version_added: 0.1.0
description:
  - Creates or deletes an EC2 customer gateway (the remote VPN device, for example one
    interface of a GCP HA VPN gateway) and manages its tags.
  - A gateway is identified by O(ip_address), O(bgp_asn) and the ownership tag
    C(crosscluster.link/managed=true). An existing gateway with the same IP and ASN is
    returned unchanged, as AWS does for an identical CreateCustomerGateway.
  - O(state=absent) deletes only a gateway tagged as managed by this collection.
  - With O(gateways), several gateways in one call - one C(DescribeCustomerGateways) for all of
    them; every entry is checked and matched first, so a wrong entry changes nothing.
author:
  - crosscluster.link contributors (@crosscluster)
options:
  name:
    description:
      - Name of the gateway, set as the C(Name) and C(crosscluster.link/name) tags.
      - Exactly one of O(name) and O(gateways) is given; with O(name), O(ip_address) and
        O(bgp_asn) are required.
    type: str
  gateways:
    description:
      - Several gateways, each with the options that differ per gateway; the other options
        (O(tags), O(purge_tags), O(state), the AWS options) and any of these left unset in an
        entry are the module's own.
      - The diff and the return value are keyed by gateway name; a bad entry is named
        C(gateways[i]) in the error, before any change.
    type: list
    elements: dict
    version_added: 0.6.0
    suboptions:
      name:
        description: Name of the gateway (see O(name)).
        type: str
        required: true
      ip_address:
        description: Public IPv4 address of the customer device.
        type: str
      bgp_asn:
        description: BGP ASN of the customer device (see O(bgp_asn)).
        type: int
      device_name:
        description: Device name (see O(device_name)).
        type: str
      tags:
        description: Tags of this gateway, instead of O(tags).
        type: dict
  ip_address:
    description:
      - Public IPv4 address of the customer device.
    type: str
  bgp_asn:
    description:
      - BGP ASN of the customer device, 1 to 4294967295.
      - Values above 2147483647 are sent as C(BgpAsnExtended).
      - 7224 is reserved by AWS, and 9059, 10124 and 17943 in eu-west-1, ap-northeast-1
        and ap-southeast-1.
    type: int
  device_name:
    description:
      - Device name of the customer gateway. Set only at creation; AWS cannot change it.
      - When set, it is part of the gateway's identity. Gateways with the same IP address and
        BGP ASN are distinct only by their device names (an identical create returns the
        existing gateway), so give each its own, e.g. one per link to the same peer.
    type: str
  tags:
    description:
      - Tags to set. The ownership tags are always added.
      - If not set, existing tags are left alone.
    type: dict
  purge_tags:
    description:
      - Remove tags not in O(tags) (never the ownership tags).
    type: bool
    default: false
  state:
    description:
      - Whether the gateway should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
  - crosscluster.link.aws
"""

EXAMPLES = r"""
- name: Customer gateway for GCP HA VPN interface 0
  crosscluster.link.aws_customer_gateway:
    name: link-gcp-if0
    ip_address: 203.0.113.10
    bgp_asn: 65010
    region: eu-west-1

- name: Remove it
  crosscluster.link.aws_customer_gateway:
    name: link-gcp-if0
    ip_address: 203.0.113.10
    bgp_asn: 65010
    state: absent

- name: Both customer gateways of a link to a GCP HA VPN gateway, in one call
  crosscluster.link.aws_customer_gateway:
    region: eu-west-1
    gateways:
      - {name: link-gcp-if0, ip_address: 203.0.113.10, bgp_asn: 65010}
      - {name: link-gcp-if1, ip_address: 203.0.113.11, bgp_asn: 65010}
"""

RETURN = r"""
customer_gateways:
  description:
    - With O(gateways), each gateway by name, shaped as RV(customer_gateway) (null when absent,
      or when it would be created in check mode).
  returned: when O(gateways) is given
  type: dict
  sample: {"link-gcp-if0": {"customer_gateway_id": "cgw-0123456789abcdef0"}}
customer_gateway:
  description: The customer gateway (null when absent, or when it would be created in check mode).
  returned: when O(name) is given
  type: dict
  contains:
    customer_gateway_id:
      description: ID of the gateway.
      type: str
      sample: cgw-0123456789abcdef0
    ip_address:
      description: Public IP address.
      type: str
    bgp_asn:
      description: BGP ASN.
      type: int
    device_name:
      description: Device name.
      type: str
    state:
      description: State (pending, available, deleting, deleted).
      type: str
    type:
      description: VPN type.
      type: str
      sample: ipsec.1
    name:
      description: Value of the Name tag.
      type: str
    managed:
      description: Whether the gateway carries the ownership tag.
      type: bool
    tags:
      description: Tags.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AWS_AUTH_ARGSPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._aws_cgw import ensure, validate


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **AWS_AUTH_ARGSPEC,
            "name": {"type": "str"},
            "gateways": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "name": {"type": "str", "required": True},
                    "ip_address": {"type": "str"},
                    "bgp_asn": {"type": "int"},
                    "device_name": {"type": "str"},
                    "tags": {"type": "dict"},
                },
            },
            "ip_address": {"type": "str"},
            "bgp_asn": {"type": "int"},
            "device_name": {"type": "str"},
            "tags": {"type": "dict"},
            "purge_tags": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        mutually_exclusive=[*AWS_MUTUALLY_EXCLUSIVE, ("name", "gateways")],
        required_one_of=[("name", "gateways")],
        supports_check_mode=True,
    )
    run(module, ensure, validate)


if __name__ == "__main__":
    main()
