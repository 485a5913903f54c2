"""The node agent: one Ready Node per test cluster, playing kube-scheduler and the kubelet.

- Binds every pending pod to the Node (``pods/binding``, as kube-scheduler does).
- Gives each pod an IP from the cluster's pod CIDR and reports its status through the
  ``status`` subresource with the Node's own identity (Node authorizer), as a kubelet does:
  ``ContainerCreating`` with a ``FailedMount`` event while a ConfigMap or Secret volume it
  needs (or one of its ``items`` keys) is missing; ``ErrImagePull`` for an image it does not
  know; Running and Ready otherwise.
- Pods whose image is a CoreDNS image run real CoreDNS (:mod:`tests.kube.pods`); every
  other known image is Ready at once.
- Finalizes deleted pods (delete with grace period 0 once their processes have stopped).
- Serves the kubelet API's ``containerLogs`` for ``pods/log`` (HTTPS on 127.0.0.1).
- Is the API server's egress to the cluster network (an HTTP CONNECT proxy on a Unix socket,
  kube-apiserver ``--egress-selector-config-file``, egress ``cluster``, as Konnectivity is on
  GKE): ``pods/proxy`` and the kubelet connections reach pod IPs inside their sandboxes.
- Answers the cluster's DNS Service on the host at ``127.0.0.1:<dns port>`` and plays
  kube-proxy inside pod sandboxes (:mod:`tests.kube.netns`).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import netns, pods
from .rest import ApiError, Client, Obj

log = logging.getLogger("tests.kube.agent")

KUBELET_VERSION = "v1.37.2"


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Network:
    """The run's addresses: what pods may reach on the host, and the cluster's Services."""

    host_ports: set[int] = field(default_factory=set)  # API servers of the run
    services: list[Obj] = field(default_factory=list)
    slices: list[Obj] = field(default_factory=list)

    def endpoints(self, namespace: str, name: str, port: Obj) -> list[tuple[str, int]]:
        """(ready pod IP, target port) of a Service port, from its EndpointSlices."""
        out: list[tuple[str, int]] = []
        for es in self.slices:
            meta = es.get("metadata") or {}
            labels = meta.get("labels") or {}
            if meta.get("namespace") != namespace:
                continue
            if labels.get("kubernetes.io/service-name") != name:
                continue
            target = next(
                (
                    p.get("port")
                    for p in es.get("ports") or []
                    if p.get("name", "") == port.get("name", "")
                    and p.get("protocol", "TCP") == port.get("protocol", "TCP")
                ),
                None,
            )
            if target is None:
                continue
            for ep in es.get("endpoints") or []:
                if (ep.get("conditions") or {}).get("ready"):
                    out += [(address, int(target)) for address in ep.get("addresses") or []]
        return out


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


def informer(
    client: Client,
    path: str,
    listed: Callable[[list[Obj]], None],
    event: Callable[[str, Obj], None],
) -> None:
    """List ``path``, then watch it from the list's resourceVersion, handing ``listed`` every
    listing and ``event`` each ADDED, MODIFIED or DELETED object; list again when the watch
    ends or fails (client-go's reflector). Runs for ever: start it in a thread."""
    while True:
        try:
            found = client.get(path) or {}
            listed(list(found.get("items") or []))
            version = (found.get("metadata") or {}).get("resourceVersion", "")
            for change in client.watch(path, version):
                kind = change.get("type")
                if kind == "ERROR":
                    break
                if kind in ("ADDED", "MODIFIED", "DELETED"):  # not BOOKMARK
                    event(kind, change.get("object") or {})
        except Exception:
            log.exception("watch of %s failed; listing again", path)
            time.sleep(1)


class Agent:
    def __init__(
        self,
        *,
        cluster: str,
        node: str,
        kubelet: Client,
        scheduler: Client,
        proxier: Client,
        pod_cidr: str,
        directory: Path,
        api_port: int,
        kubelet_port: int,
        kubelet_cert: tuple[str, str],
        run_ports_dir: Path,
        images: pods.Images,
        dns_port: int,
        egress_socket: Path,
    ) -> None:
        self.cluster = cluster
        self.node = node
        self.api = kubelet
        self.scheduler = scheduler
        self.proxier = proxier
        self.directory = directory
        self.api_port = api_port
        self.kubelet_port = kubelet_port
        self.kubelet_cert = kubelet_cert
        self.run_ports_dir = run_ports_dir
        self.images = images
        self.dns_port = dns_port
        self.egress_socket = egress_socket
        self.pod_net = ipaddress.ip_network(pod_cidr)
        self.next_ip = 2  # .1 is the gateway on a real node's pod bridge
        self.network = Network()
        self.network_changed = threading.Event()
        self.pods: dict[str, pods.PodWorker] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()

    # -- Node -------------------------------------------------------------------------------
    def register(self) -> None:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node,
                "labels": {
                    "kubernetes.io/hostname": self.node,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                },
            },
        }
        self.api.apply("/api/v1/nodes", node)
        self.api.patch_status(f"/api/v1/nodes/{self.node}", self._node_status())

    def _node_status(self) -> Obj:
        stamp = now()
        return {
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": self.node},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET_VERSION,
                "architecture": "amd64",
                "operatingSystem": "linux",
                "containerRuntimeVersion": "crosscluster-link-test-agent://1",
                "kernelVersion": "",
                "osImage": "",
                "kubeProxyVersion": "",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        }

    # -- pods -------------------------------------------------------------------------------
    def allocate_ip(self) -> str:
        with self.lock:
            ip = self.pod_net.network_address + self.next_ip
            self.next_ip += 1
            return str(ip)

    def handle(self, pod: Obj) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        spec = pod.get("spec") or {}
        if not spec.get("nodeName"):
            with contextlib.suppress(ApiError):  # 409: bound meanwhile
                self.scheduler.create(
                    f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding",
                    {
                        "apiVersion": "v1",
                        "kind": "Binding",
                        "metadata": {"name": meta["name"], "uid": uid},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": self.node},
                    },
                )
            return
        if spec["nodeName"] != self.node:
            return
        new = False
        with self.lock:
            worker = self.pods.get(uid)
            if worker is None and not meta.get("deletionTimestamp"):
                worker = pods.PodWorker(self, pod)
                self.pods[uid] = worker
                new = True
        if new and worker is not None:
            worker.start()
        if worker is not None:
            worker.update(pod)

    def forget(self, uid: str) -> None:
        with self.lock:
            worker = self.pods.pop(uid, None)
        if worker is not None:
            worker.stop()

    def watch_pods(self, client: Client, selector: str, forget: bool) -> None:
        """List and watch the pods of ``selector`` (the scheduler: unbound pods; the kubelet:
        this Node's pods, as the Node authorizer requires), handling each one."""

        def listed(items: list[Obj]) -> None:
            seen = set()
            for pod in items:
                seen.add(pod["metadata"]["uid"])
                self.handle(pod)
            for uid in set(self.pods) - seen if forget else ():
                self.forget(uid)

        def event(kind: str, pod: Obj) -> None:
            if kind == "DELETED":
                if forget:
                    self.forget(pod["metadata"]["uid"])
            else:
                self.handle(pod)

        informer(client, f"/api/v1/pods?fieldSelector={selector}", listed, event)

    # -- network ------------------------------------------------------------------------------
    def refresh_network(self) -> None:
        """Keep the run's API ports current (read every second) and plumb every pod again
        when they or the Services change (kube-proxy acts on its informers' events)."""
        for path, attribute in (
            ("/api/v1/services", "services"),
            ("/apis/discovery.k8s.io/v1/endpointslices", "slices"),
        ):
            threading.Thread(target=self.watch_network, args=(path, attribute), daemon=True).start()
        while True:
            changed = self.network_changed.wait(1.0)
            try:
                ports = {self.api_port}
                for path in self.run_ports_dir.glob("*.port"):
                    with contextlib.suppress(ValueError, OSError):
                        ports.add(int(path.read_text().strip()))
                if not changed and ports == self.network.host_ports:
                    continue
                self.network_changed.clear()
                self.network.host_ports = ports
                for worker in list(self.pods.values()):
                    worker.plumb()
            except Exception:
                log.exception("network refresh failed")

    def watch_network(self, path: str, attribute: str) -> None:
        """``self.network.<attribute>``: the objects at ``path``, kept by an informer. A change
        of the Services re-plumbs the pods; EndpointSlices are read when a connection is
        dialled."""
        objects: dict[tuple[str, str], Obj] = {}

        def publish() -> None:
            setattr(self.network, attribute, list(objects.values()))
            if attribute == "services":
                self.network_changed.set()

        def listed(items: list[Obj]) -> None:
            objects.clear()
            objects.update((_key(o), o) for o in items)
            publish()

        def event(kind: str, obj: Obj) -> None:
            if kind == "DELETED":
                objects.pop(_key(obj), None)
            else:
                objects[_key(obj)] = obj
            publish()

        informer(self.proxier, path, listed, event)

    def sandbox_of(self, ip: str) -> netns.Sandbox | None:
        for worker in list(self.pods.values()):
            if worker.sandbox is not None and worker.ip == ip:
                return worker.sandbox
        return None

    def dial_service(self, namespace: str, name: str, port: Obj) -> socket.socket | None:
        protocol = port.get("protocol", "TCP")
        if (namespace, name) == ("default", "kubernetes"):
            # Its endpoint is this API server (kube-apiserver runs with
            # --endpoint-reconciler-type=none: loopback endpoints are refused).
            return netns.host_connect(self.api_port)
        for ip, target in self.network.endpoints(namespace, name, port):
            sandbox = self.sandbox_of(ip)
            if sandbox is None:
                continue
            with contextlib.suppress(OSError):
                return sandbox.connect(target, protocol)
        return None

    def dial_address(self, host: str, port: int) -> socket.socket | None:
        """What the node's network reaches at ``host:port``: a pod IP inside its sandbox,
        the node's own address (127.0.0.1: the kubelet API) on the host."""
        sandbox = self.sandbox_of(host)
        if sandbox is not None:
            return sandbox.connect(port)
        if host == "127.0.0.1":
            return netns.host_connect(port)
        return None

    def serve_egress(self) -> None:
        self.egress_socket.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.egress_socket))
        sock.listen(64)
        netns.serve_connect(sock, self.dial_address)

    def serve_dns(self) -> None:
        """The cluster DNS Service (kube-system/kube-dns) on the host at 127.0.0.1:dns_port."""
        for protocol in ("UDP", "TCP"):
            kind = socket.SOCK_DGRAM if protocol == "UDP" else socket.SOCK_STREAM
            sock = socket.socket(socket.AF_INET, kind)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.dns_port))
            port = {"name": "dns" if protocol == "UDP" else "dns-tcp", "protocol": protocol}
            dial = functools.partial(self.dial_service, "kube-system", "kube-dns", port)

            if protocol == "TCP":
                sock.listen(64)
                netns.serve_tcp(sock, dial)
            else:
                netns.serve_udp(sock, dial)

    # -- kubelet API ----------------------------------------------------------------------------
    def kubelet_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        parts = [p for p in request.path.split("/") if p]
        if len(parts) == 4 and parts[0] == "containerLogs":
            _unused, namespace, name, container = parts
            worker = next(
                (
                    w
                    for w in list(self.pods.values())
                    if w.namespace == namespace and w.name == name
                ),
                None,
            )
            if worker is None:
                return Response("pod not found", 404)(environ, start_response)
            previous = request.args.get("previous") in ("true", "1")
            text = worker.logs(container, previous)
            tail = request.args.get("tailLines")
            if tail:
                text = "".join(text.splitlines(keepends=True)[-int(tail) :])
            return Response(text, 200, mimetype="text/plain")(environ, start_response)
        return Response("not found", 404)(environ, start_response)

    def serve_kubelet(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.kubelet_cert)
        server = make_server(
            "127.0.0.1", self.kubelet_port, self.kubelet_app, threaded=True, ssl_context=context
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def run(self) -> None:
        self.register()
        self.serve_kubelet()
        self.serve_egress()
        self.serve_dns()
        threading.Thread(target=self.refresh_network, daemon=True).start()
        for client, selector, forget in (
            (self.scheduler, "spec.nodeName%3D", False),
            (self.api, f"spec.nodeName%3D{self.node}", True),
        ):
            threading.Thread(
                target=self.watch_pods, args=(client, selector, forget), daemon=True
            ).start()
        self.ready.set()

    def stop(self) -> None:
        for uid in list(self.pods):
            self.forget(uid)
