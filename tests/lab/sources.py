"""Where the lab reads the clouds from: a state directory of running, linked emulators
(``endpoints.json`` and ``env.sh`` of ``python -m tests.emulators up``; ``clusters.yml``,
the inventory the demo wrote, only for where each cluster's pods live)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import boto3
import yaml

from tests.lab import aws, gcp, onprem
from tests.lab.lab import PodSpec
from tests.lab.model import Gateway


def ec2_client(state_dir: Path) -> Any:
    endpoint = json.loads((state_dir / "endpoints.json").read_text())["aws"]
    return boto3.client(
        "ec2",
        endpoint_url=endpoint["endpoint_url"],
        region_name=endpoint["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def gcp_api(state_dir: Path) -> tuple[gcp.Api, str]:
    endpoint = json.loads((state_dir / "endpoints.json").read_text())["gcp"]
    api = gcp.Api(endpoint["api_endpoint"], endpoint["project"], "emulator-token")
    return api, endpoint["region"]


def _hosts(state_dir: Path) -> dict[str, Any]:
    inventory = yaml.safe_load((state_dir / "clusters.yml").read_text())
    hosts: dict[str, Any] = inventory["all"]["children"]["clusters"]["hosts"]
    return hosts


def onprem_gateways(state_dir: Path) -> list[Gateway]:
    """The on-prem gateways whose files the onprem_vpn role rendered under the host's
    ``onprem_vpn_root`` (the demo's and the lab's default): from those files only
    (onprem.py)."""
    found = []
    for name, host in _hosts(state_dir).items():
        root = host.get("onprem_vpn_root")
        if host.get("cluster_provider") == "onprem" and root:
            gateway = onprem.gateway(Path(root), name)
            if gateway is not None:
                found.append(gateway)
    return found


def gateways(state_dir: Path) -> list[Gateway]:
    """Every AWS and GCP VPN gateway, each from its own emulator, and every on-prem gateway
    the onprem_vpn role rendered."""
    api, region = gcp_api(state_dir)
    return (
        aws.gateways(ec2_client(state_dir)) + gcp.gateways(api, region) + onprem_gateways(state_dir)
    )


def pod_specs(state_dir: Path) -> list[PodSpec]:
    """The clusters of the inventory (the clouds', and on-prem ones with a rendered gateway):
    their network (to find the gateway in front of
    them) and IPv4 pod ranges. Only pods are placed from it: no VPN endpoint, address or
    advertisement of the lab comes from the inventory."""
    specs = []
    for name, host in _hosts(state_dir).items():
        if host.get("cluster_provider") == "onprem" and host.get("onprem_vpn_root"):
            # An on-prem cluster's pods sit behind its own gateway (onprem.py names its
            # network after the cluster).
            host = {**host, "cluster_network": name}
        elif host.get("cluster_provider") not in ("aws", "gcp"):
            continue
        for cidr in host.get("cluster_pod_cidrs", []):
            if ipaddress.ip_network(cidr).version == 4:
                specs.append(PodSpec(name, str(host["cluster_network"]), cidr))
                break
    return specs
