"""Unit tests of the safe native-DNS editor, on an in-memory stand-in for the Kube wrapper."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _dns_config as dns
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import K8sError

NS = "kube-system"
KUBEADM_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
    reload
}
"""
K3S_COREFILE = """.:53 {
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa
    forward . /etc/resolv.conf
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
"""
STOCK = "registry.k8s.io/coredns/coredns:v1.11.3"


def deployment(name: str, image: str = STOCK) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS, "generation": 1},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "spec": {
                    "containers": [{"name": "coredns", "image": image}],
                    "volumes": [{"name": "config-volume", "configMap": {"name": "coredns"}}],
                }
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
        },
    }


class FakeKube:
    """The methods of _k8s.Kube that _dns_config uses, over a dict of objects by path."""

    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = copy.deepcopy(objects)
        self.calls: list[tuple[str, str]] = []
        self.pods: list[dict[str, Any]] = []
        self.replicasets: list[dict[str, Any]] = []
        self.logs: dict[str, str] = {}

    def get(self, path: str) -> dict[str, Any] | None:
        self.calls.append(("GET", path))
        obj = self.objects.get(path)
        return copy.deepcopy(obj) if obj is not None else None

    def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("POST", path))
        self.objects[f"{path}/{obj['metadata']['name']}"] = copy.deepcopy(obj)
        return obj

    def replace(self, path: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("PUT", path))
        self.objects[path] = copy.deepcopy(obj)
        return obj

    def delete(self, path: str) -> None:
        self.calls.append(("DELETE", path))
        self.objects.pop(path, None)

    def items(self, path: str) -> list[dict[str, Any]]:
        self.calls.append(("GET", path))
        return copy.deepcopy(self.replicasets if "/replicasets?" in path else self.pods)

    def text(self, path: str) -> str:
        """``.../pods/NAME/log?container=C``: the log kept under ``NAME/C``."""
        pod, _unused, query = path.split("/")[-2], *path.partition("?")[1:]
        return self.logs.get(f"{pod}/{query.removeprefix('container=')}", "")

    def data(self, name: str) -> dict[str, str] | None:
        obj = self.objects.get(f"/api/v1/namespaces/{NS}/configmaps/{name}")
        return None if obj is None else obj.get("data")

    @property
    def mutations(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]


def cm(name: str, data: dict[str, str] | None) -> tuple[str, dict[str, Any]]:
    obj: dict[str, Any] = {"metadata": {"name": name, "namespace": NS}}
    if data is not None:
        obj["data"] = data
    return f"/api/v1/namespaces/{NS}/configmaps/{name}", obj


def dep(name: str, image: str = STOCK) -> tuple[str, dict[str, Any]]:
    return f"/apis/apps/v1/namespaces/{NS}/deployments/{name}", deployment(name, image)


def cluster(flavour: str) -> FakeKube:
    if flavour == "kubeadm":
        return FakeKube(dict([cm("coredns", {"Corefile": KUBEADM_COREFILE}), dep("coredns")]))
    if flavour == "k3s":
        return FakeKube(dict([cm("coredns", {"Corefile": K3S_COREFILE}), dep("coredns")]))
    stubs = json.dumps({"corp.example": ["10.0.0.53"]})
    upstream = '["8.8.8.8"]'
    return FakeKube(
        dict(
            [
                cm("kube-dns", {"stubDomains": stubs, "upstreamNameservers": upstream}),
                dep("kube-dns", "gke.gcr.io/k8s-dns-kube-dns:1.23.0"),
            ]
        )
    )


def healthy(*_args: Any, **_kwargs: Any) -> dns.Health:
    return dns.Health(True, False, "")


def params(**kwargs: Any) -> dns.Params:
    kwargs.setdefault("zones", [dns.Zone("gcp-euw1.local", ["10.100.0.53"])])
    return dns.Params(**kwargs)


