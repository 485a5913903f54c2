"""A full mesh of N clusters on the emulated clouds: address plan, seeding and inventory.

Clusters alternate providers (aws, gcp, aws, gcp, ...) and are named ``<provider>-<i>``
(i from 1). Cluster i has its own ranges, disjoint from every other cluster's: nodes
10.(10+i).0.0/16 (a GCP subnet takes the first /20), pods 10.(40+i).0.0/16 (an AWS pod range
is a secondary VPC CIDR block, so at most a /16), services 10.(100+i).0.0/20. Each AWS
cluster has its own VPC, each GCP cluster its own network (one region and one project each,
as the emulators serve them).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.demo.__main__ import DNS_IMAGE, seed_gcp
from tests.perf.graph import Cluster

PROVIDERS = ("aws", "gcp")
MAX_CLUSTERS = 29  # keeps 10.(40+i) below the service ranges at 10.100


@dataclass(frozen=True)
class Spec:
    """One cluster of the mesh: where it lives and its address space."""

    index: int
    provider: str

    @property
    def name(self) -> str:
        return f"{self.provider}-{self.index}"

    @property
    def nodes(self) -> str:
        return f"10.{10 + self.index}.0.0/16" if self.provider == "aws" else self.subnet

    @property
    def subnet(self) -> str:
        return f"10.{10 + self.index}.0.0/20"

    @property
    def pods(self) -> str:
        return f"10.{40 + self.index}.0.0/16"

    @property
    def services(self) -> str:
        return f"10.{100 + self.index}.0.0/20"

    @property
    def asn(self) -> int:
        # AWS VGWs and GCP Cloud Routers each on their own private ASN (RFC 6996).
        return (64512 if self.provider == "aws" else 65010) + self.index

    @property
    def network(self) -> str:
        return f"bench-net-{self.index}"

    def cluster(self) -> Cluster:
        return Cluster(self.name, self.provider)


def specs(size: int) -> list[Spec]:
    if not 2 <= size <= MAX_CLUSTERS:
        raise ValueError(f"a mesh has 2 to {MAX_CLUSTERS} clusters, not {size}")
    return [Spec(i, PROVIDERS[(i - 1) % 2]) for i in range(1, size + 1)]


def disjoint(mesh: list[Spec]) -> bool:
    """True when no two ranges of the mesh overlap (the plan refuses overlaps)."""
    ranges = [ipaddress.ip_network(r) for s in mesh for r in (s.nodes, s.pods, s.services)]
    return not any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])


def kube_clusters(mesh: list[Spec]) -> list[dict[str, str]]:
    """launcher.up's kube clusters for a mesh with DNS: EKS-like kubeadm, GKE for gcp."""
    flavour = {"aws": "kubeadm", "gcp": "gke"}
    return [
        {
            "name": s.name,
            "flavour": flavour[s.provider],
            "service_cidr": s.services,
            "pod_cidr": s.pods,
        }
        for s in mesh
    ]


def seed(mesh: list[Spec], endpoints: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """What each account already has: per AWS cluster a VPC (its pod range a secondary block)
    with a subnet and the EKS cluster security group; per GCP cluster a network and subnet with
    pod and service secondary ranges. Returns cluster name -> VPC id or network name."""
    aws = endpoints["aws"]
    ec2 = boto3.client(
        "ec2",
        endpoint_url=aws["endpoint_url"],
        region_name=aws["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    networks: dict[str, str] = {}
    for spec in mesh:
        if spec.provider == "aws":
            vpc_id = ec2.create_vpc(CidrBlock=spec.nodes)["Vpc"]["VpcId"]
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=spec.subnet)
            ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=spec.pods)
            ec2.create_security_group(
                GroupName=f"eks-cluster-sg-{spec.name}",
                Description="EKS cluster security group",
                VpcId=vpc_id,
            )
            networks[spec.name] = vpc_id
        else:
            seed_gcp(endpoints["gcp"], env, spec.pods, spec.services, spec.network, spec.subnet)
            networks[spec.name] = spec.network
    return networks


def inventory(
    mesh: list[Spec],
    endpoints: dict[str, Any],
    networks: dict[str, str],
    dns: bool,
    plan_file: Path,
    reload_window: float,
) -> dict[str, Any]:
    """A full-mesh inventory; with ``dns`` each cluster's kubeconfig (launcher.up's kube
    endpoints) and the GKE kube-dns window ``reload_window`` (seconds)."""
    hosts: dict[str, Any] = {}
    for spec in mesh:
        host: dict[str, Any] = {
            "cluster_provider": spec.provider,
            "cluster_network": networks[spec.name],
            "cluster_node_cidrs": [spec.nodes],
            "cluster_pod_cidrs": [spec.pods],
            "cluster_service_cidrs": [spec.services],
            "cluster_asn": spec.asn,
            "cluster_dns_zone": f"{spec.name}.local",
        }
        if spec.provider == "aws":
            host |= {
                "cluster_region": endpoints["aws"]["region"],
                "aws_vpn_eks_cluster_name": spec.name,
            }
        else:
            host |= {
                "cluster_region": endpoints["gcp"]["region"],
                "cluster_project": endpoints["gcp"]["project"],
            }
        if dns:
            api = endpoints["kube"][spec.name]
            host |= {
                "cluster_kubeconfig": api["kubeconfig"],
                "cluster_context": spec.name,
                "cluster_api_endpoint": api["api_endpoint"],
            }
            if spec.provider == "gcp":
                host["cluster_dns_reload_window"] = max(1, round(reload_window))
        hosts[spec.name] = host
    group_vars: dict[str, Any] = {
        "ansible_connection": "local",
        "link_topology": "full_mesh",
        "link_psk_secret": "bench-secret-not-for-production",
        "link_dns": dns,
        "link_plan_file": str(plan_file),
        # Verify polls the tunnels every 2 s (the emulated ones come up once available).
        "link_verify_delay": 2,
        # No route crosses between the two emulators: the route checks need the lab.
        "link_verify_routes": False,
    }
    if dns:
        group_vars |= {"link_dns_image": DNS_IMAGE, "cluster_dns_rollout_timeout": 60}
    return {"all": {"children": {"clusters": {"vars": group_vars, "hosts": hosts}}}}
