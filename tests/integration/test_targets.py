"""Runs every integration target (tests/integration/targets/<name>/) against the emulators.

Targets are ansible-test style: ``tasks/main.yml`` run as a role on localhost. Each gets
the emulators' environment (tests/conftest.py ``emulators``) and the extra variables
``emulator_state_dir`` and ``emulator_endpoints`` (the launcher's endpoints.json).
A directory without ``tasks/main.yml`` (such as ``setup_emulators``) is not a target.

Each target's ``aliases`` file names what it needs, as ansible-test's ``cloud/<name>`` does:
a target that needs only ``cloud/aws`` and ``cloud/gcp`` runs on the cloud emulators alone
(``test_cloud_target``, which ``make integration`` runs beside the rest); one that also needs
``cloud/kubernetes`` (or says nothing) gets every emulator and the clusters (``test_target``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EmulatorRun

TARGETS_DIR = Path(__file__).parent / "targets"
TARGETS = sorted(
    p.name
    for p in TARGETS_DIR.iterdir()
    if (p / "tasks" / "main.yml").is_file() and not p.name.startswith("setup_")
)
CLOUD_ONLY = {"cloud/aws", "cloud/gcp"}


def needs(target: str) -> set[str]:
    """The ``cloud/<name>`` aliases of a target (an empty set when it has no aliases file)."""
    aliases = TARGETS_DIR / target / "aliases"
    lines = aliases.read_text().split() if aliases.is_file() else []
    return {line for line in lines if line.startswith("cloud/")}


CLOUD_TARGETS = [t for t in TARGETS if needs(t) and needs(t) <= CLOUD_ONLY]


def test_every_target_says_what_it_needs() -> None:
    assert [t for t in TARGETS if not needs(t)] == []


@pytest.mark.parametrize("target", CLOUD_TARGETS)
def test_cloud_target(target: str, cloud_emulators: EmulatorRun, tmp_path: Path) -> None:
    run_target(target, cloud_emulators, tmp_path)


@pytest.mark.parametrize("target", [t for t in TARGETS if t not in CLOUD_TARGETS])
def test_target(target: str, emulators: EmulatorRun, tmp_path: Path) -> None:
    run_target(target, emulators, tmp_path)


def run_target(target: str, emulators: EmulatorRun, tmp_path: Path) -> None:
    playbook = tmp_path / "target.yml"
    playbook.write_text(
        "- name: Integration target\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  roles:\n"
        f"    - role: {TARGETS_DIR / target}\n"
    )
    extra = {
        "emulator_state_dir": str(emulators.state_dir),
        "emulator_endpoints": emulators.endpoints,
        # modules run with the venv's Python, where boto3, google-auth and kubernetes are
        "ansible_python_interpreter": sys.executable,
    }
    env = {
        **os.environ,
        **emulators.env,
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_COLLECTIONS_PATH": str(Path(__file__).resolve().parents[2] / ".build"),
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            json.dumps(extra),
            str(playbook),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,  # a bound for a hung run: CI runs the gates side by side on two cores
        check=False,
    )
    assert result.returncode == 0, failed_tasks(result.stdout) + result.stderr[-3000:]


def failed_tasks(output: str) -> str:
    """Each failed task's header and result (cut to 3000 characters), then the recap."""
    blocks = output.split("\nTASK [")
    failed = [b[:3000] for b in blocks if "fatal: [" in b or "failed: [" in b]
    return "\nTASK [".join(["", *failed]) + "\n" + output[-1500:]