def run(kube: FakeKube, p: dns.Params, check: bool = False) -> tuple[bool, dict[str, Any]]:
    plan = dns.plan(kube, p)  # type: ignore[arg-type]
    if plan.changed and not check:
        dns.apply(kube, p, plan, wait=healthy)  # type: ignore[arg-type]
    return plan.changed, dns.diff_of(plan, p.namespace)


@pytest.mark.parametrize(
    ("zones", "flavour", "message"),
    [
        ([dns.Zone("bad_zone!", ["10.0.0.1"])], "auto", "is not a valid DNS name"),
        ([dns.Zone("cluster.local", ["10.0.0.1"])], "auto", "collides with the in-cluster zone"),
        ([dns.Zone("a.cluster.local", ["10.0.0.1"])], "auto", "collides with the in-cluster zone"),
        ([dns.Zone("local", ["10.0.0.1"])], "auto", "collides with the in-cluster zone"),
        ([dns.Zone("a.local", ["1.1.1.1"]), dns.Zone("A.local.", ["1.1.1.1"])], "auto", "twice"),
        ([dns.Zone("a.local")], "auto", "exactly one of forward"),
        ([dns.Zone("a.local", ["1.1.1.1"], ["errors"])], "auto", "exactly one of forward"),
        ([dns.Zone("a.local", body=["errors"])], "gke", "can only forward"),
    ],
)
def test_check_params_rejects(zones: list[dns.Zone], flavour: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dns.check_params(dns.Params(zones=zones, flavour=flavour))


def test_check_params_rejects_mounts_without_image() -> None:
    mounts = [{"name": "r", "secret": "s", "mount_path": "/x"}]
    with pytest.raises(ValueError, match="secret_mounts"):
        dns.check_params(params(secret_mounts=mounts))


@pytest.mark.parametrize("flavour", ["kubeadm", "k3s", "gke"])
def test_four_run_cycle_and_byte_for_byte_restore(flavour: str) -> None:
    kube = cluster(flavour)
    pristine = copy.deepcopy(kube.objects)
    p = params()
    changed, _unused = run(kube, p, check=True)
    assert changed and kube.mutations == []
    assert run(kube, p)[0] is True
    assert kube.mutations
    before = list(kube.mutations)
    assert run(kube, p, check=True)[0] is False
    assert run(kube, p)[0] is False
    assert kube.mutations == before
    assert run(kube, dns.Params(state="absent"))[0] is True
    assert kube.objects == pristine
    assert run(kube, dns.Params(state="absent"))[0] is False


def test_kubeadm_block_forwards_and_keeps_the_rest() -> None:
    kube = cluster("kubeadm")
    _unused, diff = run(kube, params())
    text = kube.data("coredns")["Corefile"]
    assert text.startswith(KUBEADM_COREFILE)
    assert "gcp-euw1.local:53 {" in text and "forward . 10.100.0.53" in text
    assert diff["before"] == KUBEADM_COREFILE and diff["after"] == text


def test_k3s_uses_coredns_custom_and_leaves_the_corefile() -> None:
    kube = cluster("k3s")
    run(kube, params())
    assert kube.data("coredns") == {"Corefile": K3S_COREFILE}
    server = kube.data("coredns-custom")["gcp-euw1.local.server"]
    assert "gcp-euw1.local:53 {" in server and "forward . 10.100.0.53" in server
    run(kube, dns.Params(state="absent"))
    assert kube.data("coredns-custom") is None  # created by us, so deleted


def test_gke_merges_stub_domains_keeping_entries_and_upstreams() -> None:
    kube = cluster("gke")
    run(kube, params())
    data = kube.data("kube-dns")
    assert json.loads(data["stubDomains"]) == {
        "corp.example": ["10.0.0.53"],
        "gcp-euw1.local": ["10.100.0.53"],
    }
    assert data["upstreamNameservers"] == '["8.8.8.8"]'


def test_absent_after_a_foreign_edit_removes_only_our_block() -> None:
    kube = cluster("kubeadm")
    run(kube, params())
    path = f"/api/v1/namespaces/{NS}/configmaps/coredns"
    edited = kube.objects[path]["data"]["Corefile"].replace("cache 30\n    reload", "reload")
    kube.objects[path]["data"]["Corefile"] = edited
    run(kube, dns.Params(state="absent"))
    assert kube.data("coredns")["Corefile"] == KUBEADM_COREFILE.replace(
        "cache 30\n    reload", "reload"
    )


@pytest.mark.parametrize(
    ("flavour", "data", "message"),
    [
        (
            "kubeadm",
            {"Corefile": KUBEADM_COREFILE + "gcp-euw1.local {\n    whoami\n}\n"},
            "gcp-euw1.local",
        ),
        ("gke", {"stubDomains": '{"gcp-euw1.local": ["1.2.3.4"]}'}, "gcp-euw1.local"),
        ("gke", {"stubDomains": "{not json"}, "stubDomains is not JSON"),
    ],
)
def test_zone_collisions_fail_before_any_change(
    flavour: str, data: dict[str, str], message: str
) -> None:
    kube = cluster(flavour)
    path = f"/api/v1/namespaces/{NS}/configmaps/{'coredns' if flavour == 'kubeadm' else 'kube-dns'}"
    kube.objects[path]["data"] = data
    with pytest.raises(K8sError, match=message):
        run(kube, params())
    assert kube.mutations == []


def test_k3s_collision_with_the_main_corefile() -> None:
    kube = cluster("k3s")
    path = f"/api/v1/namespaces/{NS}/configmaps/coredns"
    kube.objects[path]["data"]["Corefile"] += "gcp-euw1.local:53 {\n    whoami\n}\n"
    with pytest.raises(K8sError, match="already served by kube-system/ConfigMap coredns"):
        run(kube, params())
    assert kube.mutations == []


def test_failure_restores_previous_content_and_reports_pod_reason() -> None:
    kube = cluster("kubeadm")
    pristine = copy.deepcopy(kube.objects)
    p = params(
        image="ghcr.io/x/coredns-kubernetai:1",
        zones=[dns.Zone("r.local", body=["kubernetai r.local"])],
    )
    answers = [
        dns.Health(False, True, "pod coredns-1: CrashLoopBackOff: Unknown directive 'kubernetai'"),
        dns.Health(True, False, ""),
    ]
    plan = dns.plan(kube, p)  # type: ignore[arg-type]
    with pytest.raises(K8sError) as err:
        dns.apply(kube, p, plan, wait=lambda *a, **k: answers.pop(0))  # type: ignore[arg-type]
    assert "Unknown directive 'kubernetai'" in str(err.value)
    assert "previous configuration was restored and DNS is ready again" in str(err.value)
    assert kube.objects == pristine  # Corefile, image and backup all as before
    assert answers == []


def test_patch_mode_switches_image_and_mounts_then_absent_restores() -> None:
    kube = cluster("kubeadm")
    pristine = copy.deepcopy(kube.objects)
    mounts = [
        {"name": "remote-b", "secret": "crosscluster-link-remote-b", "mount_path": "/etc/r/b"}
    ]
    p = params(image="ghcr.io/x/coredns-kubernetai:1", secret_mounts=mounts)
    run(kube, p)
    spec = kube.objects[f"/apis/apps/v1/namespaces/{NS}/deployments/coredns"]["spec"]
    pod = spec["template"]["spec"]
    assert pod["containers"][0]["image"] == "ghcr.io/x/coredns-kubernetai:1"
    assert {"name": "remote-b", "mountPath": "/etc/r/b", "readOnly": True} in pod["containers"][0][
        "volumeMounts"
    ]
    assert run(kube, p)[0] is False
    run(kube, dns.Params(state="absent"))
    assert kube.objects == pristine


def test_gke_refuses_patch_mode() -> None:
    with pytest.raises(K8sError, match="cannot load kubernetai"):
        dns.plan(cluster("gke"), params(image="x"))  # type: ignore[arg-type]


def pod(name: str, ready: bool, waiting: dict[str, str] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": "coredns",
        "ready": ready,
        "state": {"waiting": waiting} if waiting else {},
    }
    if waiting:
        status["lastState"] = {"terminated": {"reason": "Error", "message": "Corefile:3 - bad"}}
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "coredns"}]},
        "status": {"containerStatuses": [status]},
    }


