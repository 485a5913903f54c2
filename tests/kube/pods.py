"""One pod on the test node: its volumes, its containers and the status a kubelet reports.

A CoreDNS container runs the real CoreDNS binary of the image (``Images``) in the pod's
sandbox (network and mount namespace held by a pause process) and chrooted into the pod's
root directory, where each volume is mounted at its ``mountPath`` as the kubelet lays
volumes out (kubernetes pkg/volume/util/atomic_writer.go: files under a timestamped
directory, ``..data`` pointing at it, one symlink per key; an update swaps ``..data``).
subPath mounts are copied once and never updated, as in Kubernetes.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import netns
from .rest import ApiError, Obj

if TYPE_CHECKING:
    from .agent import Agent

log = logging.getLogger("tests.kube.pods")

COREDNS = "coredns"
READY = "ready"  # an image whose containers are Ready at once (no process)
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0  # kubelet's crash-loop back-off
PROBE_PERIOD_MAX = 1.0  # probes run at most a second apart (kubelet: periodSeconds)
VOLUME_SYNC = 3.0  # volumes are re-read this often (kubelet: sync period + cache TTL, ~1 min)
LOG_TAIL_BYTES = 2048  # terminationMessagePolicy FallbackToLogsOnError reads this much
# The container's own PATH is its image's: resolve the host tools before switching.
NSENTER, CHROOT = shutil.which("nsenter") or "nsenter", shutil.which("chroot") or "chroot"


@dataclass
class Images:
    """Which images the node can "pull": reference or repository -> COREDNS or READY."""

    table: dict[str, str]
    coredns: Path

    def kind(self, image: str) -> str | None:
        if image in self.table:
            return self.table[image]
        repository = image.split("@", 1)[0]
        last = repository.rsplit("/", 1)[-1]
        if ":" in last:
            repository = repository[: len(repository) - len(last)] + last.split(":", 1)[0]
        return self.table.get(repository)


DEFAULT_IMAGES = {
    "registry.k8s.io/coredns/coredns": COREDNS,
    "coredns/coredns": COREDNS,
    "rancher/mirrored-coredns-coredns": COREDNS,
    "registry.k8s.io/pause": READY,
    "gke.gcr.io/k8s-dns-kube-dns": READY,
    "gke.gcr.io/k8s-dns-dnsmasq-nanny": READY,
    "gke.gcr.io/k8s-dns-sidecar": READY,
}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_atomic(directory: Path, files: dict[str, bytes], modes: dict[str, int]) -> None:
    """The kubelet's atomic writer: new timestamped dir, swap ``..data``, key symlinks."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = directory / f"..{time.strftime('%Y_%m_%d_%H_%M_%S')}.{time.monotonic_ns()}"
    for rel, data in files.items():
        target = stamp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(modes.get(rel, 0o644))
    tmp = directory / "..data_tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(stamp.name)
    old = (directory / "..data").resolve() if (directory / "..data").is_symlink() else None
    os.replace(tmp, directory / "..data")
    for rel in files:
        top = rel.split("/", 1)[0]
        link = directory / top
        if not link.is_symlink() and not link.exists():
            link.symlink_to(f"..data/{top}")
    for entry in directory.iterdir():
        if (
            entry.is_symlink()
            and not entry.name.startswith("..")
            and entry.name not in {r.split("/", 1)[0] for r in files}
        ):
            entry.unlink()
    if old is not None and old != stamp.resolve():
        shutil.rmtree(old, ignore_errors=True)


class MountError(Exception):
    """A volume cannot be set up (kubelet event FailedMount)."""


@dataclass
class Container:
    spec: Obj
    kind: str | None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: str = ""
    ready: bool = False
    ready_streak: int = 0
    ready_failures: int = 0
    live_failures: int = 0
    backoff_until: float = 0.0
    last_terminated: Obj | None = None
    log_index: int = 0
    started_monotonic: float = 0.0

    @property
    def name(self) -> str:
        return str(self.spec["name"])


