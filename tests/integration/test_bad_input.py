"""The rows of the bad-input catalogue (tests/unit/test_bad_input_catalogue.py) marked
``emulators=True``, against the emulators: the request log proves that the bad input fails
before any mutating request.

- inventory and playbook rows: ``ansible-playbook link_clusters`` on the demo inventory of the
  emulators with the row's change, which would otherwise go on to build the link;
- module rows: the module in-process on the emulators' endpoints (credentials from env.sh).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EmulatorRun
from tests.demo.__main__ import inventory
from tests.unit.test_bad_input_catalogue import (
    CATALOGUE,
    MODULES,
    VPC,
    Case,
    apply,
    run_main,
)

ROOT = Path(__file__).parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
ROWS = [case for case in CATALOGUE if case.emulators]


def link_clusters(emulators: EmulatorRun, case: Case, tmp_path: Path) -> str:
    path = tmp_path / "clusters.yml"
    data = apply(inventory(emulators.endpoints, VPC), case.input)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {
        **os.environ,
        **emulators.env,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOWS": "1",
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(path), "crosscluster.link.link_clusters"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode != 0, result.stdout[-3000:]
    return result.stdout + result.stderr


def module_message(
    emulators: EmulatorRun,
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    for key, value in emulators.env.items():
        monkeypatch.setenv(key, value)
    module = importlib.import_module(f"{MODULES}.{case.where.partition(':')[2]}")
    result = run_main(module, case.input, capsys)
    assert result.get("failed"), result
    return str(result["msg"])


def test_rows_exist() -> None:
    assert {case.where.partition(":")[0] for case in ROWS} == {"inventory", "playbook", "module"}


@pytest.mark.parametrize("case", ROWS, ids=lambda case: case.id)
def test_bad_input_fails_before_any_mutating_request(
    case: Case,
    emulators: EmulatorRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mark = emulators.mark()
    if case.where.startswith("module:"):
        message = module_message(emulators, case, monkeypatch, capsys)
    else:
        message = link_clusters(emulators, case, tmp_path)
    assert emulators.mutations_since(mark) == []
    for fragment in case.expect:
        assert fragment in message, message[-3000:]
