"""The built collection tarball installs and its plan_links playbook runs from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INVENTORY = ROOT / "tests" / "integration" / "inventories" / "three_clusters.yml"
# What the Galaxy tarball may hold at its top level: no tests, emulators, Go modules, CI or
# development files (galaxy.yml build_ignore).
ALLOWED_ROOTS = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "bindep.txt",
    "changelogs",
    "docs",
    "examples",
    "meta",
    "playbooks",
    "plugins",
    "requirements.txt",
    "roles",
}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def test_built_tarball_installs_and_runs_plan_links(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_COLLECTIONS_PATH"}
    _run(
        [
            str(BIN / "ansible-galaxy"),
            "collection",
            "build",
            "--output-path",
            str(tmp_path),
            str(ROOT),
        ],
        env,
        tmp_path,
    )
    tarballs = list(tmp_path.glob("crosscluster-link-*.tar.gz"))
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as tar:
        names = [n.removeprefix("./") for n in tar.getnames()]
    shipped_roots = {n.split("/", 1)[0] for n in names}
    assert shipped_roots <= ALLOWED_ROOTS, shipped_roots - ALLOWED_ROOTS
    assert not [n for n in names if n.endswith((".go", "go.mod", "go.sum"))]
    for required in (
        "plugins/modules/link_plan.py",
        "roles/cluster_dns/tasks/main.yml",
        "playbooks/link_clusters.yml",
        "meta/runtime.yml",
        "requirements.txt",
    ):
        assert required in names, required
    installed = tmp_path / "collections"
    # --no-deps: amazon.aws and kubernetes.core come bundled with the ansible package here;
    # --force: a copy in the default collections path (ansible-lint makes one) would mask it.
    _run(
        [
            str(BIN / "ansible-galaxy"),
            "collection",
            "install",
            "--no-deps",
            "--force",
            "-p",
            str(installed),
            str(tarballs[0]),
        ],
        env,
        tmp_path,
    )
    collection = installed / "ansible_collections" / "crosscluster" / "link"
    assert (collection / "plugins" / "modules" / "link_plan.py").is_file()
    assert not (collection / ".venv").exists()
    assert not (collection / "tests" / "output").exists()

    plan_file = tmp_path / "plan.json"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(installed)
    _run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(INVENTORY),
            "crosscluster.link.plan_links",
            "-e",
            f"link_plan_file={plan_file}",
        ],
        env,
        tmp_path,
    )
    plan = json.loads(plan_file.read_text())
    assert plan["links"], "the installed collection produced a plan without links"
