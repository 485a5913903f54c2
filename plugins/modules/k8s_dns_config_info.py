#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_dns_config_info
short_description: Read a cluster's native DNS flavour, served zones and readiness
version_added: 0.1.0
description:
  - Detects the cluster DNS flavour (CoreDNS, CoreDNS with custom imports, kube-dns) and
    returns the zones it serves, the zones crosscluster.link manages in it, and whether the
    DNS Deployment is ready.
  - Used before any change to find zone collisions.
author: crosscluster.link contributors (@crosscluster)
extends_documentation_fragment:
  - crosscluster.link._k8s
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
options:
  namespace:
    description: Namespace of the cluster DNS.
    type: str
    default: kube-system
  flavour:
    description: The cluster DNS flavour; V(auto) detects it.
    type: str
    default: auto
    choices: [auto, kubeadm, eks, rke2, k3s, aks, gke]
  backup_name:
    description: Name of the backup ConfigMap of M(crosscluster.link.k8s_dns_config).
    type: str
    default: crosscluster-link-dns-backup
seealso:
  - module: crosscluster.link.k8s_dns_config
"""

EXAMPLES = r"""
- name: Read the native DNS of the cluster
  crosscluster.link.k8s_dns_config_info:
    kubeconfig: ~/.kube/config
    context: prod-euw1
  register: native_dns

- name: Refuse a zone the native DNS already serves
  ansible.builtin.assert:
    that: >-
      'gcp-euwest1.local' not in
      (native_dns.dns[0].zones | difference(native_dns.dns[0].managed_zones))
"""

RETURN = r"""
dns:
  description: The native DNS of the cluster (a list with one element).
  returned: always
  type: list
  elements: dict
  contains:
    flavour:
      description: Detected or given flavour.
      type: str
      sample: kubeadm
    configmap:
      description: ConfigMap that holds the zones for this flavour.
      type: str
      sample: coredns
    deployment:
      description: The DNS Deployment.
      type: str
      sample: coredns
    zones:
      description: Every zone the native DNS serves or forwards.
      type: list
      elements: str
      sample: [cluster.local, in-addr.arpa, ip6.arpa, .]
    managed_zones:
      description: The zones crosscluster.link manages.
      type: list
      elements: str
      sample: [gcp-euwest1.local]
    backup:
      description: Whether the backup ConfigMap exists.
      type: bool
    ready:
      description: Whether the DNS Deployment is rolled out and all its pods are ready.
      type: bool
    status:
      description: The pods' status messages when not ready.
      type: str
    warnings:
      description: Flavour warnings, for example about EKS managed add-ons.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._dns_config import (
    DNS_ARGSPEC,
    info,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    K8sError,
    load_client,
)


def main() -> None:
    module = AnsibleModule(argument_spec=DNS_ARGSPEC, supports_check_mode=True)
    p = module.params
    try:
        kube = load_client(p["kubeconfig"], p["context"])
        dns = info(kube, p["namespace"], p["flavour"], p["backup_name"])
    except (K8sError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    for warning in dns["warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, dns=[dns])


if __name__ == "__main__":
    main()