@pytest.mark.parametrize(
    ("status", "pods", "ready", "crashing", "reason"),
    [
        ({}, [pod("p1", True), pod("p2", True)], True, False, ""),
        ({"replicas": 4}, [pod("p1", True)], False, False, "replicas ready"),
        (
            {},
            [pod("p1", True), pod("p2", False, {"reason": "CrashLoopBackOff", "message": "m"})],
            False,
            True,
            "pod p2: CrashLoopBackOff: Corefile:3 - bad",
        ),
        ({"observedGeneration": 0}, [], False, False, "replicas ready"),
    ],
)
def test_health(
    status: dict[str, Any], pods: list[dict[str, Any]], ready: bool, crashing: bool, reason: str
) -> None:
    kube = cluster("kubeadm")
    obj = kube.objects[f"/apis/apps/v1/namespaces/{NS}/deployments/coredns"]
    obj["status"].update(status)
    kube.pods = pods
    result = dns.health(kube, NS, "coredns")  # type: ignore[arg-type]
    assert (result.ready, result.crashing) == (ready, crashing)
    assert reason in result.reason


def with_template(pod_obj: dict[str, Any], template: str) -> dict[str, Any]:
    pod_obj["metadata"]["labels"] = {"pod-template-hash": template}
    return pod_obj


