"""``make demo``: start the emulated clouds, seed them, link the clusters and show the result.

1. ``tests.emulators.launcher.up``: AWS (moto + VPN extensions), GCP (Compute Engine) and
   three real Kubernetes control planes (aws-euw1 kubeadm, gcp-euw1 GKE, onprem-lab k3s);
2. seed what a real account would already have: the EKS VPC (the pod range associated as a
   secondary CIDR block) with its route table and cluster security group, and the GKE VPC
   network with its subnetwork and secondary ranges;
3. write an inventory for those endpoints (``<state-dir>/clusters.yml``) and run
   ``ansible-playbook -i <state-dir>/clusters.yml crosscluster.link.link_clusters`` (another
   playbook with ``--playbook``), then show the verification report it wrote
   (``<state-dir>/report/link-report.md`` and ``link-report.xml``);
   the on-prem cluster is linked with both clouds, its gateway's files rendered by the
   ``onprem_vpn`` role under ``<state-dir>/onprem-gateway`` (no package or service of this
   machine is touched; ``--no-onprem`` links the two clouds only);
4. with ``--lab`` (``make demo`` as root), run the datapath lab over the linked clouds
   (tests/lab, docs/lab.md): real IKEv2 + BGP from both emulators' state, pod-to-pod, path
   MTU, failover and resolve-and-connect;
   with ``--unlink``, run ``crosscluster.link.unlink_clusters`` at the end;
5. stop the emulators (``--keep`` leaves them running; ``python -m tests.emulators down
   --state-dir DIR`` stops them later).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
import time
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
    # TEST-NET-1 (RFC 5737): apart from the emulators' outside and interface IPs.
    "cluster_onprem_gateway_ip": "192.0.2.10",
}


def seed_aws(
    endpoint: dict[str, Any],
    env: dict[str, str],
    pod_cidrs: list[str],
    region: str | None = None,
    node_cidr: str = AWS_CLUSTER["cluster_node_cidrs"][0],
) -> str:
    """The EKS cluster's VPC (``node_cidr``, in ``region``, the endpoint's by default), a
    subnet (its first /20), route table and cluster security group; ``pod_cidrs`` are
    associated with the VPC as secondary CIDR blocks, as the VPC CNI's custom networking has
    them (the VGW advertises only the VPC's blocks: link_clusters checks it first)."""
    ec2 = boto3.client(
        "ec2",
        endpoint_url=endpoint["endpoint_url"],
        region_name=region or endpoint["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    vpc_id = ec2.create_vpc(CidrBlock=node_cidr)["Vpc"]["VpcId"]
    subnet = next(ipaddress.ip_network(node_cidr).subnets(new_prefix=20))
    ec2.create_subnet(VpcId=vpc_id, CidrBlock=str(subnet))
    for cidr in pod_cidrs:
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=cidr)
    ec2.create_security_group(
        GroupName="eks-cluster-sg-demo", Description="EKS cluster security group", VpcId=vpc_id
    )
    return vpc_id


def seed_gcp(
    endpoint: dict[str, Any],
    env: dict[str, str],
    pods: str,
    services: str,
    network: str = GCP_CLUSTER["cluster_network"],
    nodes: str = GCP_CLUSTER["cluster_node_cidrs"][0],
) -> None:
    """The GKE VPC-native network: subnetwork (``nodes``) with pod and service secondary
    ranges."""
    base = f"{endpoint['api_endpoint']}/compute/v1/projects/{endpoint['project']}"
    headers = {"Authorization": f"Bearer {env['GCP_ACCESS_TOKEN']}"}
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
            "ipCidrRange": nodes,
            "secondaryIpRanges": [
                {"rangeName": "pods", "ipCidrRange": pods},
                {"rangeName": "services", "ipCidrRange": services},
            ],
        },
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()


# The resolver's image: the official CoreDNS release the node agent runs for real.
DNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.15.0"
# A headless service of a stateful system in the GCP cluster, resolved from the AWS cluster.
WORKLOAD = {"namespace": "db", "service": "cassandra", "replicas": 2}


def inventory(
    endpoints: dict[str, Any],
    vpc_id: str,
    network: str = GCP_CLUSTER["cluster_network"],
    report_dir: Path | None = None,
    onprem_root: Path | None = None,
) -> dict[str, Any]:
    """An inventory of the three emulated clusters, as a user would write for real ones.
    With ``onprem_root`` the on-prem cluster is linked with both clouds too, its gateway's
    files rendered under that directory (no packages, no services: nothing of this machine is
    configured)."""
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
            # The security group seeded by seed_aws is this EKS cluster's.
            aws_vpn_eks_cluster_name="demo",
        ),
        "gcp-euw1": cluster(
            "gcp-euw1",
            GCP_CLUSTER,
            cluster_region=endpoints["gcp"]["region"],
            cluster_project=endpoints["gcp"]["project"],
            cluster_network=network,
            # GKE's kube-dns logs no reload, so k8s_dns_config holds a change for the whole
            # window (default 90 s, for a real kube-dns to pick up its ConfigMap); the
            # emulated kube-dns is a placeholder that reads nothing (tests/kube/pods.py READY).
            cluster_dns_reload_window=10,
        ),
        "onprem-lab": cluster("onprem-lab", ONPREM_CLUSTER),
    }
    pairs = [["aws-euw1", "gcp-euw1"]]
    if onprem_root is not None:
        pairs += [["aws-euw1", "onprem-lab"], ["gcp-euw1", "onprem-lab"]]
        hosts["onprem-lab"].update(
            onprem_vpn_root=str(onprem_root),
            onprem_vpn_manage_packages=False,
            onprem_vpn_manage_services=False,
        )
    return {
        "all": {
            "children": {
                "clusters": {
                    "vars": {
                        "ansible_connection": "local",
                        # The on-prem cluster unless --no-onprem: its gateway's files are
                        # rendered under onprem_root, where the lab builds it from.
                        "link_topology": "pairs",
                        "link_pairs": pairs,
                        "link_psk_secret": "demo-secret-not-for-production",
                        "link_dns_image": DNS_IMAGE,
                        # The default cluster_dns_reload_window elsewhere: the native CoreDNS
                        # reloads a changed Corefile after 30 s +- 15 s, as in a cluster (2 s
                        # under make test: tests/kube/seed.py); k8s_dns_config waits until
                        # every DNS pod logged the reload (90 s at most).
                        "cluster_dns_rollout_timeout": 60,
                        # The emulated tunnels come up at once: poll every 2 s, not 10.
                        "link_verify_delay": 2,
                        # No routes cross between the emulated clouds (each emulator knows its
                        # own side only): the route checks need the lab's datapath, which
                        # feeds the real routes back (docs/lab.md) and turns them on.
                        "link_verify_routes": False,
                        **({"link_report_dir": str(report_dir)} if report_dir else {}),
                    },
                    "hosts": hosts,
                }
            }
        }
    }


