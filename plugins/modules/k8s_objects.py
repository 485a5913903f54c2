#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_objects
short_description: Create or update Kubernetes objects, writing only those that differ
version_added: 0.2.0
description:
  - Reads each object of O(definitions) and leaves it alone when every field its definition
    gives already has that value on the server, so a re-run sends reads only. A missing object
    is created; a differing one is updated with a JSON merge patch of its definition (lists
    are replaced whole, so a Service keeps both its UDP and TCP port 53, which a strategic
    merge would merge by port number).
  - An existing object is changed only when it carries every label of O(owner_labels);
    otherwise the module fails naming it and changes nothing more. Every definition is checked
    before the first call.
  - Values are compared as written, so give them as the API server stores them (for
    example a CPU quantity C(100m), not C(0.1)), or every run updates the object.
  - Supports the kinds the collection writes - C(v1) Namespace, ConfigMap, Secret, Service and
    ServiceAccount, C(apps/v1) Deployment, C(rbac.authorization.k8s.io/v1) ClusterRole and
    ClusterRoleBinding. Secret values are hidden in the diff and the result.
author: crosscluster.link contributors (@crosscluster)
extends_documentation_fragment:
  - crosscluster.link._k8s
  - crosscluster.link._attributes
  - crosscluster.link._attributes.RESOURCE
options:
  definitions:
    description: The objects, in the order they are written (a Namespace before what is in it).
    type: list
    elements: dict
    required: true
  owner_labels:
    description: Labels an existing object must carry to be updated.
    type: dict
    default: {}
seealso:
  - module: crosscluster.link.k8s_dns_config
"""

EXAMPLES = r"""
- name: The resolver's namespace and ConfigMap
  crosscluster.link.k8s_objects:
    kubeconfig: ~/.kube/aws-euw1
    owner_labels:
      app.kubernetes.io/managed-by: crosscluster.link
    definitions:
      - apiVersion: v1
        kind: Namespace
        metadata:
          name: crosscluster-link
          labels:
            app.kubernetes.io/managed-by: crosscluster.link
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: crosscluster-link-dns
          namespace: crosscluster-link
          labels:
            app.kubernetes.io/managed-by: crosscluster.link
        data:
          Corefile: ".:53 {\n  whoami\n}\n"
"""

RETURN = r"""
objects:
  description: One entry per definition, in order.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Its kind.
      type: str
    namespace:
      description: Its namespace (empty for a cluster-wide kind).
      type: str
    name:
      description: Its name.
      type: str
    action:
      description: What was done (in check mode, what would be).
      type: str
      sample: unchanged
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    CONNECTION_ARGSPEC,
    K8sError,
    load_client,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_objects import ensure


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGSPEC,
            "definitions": {"type": "list", "elements": "dict", "required": True},
            "owner_labels": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        kube = load_client(p["kubeconfig"], p["context"])
        changed, objects, diffs = ensure(
            kube, p["definitions"], p["owner_labels"], module.check_mode
        )
    except (K8sError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    result: dict = {"changed": changed, "objects": objects}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
