#!/usr/bin/python
# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_dns_remotes_info
short_description: Tell, per remote zone, whether a cluster's resolver serves it and why not
version_added: 0.2.0
description:
  - Reads the metrics of each running pod of the resolver (CoreDNS with one C(kubernetes)
    plugin per remote zone, as the C(crosscluster.link.cluster_dns) role deploys it) through
    the API server's C(pods/proxy), and judges each remote from the plugin's client-go request
    counter C(coredns_kubernetes_rest_client_requests_total) for that remote's API host.
  - A remote is served when its API host has answered 2xx and no error count grew between
    samples O(interval) seconds apart, for O(settle) seconds - watched here, or the pod has run
    that long with no error in its counters at all (a re-run answers in one sample). Otherwise
    the cause is named - C(Unauthorized (401)) for a token the remote refuses, C(Forbidden (403))
    for a reader without list or watch permission, C(unreachable) when no HTTP answer came back.
  - A C(429) or C(5xx) answer is transient - client-go retries it - so it fails a remote only
    while no 2xx answer follows it, and the remote is watched O(settle) seconds from the last
    one.
  - A Ready resolver pod does not mean its remotes are served; this module is the check that
    does. A remote that breaks after it was served shows once its client retries (client-go
    backs off up to 30 seconds, and an open watch lasts minutes).
  - Needs C(get) on C(pods) and C(pods/proxy) in O(namespace).
author: crosscluster.link contributors (@crosscluster)
extends_documentation_fragment:
  - crosscluster.link._k8s
  - crosscluster.link._attributes
  - crosscluster.link._attributes.INFO_MODULE
options:
  namespace:
    description: Namespace of the resolver (the C(cluster_dns) role's default).
    type: str
    default: crosscluster-link
  name:
    description: The resolver's name; its pods have the label C(app.kubernetes.io/name=<name>).
    type: str
    default: crosscluster-link-dns
  cluster:
    description: Name of the cluster that runs the resolver, for the returned RV(checks).
    type: str
    default: ""
  remotes:
    description:
      - The remote clusters, as given to the C(cluster_dns) role. Other keys are ignored.
    type: list
    elements: dict
    required: true
  metrics_port:
    description: Port of the resolver's C(prometheus) plugin.
    type: int
    default: 9153
  interval:
    description: Seconds between two samples of the metrics.
    type: float
    default: 5
  wait_timeout:
    description:
      - Seconds to keep sampling until every remote is served or refused (401, 403). V(0)
        judges from two samples O(interval) apart.
    type: int
    default: 0
  settle:
    description:
      - Seconds a remote must show no new error before it counts as served, within
        O(wait_timeout) (client-go retries a failing list or watch at most 30 seconds apart).
        A pod that has run this long without any error counts at once.
    type: int
    default: 30
seealso:
  - module: crosscluster.link.k8s_dns_config_info
  - module: crosscluster.link.k8s_dns_config
"""

EXAMPLES = r"""
- name: Check that the resolver of aws-euw1 serves the zone of gcp-euw1
  crosscluster.link.k8s_dns_remotes_info:
    kubeconfig: ~/.kube/aws-euw1
    cluster: aws-euw1
    remotes:
      - name: gcp-euw1
        zone: gcp-euw1.local
        api_endpoint: https://34.76.1.2
    wait_timeout: 60
  register: remotes
  failed_when: not remotes.served
"""

RETURN = r"""
served:
  description: Whether every remote is served by every running resolver pod.
  returned: always
  type: bool
remotes:
  description: One entry per remote (the worst pod's view).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The remote cluster.
      type: str
    zone:
      description: Its DNS zone.
      type: str
    host:
      description: The API host the resolver's client talks to.
      type: str
      sample: 34.76.1.2:443
    served:
      description: Whether it is served.
      type: bool
    cause:
      description: Why not, naming the HTTP status or the connection failure and the fix.
      type: str
    codes:
      description: Requests so far by status code (C(<error>) for no HTTP answer).
      type: dict
      sample: {"200": 6, "401": 0}
problems:
  description: The cause for every remote that is not served.
  returned: always
  type: list
  elements: str
checks:
  description: The remotes in the shape of the verify report's checks.
  returned: always
  type: list
  elements: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crosscluster.link.plugins.module_utils._dns_remotes import (
    Counts,
    Judgement,
    RemoteState,
    api_host,
    as_check,
    parse_requests,
    running_since,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    CONNECTION_ARGSPEC,
    K8sError,
    Kube,
    load_client,
)
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll


def remote_specs(remotes: list[dict]) -> list[tuple[str, str, str]]:
    """(name, zone, host) per remote; ValueError naming the entry and key otherwise."""
    specs = []
    for index, remote in enumerate(remotes):
        for key in ("name", "api_endpoint"):
            if not isinstance(remote.get(key), str) or not remote[key]:
                raise ValueError(
                    f"remotes[{index}].{key} is required: give each remote its cluster name "
                    "and API endpoint URL"
                )
        specs.append(
            (remote["name"], str(remote.get("zone") or ""), api_host(remote["api_endpoint"]))
        )
    return specs


def sample(kube: Kube, namespace: str, name: str, port: int) -> tuple[dict, str]:
    """Each running resolver pod's start and request counters, or why there is none."""
    selector = f"app.kubernetes.io%2Fname%3D{name}"
    pods: dict[str, tuple[float, Counts]] = {}
    problem = f"no running pod of {namespace}/{name}"
    for pod in kube.items(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}"):
        since = running_since(pod)
        if since is None:
            continue
        pod_name = pod["metadata"]["name"]
        path = f"/api/v1/namespaces/{namespace}/pods/{pod_name}:{port}/proxy/metrics"
        try:
            pods[pod_name] = (since, parse_requests(kube.text(path)))
        except K8sError as exc:
            problem = f"the metrics of pod {pod_name} cannot be read: {exc}"
    return pods, problem


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGSPEC,
            "namespace": {"type": "str", "default": "crosscluster-link"},
            "name": {"type": "str", "default": "crosscluster-link-dns"},
            "cluster": {"type": "str", "default": ""},
            "remotes": {"type": "list", "elements": "dict", "required": True},
            "metrics_port": {"type": "int", "default": 9153},
            "interval": {"type": "float", "default": 5},
            "wait_timeout": {"type": "int", "default": 0},
            "settle": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        remotes = remote_specs(p["remotes"])
        if p["interval"] <= 0 or p["wait_timeout"] < 0:
            raise ValueError("interval must be above 0 and wait_timeout at least 0 seconds")
        kube = load_client(p["kubeconfig"], p["context"])
        judgement = Judgement(remotes, p["settle"])

        def step() -> list[RemoteState]:
            pods, problem = sample(kube, p["namespace"], p["name"], p["metrics_port"])
            return judgement.step(pods, problem, time.time())

        # at least two samples unless settled at once: a refusal needs what changed between them
        timeout = max(p["wait_timeout"], p["interval"])
        states = poll(step, judgement.final, timeout, p["interval"])
    except (K8sError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(
        changed=False,
        served=all(s.served for s in states),
        remotes=[
            {
                "name": s.name,
                "zone": s.zone,
                "host": s.host,
                "served": s.served,
                "cause": s.cause,
                "codes": s.codes,
            }
            for s in states
        ],
        problems=[f"{s.name} ({s.zone}): {s.cause}" for s in states if not s.served],
        checks=[as_check(p["cluster"], s) for s in states],
    )


if __name__ == "__main__":
    main()
