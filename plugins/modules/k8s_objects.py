#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_objects
short_description: Create, update or remove Kubernetes objects, writing only those that differ
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
    ClusterRoleBinding. Secret values are hidden in the diff, and in the result unless
    O(reveal_secrets) is set.
  - With O(state=absent) each object that exists and carries every label of O(owner_labels) is
    deleted; one without them is left alone (action C(kept)), a missing one is C(absent). There
    a name may end in C(*) - every object of that kind (and namespace) carrying the owner labels
    whose name starts with the rest, except those O(keep) names.
  - Every API call is retried on 429 and 5xx answers (the Kubernetes API conventions), with
    backoff, so a busy API server does not fail the task.
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
    description: Labels an existing object must carry to be updated or deleted.
    type: dict
    default: {}
  state:
    description: Whether the objects should exist.
    type: str
    choices: [present, absent]
    default: present
  keep:
    description:
      - With O(state=absent), the objects a name ending in C(*) does not select, by kind and
        name (in any namespace), for example the remotes still linked when removing the
        kubeconfig Secrets of the others.
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: The object's kind, for example C(Secret).
        type: str
        required: true
      name:
        description: The object's name.
        type: str
        required: true
  wait:
    description:
      - With O(state=present), wait until every Deployment has rolled out with all its pods
        ready and every C(kubernetes.io/service-account-token) Secret holds its token; fail
        after O(wait_timeout) naming what is not ready and why (the pods' own reasons, such as
        C(ErrImagePull)). Not in check mode.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait in all (one deadline for every object).
    type: int
    default: 120
  reveal_secrets:
    description:
      - Return Secret values in RV(objects[].object) (set C(no_log) on the task). Off, they
        are C(<hidden>).
    type: bool
    default: false
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
    ref:
      description: Kind, namespace and name, as messages name it.
      type: str
      sample: Secret kube-system/crosscluster-link-remote-gke-1
    action:
      description:
        - What was done (in check mode, what would be) - C(created), C(updated), C(unchanged);
          with O(state=absent) C(deleted), C(kept) (not carrying the owner labels) or C(absent).
      type: str
      sample: unchanged
    object:
      description:
        - The object as the server answered (in check mode, as it was read, or the definition
          of one that would be created); none with O(state=absent).
      type: dict
      returned: success
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    CONNECTION_ARGSPEC,
    K8sError,
    load_client,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_objects import (
    ensure,
    remove,
    wait_ready,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGSPEC,
            "definitions": {"type": "list", "elements": "dict", "required": True},
            "owner_labels": {"type": "dict", "default": {}},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "keep": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "kind": {"type": "str", "required": True},
                    "name": {"type": "str", "required": True},
                },
            },
            "wait": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 120},
            "reveal_secrets": {"type": "bool", "default": False, "no_log": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds")
    if p["keep"] and p["state"] == "present":
        module.fail_json(msg="keep is for state=absent (it narrows a name ending in '*'): drop it")
    try:
        kube = load_client(p["kubeconfig"], p["context"])
        if p["state"] == "absent":
            keep = {(k["kind"], k["name"]) for k in p["keep"]}
            changed, objects, diffs = remove(
                kube, p["definitions"], p["owner_labels"], module.check_mode, keep
            )
        else:
            changed, objects, diffs = ensure(
                kube, p["definitions"], p["owner_labels"], module.check_mode, p["reveal_secrets"]
            )
            if p["wait"] and not module.check_mode:
                waiting = wait_ready(kube, p["definitions"], p["wait_timeout"])
                if waiting:
                    module.fail_json(
                        msg=f"not ready after {p['wait_timeout']} s: " + "; ".join(waiting),
                        changed=changed,
                        objects=objects,
                    )
    except (K8sError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    result: dict = {"changed": changed, "objects": objects}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
