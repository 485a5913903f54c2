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

from tests.emulators import launcher
from tests.emulators._common import LOG_NAME, read_log


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
