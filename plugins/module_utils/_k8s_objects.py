# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create or update Kubernetes objects only where they differ: a re-run is reads only.

An object is left alone when every field of its definition already has that value on the
server (the server adds defaults and status, so the live object is a superset). Otherwise
it is created (POST) or updated with a JSON merge patch of the definition (RFC 7386,
``application/merge-patch+json``): lists are replaced whole, so a Service keeps both its
UDP and TCP port 53 (a strategic merge would merge them by port, kubernetes/kubernetes#47249).
An existing object is changed only if it carries the owner labels: never one this collection
did not create. Removal (:func:`remove`) deletes only objects that carry them and leaves any
other alone. :func:`wait_ready` waits until what was written can be used: a Deployment rolled
out with its pods ready, a ServiceAccount token Secret filled in by the token controller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ansible_collections.crosscluster.link.plugins.module_utils._compare import contains
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import Kube
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_rollout import health
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll

# (apiVersion, kind) -> (API prefix, resource, namespaced): the kinds the collection writes
# (Kubernetes API reference, "Workloads", "Service", "Config and Storage", "Authorization").
KINDS: dict[tuple[str, str], tuple[str, str, bool]] = {
    ("v1", "Namespace"): ("/api/v1", "namespaces", False),
    ("v1", "ConfigMap"): ("/api/v1", "configmaps", True),
    ("v1", "Secret"): ("/api/v1", "secrets", True),
    ("v1", "Service"): ("/api/v1", "services", True),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts", True),
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): (
        "/apis/rbac.authorization.k8s.io/v1",
        "clusterroles",
        False,
    ),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): (
        "/apis/rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        False,
    ),
}
HIDDEN = "<hidden>"
# A name ending in PATTERN (state absent only) stands for every owned object of that kind
# (in that namespace) whose name starts with the rest.
PATTERN = "*"
# kubernetes.io/service-account-token Secrets get their token from the token controller
# (Kubernetes docs, "Manually create a long-lived API token for a ServiceAccount").
TOKEN_SECRET = "kubernetes.io/service-account-token"


@dataclass(frozen=True)
class Ref:
    kind: str
    namespace: str
    name: str
    collection: str  # POST here

    @property
    def path(self) -> str:
        return f"{self.collection}/{self.name}"

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


def ref(index: int, definition: Any, patterns: bool = False) -> Ref:
    """Where a definition lives; ValueError naming the entry and field otherwise. With
    ``patterns`` its name may end in PATTERN."""
    if not isinstance(definition, dict):
        raise ValueError(f"definitions[{index}] must be a mapping (one Kubernetes object)")
    key = (str(definition.get("apiVersion", "")), str(definition.get("kind", "")))
    if key not in KINDS:
        known = ", ".join(f"{v} {k}" for v, k in KINDS)
        raise ValueError(
            f"definitions[{index}]: apiVersion {key[0]!r} kind {key[1]!r} is not supported; "
            f"use one of: {known}"
        )
    prefix, resource, namespaced = KINDS[key]
    metadata = definition.get("metadata") or {}
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if not isinstance(name, str) or not name.rstrip(PATTERN):
        raise ValueError(f"definitions[{index}].metadata.name is required")
    if PATTERN in name and not (patterns and name.index(PATTERN) == len(name) - 1):
        raise ValueError(
            f"definitions[{index}].metadata.name {name!r}: a name may end in {PATTERN!r} "
            f"(every owned object whose name starts with the rest) only with state absent"
        )
    if namespaced and (not isinstance(namespace, str) or not namespace):
        raise ValueError(
            f"definitions[{index}].metadata.namespace is required: {key[1]} is namespaced"
        )
    if not namespaced and namespace:
        raise ValueError(
            f"definitions[{index}].metadata.namespace must be omitted: {key[1]} is cluster-wide"
        )
    collection = (
        f"{prefix}/namespaces/{namespace}/{resource}" if namespaced else f"{prefix}/{resource}"
    )
    return Ref(key[1], namespace or "", name, collection)


