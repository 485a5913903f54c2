"""The corefile_zone filter: the function, a real ansible-playbook run, and its docs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.corefile import (
    FilterModule,
    corefile_zone_filter,
)
from ansible_collections.crosscluster.link.plugins.module_utils._corefile import corefile_zone

ROOT = Path(__file__).parents[4]
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "corefiles"
BIN = Path(sys.executable).parent
KUBEADM = (FIXTURES / "kubeadm.Corefile").read_text()
BODY = ["errors", "cache 30", "forward . 10.96.0.53"]


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build"),
        ANSIBLE_NOCOWS="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_HOME=str(ROOT / ".build" / "ansible-home"),
    )
    return env


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["corefile_zone"] is corefile_zone_filter


def test_filter_matches_module_util() -> None:
    out = corefile_zone_filter(KUBEADM, zone="remote.local", body=BODY)
    assert out == corefile_zone(KUBEADM, "remote.local", BODY)
    assert corefile_zone_filter(out, zone="remote.local", state="absent") == KUBEADM


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"zone": "remote.local"}, "body is required"),
        ({"zone": "", "body": BODY}, "non-empty DNS name"),
        ({"zone": "cluster.local", "body": BODY}, "line 7: zone cluster.local is served"),
        ({"zone": "remote.local", "body": ["forward . {"]}, "zone remote.local: body leaves"),
    ],
)
def test_errors_become_filter_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        corefile_zone_filter(KUBEADM, **kwargs)  # type: ignore[arg-type]


def test_malformed_corefile_error_keeps_the_message() -> None:
    with pytest.raises(AnsibleFilterError, match=r"^corefile_zone: line 2: unterminated quoted"):
        corefile_zone_filter('.:53 {\n log "x\n}\n', zone="remote.local", body=BODY)


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    original: "{{ lookup('ansible.builtin.file', fixture, rstrip=false) }}"
  tasks:
    - name: Add, re-add and remove the managed block
      ansible.builtin.set_fact:
        added: "{{ original | crosscluster.link.corefile_zone(zone='Remote.Local.', body=body) }}"
    - ansible.builtin.set_fact:
        again: "{{ added | crosscluster.link.corefile_zone(zone='remote.local', body=body) }}"
        removed: "{{ added | crosscluster.link.corefile_zone(zone='remote.local', state='absent')
          }}"
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'added': added, 'again': again, 'removed': removed} | to_json }}"
    - name: A foreign block for the zone fails the task
      ansible.builtin.set_fact:
        clash: "{{ original | crosscluster.link.corefile_zone(zone='cluster.local', body=body) }}"
"""


def test_filter_in_a_playbook(tmp_path: Path) -> None:
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    extra = {
        "fixture": str(FIXTURES / "kubeadm.Corefile"),
        "out": str(out),
        "body": BODY,
        "ansible_python_interpreter": sys.executable,
    }
    run = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "play.yml",
            "-e",
            json.dumps(extra),
        ],
        cwd=tmp_path,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 2, run.stdout + run.stderr  # the last task must fail
    assert out.exists(), run.stdout[-3000:] + run.stderr
    result = json.loads(out.read_text())
    assert result["added"] == corefile_zone(KUBEADM, "remote.local", BODY)
    assert result["again"] == result["added"]
    assert result["removed"] == KUBEADM
    assert "zone cluster.local is served by the 'kubernetes' plugin" in run.stdout


def test_ansible_doc_renders() -> None:
    run = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", "filter", "--json", "crosscluster.link.corefile_zone"],
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    doc = json.loads(run.stdout)["crosscluster.link.corefile_zone"]
    assert doc["doc"]["name"] == "corefile_zone"
    assert set(doc["doc"]["options"]) == {"_input", "zone", "body", "state", "port"}
    assert doc["doc"]["options"]["state"]["choices"] == ["present", "absent"]
    assert "crosscluster.link.corefile_zone" in doc["examples"]
    assert doc["return"]["_value"]["type"] == "str"
