"""Runs every integration target (tests/integration/targets/<name>/) against the emulators.

Targets are ansible-test style: ``tasks/main.yml`` run as a role on localhost. Each gets
the emulators' environment (tests/conftest.py ``emulators``) and the extra variables
``emulator_state_dir`` and ``emulator_endpoints`` (the launcher's endpoints.json).
A directory without ``tasks/main.yml`` (such as ``setup_emulators``) is not a target.

Each target's ``aliases`` file names what it needs, as ansible-test's ``cloud/<name>`` does:
a target that needs only ``cloud/aws`` and ``cloud/gcp`` runs on the cloud emulators alone
(``test_cloud_target``, which ``make integration`` runs beside the rest); one that also needs
``cloud/kubernetes`` (or says nothing) gets every emulator and the clusters (``test_target``).

The peering targets run once more on an AWS emulator of their own where each transitional
state of a peering lasts PEERING_WINDOW seconds (``test_peering_target_with_a_window``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EmulatorRun, _start

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


# VPC peering connections and TGW peering attachments pass through initiating-request /
# initiatingRequest, provisioning / pending and deleting, each for the AWS emulator's
# peering_seconds (docs/emulators.md). The peering targets run with a window (only: a settled
# answer is the last poll of a wait), so the modules' waits read those states instead of settled
# ones. Each run gets the window through the admin endpoint and, at its end, the default back and
# every open window settled. The runs have an AWS emulator of their own: a target leaves its
# foreign peering behind, so it cannot run twice on one emulator.
PEERING_TARGETS = ["aws_tgw_peering", "aws_vpc_peering"]
PEERING_WINDOW = 2.0  # beyond the modules' first poll (2 s): the waits go round at least once
CLOUD_TARGETS = [
    t for t in TARGETS if needs(t) and needs(t) <= CLOUD_ONLY and t not in PEERING_TARGETS
]


def test_every_target_says_what_it_needs() -> None:
    assert [t for t in TARGETS if not needs(t)] == []


@pytest.mark.parametrize("target", CLOUD_TARGETS)
def test_cloud_target(target: str, cloud_emulators: EmulatorRun, tmp_path: Path) -> None:
    run_target(target, cloud_emulators, tmp_path)


@pytest.mark.parametrize(
    "target", [t for t in TARGETS if t not in CLOUD_TARGETS and t not in PEERING_TARGETS]
)
def test_target(target: str, emulators: EmulatorRun, tmp_path: Path) -> None:
    run_target(target, emulators, tmp_path)


@pytest.fixture(scope="module")
def peering_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorRun]:
    yield from _start(tmp_path_factory.mktemp("peering-aws"), only=["aws"])


@pytest.mark.parametrize("target", PEERING_TARGETS)
def test_peering_target_with_a_window(
    target: str, peering_aws: EmulatorRun, tmp_path: Path
) -> None:
    aws = peering_aws.endpoints["aws"]["endpoint_url"]
    peering_aws._admin("PUT", aws, "/_emulator/aws/lifecycle", {"peering_seconds": PEERING_WINDOW})
    try:
        run_target(target, peering_aws, tmp_path)
    finally:
        peering_aws._admin("PUT", aws, "/_emulator/aws/lifecycle", {"peering_seconds": 0})
        ended = peering_aws._admin("POST", aws, "/_emulator/aws/settle")
    # every module that created, accepted or deleted a peering waited its window out
    assert ended["peering"] == 0


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
