"""kubernetes.core.k8s / k8s_info (dynamic client, discovery) against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.emulators import test_kube
from tests.emulators._common import read_log

ROOT = test_kube.ROOT
clusters = test_kube.clusters  # the same module-scoped fixture, started for this module

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/kubernetes.core.k8s:
      kubeconfig: "{kubeconfig}"
  vars:
    cm:
      apiVersion: v1
      kind: ConfigMap
      metadata: {{name: ans, namespace: default, labels: {{owner: ansible}}}}
      data: {{a: "1"}}
  tasks:
    - name: check mode create
      kubernetes.core.k8s: {{definition: "{{{{ cm }}}}"}}
      check_mode: true
      register: check
    - name: mark
      kubernetes.core.k8s_info: {{kind: Namespace, name: mark-after-check}}
    - name: create
      kubernetes.core.k8s: {{definition: "{{{{ cm }}}}"}}
      register: create
    - name: create again
      kubernetes.core.k8s: {{definition: "{{{{ cm }}}}"}}
      register: again
    - name: merge patch
      kubernetes.core.k8s:
        state: patched
        kind: ConfigMap
        name: ans
        namespace: default
        merge_type: merge
        definition: {{data: {{b: "2"}}}}
      register: merged
    - name: apply
      kubernetes.core.k8s:
        apply: true
        definition: "{{{{ cm | combine({{'data': {{'a': '3'}}}}) }}}}"
      register: applied
    - name: strategic patch of a deployment
      kubernetes.core.k8s:
        state: patched
        kind: Deployment
        name: coredns
        namespace: kube-system
        definition:
          spec:
            template:
              spec: {{containers: [{{name: coredns, env: [{{name: X, value: "1"}}]}}]}}
      register: strategic
    - name: info by label
      kubernetes.core.k8s_info:
        {{kind: ConfigMap, namespace: default, label_selectors: ["owner=ansible"]}}
      register: info
    - name: delete
      kubernetes.core.k8s: {{state: absent, kind: ConfigMap, name: ans, namespace: default}}
      register: deleted
    - name: delete again
      kubernetes.core.k8s: {{state: absent, kind: ConfigMap, name: ans, namespace: default}}
      register: deleted_again
    - name: results
      ansible.builtin.copy:
        dest: "{out}"
        content: >-
          {{{{ {{'check': check.changed, 'create': create.changed, 'again': again.changed,
          'merged': merged.result.data, 'applied': applied.result.data,
          'containers': strategic.result.spec.template.spec.containers,
          'info': info.resources | map(attribute='metadata.name') | list,
          'deleted': deleted.changed, 'deleted_again': deleted_again.changed}} | to_json }}}}
"""


def test_kubernetes_core_round_trip(clusters: dict[str, Any], tmp_path: Path) -> None:
    kubeconfig = clusters["state"] / "kube" / "east" / "kubeconfig"
    out = tmp_path / "out.json"
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(kubeconfig=kubeconfig, out=out))
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build"),
        "ANSIBLE_NOCOWS": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "K8S_AUTH_KUBECONFIG": str(kubeconfig),
        "ANSIBLE_PYTHON_INTERPRETER": os.sys.executable,
    }
    ansible = Path(os.sys.executable).parent / "ansible-playbook"
    result = subprocess.run(
        [str(ansible), "-i", "localhost,", str(tmp_path / "play.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["check"] is True and data["create"] is True and data["again"] is False
    assert data["merged"] == {"a": "1", "b": "2"}
    assert data["applied"]["a"] == "3"
    assert [c["name"] for c in data["containers"]] == ["coredns"]
    assert data["containers"][0]["env"] == [{"name": "X", "value": "1"}]
    assert data["containers"][0]["image"].startswith("registry.k8s.io/coredns/coredns")
    assert data["info"] == ["ans"]
    assert data["deleted"] is True and data["deleted_again"] is False
    log = read_log(clusters["state"], "kube:east")
    mark = next(i for i, e in enumerate(log) if "mark-after-check" in e["path"])
    first = next(
        i
        for i, e in enumerate(log)
        if "/configmaps/ans" in e["path"] or e["operation"] == "create:configmaps"
    )
    assert first < mark
    assert not any(e["mutating"] for e in log[:mark]), "check mode made a mutating call"
