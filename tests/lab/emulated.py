"""Start and link the emulated clouds for the lab, as ``python -m tests.demo --keep`` does,
but with ``link_dns=false``: the lab checks the datapath, and the DNS phase (real CoreDNS
reloads) takes minutes. ``launcher.down(state)`` stops them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from tests.demo import __main__ as demo
from tests.emulators import launcher


def link(state: Path) -> int:
    """Start the emulators in a fresh ``state`` (what it held is removed), seed them like
    the demo, write ``clusters.yml`` and run ``crosscluster.link.link_clusters`` on it;
    returns the playbook's exit code."""
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
    inventory.write_text(yaml.safe_dump(demo.inventory(endpoints, vpc_id), sort_keys=False))
    return demo.ansible_playbook(inventory, "link_clusters", env, "-e", "link_dns=false")