def kube_client(api: dict[str, Any]) -> tuple[requests.Session, str]:
    config = yaml.safe_load(Path(api["kubeconfig"]).read_text())
    session = requests.Session()
    session.trust_env = False
    session.verify = config["clusters"][0]["cluster"]["certificate-authority"]
    session.headers["Authorization"] = f"Bearer {config['users'][0]['user']['token']}"
    return session, api["api_endpoint"]


def seed_workload(api: dict[str, Any]) -> None:
    """A headless Service with its pods, as a StatefulSet of Cassandra would have."""
    session, server = kube_client(api)
    ns, name = WORKLOAD["namespace"], WORKLOAD["service"]
    objects = [
        ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        (
            f"/api/v1/namespaces/{ns}/services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name},
                "spec": {
                    "clusterIP": "None",
                    "selector": {"app": name},
                    "ports": [{"name": "cql", "port": 9042}],
                },
            },
        ),
    ] + [
        (
            f"/api/v1/namespaces/{ns}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"{name}-{i}", "labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": "registry.k8s.io/pause:3.10"}]},
            },
        )
        for i in range(WORKLOAD["replicas"])
    ]
    for path, body in objects:
        response = session.post(server + path, json=body, timeout=30)
        if response.status_code != 409:
            response.raise_for_status()