def project(desired: Any, live: Any) -> Any:
    """``live`` cut down to the fields ``desired`` gives: the 'before' of a diff."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: project(v, live[k]) for k, v in desired.items() if k in live}
    if isinstance(desired, list) and isinstance(live, list):
        return [project(d, v) for d, v in zip(desired, live, strict=False)] + live[len(desired) :]
    return live


def masked(obj: Any, kind: str) -> Any:
    """A Secret with its values hidden, for diffs and results."""
    if kind != "Secret" or not isinstance(obj, dict):
        return obj
    return {
        k: (
            {name: HIDDEN for name in v}
            if k in ("data", "stringData") and isinstance(v, dict)
            else v
        )
        for k, v in obj.items()
    }


def owned(live: dict[str, Any], owner_labels: dict[str, str]) -> bool:
    labels = (live.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in owner_labels.items())


def ensure(
    kube: Kube,
    definitions: list[dict[str, Any]],
    owner_labels: dict[str, str],
    check_mode: bool,
    reveal: bool = False,
) -> tuple[bool, list[dict[str, Any]], list[dict[str, Any]]]:
    """(changed, one result per object, diffs). Every definition is checked and every object
    read before the first write, so a foreign object stops the run before anything changes.
    Each result carries the object as the server answered it (in check mode: as read, or the
    definition of one that would be created); Secret values hidden unless ``reveal``."""
    refs = [ref(i, d) for i, d in enumerate(definitions)]
    lives = [kube.get(r.path) for r in refs]
    for r, live in zip(refs, lives, strict=True):
        if live is not None and not owned(live, owner_labels):
            raise ValueError(
                f"{r} exists and was not created by crosscluster.link (it lacks the labels "
                f"{owner_labels}): rename or remove it; nothing was changed"
            )
    results, diffs = [], []
    for r, desired, live in zip(refs, definitions, lives, strict=True):
        now: Any = live
        if live is None:
            action, before, now = "created", {}, desired
            if not check_mode:
                now = kube.create(r.collection, desired)
        elif contains(desired, live):
            action, before = "unchanged", None
        else:
            action, before = "updated", project(desired, live)
            if not check_mode:
                now = kube.request(
                    "PATCH", r.path, desired, content_type="application/merge-patch+json"
                )
        results.append(_entry(r, action, now, reveal))
        if before is not None:
            diffs.append(
                {
                    "before_header": str(r),
                    "after_header": str(r),
                    "before": masked(before, r.kind),
                    "after": masked(desired, r.kind),
                }
            )
    changed = any(r["action"] != "unchanged" for r in results)
    return changed, results, diffs


def _entry(r: Ref, action: str, obj: Any, reveal: bool) -> dict[str, Any]:
    shown = obj if reveal else masked(obj, r.kind)
    return {
        "kind": r.kind,
        "namespace": r.namespace,
        "name": r.name,
        "ref": str(r),
        "action": action,
        "object": shown,
    }


def _not_ready(kube: Kube, r: Ref) -> str:
    """Why an object cannot be used yet; empty when it can (one read of it per call)."""
    if r.kind == "Deployment":
        state = health(kube, r.namespace, r.name)  # reads the Deployment and its pods
        return "" if state.ready else f"{r}: {state.reason}"
    live = kube.get(r.path)
    if live is None:
        return f"{r} does not exist"
    if live.get("type") == TOKEN_SECRET:
        return "" if (live.get("data") or {}).get("token") else f"{r} has no token yet"
    return ""


def wait_ready(
    kube: Kube,
    definitions: list[dict[str, Any]],
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Wait up to ``timeout`` seconds (one deadline for all) until every Deployment has rolled
    out with its pods ready and every ServiceAccount token Secret holds its token; return what
    is still not ready then (empty: all ready)."""
    refs = [ref(i, d) for i, d in enumerate(definitions)]
    waited = [r for r in refs if r.kind in ("Deployment", "Secret")]

    def step() -> list[str]:
        return [why for r in waited if (why := _not_ready(kube, r))]

    return poll(step, lambda problems: not problems, timeout, 1.0, sleep, clock, max_interval=5.0)


def remove(
    kube: Kube,
    definitions: list[dict[str, Any]],
    owner_labels: dict[str, str],
    check_mode: bool,
    keep: Collection[tuple[str, str]] = (),
) -> tuple[bool, list[dict[str, Any]], list[dict[str, Any]]]:
    """(changed, one result per object, diffs): delete each object that exists and carries
    ``owner_labels``; one that lacks them is ``kept``, a missing one is ``absent``. A name
    ending in PATTERN selects the owned objects by the labels and the name's start, except
    the (kind, name) pairs of ``keep``."""
    refs = [ref(i, d, patterns=True) for i, d in enumerate(definitions)]
    if not owner_labels and any(r.name.endswith(PATTERN) for r in refs):
        raise ValueError(f"a name ending in {PATTERN!r} needs owner_labels to select by")
    found: list[tuple[Ref, dict[str, Any] | None]] = []
    for r in refs:
        if not r.name.endswith(PATTERN):
            found.append((r, kube.get(r.path)))
            continue
        labels = ",".join(f"{k}={v}" for k, v in sorted(owner_labels.items()))
        listed = kube.items(f"{r.collection}?labelSelector={quote(labels)}")
        prefix = r.name[: -len(PATTERN)]
        for live in listed:
            name = (live.get("metadata") or {}).get("name", "")
            if name.startswith(prefix) and (r.kind, name) not in keep:
                found.append((Ref(r.kind, r.namespace, name, r.collection), live))
    results, diffs = [], []
    for r, live in found:
        if live is None:
            results.append(_entry(r, "absent", None, False))
            continue
        if not owned(live, owner_labels):
            results.append(_entry(r, "kept", None, False))
            continue
        if not check_mode:
            kube.delete(r.path)
        results.append(_entry(r, "deleted", None, False))
        diffs.append(
            {
                "before_header": str(r),
                "after_header": str(r),
                "before": masked(live, r.kind),
                "after": {},
            }
        )
    return any(r["action"] == "deleted" for r in results), results, diffs
