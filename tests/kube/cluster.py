"""Run one real Kubernetes control plane for the tests (one process group per cluster).

    python -m tests.kube.cluster --state-dir DIR --cluster NAME --flavour kubeadm|k3s|gke \
        --port P --dns-port Q [--service-cidr CIDR] [--pod-cidr CIDR] [--faults FILE] \
        [--image IMAGE ...]

Starts, on 127.0.0.1 and free ports: etcd, kube-apiserver (TLS from a fresh CA, token and
client-certificate authentication, Node and RBAC authorization, ServiceAccount signing
keys, the default admission plugins plus NodeRestriction), kube-controller-manager (the
controllers the collection relies on), the node agent (tests/kube/agent.py), and the
logging proxy (tests/kube/proxy.py) on port P. It seeds the flavour's kube-system, writes
``DIR/kube/NAME/kubeconfig`` (cluster admin, through the proxy) and ``ca.crt``, then
answers ``GET /_emulator/health`` on P. SIGTERM stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from tests.emulators._common import (
    Faults,
    Instrumented,
    RequestLog,
    free_port,
    load_fault_rules,
    serve,
)

from . import build, pki, pods, proxy, seed
from .agent import Agent
from .rest import ApiError, Client

DEFAULT_CIDRS = {
    "kubeadm": ("10.96.0.0/12", "10.244.0.0/16"),
    "k3s": ("10.43.0.0/16", "10.42.0.0/16"),
    "gke": ("10.52.0.0/20", "10.48.0.0/14"),
}
# Controllers the collection's objects need (kube-controller-manager --controllers).
CONTROLLERS = (
    "serviceaccount-token-controller",
    "serviceaccount-controller",
    "deployment-controller",
    "replicaset-controller",
    "endpoints-controller",
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "root-ca-certificate-publisher-controller",
)
READY_TIMEOUT = 240.0


def kubeconfig(name: str, server: str, ca: Path, user: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": server, "certificate-authority": str(ca)}}
            ],
            "users": [{"name": f"{name}-user", "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-user"}}],
            "current-context": name,
        }
    )


class ControlPlane:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.name: str = args.cluster
        self.state = Path(args.state_dir).resolve()
        self.dir = self.state / "kube" / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "logs").mkdir(exist_ok=True)
        defaults = DEFAULT_CIDRS[args.flavour]
        self.service_cidr = args.service_cidr or defaults[0]
        self.pod_cidr = args.pod_cidr or defaults[1]
        self.node = f"{self.name}-node"
        self.children: list[subprocess.Popen[bytes]] = []
        self.bin = build.ensure(("etcd", "kube-apiserver", "kube-controller-manager", "coredns"))

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.dir / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        self.children.append(process)
        return process

    def wait_ready(self, what: str, check: Any, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last: object = "no answer"
        while True:
            try:
                if check():
                    return
            except Exception as exc:
                last = exc
            if process.poll() is not None:
                raise RuntimeError(
                    f"{what} exited with {process.returncode}; see {self.dir / 'logs'}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{what} not ready within {READY_TIMEOUT:.0f}s ({last}); "
                    f"see {self.dir / 'logs'}"
                )
            time.sleep(0.1)

    def egress_socket(self) -> Path:
        """The agent's egress socket: in the cluster directory unless that path is longer
        than a Unix socket address allows (108 bytes)."""
        path = self.dir / "egress.sock"
        if len(str(path)) < 100:
            return path
        return Path(tempfile.mkdtemp(prefix="xcl-egress-")) / "egress.sock"

    def start(self) -> None:
        service_ip = str(ipaddress.ip_network(self.service_cidr).network_address + 1)
        keys = pki.create(self.dir / "pki", self.name, self.node, service_ip)
        (self.dir / "ca.crt").write_bytes(keys.ca.read_bytes())
        token = secrets.token_urlsafe(32)
        tokens = self.dir / "pki" / "tokens.csv"
        tokens.write_text(f"{token},crosscluster-link-admin,admin-uid,system:masters\n")
        tokens.chmod(0o600)

        egress_socket = self.egress_socket()
        egress = self.dir / "egress-selector.yaml"
        egress.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "apiserver.k8s.io/v1beta1",
                    "kind": "EgressSelectorConfiguration",
                    "egressSelections": [
                        {
                            "name": "cluster",
                            "connection": {
                                "proxyProtocol": "HTTPConnect",
                                "transport": {"uds": {"udsName": str(egress_socket)}},
                            },
                        }
                    ],
                }
            )
        )
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        # every start is a new cluster (new PKI, ports, seed): an earlier run's etcd data would
        # make the seed fail (its Services hold the same cluster IPs), e.g. a second make demo
        shutil.rmtree(self.dir / "etcd", ignore_errors=True)
        etcd = self.spawn(
            "etcd",
            [
                str(self.bin["etcd"]),
                *("--name", self.name, "--data-dir", str(self.dir / "etcd")),
                *("--listen-client-urls", f"http://127.0.0.1:{etcd_port}"),
                *("--advertise-client-urls", f"http://127.0.0.1:{etcd_port}"),
                *("--listen-peer-urls", f"http://127.0.0.1:{peer_port}"),
                *("--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}"),
                *("--initial-cluster", f"{self.name}=http://127.0.0.1:{peer_port}"),
                "--unsafe-no-fsync",
                # one member: no peer to heartbeat, so the raft tick (default 100 ms, a wakeup
                # each) can be slow (idle: 0.37 -> 0.32 s of CPU a minute, measured)
                "--heartbeat-interval=500",
                "--election-timeout=5000",
                "--log-level=warn",
            ],
        )
        apiserver = self.spawn(
            "kube-apiserver",
            [
                str(self.bin["kube-apiserver"]),
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                # The reconciler refuses loopback addresses for default/kubernetes; the node
                # agent's kube-proxy sends that Service to this API server instead.
                "--endpoint-reconciler-type=none",
                f"--secure-port={api_port}",
                f"--tls-cert-file={keys.apiserver.cert}",
                f"--tls-private-key-file={keys.apiserver.key}",
                f"--client-ca-file={keys.ca}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                f"--service-cluster-ip-range={self.service_cidr}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={keys.sa_pub}",
                f"--service-account-signing-key-file={keys.sa_key}",
                f"--kubelet-client-certificate={keys.apiserver_kubelet_client.cert}",
                f"--kubelet-client-key={keys.apiserver_kubelet_client.key}",
                "--kubelet-preferred-address-types=InternalIP",
                # pods/proxy and kubelet traffic go through the node agent (agent.py)
                f"--egress-selector-config-file={egress}",
                "--allow-privileged=true",
                "--profiling=false",
                "--v=1",
            ],
        )
        admin = Client(f"https://127.0.0.1:{api_port}", str(keys.ca), token=token)
        self.wait_ready("etcd", lambda: True, etcd)
        self.wait_ready("kube-apiserver", lambda: admin.text("/readyz") == "ok", apiserver)

        kcm_config = self.dir / "controller-manager.kubeconfig"
        kcm_config.write_text(
            kubeconfig(
                self.name,
                f"https://127.0.0.1:{api_port}",
                keys.ca,
                {
                    "client-certificate": str(keys.controller_manager.cert),
                    "client-key": str(keys.controller_manager.key),
                },
            )
        )
        self.spawn(
            "kube-controller-manager",
            [
                str(self.bin["kube-controller-manager"]),
                f"--kubeconfig={kcm_config}",
                f"--authentication-kubeconfig={kcm_config}",
                f"--authorization-kubeconfig={kcm_config}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--controllers={','.join(CONTROLLERS)}",
                f"--service-account-private-key-file={keys.sa_key}",
                f"--root-ca-file={keys.ca}",
                f"--service-cluster-ip-range={self.service_cidr}",
                "--concurrent-deployment-syncs=5",
                "--v=1",
            ],
        )
        # Ready for pods: the default ServiceAccount exists once the controller runs.
        self.wait_ready(
            "kube-controller-manager",
            lambda: admin.get("/api/v1/namespaces/default/serviceaccounts/default") is not None,
            self.children[-1],
        )
        seed.seed(admin, self.name, self.args.flavour, self.service_cidr)

        ports_dir = self.state / "kube" / "api-ports"
        ports_dir.mkdir(parents=True, exist_ok=True)
        (ports_dir / f"{self.name}.port").write_text(f"{self.args.port}\n")
        server = f"https://127.0.0.1:{api_port}"
        images = pods.Images(
            {**pods.DEFAULT_IMAGES, **pods.known(self.args.image or [])}, self.bin["coredns"]
        )
        self.agent = Agent(
            cluster=self.name,
            node=self.node,
            kubelet=Client(server, str(keys.ca), cert=(str(keys.node.cert), str(keys.node.key))),
            scheduler=Client(
                server, str(keys.ca), cert=(str(keys.scheduler.cert), str(keys.scheduler.key))
            ),
            proxier=Client(
                server, str(keys.ca), cert=(str(keys.proxier.cert), str(keys.proxier.key))
            ),
            pod_cidr=self.pod_cidr,
            directory=self.dir / "node",
            api_port=api_port,
            kubelet_port=free_port(),
            kubelet_cert=(str(keys.kubelet.cert), str(keys.kubelet.key)),
            run_ports_dir=ports_dir,
            images=images,
            dns_port=self.args.dns_port,
            egress_socket=egress_socket,
        )
        self.agent.run()

        public = f"https://127.0.0.1:{self.args.port}"
        (self.dir / "kubeconfig").write_text(
            kubeconfig(self.name, public, self.dir / "ca.crt", {"token": token})
        )
        (self.dir / "kubeconfig").chmod(0o600)
        (self.dir / "cluster.json").write_text(
            json.dumps(
                {
                    "api_server": server,
                    "proxy": public,
                    "service_cidr": self.service_cidr,
                    "pod_cidr": self.pod_cidr,
                    "dns": f"127.0.0.1:{self.args.dns_port}",
                    "node": self.node,
                },
                indent=2,
            )
        )
        self.serve_proxy(api_port, keys)

    def serve_proxy(self, api_port: int, keys: pki.ClusterPki) -> None:
        faults = Faults()
        faults.replace(load_fault_rules(self.args.faults))
        app = Instrumented(
            proxy.Forward(api_port, str(keys.ca)),
            service=f"kube:{self.name}",
            log=RequestLog(self.state, f"kube:{self.name}"),
            faults=faults,
            classify=proxy.classify,
            render_fault=proxy.render_fault,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(keys.apiserver.cert), str(keys.apiserver.key))
        serve(app, self.args.port, ssl_context=context)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.agent.stop()
        for process in reversed(self.children):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in reversed(self.children):
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kube.cluster")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--flavour", choices=sorted(DEFAULT_CIDRS), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dns-port", type=int, required=True)
    parser.add_argument("--service-cidr")
    parser.add_argument("--pod-cidr")
    parser.add_argument("--faults")
    parser.add_argument("--image", action="append", help="an image the node runs as CoreDNS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if os.geteuid() != 0:
        print(
            "tests.kube.cluster: the node agent needs root (pod network namespaces)",
            file=sys.stderr,
        )
        return 2
    plane = ControlPlane(args)

    def terminate(_signum: int, _frame: Any) -> None:
        plane.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    try:
        plane.start()
    except (RuntimeError, ApiError, build.BuildError, OSError) as exc:
        print(f"tests.kube.cluster {args.cluster}: {exc}", file=sys.stderr)
        plane.stop()
        return 1
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
