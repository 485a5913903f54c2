"""``make demo``: start the emulated clouds, seed them, and run the collection's playbook.

1. ``tests.emulators.launcher.up``: AWS (moto + VPN extensions), GCP (Compute Engine) and
   three Kubernetes API servers (aws-euw1 kubeadm, gcp-euw1 GKE, onprem-lab k3s);
2. seed what a real account would already have: the EKS VPC with its route table and
   cluster security group, and the GKE VPC network with its subnetwork and secondary ranges;
3. write an inventory for those endpoints (``<state-dir>/clusters.yml``) and run the
   playbook with ``ansible-playbook -i <state-dir>/clusters.yml crosscluster.link.<playbook>``;
4. stop the emulators (``--keep`` leaves them running; ``python -m tests.emulators down
   --state-dir DIR`` stops them later).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import requests
import yaml

from tests.emulators import launcher

REPO = Path(__file__).resolve().parents[2]

AWS_CLUSTER = {
    "cluster_provider": "aws",
    "cluster_node_cidrs": ["10.10.0.0/16"],
    "cluster_asn": 64512,
    "cluster_dns_zone": "aws-euwest1.local",
}
GCP_CLUSTER = {
    "cluster_provider": "gcp",
    "cluster_network": "gke-vpc",
    "cluster_node_cidrs": ["10.20.0.0/20"],
    "cluster_asn": 65010,
    "cluster_dns_zone": "gcp-euwest1.local",
}
ONPREM_CLUSTER = {
    "cluster_provider": "onprem",
    "cluster_node_cidrs": ["192.168.50.0/24"],
    "cluster_asn": 65020,
    "cluster_dns_zone": "onprem-lab.local",
}


def seed_aws(endpoint: dict[str, Any], env: dict[str, str]) -> str:
    """The EKS cluster's VPC, subnet, route table and cluster security group."""
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint["endpoint_url"],
        region_name=endpoint["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    vpc_id = ec2.create_vpc(CidrBlock=AWS_CLUSTER["cluster_node_cidrs"][0])["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.10.0.0/20")
    ec2.create_security_group(
        GroupName="eks-cluster-sg-demo", Description="EKS cluster security group", VpcId=vpc_id
    )
    return vpc_id


def seed_gcp(endpoint: dict[str, Any], env: dict[str, str], pods: str, services: str) -> None:
    """The GKE VPC-native network: subnetwork with pod and service secondary ranges."""
    base = f"{endpoint['api_endpoint']}/compute/v1/projects/{endpoint['project']}"
    headers = {"Authorization": f"Bearer {env['GCP_ACCESS_TOKEN']}"}
    network = GCP_CLUSTER["cluster_network"]
    response = requests.post(
        f"{base}/global/networks",
        json={"name": network, "autoCreateSubnetworks": False},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()
    requests.post(
        f"{base}/global/operations/{response.json()['name']}/wait", headers=headers, timeout=60
    ).raise_for_status()
    response = requests.post(
        f"{base}/regions/{endpoint['region']}/subnetworks",
        json={
            "name": f"{network}-{endpoint['region']}",
            "network": f"projects/{endpoint['project']}/global/networks/{network}",
            "ipCidrRange": GCP_CLUSTER["cluster_node_cidrs"][0],
            "secondaryIpRanges": [
                {"rangeName": "pods", "ipCidrRange": pods},
                {"rangeName": "services", "ipCidrRange": services},
            ],
        },
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()


def inventory(endpoints: dict[str, Any], vpc_id: str) -> dict[str, Any]:
    """An inventory of the three emulated clusters, as a user would write for real ones."""
    kube = endpoints["kube"]

    def cluster(name: str, base: dict[str, Any], **extra: Any) -> dict[str, Any]:
        api = kube[name]
        return {
            **base,
            **extra,
            "cluster_pod_cidrs": [api["pod_cidr"]],
            "cluster_service_cidrs": [api["service_cidr"]],
            "cluster_kubeconfig": api["kubeconfig"],
            "cluster_context": name,
            "cluster_api_endpoint": api["api_endpoint"],
        }

    hosts = {
        "aws-euw1": cluster(
            "aws-euw1",
            AWS_CLUSTER,
            cluster_region=endpoints["aws"]["region"],
            cluster_network=vpc_id,
        ),
        "gcp-euw1": cluster(
            "gcp-euw1",
            GCP_CLUSTER,
            cluster_region=endpoints["gcp"]["region"],
            cluster_project=endpoints["gcp"]["project"],
        ),
        "onprem-lab": cluster("onprem-lab", ONPREM_CLUSTER),
    }
    return {
        "all": {
            "children": {
                "clusters": {
                    "vars": {
                        "ansible_connection": "local",
                        # onprem transports are not built yet: link the two clouds.
                        "link_topology": "pairs",
                        "link_pairs": [["aws-euw1", "gcp-euw1"]],
                        "link_psk_secret": "demo-secret-not-for-production",
                    },
                    "hosts": hosts,
                }
            }
        }
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo", description=__doc__.split("\n", maxsplit=1)[0]
    )
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--playbook", default="plan_links", help="collection playbook to run")
    parser.add_argument("--keep", action="store_true", help="leave the emulators running")
    args = parser.parse_args(argv)

    state: Path = args.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    launcher.down(state)
    print(f"Starting the emulated clouds in {state} ...", flush=True)
    endpoints = launcher.up(state)
    try:
        env = {**os.environ, **launcher.environment(state, endpoints)}
        vpc_id = seed_aws(endpoints["aws"], env)
        gcp_kube = endpoints["kube"]["gcp-euw1"]
        seed_gcp(endpoints["gcp"], env, gcp_kube["pod_cidr"], gcp_kube["service_cidr"])
        inventory_path = state / "clusters.yml"
        inventory_path.write_text(yaml.safe_dump(inventory(endpoints, vpc_id), sort_keys=False))
        plan_file = state / "plan.json"
        command = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory_path),
            f"crosscluster.link.{args.playbook}",
            "-e",
            f"link_plan_file={plan_file}",
        ]
        print("$ " + " ".join(command), flush=True)
        result = subprocess.run(command, env=env, cwd=REPO, check=False)
        if result.returncode == 0:
            print(f"\nInventory: {inventory_path}\nPlan: {plan_file}")
        return result.returncode
    finally:
        if args.keep:
            print(f"Emulators left running: python -m tests.emulators down --state-dir {state}")
        else:
            launcher.down(state)


if __name__ == "__main__":
    sys.exit(main())
