"""Writing Kubernetes objects only where they differ (a re-run sends reads only)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_objects import (
    HIDDEN,
    ensure,
    ref,
    remove,
    wait_ready,
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

    def delete(self, path: str) -> None:
        self.calls.append(("DELETE", path))
        self.objects.pop(path, None)

    def items(self, path: str) -> list[dict[str, Any]]:
        self.calls.append(("GET", path))
        collection, _unused, query = path.partition("?")
        assert query.startswith("labelSelector=")
        found = [o for p, o in self.objects.items() if p.rsplit("/", 1)[0] == collection]
        return copy.deepcopy(found)

    def text(self, path: str) -> str:  # pod logs: none here
        self.calls.append(("GET", path))
        return ""

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]


def test_missing_objects_are_created_in_order_and_a_rerun_only_reads() -> None:
    kube = FakeKube()
    changed, objects, _diffs = ensure(kube, [NS, SERVICE], OWNER, check_mode=False)
    assert changed and [o["action"] for o in objects] == ["created", "created"]
    assert [o["ref"] for o in objects] == ["Namespace xcl", "Service xcl/dns"]
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
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "xcl-*"}},
            "only with state absent",
        ),
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


def test_results_carry_the_object_as_the_server_answered_secrets_hidden() -> None:
    kube = FakeKube()
    objects = ensure(kube, [SERVICE, SECRET], OWNER, check_mode=False)[1]
    assert objects[0]["object"]["spec"]["clusterIP"] == "10.0.0.10"
    assert objects[1]["object"]["data"] == {"kubeconfig": HIDDEN}
    again = ensure(kube, [SECRET], OWNER, check_mode=False, reveal=True)[1]
    assert again[0]["action"] == "unchanged"
    assert again[0]["object"]["data"] == {"kubeconfig": "c2VjcmV0"}
    preview = ensure(FakeKube(), [SERVICE], OWNER, check_mode=True)[1]
    assert preview[0]["object"] == SERVICE  # would be created: the definition


def test_remove_deletes_only_owned_objects_and_names_the_rest() -> None:
    foreign = copy.deepcopy(SECRET)
    foreign["metadata"] = {"name": "theirs", "namespace": "xcl", "labels": {"team": "dns"}}
    kube = FakeKube()
    ensure(kube, [NS, SERVICE, SECRET], OWNER, check_mode=False)
    kube.objects["/api/v1/namespaces/xcl/secrets/theirs"] = foreign
    gone = {**SECRET, "metadata": {**SECRET["metadata"], "name": "gone"}}
    theirs = {**SECRET, "metadata": {**SECRET["metadata"], "name": "theirs"}}
    kube.calls.clear()
    changed, objects, diffs = remove(kube, [SERVICE, theirs, gone], OWNER, check_mode=True)
    assert changed and [o["action"] for o in objects] == ["deleted", "kept", "absent"]
    assert kube.writes() == [] and len(diffs) == 1
    changed, objects, diffs = remove(kube, [SERVICE, theirs, gone], OWNER, check_mode=False)
    assert kube.writes() == [("DELETE", "/api/v1/namespaces/xcl/services/dns")]
    assert "/api/v1/namespaces/xcl/secrets/theirs" in kube.objects
    kube.calls.clear()
    changed, objects, _diffs = remove(kube, [SERVICE], OWNER, check_mode=False)
    assert not changed and objects[0]["action"] == "absent" and kube.writes() == []


def test_remove_by_name_prefix_takes_owned_objects_only() -> None:
    kube = FakeKube()
    remote = {**SECRET, "metadata": {**SECRET["metadata"], "name": "remote-b"}}
    other = {**SECRET, "metadata": {**SECRET["metadata"], "name": "token-x"}}
    foreign = {**SECRET, "metadata": {"name": "remote-c", "namespace": "xcl", "labels": {}}}
    ensure(kube, [NS, SECRET, remote, other], OWNER, check_mode=False)
    kube.objects["/api/v1/namespaces/xcl/secrets/remote-c"] = foreign
    pattern = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "remote*", "namespace": "xcl"},
    }
    changed, objects, _diffs = remove(kube, [pattern], OWNER, check_mode=False)
    assert changed
    assert sorted((o["name"], o["action"]) for o in objects) == [
        ("remote", "deleted"),
        ("remote-b", "deleted"),
        ("remote-c", "kept"),
    ]
    assert sorted(kube.objects) == [
        "/api/v1/namespaces/xcl",
        "/api/v1/namespaces/xcl/secrets/remote-c",
        "/api/v1/namespaces/xcl/secrets/token-x",
    ]
    with pytest.raises(ValueError, match="needs owner_labels"):
        remove(kube, [pattern], {}, check_mode=False)


def test_remove_by_name_prefix_leaves_the_kept_names_of_that_kind() -> None:
    kube = FakeKube()
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "reader-a", "namespace": "xcl", "labels": OWNER},
    }
    secrets = [
        {**SECRET, "metadata": {**SECRET["metadata"], "name": name}}
        for name in ("reader-a-token", "reader-b-token")
    ]
    ensure(kube, [NS, account, *secrets], OWNER, check_mode=False)
    patterns = [
        {"apiVersion": "v1", "kind": kind, "metadata": {"name": "reader-*", "namespace": "xcl"}}
        for kind in ("ServiceAccount", "Secret")
    ]
    # reader-a-token is kept as a Secret; the ServiceAccount reader-a is not kept by it.
    keep = {("Secret", "reader-a-token"), ("ServiceAccount", "reader-a-token")}
    kube.calls.clear()
    changed, objects, _diffs = remove(kube, patterns, OWNER, check_mode=False, keep=keep)
    assert changed
    assert sorted((o["kind"], o["name"]) for o in objects) == [
        ("Secret", "reader-b-token"),
        ("ServiceAccount", "reader-a"),
    ]
    assert sorted(path for method, path in kube.writes()) == [
        "/api/v1/namespaces/xcl/secrets/reader-b-token",
        "/api/v1/namespaces/xcl/serviceaccounts/reader-a",
    ]
    assert "/api/v1/namespaces/xcl/secrets/reader-a-token" in kube.objects


TOKEN = {
    "apiVersion": "v1",
    "kind": "Secret",
    "type": "kubernetes.io/service-account-token",
    "metadata": {"name": "reader-token", "namespace": "xcl", "labels": OWNER},
}


def test_wait_ready_waits_for_the_token_and_says_what_is_missing() -> None:
    kube = FakeKube()
    ensure(kube, [TOKEN, SERVICE], OWNER, check_mode=False)
    path = "/api/v1/namespaces/xcl/secrets/reader-token"
    now = [0.0]

    def sleep(seconds: float) -> None:  # the token controller fills it in after 3 s
        now[0] += seconds
        if now[0] >= 3:
            kube.objects[path]["data"] = {"token": "dG9r"}

    assert wait_ready(kube, [TOKEN, SERVICE], 30, sleep, lambda: now[0]) == []
    assert 3 <= now[0] < 30
    del kube.objects[path]["data"]
    missing = wait_ready(kube, [TOKEN], 4, lambda s: now.__setitem__(0, now[0] + s), lambda: now[0])
    assert missing == ["Secret xcl/reader-token has no token yet"]


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "dns", "namespace": "xcl", "labels": OWNER},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "dns"}}},
}


def test_wait_ready_names_the_pods_reason_until_the_rollout_is_done() -> None:
    kube = FakeKube()
    ensure(kube, [DEPLOYMENT], OWNER, check_mode=False)
    path = "/apis/apps/v1/namespaces/xcl/deployments/dns"
    kube.objects[path]["metadata"]["generation"] = 1
    kube.objects["/api/v1/namespaces/xcl/pods/dns-1"] = {
        "metadata": {"name": "dns-1"},
        "status": {
            "containerStatuses": [
                {
                    "name": "coredns",
                    "ready": False,
                    "state": {"waiting": {"reason": "ErrImagePull", "message": "not found"}},
                }
            ]
        },
    }
    now = [0.0]

    def tick(seconds: float) -> None:
        now[0] += seconds

    missing = wait_ready(kube, [DEPLOYMENT], 5, tick, lambda: now[0])
    assert missing == ["Deployment xcl/dns: pod dns-1: ErrImagePull: not found"]
    del kube.objects["/api/v1/namespaces/xcl/pods/dns-1"]
    kube.objects[path]["status"] = {
        "observedGeneration": 1,
        **{f"{k}Replicas": 1 for k in ("updated", "ready", "available")},
        "replicas": 1,
    }
    assert wait_ready(kube, [DEPLOYMENT], 5, tick, lambda: now[0]) == []
