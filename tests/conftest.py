"""Session fixtures that run the emulators (tests/emulators/launcher.py) for the test run.

- ``emulators``: every emulator (AWS, GCP, the Kubernetes clusters), started once.
- ``aws_emulator``: the AWS emulator alone (``--only aws``), for tests that need nothing else.
- ``cloud_emulators``: the AWS and GCP emulators (``--only aws,gcp``): no Kubernetes cluster
  to start and keep running for tests that use none.

Each returns an :class:`EmulatorRun`; the processes are stopped at session end, and also
by an atexit hook if the run is interrupted.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import shlex
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulators import launcher
from tests.emulators._common import LOG_NAME, read_log

# The clouds' own timing, for a gate that must see it (docs/emulators.md): an AWS VPN
# connection is `pending` for minutes before `available` and `deleting` before `deleted`,
# a tunnel modification leaves it `modifying` (EC2 API reference, VpnConnection.State,
# ModifyVpnTunnelOptions), a Compute Engine operation takes seconds (Operation.status).
# Scaled down so a gate stays minutes long, yet every wait and poll path runs.
REAL_WORLD_AWS = {"pending_seconds": 20.0, "deleting_seconds": 10.0, "modifying_seconds": 5.0}
REAL_WORLD_GCP_OPERATION_SECONDS = 2.0


@dataclass
class EmulatorRun:
    state_dir: Path
    endpoints: dict[str, Any]
    env: dict[str, str]

    def mark(self) -> int:
        """A position in the request log; pass it to :meth:`requests_since`."""
        path = self.state_dir / LOG_NAME
        return path.stat().st_size if path.exists() else 0

    def requests_since(self, mark: int, service: str | None = None) -> list[dict[str, Any]]:
        """Requests logged after ``mark``, optionally of one service (``aws``, ``gcp``,
        ``kube`` or ``kube:<cluster>``)."""
        path = self.state_dir / LOG_NAME
        if not path.exists():
            return []
        with path.open("rb") as log:
            log.seek(mark)
            entries = [json.loads(line) for line in log.read().splitlines() if line.strip()]
        if service is None:
            return entries
        return [
            e for e in entries if e["service"] == service or e["service"].startswith(service + ":")
        ]

    def mutations_since(self, mark: int, service: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.requests_since(mark, service) if e["mutating"]]

    def log(self, service: str | None = None) -> list[dict[str, Any]]:
        return read_log(self.state_dir, service)

    def _admin(self, method: str, base: str, path: str, body: Any = None, ca: Any = True) -> Any:
        response = requests.request(method, base + path, json=body, timeout=30, verify=ca)
        response.raise_for_status()
        return response.json()

    def _bases(self) -> list[tuple[str, Any]]:
        """(base URL, TLS verification) of every emulator and Kubernetes API proxy."""
        bases: list[tuple[str, Any]] = []
        if "aws" in self.endpoints:
            bases.append((self.endpoints["aws"]["endpoint_url"], True))
        if "gcp" in self.endpoints:
            bases.append((self.endpoints["gcp"]["api_endpoint"], True))
        for cluster in self.endpoints.get("kube", {}).values():
            ca = str(Path(cluster["kubeconfig"]).parent / "ca.crt")
            bases.append((cluster["api_endpoint"], ca))
        return bases

    @contextlib.contextmanager
    def faults(self, rules: list[dict[str, Any]]) -> Iterator[None]:
        """Inject ``rules`` (tests.emulators._common.FaultRule) into every emulator and
        Kubernetes API proxy while the block runs; none are left when it ends."""
        bases = self._bases()
        try:
            for base, ca in bases:
                self._admin("PUT", base, "/_emulator/faults", {"rules": rules}, ca)
            yield
        finally:
            for base, ca in bases:
                self._admin("DELETE", base, "/_emulator/faults", ca=ca)

    @contextlib.contextmanager
    def real_world_timing(self) -> Iterator[None]:
        """REAL_WORLD_AWS and REAL_WORLD_GCP_OPERATION_SECONDS while the block runs, then
        zero again (every window still open is ended: the next test starts settled)."""
        aws, gcp = self.endpoints["aws"]["endpoint_url"], self.endpoints["gcp"]["api_endpoint"]
        zero = {key: 0.0 for key in REAL_WORLD_AWS}
        seconds = REAL_WORLD_GCP_OPERATION_SECONDS
        try:
            self._admin("PUT", aws, "/_emulator/aws/lifecycle", REAL_WORLD_AWS)
            self._admin("PUT", gcp, "/_emulator/gcp/operations", {"seconds": seconds})
            yield
        finally:
            self._admin("PUT", aws, "/_emulator/aws/lifecycle", zero)
            self._admin("POST", aws, "/_emulator/aws/settle")
            self._admin("PUT", gcp, "/_emulator/gcp/operations", {"seconds": 0})


def read_env_sh(path: Path) -> dict[str, str]:
    """The variables an env.sh written by the launcher exports."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _unused, value = line[len("export ") :].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    sys.exit(128 + signum)  # runs the atexit hooks, which SIGTERM's default action skips


def _start(state_dir: Path, **options: Any) -> Iterator[EmulatorRun]:
    stop = functools.partial(launcher.down, state_dir)
    atexit.register(stop)  # an interrupted run still stops what it started
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # a CI timeout or kill, too
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        endpoints = launcher.up(state_dir, **options)
    except launcher.LauncherError as exc:
        pytest.fail(f"emulators did not start: {exc}", pytrace=False)
    try:
        yield EmulatorRun(state_dir, endpoints, read_env_sh(state_dir / "env.sh"))
    finally:
        stop()
        atexit.unregister(stop)


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorRun]:
    yield from _start(tmp_path_factory.mktemp("emulators"))


@pytest.fixture(scope="session")
def aws_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorRun]:
    yield from _start(tmp_path_factory.mktemp("aws-emulator"), only=["aws"])


@pytest.fixture(scope="session")
def cloud_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorRun]:
    yield from _start(tmp_path_factory.mktemp("cloud-emulators"), only=["aws", "gcp"])
