"""The real control plane and its node agent: what the collection's tests rely on.

One kubeadm-flavoured cluster (etcd, kube-apiserver, kube-controller-manager, node agent,
logging proxy) for the module; each test checks one behaviour against the real API server
or a real CoreDNS process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest
import yaml

from tests.emulators import launcher
from tests.emulators._common import read_log
from tests.kube.eventually import eventually
from tests.kube.rest import ApiError, Client

NS = "xcl-test"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("kube")
    spec = state / "clusters.json"
    spec.write_text(
        json.dumps(
            [
                {
                    "name": "east",
                    "flavour": "kubeadm",
                    "service_cidr": "10.96.0.0/16",
                    "pod_cidr": "10.244.0.0/16",
                }
            ]
        )
    )
    try:
        endpoints = launcher.up(state, only=["kube"], kube_clusters=spec)
    except launcher.LauncherError as exc:
        pytest.fail(f"control plane did not start: {exc}", pytrace=False)
    try:
        east = endpoints["kube"]["east"]
        config = yaml.safe_load(Path(east["kubeconfig"]).read_text())
        token = config["users"][0]["user"]["token"]
        ca = config["clusters"][0]["cluster"]["certificate-authority"]
        client = Client(east["api_endpoint"], ca, token=token)
        client.apply(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        )
        yield {"state": state, "endpoint": east, "client": client, "ca": ca}
    finally:
        launcher.down(state)


@pytest.fixture(autouse=True)
def logs_of_a_failure(request: pytest.FixtureRequest, cluster: dict[str, Any]) -> Iterator[None]:
    """A failed test prints the last lines of every log of the cluster (control plane, node
    agent, each pod's containers): a failure in CI explains itself."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        for log in sorted(Path(cluster["state"]).rglob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(
                f"--- {log.relative_to(cluster['state'])} (last {len(tail)} lines)", *tail, sep="\n"
            )


def query(
    endpoint: dict[str, Any], name: str, rdtype: str = "A", tcp: bool = False
) -> dns.message.Message:
    host, port = endpoint["dns"].rsplit(":", 1)
    message = dns.message.make_query(name, rdtype)
    ask = dns.query.tcp if tcp else dns.query.udp
    return ask(message, host, port=int(port), timeout=3)


def pod_manifest(name: str, image: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
        "spec": {
            "containers": [{"name": "main", "image": image, **spec.pop("container", {})}],
            **spec,
        },
    }


def pod_status(client: Client, name: str) -> dict[str, Any]:
    pod = client.get(f"/api/v1/namespaces/{NS}/pods/{name}") or {}
    return pod.get("status") or {}


def waiting_reason(client: Client, name: str) -> str:
    statuses = pod_status(client, name).get("containerStatuses") or [{}]
    return str(((statuses[0].get("state") or {}).get("waiting") or {}).get("reason", ""))


