#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_dns_config
short_description: Safely add remote zones to a cluster's native DNS (CoreDNS or kube-dns)
version_added: 0.1.0
description:
  - Manages the zones that crosscluster.link adds to the native cluster DNS, for every
    DNS flavour. Plain CoreDNS (C(kubeadm), C(eks), C(rke2)) gets one managed server block per
    zone in the Corefile of ConfigMap C(coredns); CoreDNS with custom imports (C(k3s), C(aks))
    gets a C(<zone>.server) key in ConfigMap C(coredns-custom), leaving the main Corefile
    untouched; kube-dns (C(gke)) gets the zone merged into C(stubDomains), keeping every
    other entry and C(upstreamNameservers).
  - The set of managed zones is exactly O(zones); zones added earlier by this module and no
    longer listed are removed. Blocks and entries this module did not add are never changed;
    a zone that already has one is an error.
  - Every change is safe. The previous content is kept in a backup ConfigMap, the change is
    applied, then the module waits for the DNS Deployment's rollout and keeps checking for
    O(reload_window) seconds that no DNS pod turns unready (CoreDNS reloads a changed
    Corefile by itself). If DNS does not stay ready the previous content is restored, the
    module waits for DNS to be ready again and fails with the pods' status message.
  - O(state=absent) removes everything this module added; if nobody else edited the
    ConfigMap since, the original content is restored byte for byte.
  - Patch mode (O(image)) switches the native CoreDNS container to a kubernetai-enabled image
    and mounts kubeconfig Secrets, so zones can carry C(kubernetai) stanzas in O(zones[].body).
author: crosscluster.link contributors (@crosscluster)
extends_documentation_fragment:
  - crosscluster.link._k8s
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
options:
  namespace:
    description: Namespace of the cluster DNS.
    type: str
    default: kube-system
  flavour:
    description:
      - The cluster DNS flavour. V(auto) detects it from what runs in O(namespace).
      - V(eks) adds a warning that managed add-on updates may overwrite the ConfigMap.
    type: str
    default: auto
    choices: [auto, kubeadm, eks, rke2, k3s, aks, gke]
  zones:
    description:
      - The zones to serve.
      - Each needs exactly one of O(zones[].forward) or O(zones[].body).
    type: list
    elements: dict
    default: []
    suboptions:
      zone:
        description: The zone, a DNS name such as C(aws-euwest1.local); not C(cluster.local).
        type: str
        required: true
      forward:
        description: IP addresses to forward the zone to (the dedicated resolver's Service).
        type: list
        elements: str
        default: []
      body:
        description:
          - Directive lines of the server block (CoreDNS flavours only), e.g. a kubernetai stanza.
        type: list
        elements: str
        default: []
  image:
    description:
      - Patch mode. The kubernetai-enabled image for the native CoreDNS container.
      - Not possible with kube-dns (V(gke)).
    type: str
  secret_mounts:
    description: Patch mode. Secrets mounted read-only into the native CoreDNS pods.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Volume name.
        type: str
        required: true
      secret:
        description: Secret name.
        type: str
        required: true
      mount_path:
        description: Directory in the container.
        type: str
        required: true
  state:
    description: V(present) manages O(zones); V(absent) removes all this module added.
    type: str
    default: present
    choices: [present, absent]
  rollout_timeout:
    description: Seconds to wait for the DNS Deployment to be rolled out and ready.
    type: int
    default: 300
  reload_window:
    description:
      - Seconds for which DNS must stay ready after a ConfigMap change.
      - Cover the kubelet ConfigMap sync delay plus the C(reload) plugin interval (30s by default).
    type: int
    default: 90
  backup_name:
    description: Name of the backup ConfigMap in O(namespace).
    type: str
    default: crosscluster-link-dns-backup
notes:
  - On EKS, CoreDNS is a managed add-on; updating it with C(--resolve-conflicts OVERWRITE)
    replaces the ConfigMap. Re-run after add-on updates.
seealso:
  - module: crosscluster.link.k8s_dns_config_info
"""

EXAMPLES = r"""
- name: Forward the remote zone to the dedicated resolver
  crosscluster.link.k8s_dns_config:
    kubeconfig: ~/.kube/config
    context: prod-euw1
    zones:
      - zone: gcp-euwest1.local
        forward: [10.96.200.53]

- name: Remove the zones and restore the native DNS configuration
  crosscluster.link.k8s_dns_config:
    kubeconfig: ~/.kube/config
    context: prod-euw1
    state: absent
"""

RETURN = r"""
flavour:
  description: The DNS flavour used.
  returned: always
  type: str
  sample: kubeadm
configmap:
  description: The ConfigMap edited in O(namespace).
  returned: always
  type: str
  sample: coredns
deployment:
  description: The DNS Deployment checked after the change.
  returned: always
  type: str
  sample: coredns
zones:
  description: The zones managed after the run.
  returned: always
  type: list
  elements: str
  sample: [gcp-euwest1.local]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._dns_config import (
    DNS_ARGSPEC,
    Params,
    Zone,
    check_params,
    run,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    K8sError,
    load_client,
)

ARGSPEC = {
    **DNS_ARGSPEC,
    "zones": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "zone": {"type": "str", "required": True},
            "forward": {"type": "list", "elements": "str", "default": []},
            "body": {"type": "list", "elements": "str", "default": []},
        },
    },
    "image": {"type": "str"},
    "secret_mounts": {
        "no_log": False,  # names of Secrets, not their content
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "secret": {"type": "str", "required": True, "no_log": False},
            "mount_path": {"type": "str", "required": True},
        },
    },
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "rollout_timeout": {"type": "int", "default": 300},
    "reload_window": {"type": "int", "default": 90},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGSPEC, supports_check_mode=True)
    p = module.params
    params = Params(
        namespace=p["namespace"],
        flavour=p["flavour"],
        zones=[Zone(z["zone"], z["forward"], z["body"]) for z in p["zones"]],
        image=p["image"],
        secret_mounts=p["secret_mounts"],
        state=p["state"],
        rollout_timeout=p["rollout_timeout"],
        reload_window=p["reload_window"],
        backup_name=p["backup_name"],
    )
    try:
        check_params(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        kube = load_client(p["kubeconfig"], p["context"])
        changed, result = run(kube, params, module.check_mode)
    except K8sError as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop("diff")
    for warning in result.pop("warnings"):
        module.warn(warning)
    if module._diff:
        result["diff"] = diff
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