def replicaset(template: str, revision: str) -> dict[str, Any]:
    return {
        "metadata": {
            "labels": {"pod-template-hash": template},
            "annotations": {"deployment.kubernetes.io/revision": revision},
        }
    }


@pytest.mark.parametrize(
    ("generation", "revision", "crashing"),
    [
        (1, "3", False),  # rolled back to revision 3: the crash is the replaced template's
        (1, "2", True),  # revision 2 is current: its pod's crash is the verdict
        (2, "3", False),  # the controller has not seen the new generation yet
    ],
)
def test_only_the_current_templates_crash_is_a_verdict(
    generation: int, revision: str, crashing: bool
) -> None:
    kube = cluster("kubeadm")
    obj = kube.objects[f"/apis/apps/v1/namespaces/{NS}/deployments/coredns"]
    obj["metadata"]["generation"] = generation
    obj["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": revision}
    obj["status"].update({"observedGeneration": 1, "replicas": 3})
    kube.replicasets = [replicaset("good", "3"), replicaset("broken", "2")]
    kube.pods = [
        with_template(pod("p1", True), "good"),
        with_template(pod("p2", False, {"reason": "CrashLoopBackOff", "message": "m"}), "broken"),
    ]
    result = dns.health(kube, NS, "coredns")  # type: ignore[arg-type]
    assert (result.ready, result.crashing) == (False, crashing)
    assert "pod p2: CrashLoopBackOff" in result.reason  # still named while it is there


def test_reload_errors_only_counts_new_lines() -> None:
    before = {"p1": "[ERROR] Restart failed: old\n"}
    after = {
        "p1": "[ERROR] Restart failed: old\n[INFO] Reloading complete\n",
        "p2": "x - Error during parsing: Unknown directive 'kubernetai'\n",
    }
    assert dns.reload_errors(before, after) == [
        "pod p2: x - Error during parsing: Unknown directive 'kubernetai'"
    ]


def test_wait_holds_through_the_reload_window_and_reads_logs() -> None:
    kube = cluster("kubeadm")
    kube.pods = [pod("p1", True)]
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        if now[0] >= 3:
            kube.logs["p1/coredns"] = "[ERROR] Restart failed: Unknown directive 'kubernetai'\n"

    result = dns.wait_healthy(
        kube,
        NS,
        "coredns",
        30,
        5,
        {"p1/coredns": ""},
        clock=lambda: now[0],
        sleep=sleep,  # type: ignore[arg-type]
    )
    assert now[0] >= 5
    assert not result.ready and "Restart failed" in result.reason