@dataclass
class PodWorker:
    agent: Agent
    pod: Obj
    ip: str = ""
    sandbox: netns.Sandbox | None = None
    stopped: threading.Event = field(default_factory=threading.Event)
    published: Obj | None = None
    mount_message: str = ""
    tokens: dict[str, bytes] = field(default_factory=dict)  # one bound token per pod start
    last_status: str = ""  # what was last published, to skip no-op status writes
    files: dict[str, dict[str, bytes] | None] | None = None
    mounted_at: float = 0.0

    def __post_init__(self) -> None:
        meta = self.pod["metadata"]
        self.namespace, self.name, self.uid = meta["namespace"], meta["name"], meta["uid"]
        self.directory = self.agent.directory / "pods" / f"{self.namespace}_{self.name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        images = self.agent.images
        self.containers = [
            Container(c, images.kind(c.get("image", ""))) for c in self.pod["spec"]["containers"]
        ]
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.started_at = now()

    @property
    def runs_processes(self) -> bool:
        return any(c.kind == COREDNS for c in self.containers)

    def start(self) -> None:
        self.ip = self.agent.allocate_ip()
        self.thread.start()

    def update(self, pod: Obj) -> None:
        with self.lock:
            self.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self.stopped.set()

    # -- volumes ------------------------------------------------------------------------------
    def _object(self, kind: str, name: str) -> Obj | None:
        path = f"/api/v1/namespaces/{self.namespace}/{kind}/{name}"
        try:
            return self.agent.api.get(path)
        except ApiError as exc:
            if exc.code == 403:  # Node authorizer: not (yet) related to this pod
                return None
            raise

    def _source_files(self, kind: str, source: Obj, volume: str) -> dict[str, bytes] | None:
        """Files of a configMap/secret source; None when optional and missing."""
        name = source.get("name") or source.get("secretName") or ""
        obj = self._object("configmaps" if kind == "configMap" else "secrets", name)
        label = "configmap" if kind == "configMap" else "secret"
        if obj is None:
            if source.get("optional"):
                return None
            raise MountError(
                f'MountVolume.SetUp failed for volume "{volume}" : {label} "{name}" not found'
            )
        data: dict[str, bytes] = {}
        for key, value in (obj.get("data") or {}).items():
            data[key] = base64.b64decode(value) if kind == "secret" else value.encode()
        for key, value in (obj.get("binaryData") or {}).items():
            data[key] = base64.b64decode(value)
        items = source.get("items")
        if not items:
            return data
        out: dict[str, bytes] = {}
        for item in items:
            if item["key"] not in data:
                if source.get("optional"):
                    continue
                raise MountError(
                    f'MountVolume.SetUp failed for volume "{volume}" : configmap references '
                    f"non-existent config key: {item['key']}"
                    if kind == "configMap"
                    else f'MountVolume.SetUp failed for volume "{volume}" : references '
                    f"non-existent secret key: {item['key']}"
                )
            out[item["path"]] = data[item["key"]]
        return out

    def _token(self, source: Obj) -> bytes:
        account = self.pod["spec"].get("serviceAccountName") or "default"
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": [source["audience"]] if source.get("audience") else None,
                "expirationSeconds": source.get("expirationSeconds", 3607),
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": self.name,
                    "uid": self.uid,
                },
            },
        }
        path = f"/api/v1/namespaces/{self.namespace}/serviceaccounts/{account}/token"
        try:
            result = self.agent.api.create(path, body)
        except ApiError as exc:
            raise MountError(f"MountVolume.SetUp failed: serviceaccount token: {exc}") from exc
        return str(result["status"]["token"]).encode()

    def volume_files(self, volume: Obj) -> dict[str, bytes] | None:
        name = volume["name"]
        if "configMap" in volume:
            return self._source_files("configMap", volume["configMap"], name)
        if "secret" in volume:
            return self._source_files("secret", volume["secret"], name)
        if "projected" in volume:
            files: dict[str, bytes] = {}
            for source in volume["projected"].get("sources") or []:
                if "serviceAccountToken" in source:
                    token_path = source["serviceAccountToken"]["path"]
                    if token_path not in self.tokens:
                        self.tokens[token_path] = self._token(source["serviceAccountToken"])
                    files[token_path] = self.tokens[token_path]
                for kind in ("configMap", "secret"):
                    if kind in source:
                        files |= self._source_files(kind, source[kind], name) or {}
                if "downwardAPI" in source:
                    for item in source["downwardAPI"].get("items") or []:
                        field_path = (item.get("fieldRef") or {}).get("fieldPath", "")
                        if field_path == "metadata.namespace":
                            files[item["path"]] = self.namespace.encode()
            return files
        return {}  # emptyDir and others: an empty directory

    def mount(self) -> dict[str, dict[str, bytes] | None]:
        """Every volume's files (raises MountError as the kubelet reports FailedMount)."""
        volumes = self.pod["spec"].get("volumes") or []
        return {v["name"]: self.volume_files(v) for v in volumes}

    def write_volumes(self, files: dict[str, dict[str, bytes] | None]) -> None:
        for name, content in files.items():
            target = self.directory / "volumes" / name
            if content is None:
                target.mkdir(parents=True, exist_ok=True)
                continue
            current = {}
            data = target / "..data"
            if data.exists():
                for path in data.rglob("*"):
                    if path.is_file():
                        current[str(path.relative_to(data))] = path.read_bytes()
            if current != content or not data.exists():
                write_atomic(target, content, {})

    # -- sandbox and processes --------------------------------------------------------------
    def rootfs(self) -> Path:
        return self.directory / "rootfs"

    def make_sandbox(self) -> None:
        root = self.rootfs()
        (root / "etc").mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        # dnsPolicy Default: the node's resolver, which here answers nothing (no route).
        (root / "etc" / "resolv.conf").write_text("nameserver 192.0.2.53\n")
        (root / "etc" / "hosts").write_text(f"127.0.0.1 localhost\n{self.ip} {self.name}\n")
        binary = root / "coredns"
        if not binary.exists():
            shutil.copy2(self.agent.images.coredns, binary)
        mounts: list[tuple[str, Path, bool]] = []
        for container in self.containers:
            for mount in container.spec.get("volumeMounts") or []:
                source = self.directory / "volumes" / mount["name"]
                if mount.get("subPath"):
                    copy = self.directory / "subpath" / mount["name"] / mount["subPath"]
                    if not copy.exists():
                        copy.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(source / mount["subPath"], copy)
                    mounts.append((mount["mountPath"], copy, True))
                else:
                    mounts.append((mount["mountPath"], source, False))
        lines = []
        for path, source, is_file in sorted(mounts, key=lambda m: m[0].count("/")):
            target = f"{root}/{path.lstrip('/')}"
            make = (
                f"mkdir -p $(dirname {target}) && touch {target}"
                if is_file
                else f"mkdir -p {target}"
            )
            lines.append(f"{make} && mount --bind {source} {target}")
        self.sandbox = netns.Sandbox(self.ip, self.directory, setup=" && ".join(lines))

    def container_env(self, container: Container) -> dict[str, str]:
        env = {"PATH": "/", "HOME": "/"}
        kubernetes = next(
            (
                s
                for s in self.agent.network.services
                if s["metadata"]["namespace"] == "default" and s["metadata"]["name"] == "kubernetes"
            ),
            None,
        )
        if kubernetes:
            env["KUBERNETES_SERVICE_HOST"] = kubernetes["spec"]["clusterIP"]
            env["KUBERNETES_SERVICE_PORT"] = "443"
        for item in container.spec.get("env") or []:
            if "value" in item:
                env[item["name"]] = str(item["value"])
        return env

    def log_path(self, container: Container, index: int) -> Path:
        return self.directory / "logs" / f"{container.name}.{index}.log"

    def logs(self, name: str, previous: bool) -> str:
        container = next((c for c in self.containers if c.name == name), None)
        if container is None:
            return ""
        index = container.log_index - 1 if previous else container.log_index
        path = self.log_path(container, index)
        return path.read_text(errors="replace") if index >= 0 and path.exists() else ""

    def start_process(self, container: Container) -> None:
        assert self.sandbox is not None
        command = list(container.spec.get("command") or ["/coredns"])
        command += [str(a) for a in container.spec.get("args") or []]
        path = self.log_path(container, container.log_index)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as out:
            container.process = subprocess.Popen(
                [
                    *(NSENTER, f"--target={self.sandbox.pid}", "--net", "--mount", "--"),
                    *(CHROOT, str(self.rootfs()), *command),
                ],
                env=self.container_env(container),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        container.started_at = now()
        container.started_monotonic = time.monotonic()
        container.ready = False
        container.ready_streak = 0
        container.ready_failures = 0
        container.live_failures = 0

    def kill(self, container: Container) -> None:
        if container.process is not None and container.process.poll() is None:
            container.process.terminate()
            try:
                container.process.wait(5)
            except subprocess.TimeoutExpired:
                container.process.kill()
                container.process.wait()

    def probe(self, container: Container, probe: Obj | None) -> bool:
        """An httpGet (or tcpSocket) probe inside the pod, as the kubelet runs it."""
        if not probe or self.sandbox is None:
            return True
        action = probe.get("httpGet") or probe.get("tcpSocket")
        if not action:
            return True
        port = action.get("port")
        if isinstance(port, str):
            port = next(
                (
                    p["containerPort"]
                    for p in container.spec.get("ports") or []
                    if p.get("name") == port
                ),
                0,
            )
        try:
            sock = self.sandbox.connect(int(port), "TCP", float(probe.get("timeoutSeconds", 1)))
        except OSError:
            return False
        if "tcpSocket" in probe:
            sock.close()
            return True
        connection = http.client.HTTPConnection(self.ip, int(port))
        connection.sock = sock
        try:
            connection.request("GET", action.get("path", "/"))
            return 200 <= connection.getresponse().status < 400
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def supervise(self, container: Container) -> None:
        """Start, probe, restart with back-off: one step of the kubelet's sync loop."""
        process = container.process
        if process is not None and process.poll() is not None:
            text = self.logs(container.name, previous=False)
            policy = container.spec.get("terminationMessagePolicy", "File")
            container.last_terminated = {
                "exitCode": process.returncode,
                "reason": "Completed" if process.returncode == 0 else "Error",
                "startedAt": container.started_at,
                "finishedAt": now(),
                "containerID": f"xcl://{self.uid}/{container.name}/{container.restarts}",
            }
            if policy == "FallbackToLogsOnError" and process.returncode != 0:
                container.last_terminated["message"] = text[-LOG_TAIL_BYTES:]
            delay = min(BACKOFF_START * 2**container.restarts, BACKOFF_MAX)
            container.backoff_until = time.monotonic() + delay
            container.restarts += 1
            container.log_index += 1
            container.process = None
            container.ready = False
        if container.process is None:
            if time.monotonic() >= container.backoff_until:
                self.start_process(container)
            return
        readiness = container.spec.get("readinessProbe")
        ok = self.probe(container, readiness)
        threshold = int((readiness or {}).get("successThreshold", 1))
        container.ready_streak = container.ready_streak + 1 if ok else 0
        failures = int((readiness or {}).get("failureThreshold", 3))
        container.ready_failures = 0 if ok else container.ready_failures + 1
        if ok and container.ready_streak >= threshold:
            container.ready = True
        elif container.ready and container.ready_failures >= failures:
            container.ready = False
        liveness = container.spec.get("livenessProbe")
        if liveness and time.monotonic() - container.started_monotonic >= float(
            liveness.get("initialDelaySeconds", 0)
        ):
            if self.probe(container, liveness):
                container.live_failures = 0
            else:
                container.live_failures += 1
                if container.live_failures >= int(liveness.get("failureThreshold", 3)):
                    self.kill(container)

    # -- status -------------------------------------------------------------------------------
    def container_status(self, container: Container, waiting: Obj | None) -> Obj:
        status: Obj = {
            "name": container.name,
            "image": container.spec.get("image", ""),
            "imageID": "",
            "restartCount": container.restarts,
            "ready": False,
            "started": False,
        }
        if container.last_terminated:
            status["lastState"] = {"terminated": container.last_terminated}
        if waiting is not None:
            status["state"] = {"waiting": waiting}
            return status
        if container.kind == READY:
            status |= {"ready": True, "started": True}
            status["state"] = {"running": {"startedAt": self.started_at}}
            status["containerID"] = f"xcl://{self.uid}/{container.name}"
        elif container.process is not None:
            status |= {"ready": container.ready, "started": True}
            status["state"] = {"running": {"startedAt": container.started_at}}
            status["containerID"] = f"xcl://{self.uid}/{container.name}/{container.restarts}"
        else:
            delay = min(BACKOFF_START * 2 ** (container.restarts - 1), BACKOFF_MAX)
            status["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {delay:.0f}s restarting failed container="
                    f"{container.name} pod={self.name}_{self.namespace}({self.uid})",
                }
            }
        return status

    def publish(self, waiting: Obj | None) -> None:
        statuses = [self.container_status(c, waiting) for c in self.containers]
        ready = all(s["ready"] for s in statuses)
        running = waiting is None
        conditions = [
            ("PodReadyToStartContainers", running),
            ("Initialized", True),
            ("Ready", ready),
            ("ContainersReady", ready),
            ("PodScheduled", True),
        ]
        previous = {c["type"]: c for c in ((self.published or {}).get("conditions") or [])}
        status: Obj = {
            "phase": "Running" if running else "Pending",
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": self.ip,
            "podIPs": [{"ip": self.ip}],
            "startTime": self.started_at,
            "containerStatuses": statuses,
            "conditions": [
                {
                    "type": kind,
                    "status": "True" if value else "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": (
                        previous[kind]["lastTransitionTime"]
                        if kind in previous
                        and previous[kind]["status"] == ("True" if value else "False")
                        else now()
                    ),
                    **({} if value or kind != "Ready" else {"reason": "ContainersNotReady"}),
                }
                for kind, value in conditions
            ],
        }
        comparable = json.dumps(
            {**status, "conditions": [(c["type"], c["status"]) for c in status["conditions"]]},
            sort_keys=True,
        )
        if comparable == self.last_status:
            return
        try:
            self.agent.api.patch_status(
                f"/api/v1/namespaces/{self.namespace}/pods/{self.name}", status
            )
        except ApiError as exc:
            if exc.code == 404:
                self.stopped.set()
                return
            raise
        self.last_status = comparable
        self.published = status

    def event(self, reason: str, message: str) -> None:
        stamp = now()
        with contextlib.suppress(ApiError):
            self.agent.api.create(
                f"/api/v1/namespaces/{self.namespace}/events",
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"generateName": f"{self.name}.", "namespace": self.namespace},
                    "involvedObject": {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "name": self.name,
                        "namespace": self.namespace,
                        "uid": self.uid,
                    },
                    "reason": reason,
                    "message": message,
                    "type": "Warning",
                    "source": {"component": "kubelet", "host": self.agent.node},
                    "reportingComponent": "kubelet",
                    "reportingInstance": self.agent.node,
                    "firstTimestamp": stamp,
                    "lastTimestamp": stamp,
                    "count": 1,
                },
            )

    # -- the sync loop ------------------------------------------------------------------------
    def sync(self) -> None:
        try:
            if self.files is None or time.monotonic() - self.mounted_at >= VOLUME_SYNC:
                self.files = self.mount()
                self.mounted_at = time.monotonic()
            files = self.files
        except MountError as exc:
            if str(exc) != self.mount_message:
                self.mount_message = str(exc)
                self.event("FailedMount", str(exc))
            self.publish({"reason": "ContainerCreating"})
            return
        self.mount_message = ""
        unknown = [c for c in self.containers if c.kind is None]
        if unknown:
            image = unknown[0].spec.get("image", "")
            self.publish(
                {
                    "reason": "ErrImagePull",
                    "message": f'failed to pull and unpack image "{image}": the test node '
                    "agent knows no such image (tests/kube/pods.py Images)",
                }
            )
            return
        if self.runs_processes:
            self.write_volumes(files)
            if self.sandbox is None:
                self.make_sandbox()
                self.plumb()
            for container in self.containers:
                if container.kind == COREDNS:
                    self.supervise(container)
        self.publish(None)

    def loop(self) -> None:
        while not self.stopped.is_set():
            try:
                self.sync()
            except Exception:
                log.exception("sync of pod %s/%s failed", self.namespace, self.name)
            self.stopped.wait(PROBE_PERIOD_MAX)
        self.teardown()

    def teardown(self) -> None:
        for container in self.containers:
            self.kill(container)
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.pod["metadata"].get("deletionTimestamp"):
            with contextlib.suppress(ApiError):
                self.agent.api.delete(
                    f"/api/v1/namespaces/{self.namespace}/pods/{self.name}",
                    {"gracePeriodSeconds": 0, "preconditions": {"uid": self.uid}},
                )

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(10)

    # -- network ------------------------------------------------------------------------------
    def plumb(self) -> None:
        """Listeners in the sandbox: the run's API servers, and every Service ClusterIP."""
        sandbox = self.sandbox
        if sandbox is None:
            return
        agent = self.agent
        for port in sorted(agent.network.host_ports):
            listener = sandbox.listen("127.0.0.1", port, "TCP")
            if listener is not None:
                netns.serve_tcp(listener, lambda port=port: netns.host_connect(port))
        for service in agent.network.services:
            ip = (service.get("spec") or {}).get("clusterIP")
            if not ip or ip == "None":
                continue
            sandbox.add_address(ip)
            meta = service["metadata"]
            for port in service["spec"].get("ports") or []:
                protocol = port.get("protocol", "TCP")
                listener = sandbox.listen(ip, int(port["port"]), protocol)
                if listener is None:
                    continue
                dial = functools.partial(agent.dial_service, meta["namespace"], meta["name"], port)
                if protocol == "TCP":
                    netns.serve_tcp(listener, dial)
                else:
                    netns.serve_udp(listener, dial)


def known(images: Iterable[str]) -> dict[str, str]:
    return {image: COREDNS for image in images}
