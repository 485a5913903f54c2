"""Resolve-and-connect: a lab pod asks its own cluster's DNS for a headless Service of
another cluster (``<svc>.<ns>.svc.<remote zone>``, which the linked CoreDNS + kubernetai
answer from the remote API server) and connects to every address of the answer, across the
tunnels.

The lab's pods are not Kubernetes pods, so the remote cluster gets what a StatefulSet's
headless Service would show of them: a Service without selector and an EndpointSlice
listing the lab pods' IPs (``publish``). A pod reaches its cluster DNS at the node-local
address ``NAMESERVER`` on its ``lo``, relayed to the cluster's DNS Service (the emulated
node answers it on the host, docs/emulators-kube.md), as NodeLocal DNSCache does for real pods.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.demo.__main__ import kube_client
from tests.kube import netns as kube_netns
from tests.lab import netns
from tests.lab.lab import Lab, Result
from tests.lab.pods import REPO, TCP_PORT, Pod

NAMESPACE, SERVICE = "xcl-lab", "echo"
NAMESERVER = "169.254.20.10"  # NodeLocal DNSCache's link-local address
SLICE_MANAGER = "lab.crosscluster.link"
# Flavours whose cluster DNS runs here: GKE's kube-dns is not built (docs/emulators-kube.md).
SERVED = ("kubeadm", "k3s")


@dataclass(frozen=True)
class Cluster:
    name: str
    zone: str
    flavour: str
    api: dict[str, Any]  # its entry of endpoints.json "kube"

    @property
    def dns_port(self) -> int:
        return int(str(self.api["dns"]).rsplit(":", 1)[1])


def clusters(state_dir: Path) -> dict[str, Cluster]:
    """The emulated Kubernetes clusters, with their zone from the inventory."""
    kube = json.loads((state_dir / "endpoints.json").read_text())["kube"]
    inventory = yaml.safe_load((state_dir / "clusters.yml").read_text())
    hosts = inventory["all"]["children"]["clusters"]["hosts"]
    return {
        name: Cluster(name, str(hosts[name]["cluster_dns_zone"]), api["flavour"], api)
        for name, api in kube.items()
        if name in hosts and hosts[name].get("cluster_dns_zone")
    }


def _objects(addresses: list[str]) -> list[tuple[str, dict[str, Any]]]:
    ns = f"/api/v1/namespaces/{NAMESPACE}"
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    return [
        ("/api/v1/namespaces", namespace),
        (
            f"{ns}/services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": SERVICE},
                "spec": {"clusterIP": "None", "ports": [{"name": "echo", "port": TCP_PORT}]},
            },
        ),
        (
            f"/apis/discovery.k8s.io/v1/namespaces/{NAMESPACE}/endpointslices",
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{SERVICE}-lab",
                    "labels": {
                        "kubernetes.io/service-name": SERVICE,
                        "endpointslice.kubernetes.io/managed-by": SLICE_MANAGER,
                    },
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addresses],
                "ports": [{"name": "echo", "port": TCP_PORT, "protocol": "TCP"}],
            },
        ),
    ]


@dataclass
class Discovery:
    """The published Services and the pods' DNS relays of one lab run."""

    lab: Lab
    clusters: dict[str, Cluster]
    stopping: threading.Event = field(default_factory=threading.Event)

    def pods_of(self, cluster: str) -> list[Pod]:
        return [p for p in self.lab.pods if p.cluster == cluster]

    def publish(self) -> None:
        """Namespace, headless Service and EndpointSlice of each cluster's lab pods, in that
        cluster (an object already there from an interrupted run is replaced)."""
        for name in {p.cluster for p in self.lab.pods} & self.clusters.keys():
            session, server = kube_client(self.clusters[name].api)
            gone_by = time.monotonic() + 90
            namespace = f"{server}/api/v1/namespaces/{NAMESPACE}"
            while (response := session.get(namespace, timeout=30)).status_code == 200:
                # A run right before deleted it: a namespace being deleted takes no objects
                # (403) until the namespace controller has emptied and removed it.
                if response.json().get("status", {}).get("phase") != "Terminating":
                    break
                if time.monotonic() > gone_by:
                    raise RuntimeError(f"{name}: namespace {NAMESPACE} is still terminating")
                time.sleep(1)
            addresses = [p.ip for p in self.pods_of(name)]
            for path, body in _objects(addresses):
                response = session.post(server + path, json=body, timeout=30)
                if response.status_code == 409 and body["kind"] != "Namespace":
                    item = f"{server}{path}/{body['metadata']['name']}"
                    session.delete(item, timeout=30).raise_for_status()
                    response = session.post(server + path, json=body, timeout=30)
                if response.status_code != 409:
                    response.raise_for_status()

    def relay(self, pod: Pod, cluster: Cluster) -> None:
        """``NAMESERVER``:53 (UDP) in the pod -> the cluster's DNS Service on the host."""
        netns.ip("addr", "add", f"{NAMESERVER}/32", "dev", "lo", ns=pod.ns)

        def listen() -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((NAMESERVER, 53))
            return sock

        def dial() -> socket.socket:
            upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            upstream.connect(("127.0.0.1", cluster.dns_port))
            return upstream

        listener = kube_netns.in_netns_at(f"/run/netns/{pod.ns}", listen)
        kube_netns.serve_udp(listener, dial, self.stopping)

    def sources(self) -> tuple[list[tuple[Pod, Cluster]], list[str]]:
        """(pod, remote cluster) pairs to check, and why other pods are not checked."""
        pairs, skipped = [], []
        for pod in self.lab.pods:
            own = self.clusters.get(pod.cluster)
            if own is None or own.flavour not in SERVED:
                flavour = own.flavour if own else "no DNS zone"
                skipped.append(f"{pod.ns}: its cluster DNS ({flavour}) does not run here")
                continue
            pairs += [
                (pod, self.clusters[c])
                for c in sorted({p.cluster for p in self.lab.pods} - {pod.cluster})
                if c in self.clusters
            ]
        return pairs, skipped

    def start(self) -> list[str]:
        """Publish and start the relays; returns the notes on the pods not checked."""
        self.publish()
        pairs, skipped = self.sources()
        for pod in {p.ns: p for p, _remote in pairs}.values():
            self.relay(pod, self.clusters[pod.cluster])
        return skipped

    def check(self, timeout: float = 60) -> list[Result]:
        """Poll until every pair resolves to exactly the remote lab pods' IPs and connects
        to each, or ``timeout`` passes; the last poll is the answer."""
        pairs, _skipped = self.sources()
        deadline = time.monotonic() + timeout
        while True:
            results = [self._check(pod, remote) for pod, remote in pairs]
            if all(r.ok for r in results) or time.monotonic() > deadline:
                return results
            time.sleep(2)

    def _check(self, pod: Pod, remote: Cluster) -> Result:
        name = f"{SERVICE}.{NAMESPACE}.svc.{remote.zone}"
        expected = sorted(p.ip for p in self.pods_of(remote.name))
        command = [sys.executable, "-m", "tests.lab.probe", "resolve", name, NAMESERVER]
        result = subprocess.run(
            ["ip", "netns", "exec", pod.ns, *command, str(TCP_PORT)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        answer = json.loads(result.stdout or "{}")
        addresses = sorted(answer.get("addresses", []))
        connected = answer.get("connected", [])
        ok = addresses == expected and sorted(connected) == expected
        detail = (
            f"-> {', '.join(addresses) or answer.get('error', 'no answer')}; "
            f"tcp {len(connected)}/{len(addresses)}"
        )
        if addresses != expected:
            detail += f" (expected {', '.join(expected)})"
        return Result(f"{pod.ns}: {name}", ok, detail)

    def stop(self) -> None:
        """Stop the relays (each closes its socket) and delete the published namespaces."""
        self.stopping.set()
        for name in {p.cluster for p in self.lab.pods} & self.clusters.keys():
            session, server = kube_client(self.clusters[name].api)
            response = session.delete(f"{server}/api/v1/namespaces/{NAMESPACE}", timeout=30)
            if response.status_code != 404:
                response.raise_for_status()