def show_dns(endpoints: dict[str, Any]) -> None:
    """Ask the AWS cluster's own DNS for the GCP cluster's headless service, as a pod would."""
    import dns.exception
    import dns.message
    import dns.query

    name = f"{WORKLOAD['service']}.{WORKLOAD['namespace']}.svc.{GCP_CLUSTER['cluster_dns_zone']}"
    host, port = endpoints["kube"]["aws-euw1"]["dns"].rsplit(":", 1)
    ips: list[str] = []
    for _attempt in range(10):  # the resolver lists the remote within seconds of starting
        try:
            answer = dns.query.udp(
                dns.message.make_query(name, "A"), host, port=int(port), timeout=3
            )
        except (OSError, dns.exception.DNSException):
            continue
        ips = sorted(str(r) for rrset in answer.answer for r in rrset)
        if ips:
            break
        time.sleep(1)
    print(f"\n$ dig @{host} -p {port} {name} +short   # aws-euw1's own cluster DNS")
    print("\n".join(ips) or "(no answer)")
    print(
        "gcp-euw1 -> aws-euw1 is not queried here: gcp-euw1 runs GKE's kube-dns, which this "
        "machine does not build (docs/emulators-kube.md)."
    )


def run_lab(state: Path) -> int:
    """The datapath lab (docs/lab.md) over the linked emulators: 0 when every check passed."""
    from tests.lab.__main__ import DEFAULT_PREFIX
    from tests.lab.__main__ import run_lab as lab

    print("\n===== the datapath lab: strongSwan + FRR from both clouds' state =====", flush=True)
    summary = lab(state, DEFAULT_PREFIX, pods=1, timeout=90, failover=True)
    return 0 if summary.ok else 1


def ansible_playbook(inventory_path: Path, playbook: str, env: dict[str, str], *extra: str) -> int:
    """Run a collection playbook as a user would, echoing the command."""
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(inventory_path),
        f"crosscluster.link.{playbook}",
        *extra,
    ]
    print("\n$ " + " ".join(command), flush=True)
    return subprocess.run(command, env=env, cwd=REPO, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.demo", description=__doc__.split("\n", maxsplit=1)[0]
    )
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--playbook", default="link_clusters", help="collection playbook to run")
    parser.add_argument(
        "--unlink", action="store_true", help="run crosscluster.link.unlink_clusters at the end"
    )
    parser.add_argument("--keep", action="store_true", help="leave the emulators running")
    parser.add_argument(
        "--no-onprem",
        dest="onprem",
        action="store_false",
        help="link the two clouds only (by default onprem-lab is linked with both, its "
        "gateway's files rendered under <state-dir>/onprem-gateway)",
    )
    parser.add_argument(
        "--lab",
        action="store_true",
        help="then run the datapath lab over the linked clouds (root, strongSwan, FRR)",
    )
    args = parser.parse_args(argv)

    state: Path = args.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    launcher.down(state)
    print(f"Starting the emulated clouds in {state} ...", flush=True)
    endpoints = launcher.up(state)
    try:
        env = {**os.environ, **launcher.environment(state, endpoints)}
        vpc_id = seed_aws(endpoints["aws"], env, [endpoints["kube"]["aws-euw1"]["pod_cidr"]])
        gcp_kube = endpoints["kube"]["gcp-euw1"]
        seed_gcp(endpoints["gcp"], env, gcp_kube["pod_cidr"], gcp_kube["service_cidr"])
        seed_workload(gcp_kube)
        report_dir = state / "report"
        for old in ("link-report.md", "link-report.xml"):
            (report_dir / old).unlink(missing_ok=True)
        inventory_path = state / "clusters.yml"
        inventory_path.write_text(
            yaml.safe_dump(
                inventory(
                    endpoints,
                    vpc_id,
                    report_dir=report_dir,
                    onprem_root=state / "onprem-gateway" if args.onprem else None,
                ),
                sort_keys=False,
            )
        )
        plan_file = state / "plan.json"
        plan_arg = f"link_plan_file={plan_file}"
        rc = ansible_playbook(inventory_path, args.playbook, env, "-e", plan_arg)
        report = report_dir / "link-report.md"
        if report.exists():
            print(f"\n===== {report} =====\n{report.read_text()}", flush=True)
        if rc == 0 and args.playbook == "link_clusters":
            show_dns(endpoints)
            if args.lab:
                rc = run_lab(state)
        if rc == 0 and args.unlink:
            rc = ansible_playbook(inventory_path, "unlink_clusters", env)
        print(f"\nInventory: {inventory_path}\nPlan: {plan_file}")
        if report.exists():
            print(f"Report: {report} and {report.with_suffix('.xml')}")
        return rc
    finally:
        if args.keep:
            print(f"Emulators left running: python -m tests.emulators down --state-dir {state}")
        else:
            launcher.down(state)


if __name__ == "__main__":
    sys.exit(main())
