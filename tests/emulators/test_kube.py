"""Kubernetes API emulator: official client, RBAC, conflicts, validation, DNS readiness."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.emulators._common import read_log

ROOT = Path(__file__).resolve().parents[2]
RELOAD = 0.4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(port: int) -> bool:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{port}/_emulator/health", context=ctx, timeout=1
        ):
            return True
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("kube-state")
    procs, ports = {}, {}
    start = time.monotonic()
    for name, flavour in (("east", "kubeadm"), ("west", "gke"), ("edge", "k3s")):
        ports[name] = free_port()
        cmd = [
            sys.executable,
            "-m",
            "tests.emulators.kube",
            "--port",
            str(ports[name]),
            "--state-dir",
            str(state),
            "--cluster",
            name,
            "--flavour",
            flavour,
            "--reload-seconds",
            str(RELOAD),
        ]
        err = (state / f"{name}.stderr").open("w")
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, stderr=err)
    try:
        for name, port in ports.items():
            while not _health(port):
                assert procs[name].poll() is None, f"{name} exited"
                assert time.monotonic() - start < 20, "emulators did not start"
                time.sleep(0.05)
        yield {"state": state, "ports": ports, "startup": time.monotonic() - start}
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(10)


def api(clusters: dict[str, Any], name: str = "east", token: str | None = None) -> client.ApiClient:
    cfg = client.Configuration()
    config.load_kube_config(
        str(clusters["state"] / "kube" / name / "kubeconfig"), client_configuration=cfg
    )
    if token is not None:
        cfg.refresh_api_key_hook = None
        cfg.api_key = {"BearerToken": f"Bearer {token}"} if token else {}
    return client.ApiClient(cfg)


def wait_for(pred: Any, timeout: float = 8.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.1)


def test_clusters_start_in_seconds_with_own_endpoints(clusters: dict[str, Any]) -> None:
    assert clusters["startup"] < 10
    seen = set()
    for name in clusters["ports"]:
        cfg = (clusters["state"] / "kube" / name / "kubeconfig").read_text()
        assert f"127.0.0.1:{clusters['ports'][name]}" in cfg
        assert (
            (clusters["state"] / "kube" / name / "ca.crt")
            .read_text()
            .startswith("-----BEGIN CERTIFICATE")
        )
        svc = client.CoreV1Api(api(clusters, name)).read_namespaced_service(
            "kube-dns", "kube-system"
        )
        seen.add(svc.spec.cluster_ip)
    assert seen == {"10.96.0.10", "10.52.0.10", "10.43.0.10"}


def test_version_and_discovery(clusters: dict[str, Any]) -> None:
    assert client.VersionApi(api(clusters)).get_code().git_version.startswith("v1.31")
    groups = {g.name for g in client.ApisApi(api(clusters)).get_api_versions().groups}
    assert {"apps", "batch", "rbac.authorization.k8s.io", "discovery.k8s.io"} <= groups


def test_configmap_round_trip_conflict_and_patches(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters))
    v1.create_namespace({"metadata": {"name": "rt"}})
    cm = v1.create_namespaced_config_map(
        "rt", {"metadata": {"name": "one", "labels": {"a": "1"}}, "data": {"k": "v"}}
    )
    with pytest.raises(ApiException) as exists:
        v1.create_namespaced_config_map("rt", {"metadata": {"name": "one"}})
    assert exists.value.status == 409 and "already exists" in exists.value.body
    stale = cm.metadata.resource_version
    cm.data["k"] = "v2"
    updated = v1.replace_namespaced_config_map("one", "rt", cm)
    assert int(updated.metadata.resource_version) > int(stale)
    cm.metadata.resource_version = stale
    with pytest.raises(ApiException) as conflict:
        v1.replace_namespaced_config_map("one", "rt", cm)
    assert conflict.value.status == 409
    assert "the object has been modified" in json.loads(conflict.value.body)["message"]
    merged = v1.patch_namespaced_config_map("one", "rt", {"data": {"x": "y", "k": None}})
    assert merged.data == {"x": "y"}
    from kubernetes.dynamic import DynamicClient

    cms = DynamicClient(api(clusters)).resources.get(api_version="v1", kind="ConfigMap")
    ops = [{"op": "add", "path": "/data/z", "value": "1"}]
    jp = cms.patch(
        name="one", namespace="rt", body=ops, content_type="application/json-patch+json"
    ).to_dict()
    assert jp["data"] == {"x": "y", "z": "1"}
    v1.delete_namespaced_config_map("one", "rt")
    with pytest.raises(ApiException) as gone:
        v1.read_namespaced_config_map("one", "rt")
    assert gone.value.status == 404


def test_strategic_merge_keys_and_generation(clusters: dict[str, Any]) -> None:
    apps = client.AppsV1Api(api(clusters))
    dep = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "a", "image": "nginx:1", "env": [{"name": "X", "value": "1"}]},
                        {"name": "b", "image": "busybox:1"},
                    ]
                },
            },
        },
    }
    created = apps.create_namespaced_deployment("default", dep)
    assert created.metadata.generation == 1
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}
            }
        }
    }
    patched = apps.patch_namespaced_deployment("web", "default", patch)
    containers = patched.spec.template.spec.containers
    assert [c.name for c in containers] == ["a", "b"]
    assert [e.name for e in containers[0].env] == ["X", "Y"]
    assert patched.metadata.generation == 2
    status = wait_for(
        lambda: (
            (s := apps.read_namespaced_deployment("web", "default").status).updated_replicas == 1
            and s.ready_replicas == 1
            and s
        )
    )
    assert status.observed_generation == 2 and status.replicas == 1


def test_validation_422_names_the_field(clusters: dict[str, Any]) -> None:
    from kubernetes.dynamic import DynamicClient

    deployments = DynamicClient(api(clusters)).resources.get(
        api_version="apps/v1", kind="Deployment"
    )
    bad = {
        "metadata": {"name": "bad"},
        "spec": {"replicas": "three", "selector": {}, "template": {}},
    }
    with pytest.raises(ApiException) as err:
        deployments.create(body=bad, namespace="default")
    body = json.loads(err.value.body)
    assert err.value.status == 422 and body["reason"] == "Invalid"
    assert "spec.replicas" in {c["field"] for c in body["details"]["causes"]}
    with pytest.raises(ApiException) as name_err:
        client.CoreV1Api(api(clusters)).create_namespaced_config_map(
            "default", {"metadata": {"name": "Bad_Name"}}
        )
    assert name_err.value.status == 422
    assert json.loads(name_err.value.body)["details"]["causes"][0]["field"] == "metadata.name"


def test_selectors_and_dry_run(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters))
    for name, tier in (("s1", "db"), ("s2", "web"), ("s3", "db")):
        v1.create_namespaced_secret(
            "default",
            {"metadata": {"name": name, "labels": {"tier": tier}}, "stringData": {"k": "v"}},
        )
    assert [
        s.metadata.name
        for s in v1.list_namespaced_secret("default", label_selector="tier=db").items
    ] == ["s1", "s3"]
    assert [
        s.metadata.name
        for s in v1.list_namespaced_secret("default", label_selector="tier in (web),tier!=db").items
    ] == ["s2"]
    assert [
        s.metadata.name
        for s in v1.list_namespaced_secret("default", field_selector="metadata.name=s3").items
    ] == ["s3"]
    before = len(read_log(clusters["state"], "kube:east"))
    v1.create_namespaced_secret("default", {"metadata": {"name": "dry"}}, dry_run="All")
    v1.patch_namespaced_secret(
        "s1", "default", {"metadata": {"labels": {"tier": "x"}}}, dry_run="All"
    )
    with pytest.raises(ApiException):
        v1.read_namespaced_secret("dry", "default")
    assert v1.read_namespaced_secret("s1", "default").metadata.labels == {"tier": "db"}
    new = read_log(clusters["state"], "kube:east")[before:]
    assert [e["operation"] for e in new[:2]] == ["create:secrets", "patch:secrets"]
    assert not any(e["mutating"] for e in new[:2])


def test_authentication_and_rbac(clusters: dict[str, Any]) -> None:
    for token in ("", "not-a-token"):
        with pytest.raises(ApiException) as unauth:
            client.CoreV1Api(api(clusters, token=token)).list_namespaced_pod("default")
        assert unauth.value.status == 401
    v1 = client.CoreV1Api(api(clusters))
    rbac = client.RbacAuthorizationV1Api(api(clusters))
    v1.create_namespaced_service_account("default", {"metadata": {"name": "reader"}})
    v1.create_namespaced_secret(
        "default",
        {
            "metadata": {
                "name": "reader-token",
                "annotations": {"kubernetes.io/service-account.name": "reader"},
            },
            "type": "kubernetes.io/service-account-token",
        },
    )
    rbac.create_namespaced_role(
        "default",
        {
            "metadata": {"name": "pods"},
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": ["allowed"],
                    "verbs": ["get"],
                },
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        "default",
        {
            "metadata": {"name": "pods"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}],
        },
    )
    secret = wait_for(
        lambda: (
            (s := v1.read_namespaced_secret("reader-token", "default")).data
            and "token" in s.data
            and s
        )
    )
    import base64

    assert base64.b64decode(secret.data["namespace"]) == b"default"
    assert base64.b64decode(secret.data["ca.crt"]).startswith(b"-----BEGIN CERTIFICATE")
    sa = client.CoreV1Api(api(clusters, token=base64.b64decode(secret.data["token"]).decode()))
    assert sa.list_namespaced_pod("default").items is not None
    v1.create_namespaced_config_map("default", {"metadata": {"name": "allowed"}})
    v1.create_namespaced_config_map("default", {"metadata": {"name": "denied"}})
    assert sa.read_namespaced_config_map("allowed", "default").metadata.name == "allowed"
    with pytest.raises(ApiException) as named:
        sa.read_namespaced_config_map("denied", "default")
    assert named.value.status == 403
    with pytest.raises(ApiException) as cluster_scope:
        sa.list_pod_for_all_namespaces()
    assert json.loads(cluster_scope.value.body)["message"] == (
        'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" at the cluster scope'  # noqa: E501
    )
    with pytest.raises(ApiException) as write:
        sa.delete_namespaced_pod("x", "default")
    assert write.value.status == 403
    assert json.loads(write.value.body)["message"].endswith(
        'cannot delete resource "pods" in API group "" in the namespace "default"'
    )
    v1.delete_namespaced_service_account("reader", "default")
    with pytest.raises(ApiException) as revoked:
        sa.list_namespaced_pod("default")
    assert revoked.value.status == 401


def test_services_and_endpoints_follow_pods(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters))
    svc = v1.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 9042}]},
        },
    )
    assert svc.spec.cluster_ip == "None"
    normal = v1.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "api"},
            "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]},
        },
    )
    assert normal.spec.cluster_ip.startswith("10.9") and normal.spec.cluster_ip != "10.96.0.10"
    for i in range(2):
        v1.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": f"db-{i}", "labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": "scylladb/scylla:6"}]},
            },
        )
    ips = {v1.read_namespaced_pod(f"db-{i}", "default").status.pod_ip for i in range(2)}
    assert all(ip.startswith("10.244.") for ip in ips)
    eps = v1.read_namespaced_endpoints("db", "default")
    assert {a.ip for a in eps.subsets[0].addresses} == ips
    slices = (
        client.DiscoveryV1Api(api(clusters))
        .list_namespaced_endpoint_slice("default", label_selector="kubernetes.io/service-name=db")
        .items
    )
    assert {a for e in slices[0].endpoints for a in e.addresses} == ips
    v1.delete_namespaced_pod("db-0", "default")
    assert len(v1.read_namespaced_endpoints("db", "default").subsets[0].addresses) == 1


def _dns_pods(clusters: dict[str, Any], name: str) -> list[Any]:
    return (
        client.CoreV1Api(api(clusters, name))
        .list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns")
        .items
    )


def _restart(clusters: dict[str, Any], cluster: str, deployment: str, stamp: str) -> None:
    patch = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    client.AppsV1Api(api(clusters, cluster)).patch_namespaced_deployment(
        deployment, "kube-system", patch
    )


def _rolled_out(clusters: dict[str, Any], cluster: str, deployment: str) -> bool:
    d = client.AppsV1Api(api(clusters, cluster)).read_namespaced_deployment(
        deployment, "kube-system"
    )
    s = d.status
    return bool(
        s.observed_generation == d.metadata.generation
        and s.updated_replicas == 2
        and s.ready_replicas == 2
        and s.replicas == 2
    )


def test_coredns_missing_plugin_never_ready_then_fixed(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters))
    cm = v1.read_namespaced_config_map("coredns", "kube-system")
    good = cm.data["Corefile"]
    bad = (
        good
        + "aws-euwest1.local:53 {\n    errors\n    kubernetai aws-euwest1.local {\n        kubeconfig /k/kc remote\n    }\n}\n"  # noqa: E501
    )
    line = bad.splitlines().index("    kubernetai aws-euwest1.local {") + 1
    v1.patch_namespaced_config_map("coredns", "kube-system", {"data": {"Corefile": bad}})
    # Running pods keep their old config on a failed reload (coredns.io/plugins/reload).
    time.sleep(RELOAD + 0.2)
    first = _dns_pods(clusters, "east")
    assert all(p.status.container_statuses[0].ready for p in first)
    log = v1.read_namespaced_pod_log(first[0].metadata.name, "kube-system")
    assert (
        f"Restart failed: /etc/coredns/Corefile:{line} - Error during parsing: Unknown directive 'kubernetai'"  # noqa: E501
        in log
    )
    _restart(clusters, "east", "coredns", "1")
    time.sleep(RELOAD * 2)
    pods = _dns_pods(clusters, "east")
    new = [p for p in pods if p.metadata.name not in {q.metadata.name for q in first}]
    assert len(new) == 2 and len(pods) == 4  # old pods keep serving while the rollout is stuck
    for p in new:
        cs = p.status.container_statuses[0]
        assert not cs.ready and cs.state.waiting.reason == "CrashLoopBackOff"
        assert (
            cs.last_state.terminated.message
            == f"/etc/coredns/Corefile:{line} - Error during parsing: Unknown directive 'kubernetai'"  # noqa: E501
        )
    assert not _rolled_out(clusters, "east", "coredns")
    # Fix: use an image with kubernetai compiled in.
    image = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "coredns",
                            "image": "ghcr.io/crosscluster-link/coredns-kubernetai:v1.11.3",
                        }
                    ]
                }
            }
        }
    }
    client.AppsV1Api(api(clusters)).patch_namespaced_deployment("coredns", "kube-system", image)
    assert wait_for(lambda: _rolled_out(clusters, "east", "coredns"))
    assert len(_dns_pods(clusters, "east")) == 2
    # A syntax error with the kubernetai image -> crash loop; the fix -> Ready after the reload window.  # noqa: E501
    v1.patch_namespaced_config_map("coredns", "kube-system", {"data": {"Corefile": good + "}\n"}})
    _restart(clusters, "east", "coredns", "2")
    broken = wait_for(
        lambda: [
            p
            for p in _dns_pods(clusters, "east")
            if (
                p.status.container_statuses[0].state.waiting or client.V1ContainerStateWaiting()
            ).reason
            == "CrashLoopBackOff"
        ]
    )
    assert "Unexpected '}'" in broken[0].status.container_statuses[0].last_state.terminated.message
    v1.patch_namespaced_config_map("coredns", "kube-system", {"data": {"Corefile": good}})
    assert wait_for(lambda: _rolled_out(clusters, "east", "coredns"))


def test_k3s_custom_server_import(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters, "edge"))
    server = "remote.local:53 {\n    errors\n    kubernetai remote.local\n}\n"
    v1.create_namespaced_config_map(
        "kube-system", {"metadata": {"name": "coredns-custom"}, "data": {"remote.server": server}}
    )
    _restart(clusters, "edge", "coredns", "1")
    crashed = wait_for(
        lambda: [
            p for p in _dns_pods(clusters, "edge") if p.status.container_statuses[0].state.waiting
        ]
    )
    assert (
        "/etc/coredns/custom/remote.server:3 - Error during parsing: Unknown directive 'kubernetai'"
        in crashed[0].status.container_statuses[0].last_state.terminated.message
    )
    v1.patch_namespaced_config_map(
        "coredns-custom",
        "kube-system",
        {"data": {"remote.server": server.replace("kubernetai", "forward . 10.0.0.10\n    #")}},
    )
    assert wait_for(lambda: _rolled_out(clusters, "edge", "coredns"))


def test_kube_dns_stub_domains(clusters: dict[str, Any]) -> None:
    v1 = client.CoreV1Api(api(clusters, "west"))
    cm = v1.read_namespaced_config_map("kube-dns", "kube-system")
    assert cm.metadata.labels["addonmanager.kubernetes.io/mode"] == "EnsureExists"
    assert _rolled_out(clusters, "west", "kube-dns")
    v1.patch_namespaced_config_map(
        "kube-dns", "kube-system", {"data": {"stubDomains": '{"aws.local": ["10.100.0.10"'}}
    )
    _restart(clusters, "west", "kube-dns", "1")
    time.sleep(RELOAD * 2)
    assert not _rolled_out(clusters, "west", "kube-dns")
    v1.patch_namespaced_config_map(
        "kube-dns", "kube-system", {"data": {"stubDomains": '{"aws.local": ["10.100.0.10"]}'}}
    )
    assert wait_for(lambda: _rolled_out(clusters, "west", "kube-dns"))


def test_faults_and_latency(clusters: dict[str, Any]) -> None:
    port = clusters["ports"]["east"]
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    rules = {
        "rules": [
            {"kind": "throttle", "operation": "get:configmaps", "count": 1},
            {"kind": "latency", "operation": "list:nodes", "latency_ms": 300},
        ]
    }
    req = urllib.request.Request(
        f"https://127.0.0.1:{port}/_emulator/faults", data=json.dumps(rules).encode(), method="PUT"
    )
    urllib.request.urlopen(req, context=ctx).read()
    v1 = client.CoreV1Api(api(clusters))
    before = len(read_log(clusters["state"], "kube:east"))
    # urllib3 (under the official client) honours Retry-After on 429 and retries once.
    assert v1.read_namespaced_config_map("coredns", "kube-system").metadata.name == "coredns"
    calls = [
        (e["operation"], e["status"]) for e in read_log(clusters["state"], "kube:east")[before:]
    ]
    assert calls == [("get:configmaps", 429), ("get:configmaps", 200)]
    with urllib.request.urlopen(
        urllib.request.Request(
            f"https://127.0.0.1:{port}/_emulator/faults",
            data=json.dumps(rules).encode(),
            method="PUT",
        ),
        context=ctx,
    ):
        pass
    raw = urllib.request.Request(
        f"https://127.0.0.1:{port}/api/v1/namespaces/kube-system/configmaps/coredns"
    )
    with pytest.raises(urllib.error.HTTPError) as throttled:
        urllib.request.urlopen(raw, context=ctx)
    assert throttled.value.code == 429 and throttled.value.headers["Retry-After"] == "1"
    assert json.loads(throttled.value.read())["reason"] == "TooManyRequests"
    start = time.monotonic()
    assert len(v1.list_node().items) == 2
    assert time.monotonic() - start >= 0.3
    urllib.request.urlopen(
        urllib.request.Request(f"https://127.0.0.1:{port}/_emulator/faults", method="DELETE"),
        context=ctx,
    ).read()
