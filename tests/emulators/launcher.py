"""Start, stop and report the emulators as processes on 127.0.0.1.

``up`` starts every emulator (``python -m tests.emulators.<name>``) in its own process group,
waits until each answers ``GET /_emulator/health`` and writes into the state directory:

- ``pids.json``: what it started (``down`` stops exactly these process groups),
- ``endpoints.json``: ``{"aws": {...}, "gcp": {...}, "kube": {"<cluster>": {...}}}``,
- ``env.sh``: the environment the collection's modules need (:func:`environment`),
- ``logs/<name>.log``: each process's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.emulators._common import free_port

REPO = Path(__file__).resolve().parents[2]
EMULATORS = ("aws", "gcp", "kube")
AWS_REGION = "eu-west-1"
GCP_PROJECT = "demo-project"
GCP_REGION = "europe-west1"
HEALTH_PATH = "/_emulator/health"
START_TIMEOUT = 480.0  # a bound, not a target: real control planes, several gates on 2 cores
STOP_GRACE = 5.0

# The demo's three clusters (aws + gcp + onprem). Pod and service ranges are disjoint, as
# linking requires (docs/emulators.md): EKS-like on kubeadm, GKE VPC-native, k3s defaults.
# The EKS-like pod range is one secondary VPC CIDR block, so at most a /16 (Amazon VPC User
# Guide, "VPC CIDR blocks": /16 to /28); the demo associates it with its VPC.
DEFAULT_KUBE_CLUSTERS: tuple[dict[str, str], ...] = (
    {
        "name": "aws-euw1",
        "flavour": "kubeadm",
        "service_cidr": "10.100.0.0/16",
        "pod_cidr": "10.32.0.0/16",
    },
    {
        "name": "gcp-euw1",
        "flavour": "gke",
        "service_cidr": "10.104.0.0/20",
        "pod_cidr": "10.48.0.0/14",
    },
    {
        "name": "onprem-lab",
        "flavour": "k3s",
        "service_cidr": "10.43.0.0/16",
        "pod_cidr": "10.42.0.0/16",
    },
)

Endpoints = dict[str, Any]
# Processes started by this Python process, kept so they are reaped with Popen.poll().
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class LauncherError(Exception):
    """The emulators could not be started (the message says which and why)."""


@dataclass
class _Spec:
    name: str  # process name: aws, gcp, kube-<cluster>
    module: str
    args: list[str]
    port: int
    scheme: str = "http"
    endpoint: dict[str, Any] = field(default_factory=dict)


def _package_present(package: str) -> bool:
    if package == "kube":
        return (REPO / "tests" / "kube" / "cluster.py").is_file()
    return (REPO / "tests" / "emulators" / package / "__main__.py").is_file()


def _load_clusters(path: str | os.PathLike[str] | None) -> list[dict[str, str]]:
    if path is None:
        return [dict(c) for c in DEFAULT_KUBE_CLUSTERS]
    data = json.loads(Path(path).read_text())
    clusters = data["clusters"] if isinstance(data, dict) else data
    for cluster in clusters:
        if not {"name", "flavour"} <= cluster.keys():
            raise LauncherError(f"kube cluster {cluster!r} needs at least 'name' and 'flavour'")
    return [dict(c) for c in clusters]


def _specs(
    state_dir: Path,
    only: Iterable[str],
    faults: str | None,
    aws_pending_seconds: float,
    gcp_operation_seconds: float | None,
    kube_clusters: list[dict[str, str]],
    aws_lifecycle: dict[str, Any] | None = None,
    gcp_operation_seconds_by_kind: dict[str, float] | None = None,
) -> list[_Spec]:
    common = ["--state-dir", str(state_dir)] + (["--faults", str(faults)] if faults else [])
    specs: list[_Spec] = []
    for name in only:
        if not _package_present(name):
            raise LauncherError(
                f"the {name} emulator is not in this tree (tests/emulators/{name}/__main__.py "
                f"is missing); start a subset with --only"
            )
    if "aws" in only:
        port = free_port()
        lifecycle = []
        for option, value in (aws_lifecycle or {}).items():
            if value is not None:
                lifecycle += [f"--{option.replace('_', '-')}", str(value)]
        specs.append(
            _Spec(
                "aws",
                "tests.emulators.aws",
                [
                    *("--port", str(port), *common, "--region", AWS_REGION),
                    *("--pending-seconds", str(aws_pending_seconds), *lifecycle),
                ],
                port,
                endpoint={"endpoint_url": f"http://127.0.0.1:{port}", "region": AWS_REGION},
            )
        )
    if "gcp" in only:
        port = free_port()
        extra = []
        if gcp_operation_seconds is not None:
            extra = ["--operation-seconds", str(gcp_operation_seconds)]
        if gcp_operation_seconds_by_kind:
            extra += ["--operation-seconds-by-kind", json.dumps(gcp_operation_seconds_by_kind)]
        specs.append(
            _Spec(
                "gcp",
                "tests.emulators.gcp",
                [
                    *("--port", str(port), *common),
                    *("--project", GCP_PROJECT, "--region", GCP_REGION, *extra),
                ],
                port,
                endpoint={
                    "api_endpoint": f"http://127.0.0.1:{port}",
                    "project": GCP_PROJECT,
                    "region": GCP_REGION,
                },
            )
        )
    if "kube" in only:
        # Real control planes (tests/kube/cluster.py): etcd, kube-apiserver,
        # kube-controller-manager and the node agent behind a logging proxy on `port`.
        for cluster in kube_clusters:
            port, dns_port = free_port(), free_port()
            args = ["--port", str(port), "--dns-port", str(dns_port), *common]
            args += ["--cluster", cluster["name"], "--flavour", cluster["flavour"]]
            for key in ("service_cidr", "pod_cidr"):
                if cluster.get(key):
                    args += [f"--{key.replace('_', '-')}", cluster[key]]
            for image in cluster.get("images") or []:
                args += ["--image", image]
            specs.append(
                _Spec(
                    f"kube-{cluster['name']}",
                    "tests.kube.cluster",
                    args,
                    port,
                    scheme="https",
                    endpoint={
                        "kubeconfig": str(state_dir / "kube" / cluster["name"] / "kubeconfig"),
                        "api_endpoint": f"https://127.0.0.1:{port}",
                        "flavour": cluster["flavour"],
                        "service_cidr": cluster.get("service_cidr"),
                        "pod_cidr": cluster.get("pod_cidr"),
                        "dns": f"127.0.0.1:{dns_port}",
                    },
                )
            )
    return specs


def _healthy(spec: _Spec) -> bool:
    url = f"{spec.scheme}://127.0.0.1:{spec.port}{HEALTH_PATH}"
    context = None
    if spec.scheme == "https":
        # Each test cluster's CA is its own; health only proves the proxy answers.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie (reaping our own children on the way)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ours(pid: int) -> bool:
    """The pid still runs one of our emulators (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"tests.emulators." in cmdline or b"tests.kube." in cmdline


def _read_pids(state_dir: Path) -> dict[str, dict[str, Any]]:
    path = state_dir / "pids.json"
    if not path.exists():
        return {}
    pids: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return pids


def _group_alive(pgid: int) -> bool:
    """True while any process of group ``pgid`` runs (zombies aside): a leader that has
    exited may leave children that are still stopping (CoreDNS, sandboxes)."""
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _stop(processes: dict[str, dict[str, Any]], grace: float = STOP_GRACE) -> None:
    """SIGTERM each process group, SIGKILL what is left of a group after ``grace`` seconds,
    and return once no process of the groups runs."""
    live = {name: p for name, p in processes.items() if _alive(p["pid"]) and _ours(p["pid"])}
    for process in live.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process["pgid"], signal.SIGTERM)

    def running() -> dict[str, dict[str, Any]]:
        return {name: p for name, p in live.items() if _alive(p["pid"]) or _group_alive(p["pgid"])}

    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        live = running()
        time.sleep(0.05)
    for process in live.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process["pgid"], signal.SIGKILL)
    for _unused in range(100):
        live = running()
        if not live:
            break
        time.sleep(0.02)


