#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: link_plan
short_description: Validate the cluster inventory and plan the links between clusters
version_added: 0.1.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Validates every cluster's C(cluster_*) variables and the topology, reporting all problems
    together (a variable that looks like a misspelt known one is an error naming the known
    one), then enumerates the links and allocates each tunnel's /30 inside CIDR from
    C(169.254.0.0/16).
  - Runs on the controller and calls no cloud or cluster API. The plan is deterministic (the
    same inventory always gives the same plan), so runs are idempotent without a state store.
  - The plan never contains a pre-shared key; derive keys with the
    P(crosscluster.link.tunnel_psk#filter) filter where they are used.
  - Each provider pair has a default transport and may have others (O(transports)) - aws <-> gcp
    C(aws_gcp_ha_vpn) (four tunnels), aws <-> onprem C(aws_onprem_vpn) (two tunnels), gcp <->
    onprem C(gcp_onprem_ha_vpn) (two tunnels), aws <-> aws C(aws_vpc_peering) or
    C(aws_tgw_peering) (a peering attachment between the clusters' Transit Gateways), gcp <-> gcp
    C(gcp_vpc_peering) or C(gcp_ha_vpn) (two HA VPN gateways connected to each other, two
    tunnels on each, two BGP sessions). onprem <-> onprem links fail with C(not supported yet),
    after all other validation.
  - An C(onprem) cluster needs C(cluster_onprem_gateway_ip), the public IPv4 address of its
    gateway.
  - See C(docs/inventory.md) for every variable and C(docs/plan.md) for the allocation guarantee.
options:
  clusters:
    description:
      - Inventory host name -> that host's C(cluster_*) variables, with the C(cluster_) prefix
        kept (for example C(cluster_provider), C(cluster_pod_cidrs)).
      - Build it with P(crosscluster.link.cluster_specs#filter) so that only C(cluster_*)
        variables, and no secret, reach the module.
      - The cluster name is C(cluster_name) when set, else the host name.
    type: dict
    required: true
  topology:
    description:
      - V(full_mesh) links every pair of clusters; V(pairs) links only O(pairs).
    type: str
    default: full_mesh
  pairs:
    description:
      - The links for O(topology=pairs), each a list of two cluster names.
      - Ignored, with a warning, when O(topology=full_mesh).
    type: list
    elements: raw
  dns_image:
    description:
      - The resolver image of the DNS phase (C(link_dns_image)). When set, DNS will be linked,
        so every linked cluster then needs C(cluster_kubeconfig) (a readable kubeconfig file with
        C(cluster_context), or a current context) and C(cluster_api_endpoint), and the image
        must be a valid reference (and listed in C(cluster_dns_kubernetai_images) for a
        cluster with C(cluster_dns_mode=patch)).
      - This reads the kubeconfig files on the controller; it still calls no API.
    type: str
  transports:
    description:
      - "The group variable C(link_transports) - provider pair -> transport, overriding the
        pair's default. Keys are the two providers sorted and joined by C(-) (V(aws-aws),
        V(aws-gcp), V(aws-onprem), V(gcp-gcp), V(gcp-onprem)); for example
        C({gcp-gcp: gcp_ha_vpn})."
      - An unknown key, a transport that is not one of the pair's, or one not built yet is an
        error naming the pair and the allowed transports.
    type: raw
  link_variables:
    description:
      - Names (never values) of the C(link_*) variables set for the cluster hosts. A name that
        looks like a misspelt known variable (for example C(link_topolgy)) is an error naming
        the known one.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
requirements:
  - netaddr
"""

EXAMPLES = r"""
- name: Plan the links of the inventory's clusters
  crosscluster.link.link_plan:
    clusters: "{{ hostvars | crosscluster.link.cluster_specs(groups['clusters']) }}"
    topology: pairs
    pairs:
      - [aws-euw1, gcp-euw1]
  register: link_plan

- name: Plan an explicit pair of clusters
  crosscluster.link.link_plan:
    clusters:
      aws-euw1:
        cluster_provider: aws
        cluster_region: eu-west-1
        cluster_network: vpc-0a1b2c3d4e5f60718
        cluster_node_cidrs: [10.10.0.0/16]
        cluster_pod_cidrs: [10.11.0.0/16]
        cluster_service_cidrs: [10.12.0.0/20]
        cluster_dns_zone: aws-euw1.local
        cluster_asn: 64512
      gcp-euw1:
        cluster_provider: gcp
        cluster_region: europe-west1
        cluster_project: my-project-123
        cluster_network: prod-vpc
        cluster_node_cidrs: [10.20.0.0/20]
        cluster_pod_cidrs: [10.24.0.0/14]
        cluster_service_cidrs: [10.28.0.0/20]
        cluster_dns_zone: gcp-euw1.local
        cluster_asn: 65010
"""

RETURN = r"""
plan:
  description: The normalized clusters and the links with their tunnels.
  returned: success
  type: dict
  contains:
    clusters:
      description:
        - Cluster name -> normalized variables without the C(cluster_) prefix (C(name), C(host),
          C(provider), C(region), C(project), C(network), C(node_cidrs), C(pod_cidrs),
          C(service_cidrs), C(dns_zone), C(asn), C(kubeconfig), C(context), C(api_endpoint),
          C(aws_gateway), C(aws_transit_gateway_id)); unset values are V(null). An C(onprem)
          cluster also has C(onprem_gateway_ip).
      type: dict
      returned: success
    links:
      description:
        - One entry per link, sorted by id.
        - C(id) is the two sorted cluster names joined by C(--); C(clusters) the two names;
          C(transport) V(aws_gcp_ha_vpn); C(aws_cluster), C(gcp_cluster) the two ends.
        - C(tunnels) has 4 entries with C(id) (C(<link id>-t<index>)), C(index) (0-3),
          C(inside_cidr) (a /30), C(aws_inside_address) (first host), C(gcp_inside_address)
          (second host), C(aws_asn), C(gcp_asn), C(aws_vpn_connection) (V(a) or V(b)),
          C(aws_tunnel) (1 or 2), C(gcp_vpn_interface) (HA VPN interface 0 or 1) and
          C(gcp_external_interface) (external VPN gateway interface 0-3).
        - C(transport) V(aws_onprem_vpn) (C(aws_cluster), C(onprem_cluster)) has 2 tunnels with
          C(id), C(index), C(inside_cidr), C(aws_inside_address) (first host),
          C(onprem_inside_address) (second host), C(aws_asn), C(onprem_asn),
          C(aws_vpn_connection) (V(a)) and C(aws_tunnel) (1 or 2).
        - C(transport) V(gcp_onprem_ha_vpn) (C(gcp_cluster), C(onprem_cluster)) has 2 tunnels with
          C(id), C(index), C(inside_cidr), C(gcp_inside_address) (first host),
          C(onprem_inside_address) (second host), C(gcp_asn), C(onprem_asn),
          C(gcp_vpn_interface) (0 or 1) and C(gcp_external_interface) (V(0)).
        - C(transport) V(gcp_vpc_peering), V(aws_vpc_peering) and V(aws_tgw_peering) have no
          tunnel; C(gcp_peerings), C(aws_peerings) or C(aws_tgw_peerings) give each cluster's side.
        - C(transport) V(gcp_ha_vpn) has 2 tunnels with C(id), C(index), C(inside_cidr),
          C(gcp_vpn_interface) (0 or 1, on both gateways) and C(inside_addresses) (cluster ->
          its address, the first cluster on the first host); C(gcp_ha_vpn_sides) gives each
          cluster's C(peer_gcp_gateway), C(firewall_rules) and C(tunnels) (with
          C(gcp_tunnel), C(gcp_bgp_peer), C(gcp_interface), C(peer_inside_address),
          C(peer_asn)). See C(docs/plan.md).
      type: list
      elements: dict
      returned: success
      sample:
        - id: aws-euw1--gcp-euw1
          clusters: [aws-euw1, gcp-euw1]
          transport: aws_gcp_ha_vpn
          aws_cluster: aws-euw1
          gcp_cluster: gcp-euw1
          tunnels:
            - id: aws-euw1--gcp-euw1-t0
              index: 0
              inside_cidr: 169.254.243.48/30
              aws_inside_address: 169.254.243.49
              gcp_inside_address: 169.254.243.50
              aws_asn: 64512
              gcp_asn: 65010
              aws_vpn_connection: a
              aws_tunnel: 1
              gcp_vpn_interface: 0
              gcp_external_interface: 0
summary:
  description: The plan as readable lines (clusters, links, tunnels with addresses and ASNs).
  returned: success
  type: list
  elements: str
errors:
  description: Every validation error, when the module fails.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.crosscluster.link.plugins.module_utils._plan import (
    HAS_NETADDR,
    build_plan,
    summarize,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "clusters": {"type": "dict", "required": True},
            "topology": {"type": "str", "default": "full_mesh"},
            "pairs": {"type": "list", "elements": "raw"},
            "dns_image": {"type": "str"},
            "transports": {"type": "raw"},
            "link_variables": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib("netaddr"))
    params = module.params
    plan, errors, warnings = build_plan(
        params["clusters"],
        params["topology"],
        params["pairs"],
        dns_image=params["dns_image"],
        link_vars=params["link_variables"],
        transports=params["transports"],
    )
    for warning in warnings:
        module.warn(warning)
    if errors:
        message = f"link plan: {len(errors)} error(s):\n" + "\n".join(f"- {e}" for e in errors)
        module.fail_json(msg=message, errors=errors)
    module.exit_json(changed=False, plan=plan, summary=summarize(plan))


if __name__ == "__main__":
    main()