def test_node_is_ready_and_native_coredns_runs(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    nodes = client.items("/api/v1/nodes")
    assert [n["metadata"]["name"] for n in nodes] == ["east-node"]
    ready = {c["type"]: c["status"] for c in nodes[0]["status"]["conditions"]}["Ready"]
    assert ready == "True"

    def coredns_ready() -> bool:
        dep = client.get("/apis/apps/v1/namespaces/kube-system/deployments/coredns") or {}
        return (dep.get("status") or {}).get("readyReplicas") == 2

    eventually("the native CoreDNS Deployment", coredns_ready)
    pods = client.items("/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns")
    assert all(p["status"]["podIP"].startswith("10.244.") for p in pods)


def test_pod_proxy_reaches_a_pod_port_through_the_agent_egress(cluster: dict[str, Any]) -> None:
    """kube-apiserver's pods/proxy dials the pod IP through its egress (the node agent):
    the native CoreDNS pod's own metrics endpoint (prometheus :9153) answers."""
    client = cluster["client"]
    selector = "labelSelector=k8s-app%3Dkube-dns"

    def metrics() -> str:
        pods = client.items(f"/api/v1/namespaces/kube-system/pods?{selector}")
        running = [p for p in pods if (p.get("status") or {}).get("podIP")]
        name = running[0]["metadata"]["name"]
        return client.text(f"/api/v1/namespaces/kube-system/pods/{name}:9153/proxy/metrics")

    text = eventually("the CoreDNS metrics through pods/proxy", metrics)
    assert 'coredns_build_info{goversion="' in text
    # the kubernetes plugin's client-go requests to this API server, by status code
    assert 'coredns_kubernetes_rest_client_requests_total{code="200"' in text


@pytest.mark.parametrize("tcp", [False, True])
def test_cluster_dns_answers_local_names(cluster: dict[str, Any], tcp: bool) -> None:
    answer = eventually(
        "an answer from the cluster DNS",
        lambda: query(cluster["endpoint"], "kubernetes.default.svc.cluster.local", tcp=tcp),
    )
    assert answer.rcode() == dns.rcode.NOERROR
    assert [str(r) for rrset in answer.answer for r in rrset] == ["10.96.0.1"]
    missing = query(cluster["endpoint"], "nope.default.svc.cluster.local", tcp=tcp)
    assert missing.rcode() == dns.rcode.NXDOMAIN


def test_headless_service_answers_ready_pod_ips(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    for name in ("web-0", "web-1"):
        manifest = pod_manifest(name, "registry.k8s.io/pause:3.10")
        manifest["metadata"]["labels"] = {"app": "web"}
        client.create(f"/api/v1/namespaces/{NS}/pods", manifest)
    client.create(
        f"/api/v1/namespaces/{NS}/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80}],
            },
        },
    )
    ips = sorted(pod_status(client, n).get("podIP", "") for n in ("web-0", "web-1"))

    def answered() -> list[str]:
        answer = query(cluster["endpoint"], f"web.{NS}.svc.cluster.local")
        return sorted(str(r) for rrset in answer.answer for r in rrset)

    assert eventually("the headless service's pod IPs", lambda: answered() == ips and ips)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/apis/apps/v1/namespaces/xcl-test/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "bad-selector"},
                "spec": {
                    "selector": {"matchLabels": {"app": "a"}},
                    "template": {
                        "metadata": {"labels": {"app": "b"}},
                        "spec": {
                            "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]
                        },
                    },
                },
            },
            "spec.template.metadata.labels",
        ),
        (
            "/apis/apps/v1/namespaces/xcl-test/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "mount-without-volume"},
                "spec": {
                    "selector": {"matchLabels": {"app": "a"}},
                    "template": {
                        "metadata": {"labels": {"app": "a"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "c",
                                    "image": "registry.k8s.io/pause:3.10",
                                    "volumeMounts": [{"name": "nope", "mountPath": "/x"}],
                                }
                            ]
                        },
                    },
                },
            },
            "volumeMounts[0].name",
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "sa-without-namespace"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "x"}],
            },
            "subjects[0].namespace",
        ),
    ],
)
def test_real_validation_rejects_what_the_old_emulator_accepted(
    cluster: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApiError) as failure:
        cluster["client"].create(path, body)
    assert failure.value.code == 422
    assert field in str(failure.value)


def test_role_ref_is_immutable(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    path = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
    binding = client.create(
        path,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "xcl-immutable"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": NS}],
        },
    )
    binding["roleRef"]["name"] = "edit"
    with pytest.raises(ApiError) as failure:
        client._call("PUT", f"{path}/xcl-immutable", json=binding)
    assert failure.value.code == 422 and "roleRef" in str(failure.value)