def environment(state_dir: str | os.PathLike[str], endpoints: Endpoints) -> dict[str, str]:
    """What env.sh exports for these endpoints."""
    env = {"CROSSCLUSTER_EMULATOR_STATE": str(Path(state_dir))}
    aws = endpoints.get("aws")
    if aws:
        env |= {
            "AWS_ENDPOINT_URL": aws["endpoint_url"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": aws["region"],
            "AWS_DEFAULT_REGION": aws["region"],
        }
    gcp = endpoints.get("gcp")
    if gcp:
        env |= {
            "GCP_API_ENDPOINT": gcp["api_endpoint"],
            "GCP_PROJECT": gcp["project"],
            "GCP_REGION": gcp["region"],
            "GCP_AUTH_KIND": "accesstoken",
            "GCP_ACCESS_TOKEN": "emulator-token",
        }
    return env


def up(
    state_dir: str | os.PathLike[str],
    *,
    only: Iterable[str] | None = None,
    faults: str | os.PathLike[str] | None = None,
    aws_pending_seconds: float = 0.0,
    aws_deleting_seconds: float = 0.0,
    aws_modifying_seconds: float = 0.0,
    aws_shuffle_tunnel_options: int | None = None,
    aws_notfound_seconds: float = 0.0,
    aws_peering_seconds: float = 0.0,
    gcp_operation_seconds: float | None = None,
    gcp_operation_seconds_by_kind: dict[str, float] | None = None,
    kube_clusters: str | os.PathLike[str] | None = None,
    timeout: float = START_TIMEOUT,
) -> Endpoints:
    """Start the emulators (all, or those named in ``only``) and return endpoints.json.

    ``aws_*`` are the AWS emulator's VPN and peering lifecycle options (``python -m
    tests.emulators.aws --help``); they can also be changed at run time with
    ``PUT /_emulator/aws/lifecycle``.
    ``gcp_operation_seconds_by_kind`` gives some kinds of GCP operation their own time
    (``python -m tests.emulators.gcp --help``), the others take ``gcp_operation_seconds``."""
    state = Path(state_dir).resolve()
    selected = list(EMULATORS if only is None else only)
    unknown = set(selected) - set(EMULATORS)
    if unknown:
        raise LauncherError(f"unknown emulator(s) {sorted(unknown)}; choose from {EMULATORS}")
    running = {n: p for n, p in _read_pids(state).items() if _alive(p["pid"]) and _ours(p["pid"])}
    if running:
        raise LauncherError(
            f"emulators already running from {state} ({', '.join(running)}): run down first"
        )
    specs = _specs(
        state,
        selected,
        str(faults) if faults else None,
        aws_pending_seconds,
        gcp_operation_seconds,
        _load_clusters(kube_clusters),
        {
            "deleting_seconds": aws_deleting_seconds or None,
            "modifying_seconds": aws_modifying_seconds or None,
            "shuffle_tunnel_options": aws_shuffle_tunnel_options,
            "notfound_seconds": aws_notfound_seconds or None,
            "peering_seconds": aws_peering_seconds or None,
        },
        gcp_operation_seconds_by_kind,
    )
    if "kube" in selected:
        from tests.kube import build  # the first run on a machine builds the components

        try:
            build.ensure()
        except build.BuildError as exc:
            raise LauncherError(str(exc)) from exc
    (state / "logs").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    processes: dict[str, dict[str, Any]] = {}
    # Start every process first, then wait for all: moto's import alone takes seconds.
    for spec in specs:
        log = state / "logs" / f"{spec.name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", spec.module, *spec.args],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own session and process group: pgid == pid
            )
        _CHILDREN[proc.pid] = proc
        processes[spec.name] = {
            "pid": proc.pid,
            "pgid": proc.pid,
            "port": spec.port,
            "log": str(log),
            "cmd": [spec.module, *spec.args],
        }
        (state / "pids.json").write_text(json.dumps(processes, indent=2))
    waiting = {spec.name: spec for spec in specs}
    deadline = time.monotonic() + timeout
    failure = ""
    while waiting and not failure:
        for name, spec in list(waiting.items()):
            if _healthy(spec):
                del waiting[name]
            elif not _alive(processes[name]["pid"]):
                failure = f"the {name} emulator exited before it was ready"
        if waiting and time.monotonic() > deadline:
            failure = f"not ready within {timeout:.0f}s: {', '.join(waiting)}"
        if waiting and not failure:
            time.sleep(0.05)
    if failure:
        _stop(processes)
        (state / "pids.json").unlink(missing_ok=True)
        tails = "\n".join(
            f"--- {name} ({processes[name]['log']}) ---\n{_log_tail(Path(processes[name]['log']))}"
            for name in processes
        )
        raise LauncherError(f"{failure}; stopped everything started.\n{tails}")
    endpoints: Endpoints = {}
    for spec in specs:
        if spec.name.startswith("kube-"):
            endpoints.setdefault("kube", {})[spec.name[len("kube-") :]] = spec.endpoint
        else:
            endpoints[spec.name] = spec.endpoint
    (state / "endpoints.json").write_text(json.dumps(endpoints, indent=2) + "\n")
    lines = [f"export {k}={shlex.quote(v)}" for k, v in environment(state, endpoints).items()]
    (state / "env.sh").write_text(
        "# generated by python -m tests.emulators up\n" + "\n".join(lines) + "\n"
    )
    return endpoints


def down(state_dir: str | os.PathLike[str], grace: float = STOP_GRACE) -> list[str]:
    """Stop exactly the processes ``up`` started; idempotent. Returns their names."""
    state = Path(state_dir).resolve()
    processes = _read_pids(state)
    _stop(processes, grace)
    (state / "pids.json").unlink(missing_ok=True)
    return list(processes)


def status(state_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """One row per started process: name, pid, alive, endpoint."""
    state = Path(state_dir).resolve()
    endpoints_path = state / "endpoints.json"
    endpoints = json.loads(endpoints_path.read_text()) if endpoints_path.exists() else {}
    rows = []
    for name, process in _read_pids(state).items():
        if name.startswith("kube-"):
            endpoint = endpoints.get("kube", {}).get(name[len("kube-") :], {}).get("api_endpoint")
        else:
            entry = endpoints.get(name, {})
            endpoint = entry.get("endpoint_url") or entry.get("api_endpoint")
        alive = _alive(process["pid"]) and _ours(process["pid"])
        rows.append({"name": name, "pid": process["pid"], "alive": alive, "endpoint": endpoint})
    return rows
