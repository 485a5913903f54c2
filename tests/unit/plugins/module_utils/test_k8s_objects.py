"""Writing Kubernetes objects only where they differ (a re-run sends reads only)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_objects import (
    HIDDEN,
    ensure,
    ref,
)

OWNER = {"app.kubernetes.io/managed-by": "crosscluster.link"}
NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "xcl", "labels": OWNER}}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "dns", "namespace": "xcl", "labels": OWNER},
    "spec": {
        "selector": {"app": "dns"},
        "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        ],
    },
}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "remote", "namespace": "xcl", "labels": OWNER},
    "data": {"kubeconfig": "c2VjcmV0"},
}


class FakeKube:
    """Objects by path; the server adds defaults, as a real one does."""

    def __init__(self, objects: dict[str, dict[str, Any]] | None = None) -> None:
        self.objects = objects or {}
        self.calls: list[tuple[str, str]] = []

    def get(self, path: str) -> dict[str, Any] | None:
        self.calls.append(("GET", path))
        return copy.deepcopy(self.objects.get(path))

    def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("POST", path))
        stored = copy.deepcopy(obj)
        stored["metadata"]["uid"] = "u-1"  # a field the server adds
        if stored["kind"] == "Service":
            stored["spec"]["clusterIP"] = "10.0.0.10"
            for port in stored["spec"]["ports"]:
                port.setdefault("targetPort", port["port"])
        self.objects[f"{path}/{obj['metadata']['name']}"] = stored
        return stored

    def request(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        self.calls.append((method, path))
        assert content_type == "application/merge-patch+json"
        live = self.objects[path]
        for key, value in body.items():  # RFC 7386 at the top level is enough here
            if isinstance(value, dict) and isinstance(live.get(key), dict):
                live[key] = {**live[key], **value}
            else:
                live[key] = value
        return live

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]


def test_missing_objects_are_created_in_order_and_a_rerun_only_reads() -> None:
    kube = FakeKube()
    changed, objects, _diffs = ensure(kube, [NS, SERVICE], OWNER, check_mode=False)
    assert changed and [o["action"] for o in objects] == ["created", "created"]
    assert kube.writes() == [
        ("POST", "/api/v1/namespaces"),
        ("POST", "/api/v1/namespaces/xcl/services"),
    ]
    kube.calls.clear()
    changed, objects, diffs = ensure(kube, [NS, SERVICE], OWNER, check_mode=False)
    assert not changed and {o["action"] for o in objects} == {"unchanged"}
    assert kube.writes() == [] and diffs == []


def test_a_differing_object_is_merge_patched_keeping_both_port_53_entries() -> None:
    kube = FakeKube()
    ensure(kube, [NS, SERVICE], OWNER, check_mode=False)
    path = "/api/v1/namespaces/xcl/services/dns"
    kube.objects[path]["spec"]["ports"] = kube.objects[path]["spec"]["ports"][:1]  # drifted
    changed, objects, diffs = ensure(kube, [SERVICE], OWNER, check_mode=False)
    assert changed and objects[0]["action"] == "updated"
    assert [p["protocol"] for p in kube.objects[path]["spec"]["ports"]] == ["UDP", "TCP"]
    assert kube.objects[path]["spec"]["clusterIP"] == "10.0.0.10"  # merged, not replaced
    assert len(diffs[0]["before"]["spec"]["ports"]) == 1


def test_check_mode_reads_only_and_reports_what_would_change() -> None:
    kube = FakeKube()
    changed, objects, diffs = ensure(kube, [NS, SECRET], OWNER, check_mode=True)
    assert changed and [o["action"] for o in objects] == ["created", "created"]
    assert kube.writes() == [] and len(diffs) == 2


def test_an_object_without_the_owner_labels_is_never_changed() -> None:
    foreign = copy.deepcopy(SERVICE)
    foreign["metadata"]["labels"] = {"team": "dns"}
    foreign["spec"]["ports"] = [{"name": "x", "port": 5353, "protocol": "UDP"}]
    kube = FakeKube({"/api/v1/namespaces/xcl/services/dns": foreign})
    with pytest.raises(ValueError, match="Service xcl/dns exists and was not created"):
        ensure(kube, [NS, SERVICE], OWNER, check_mode=False)
    assert kube.writes() == []  # not even the namespace before it


def test_secret_values_are_hidden_in_the_diff() -> None:
    kube = FakeKube()
    diffs = ensure(kube, [SECRET], OWNER, check_mode=True)[2]
    assert diffs[0]["after"]["data"] == {"kubeconfig": HIDDEN}
    assert "c2VjcmV0" not in repr(diffs)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("text", r"definitions\[0\] must be a mapping"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}, "'Pod' is not supported"),
        (
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
            "namespace is required",
        ),
        ({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, r"metadata.name is required"),
        (
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "namespace": "b"}},
            "must be omitted",
        ),
    ],
)
def test_bad_definitions_name_the_entry_and_field(definition: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ref(0, definition)


def test_paths_of_namespaced_and_cluster_wide_kinds() -> None:
    assert ref(0, SERVICE).path == "/api/v1/namespaces/xcl/services/dns"
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader"},
    }
    assert ref(0, role).path == "/apis/rbac.authorization.k8s.io/v1/clusterroles/reader"