RUNNING = "[INFO] plugin/reload: Running configuration SHA512 = 1a2b\n"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"p1/c": RUNNING}, {"p1/c": RUNNING + "[INFO] Reloading\n" + RUNNING}, True),
        ({"p1/c": RUNNING}, {"p1/c": RUNNING + "[INFO] Reloading\n"}, False),
        ({"p1/c": RUNNING}, {"p1/c": RUNNING + "[ERROR] Restart failed: x\n"}, True),
        ({"p1/c": RUNNING}, {"p2/c": RUNNING}, True),  # a new pod started on the new file
        ({"p1/c": RUNNING, "p2/c": RUNNING}, {"p1/c": RUNNING * 2, "p2/c": RUNNING}, False),
        ({"p1/kubedns": "I0101 sync\n"}, {"p1/kubedns": "I0101 sync\nI0102 sync\n"}, False),
    ],
)
def test_reloaded_when_every_coredns_container_tried_the_new_file(
    before: dict[str, str], after: dict[str, str], expected: bool
) -> None:
    assert dns.reloaded(before, after) is expected


def test_wait_ends_the_hold_once_every_pod_reloaded() -> None:
    kube = cluster("kubeadm")
    kube.pods = [pod("p1", True)]
    kube.logs["p1/coredns"] = RUNNING
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 12:
            kube.logs["p1/coredns"] = RUNNING + "[INFO] Reloading\n" + RUNNING

    result = dns.wait_healthy(
        kube,
        NS,
        "coredns",
        300,
        90,
        {"p1/coredns": RUNNING},
        clock=lambda: now[0],
        sleep=sleep,  # type: ignore[arg-type]
    )
    assert result.ready
    assert 12 <= now[0] <= 12 + dns.LOG_INTERVAL + 1  # not the whole 90 s window


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        (dict([cm("coredns", {"Corefile": KUBEADM_COREFILE}), dep("coredns")]), "kubeadm"),
        (dict([cm("coredns", {"Corefile": K3S_COREFILE}), dep("coredns")]), "k3s"),
        (
            dict(
                [
                    cm("coredns", {"Corefile": KUBEADM_COREFILE}),
                    dep(
                        "coredns",
                        "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.1",
                    ),
                ]
            ),
            "eks",
        ),
        (dict([dep("kube-dns")]), "gke"),
    ],
)
def test_detect_flavour(objects: dict[str, Any], expected: str) -> None:
    flavour, warnings = dns.resolve_flavour(FakeKube(objects), dns.Params())  # type: ignore[arg-type]
    assert flavour == expected
    assert bool(warnings) == (expected == "eks")


def test_detect_flavour_without_dns() -> None:
    with pytest.raises(K8sError, match="no cluster DNS found"):
        dns.resolve_flavour(FakeKube({}), dns.Params())  # type: ignore[arg-type]


def test_info_reports_zones_and_managed_zones() -> None:
    kube = cluster("kubeadm")
    run(kube, params())
    found = dns.info(kube, NS)  # type: ignore[arg-type]
    assert found["flavour"] == "kubeadm"
    assert "gcp-euw1.local" in found["zones"] and "." in found["zones"]
    assert found["managed_zones"] == ["gcp-euw1.local"]
    assert found["backup"] is True


def test_rollback_restarts_only_crash_looping_dns_pods() -> None:
    kube = cluster("kubeadm")
    kube.pods = [
        pod("ok", True),
        pod("looping", False, {"reason": "CrashLoopBackOff", "message": "back-off 20s"}),
        pod("starting", False, {"reason": "ContainerCreating"}),
    ]
    dns.restart_crashing(kube, NS, "coredns")
    assert [c for c in kube.calls if c[0] == "DELETE"] == [
        ("DELETE", f"/api/v1/namespaces/{NS}/pods/looping")
    ]