def test_missing_secret_volume_keeps_the_pod_creating_until_it_exists(
    cluster: dict[str, Any],
) -> None:
    client = cluster["client"]
    manifest = pod_manifest(
        "needs-secret",
        "registry.k8s.io/pause:3.10",
        volumes=[{"name": "kc", "secret": {"secretName": "later"}}],
        container={"volumeMounts": [{"name": "kc", "mountPath": "/kc"}]},
    )
    client.create(f"/api/v1/namespaces/{NS}/pods", manifest)
    eventually(
        "ContainerCreating", lambda: waiting_reason(client, "needs-secret") == "ContainerCreating"
    )

    def failed_mount() -> list[str]:
        events = client.items(f"/api/v1/namespaces/{NS}/events")
        return [
            e["message"]
            for e in events
            if e["reason"] == "FailedMount" and e["involvedObject"]["name"] == "needs-secret"
        ]

    assert 'secret "later" not found' in eventually("a FailedMount event", failed_mount)[0]
    client.create(
        f"/api/v1/namespaces/{NS}/secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "later"}, "data": {}},
    )
    eventually("Running", lambda: pod_status(client, "needs-secret").get("phase") == "Running")


def test_unknown_image_fails_with_err_image_pull(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    client.create(f"/api/v1/namespaces/{NS}/pods", pod_manifest("unknown", "example.org/none:1"))
    eventually("ErrImagePull", lambda: waiting_reason(client, "unknown") == "ErrImagePull")


def test_broken_corefile_crash_loops_with_coredns_own_error(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    client.create(
        f"/api/v1/namespaces/{NS}/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "broken"},
            "data": {"Corefile": ".:53 {\n    kubernetai remote.local\n}\n"},
        },
    )
    client.create(
        f"/api/v1/namespaces/{NS}/pods",
        pod_manifest(
            "broken-dns",
            "registry.k8s.io/coredns/coredns:v1.15.0",
            volumes=[{"name": "config", "configMap": {"name": "broken"}}],
            container={
                "args": ["-conf", "/etc/coredns/Corefile"],
                "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
                "terminationMessagePolicy": "FallbackToLogsOnError",
            },
        ),
    )
    eventually(
        "CrashLoopBackOff", lambda: waiting_reason(client, "broken-dns") == "CrashLoopBackOff"
    )
    terminated = pod_status(client, "broken-dns")["containerStatuses"][0]["lastState"]["terminated"]
    assert "Unknown directive 'kubernetai'" in terminated["message"]
    log = client.text(f"/api/v1/namespaces/{NS}/pods/broken-dns/log?previous=true")
    assert "Unknown directive 'kubernetai'" in log


def test_proxy_logs_mutations_and_not_dry_runs(cluster: dict[str, Any]) -> None:
    client = cluster["client"]
    before = len(read_log(cluster["state"], "kube:east"))
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "logged"},
        "data": {"a": "1"},
    }
    client._call("POST", f"/api/v1/namespaces/{NS}/configmaps?dryRun=All", json=body)
    client.create(f"/api/v1/namespaces/{NS}/configmaps", body)
    client.get(f"/api/v1/namespaces/{NS}/configmaps/logged")
    entries = [
        (e["operation"], e["mutating"]) for e in read_log(cluster["state"], "kube:east")[before:]
    ]
    assert entries == [
        ("create:configmaps", False),
        ("create:configmaps", True),
        ("get:configmaps", False),
    ]


def test_down_leaves_no_process(tmp_path: Path) -> None:
    spec = tmp_path / "clusters.json"
    spec.write_text(json.dumps([{"name": "brief", "flavour": "k3s"}]))
    launcher.up(tmp_path, only=["kube"], kube_clusters=spec)
    groups = {p["pgid"] for p in json.loads((tmp_path / "pids.json").read_text()).values()}
    assert _members(groups)  # etcd, kube-apiserver, controller manager, sandboxes, CoreDNS
    launcher.down(tmp_path)
    assert _members(groups) == []


def _members(groups: set[int]) -> list[int]:
    """Live processes in these process groups (field 5 of /proc/PID/stat)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) in groups:
            found.append(int(proc.name))
    return found
