# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Kubernetes API helpers: a kubeconfig-loaded client speaking plain JSON, one exception
type, retries on throttling and 5xx, and detection of the cluster DNS flavour."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _retry

try:
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import list_kube_config_contexts, new_client_from_config

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR: Exception | None = None
except ImportError as exc:  # pragma: no cover - reported through missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc

# Kubernetes API conventions: 409 Conflict is retried by re-reading, 429 and 5xx are
# transient (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrying).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UNREACHABLE = 0  # the K8sError status of an API server that did not answer (retried too)
# 8 attempts (kubectl's client-go retries an answer that carries Retry-After up to 10 times,
# rest.Request maxRetries): a loaded API server under priority and fairness can refuse several
# requests in a row; full-jitter backoff keeps the worst case near half a minute.
RETRY_POLICY = _retry.Policy(attempts=8, base_delay=0.5, max_delay=8.0)

# The flavours of cluster DNS (see docs/cluster-dns.md) and how each is edited.
COREDNS_FLAVOURS = ("kubeadm", "eks", "rke2")  # server block in ConfigMap coredns
CUSTOM_FLAVOURS = ("k3s", "aks")  # <zone>.server key in ConfigMap coredns-custom
KUBEDNS_FLAVOURS = ("gke",)  # stubDomains in ConfigMap kube-dns
FLAVOURS = COREDNS_FLAVOURS + CUSTOM_FLAVOURS + KUBEDNS_FLAVOURS


# How every k8s_* module reaches its cluster (doc fragment crosscluster.link._k8s).
CONNECTION_ARGSPEC: dict[str, dict[str, Any]] = {
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
}


class K8sError(Exception):
    """Any failure talking to a cluster, with the API's own message."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _transient(exc: Exception) -> bool:
    return isinstance(exc, K8sError) and exc.status in (*RETRY_STATUSES, UNREACHABLE)


def kubeconfig_path(kubeconfig: str | None) -> str:
    path = os.path.expanduser(kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config")
    if not os.path.isfile(path):
        raise K8sError(f"kubeconfig {path} does not exist: set the kubeconfig option to a file")
    return path


def load_client(kubeconfig: str | None, context: str | None) -> Kube:
    """A client for one cluster; fails with a message naming a missing file or context."""
    if not HAS_KUBERNETES:
        raise K8sError(f"the kubernetes Python library is required: {KUBERNETES_IMPORT_ERROR}")
    path = kubeconfig_path(kubeconfig)
    try:
        contexts, _active = list_kube_config_contexts(config_file=path)
        names = [c["name"] for c in contexts or []]
        if context and context not in names:
            raise K8sError(
                f"context {context!r} is not in kubeconfig {path} (it has: {', '.join(names)})"
            )
        client = new_client_from_config(config_file=path, context=context, persist_config=False)
    except ConfigException as exc:
        raise K8sError(f"cannot load kubeconfig {path}: {exc}") from exc
    return Kube(client)


class Kube:
    """Plain-JSON access to one API server through a kubernetes ApiClient."""

    def __init__(self, api_client: Any, sleep: Any = time.sleep) -> None:
        self.api = api_client
        self.sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        allow_404: bool = False,
    ) -> dict[str, Any] | None:
        """One API call with retries; returns the decoded object (None for 404 if allowed)."""
        raw = self._call(method, path, body, content_type, allow_404)
        return None if raw is None else _decode(raw)

    def text(self, path: str) -> str:
        """A plain-text GET (pod logs); empty when the object is gone."""
        raw = self._call("GET", path, None, "application/json", True)
        return raw.decode(errors="replace") if raw else ""

    def _call(
        self, method: str, path: str, body: Any, content_type: str, allow_404: bool
    ) -> bytes | None:
        headers = {"Accept": "application/json, */*", "Content-Type": content_type}

        def once() -> bytes | None:
            try:
                _method, url, hdrs, req_body, _post = self.api.param_serialize(
                    method=method,
                    resource_path=path,
                    header_params=headers,
                    body=body,
                    auth_settings=["BearerToken"],
                )
                response = self.api.call_api(method, url, header_params=hdrs, body=req_body)
                raw = response.read() or b""
                status = response.status
            except Exception as exc:  # urllib3 connection errors, TLS errors
                message = f"{method} {path}: cannot reach the API server: {exc}"
                raise K8sError(message, UNREACHABLE) from exc
            if status == 404 and allow_404:
                return None
            if status >= 400:
                decoded = _decode(raw)
                message = decoded.get("message") if isinstance(decoded, dict) else None
                text = message or raw.decode(errors="replace").strip()
                raise K8sError(f"{method} {path}: {status} {text}", status)
            return raw

        return _retry.call(once, _transient, RETRY_POLICY, self.sleep)

    def get(self, path: str) -> dict[str, Any] | None:
        return self.request("GET", path, allow_404=True)

    def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, obj) or {}

    def replace(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", path, obj) or {}

    def delete(self, path: str) -> None:
        self.request("DELETE", path, allow_404=True)

    def items(self, path: str) -> list[dict[str, Any]]:
        listing = self.request("GET", path) or {}
        return list(listing.get("items") or [])


def _decode(raw: bytes | str | None) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw.decode(errors="replace") if isinstance(raw, bytes) else raw}


def configmap_path(namespace: str, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    return f"{base}/{name}" if name else base


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def detect_flavour(kube: Kube, namespace: str = "kube-system") -> tuple[str, list[str]]:
    """The DNS flavour from what runs in kube-system, and warnings about it.

    CoreDNS that imports ``custom/*.server`` (k3s, AKS) is told apart from plain CoreDNS
    (kubeadm, EKS, RKE2) by its Corefile; kube-dns (GKE Standard) by its Deployment.
    """
    coredns = kube.get(configmap_path(namespace, "coredns"))
    if coredns is not None:
        corefile = (coredns.get("data") or {}).get("Corefile", "")
        if "custom/*.server" in corefile or kube.get(configmap_path(namespace, "coredns-custom")):
            return "k3s", []
        deployment = kube.get(deployment_path(namespace, "coredns")) or {}
        if _is_eks(deployment):
            return "eks", [EKS_WARNING]
        return "kubeadm", []
    if kube.get(deployment_path(namespace, "kube-dns")) is not None:
        return "gke", []
    raise K8sError(
        f"no cluster DNS found in {namespace}: neither ConfigMap coredns nor Deployment "
        "kube-dns exists; set flavour explicitly if DNS runs elsewhere"
    )


EKS_WARNING = (
    "EKS manages CoreDNS as an add-on: an add-on update with --resolve-conflicts OVERWRITE "
    "replaces the coredns ConfigMap and drops the crosscluster.link block; re-run the role "
    "after add-on updates, or put the block into the add-on's corefile configuration value."
)


def _is_eks(deployment: dict[str, Any]) -> bool:
    labels = (deployment.get("metadata") or {}).get("labels") or {}
    if labels.get("eks.amazonaws.com/component") == "coredns":
        return True
    containers = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {})
    images = [c.get("image", "") for c in containers.get("containers") or []]
    return any(".amazonaws.com/eks/coredns" in image for image in images)
