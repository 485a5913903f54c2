# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a Deployment has rolled out and its pods are ready, and if not, why: the pods'
own waiting and termination reasons, as the kubelet reports them (Kubernetes API reference,
DeploymentStatus and ContainerStatus)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    K8sError,
    Kube,
    deployment_path,
)

CRASH_REASONS = (
    "CrashLoopBackOff",
    "Error",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
)


@dataclass
class Health:
    ready: bool
    crashing: bool
    reason: str


def selector(dep: dict[str, Any]) -> str:
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def pods_of(kube: Kube, namespace: str, dep: dict[str, Any]) -> list[dict[str, Any]]:
    return kube.items(f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector(dep)}")


# The deployment controller numbers each pod template it rolls out in this annotation, on the
# Deployment and on the ReplicaSet of that template (Kubernetes "Deployments": rollout
# history); the ReplicaSet labels its pods with the template's pod-template-hash.
REVISION = "deployment.kubernetes.io/revision"


def current_template_hash(kube: Kube, namespace: str, dep: dict[str, Any]) -> str | None:
    """The pod-template-hash of the Deployment's current ReplicaSet (the one of its revision);
    None when no ReplicaSet carries that revision yet."""
    revision = ((dep.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    if revision is None:
        return None
    path = f"/apis/apps/v1/namespaces/{namespace}/replicasets?labelSelector={selector(dep)}"
    for rs in kube.items(path):
        meta = rs.get("metadata") or {}
        if (meta.get("annotations") or {}).get(REVISION) == revision:
            return (meta.get("labels") or {}).get("pod-template-hash")
    return None


def last_error(kube: Kube, namespace: str, pod: str, container: str) -> str:
    """The crashed container's own last words: the last line of its previous log (a kubelet
    keeps it for ``pods/log?previous=true``; ``lastState.terminated.message`` has it only
    with terminationMessagePolicy FallbackToLogsOnError, which stock CoreDNS does not set)."""
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log?container={container}"
    try:
        text = kube.text(f"{path}&previous=true&tailLines=20")
    except K8sError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "rror" in line]
    return (errors or lines or [""])[-1]


def health(kube: Kube, namespace: str, name: str) -> Health:
    """Rolled out and every DNS pod ready; else the pods' own status messages."""
    dep = kube.get(deployment_path(namespace, name))
    if dep is None:
        return Health(False, True, f"Deployment {namespace}/{name} does not exist")
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = spec.get("replicas", 1)
    observed = status.get("observedGeneration", 0) >= (dep.get("metadata") or {}).get(
        "generation", 0
    )
    rolled = (
        observed
        and status.get("replicas", 0) <= want  # no pod of the previous template left
        and status.get("updatedReplicas", 0) >= want
        and status.get("readyReplicas", 0) >= want
        and status.get("availableReplicas", 0) >= want
        and not status.get("unavailableReplicas")
    )
    messages: list[str] = []
    crashing = False
    # A crash is a verdict on the template being rolled out only once the controller has seen
    # it, and only for that template's pods: a pod of a template being replaced may still
    # crash (after a rollback, the broken one) until the controller scales its ReplicaSet down.
    current = current_template_hash(kube, namespace, dep) if observed else None
    for pod in pods_of(kube, namespace, dep):
        template = ((pod.get("metadata") or {}).get("labels") or {}).get("pod-template-hash")
        verdict = observed and (current is None or template == current)
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if cs.get("ready"):
                continue
            waiting = (cs.get("state") or {}).get("waiting") or {}
            last = (cs.get("lastState") or {}).get("terminated") or {}
            reason = waiting.get("reason") or last.get("reason") or "NotReady"
            crashing = crashing or (verdict and reason in CRASH_REASONS)
            text = last.get("message") or ""
            if not text and reason in CRASH_REASONS:
                text = last_error(kube, namespace, pod["metadata"]["name"], cs.get("name", ""))
            text = text or waiting.get("message") or ""
            messages.append(f"pod {pod['metadata']['name']}: {reason}: {text}".strip(": "))
    if not messages and not rolled:
        for cond in status.get("conditions") or []:
            if cond.get("status") != "True" and cond.get("message"):
                messages.append(f"{cond.get('type')}: {cond['message']}")
        messages = messages or [f"{status.get('readyReplicas', 0)}/{want} replicas ready"]
    return Health(rolled and not messages, crashing, "; ".join(dict.fromkeys(messages)))
