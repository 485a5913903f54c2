"""Start and link the emulated clouds for the lab, as ``python -m tests.demo --keep`` does
(the DNS phase included: the lab's resolve-and-connect check asks the linked cluster DNS).
``launcher.down(state)`` stops them."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from tests.demo import __main__ as demo
from tests.emulators import launcher


def link(state: Path, onprem: bool = False) -> int:
    """Start the emulators in a fresh ``state`` (what it held is removed), seed them like
    the demo, write ``clusters.yml`` and run ``crosscluster.link.link_clusters`` on it;
    returns the playbook's exit code. With ``onprem`` the on-prem cluster is linked too, its
    gateway's files rendered under ``state/onprem-gateway`` (the demo's and the lab's
    default; ``--no-onprem`` leaves it out)."""
    launcher.down(state)
    # A fresh directory: a Kubernetes cluster restarted on its old etcd data fails to start
    # (its kube-dns Service's cluster IP is still allocated).
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    print(f"lab: starting the emulated clouds in {state} ...", flush=True)
    endpoints = launcher.up(state)
    env = {**os.environ, **launcher.environment(state, endpoints)}
    vpc_id = demo.seed_aws(endpoints["aws"], env, [endpoints["kube"]["aws-euw1"]["pod_cidr"]])
    gcp_kube = endpoints["kube"]["gcp-euw1"]
    demo.seed_gcp(endpoints["gcp"], env, gcp_kube["pod_cidr"], gcp_kube["service_cidr"])
    inventory = state / "clusters.yml"
    root = state / "onprem-gateway" if onprem else None
    inventory.write_text(
        yaml.safe_dump(demo.inventory(endpoints, vpc_id, onprem_root=root), sort_keys=False)
    )
    return demo.ansible_playbook(inventory, "link_clusters", env)


def verify(state: Path, report_dir: Path) -> tuple[int, dict[str, str]]:
    """Run ``crosscluster.link.verify_link`` on the linked emulators of ``state`` with the
    route checks on and one poll (the lab fed its observations in before), the report to
    ``report_dir``; returns the exit code and the failing checks (JUnit test case name ->
    failure message, which names the likely cause)."""
    shutil.rmtree(report_dir, ignore_errors=True)
    endpoints = json.loads((state / "endpoints.json").read_text())
    env = {**os.environ, **launcher.environment(state, endpoints)}
    rc = demo.ansible_playbook(
        state / "clusters.yml",
        "verify_link",
        env,
        *("-e", "link_dns=false", "-e", "link_verify_routes=true"),
        *("-e", "link_verify_retries=1", "-e", "link_verify_delay=1"),
        *("-e", f"link_report_dir={report_dir}"),
    )
    junit = report_dir / "link-report.xml"
    if not junit.exists():
        return rc, {"(no report)": f"verify_link wrote no {junit}"}
    failures = {
        str(case.get("name")): str(failure.get("message", ""))
        for case in ET.parse(junit).getroot().iter("testcase")
        if (failure := case.find("failure")) is not None
    }
    return rc, failures
