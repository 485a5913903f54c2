"""End to end: crosscluster.link.link_clusters, verify and unlink_clusters on the emulators.

The accounts are seeded as ``make demo`` seeds them (tests/demo): an EKS VPC with a cluster
security group, a GKE network with pod and service secondary ranges, three Kubernetes API
servers. The cycle, in file order (the tests share one emulator world):

0. link with ``--check`` before anything exists: no mutating request;
1. link (``-vvv``): success; every GCP tunnel ESTABLISHED and BGP peer UP; two AWS VPN
   connections with the planned inside CIDRs, ASNs and customer gateways; routes, firewall and
   security-group rules; DNS resolvers; the Markdown and JUnit reports;
2. link again: ``changed=0`` for every host and no mutating request in the emulators' log
   (check mode over the linked state takes the same compare-only path in every module, so
   it is not run again: CI time on two cores);
3. verify_link alone, after a BGP peer is removed and a resolver's remote token replaced
   behind the collection's back: fails naming the broken checks (the DNS one: 401), in the
   output and in the JUnit report;
4. gcp-euw1 dropped from the inventory: a link run lists the DNS objects it left in aws-euw1
   (its reader's token still reads aws-euw1), a link run with ``link_prune`` removes them
   (and aws-euw1's side of the link, and its DNS link: no link left);
5. unlink: everything the collection made is gone, the seeded VPC/SG/network remain and the
   native DNS configuration is back byte for byte;
6. unlink again: ``changed=0``.

After 1, the ``-vvv`` output of that run and every file it or the emulators wrote are scanned
for the secrets (link secret, tunnel keys, reader tokens, kubeconfig credentials): they may
appear only in the Kubernetes Secrets meant to hold them and in the emulators' own storage.

Everything is read back straight from the emulators' APIs (boto3, Compute REST, Kubernetes
client), not from the collection's own modules.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest
import requests
import yaml
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from kubernetes import client as kube_client
from kubernetes import config as kube_config

from tests.conftest import EmulatorRun
from tests.demo.__main__ import inventory, seed_aws, seed_gcp
from tests.integration.e2e import PLAYBOOK_TIMEOUT
from tests.kube import eventually as waiting

ROOT = Path(__file__).parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
NETWORK = "it-link-vpc"  # not the demo's name: other tests share the session's emulators
LINK = "aws-euw1--gcp-euw1"
AWS, GCP = "aws-euw1", "gcp-euw1"
# Remote DNS answers must follow the remote cluster within the record TTL plus a few seconds.
eventually = functools.partial(waiting.eventually, timeout=45.0)
# Native DNS ConfigMap of each flavour (tests/kube/seed.py): kubeadm CoreDNS, GKE kube-dns.
NATIVE_DNS = {AWS: "coredns", GCP: "kube-dns"}
RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

# Every cloud and Kubernetes API answers this share of requests with its own throttling
# error (AWS RequestLimitExceeded, Compute Engine 403 rateLimitExceeded, Kubernetes 429 with
# Retry-After) and a further share with a 5xx, during every link and unlink run below; the
# resolvers' CoreDNS get them from the remote API servers too (k8s_dns_remotes_info must
# tell a retried 429 from a remote that is not served).
FAULTS = [{"kind": "throttle", "rate": 0.10}, {"kind": "server_error", "rate": 0.03}]
# Each seed picks after which accepted write (1..KILL_WITHIN; a link makes about 60) a link run
# is killed: SIGKILL to the playbook and its workers, as a lost machine or a CI timeout would.
INTERRUPT_SEEDS = (1, 2)
PARTIAL_LINK_SEED = 3
KILL_WITHIN = 40

SEEDED_SG = "eks-cluster-sg-demo"
# The cluster_dns role's resolver (its default namespace and name).
RESOLVER_NS = "crosscluster-link"
RESOLVER_PODS = "app.kubernetes.io/name=crosscluster-link-dns"


class World:
    """The seeded accounts, the inventory and a way to run the collection's playbooks."""

    def __init__(self, emulators: EmulatorRun, tmp: Path) -> None:
        self.emulators = emulators
        env = emulators.env
        endpoints = emulators.endpoints
        self.vpc_id = seed_aws(endpoints["aws"], env, [endpoints["kube"][AWS]["pod_cidr"]])
        gcp_kube = endpoints["kube"][GCP]
        seed_gcp(endpoints["gcp"], env, gcp_kube["pod_cidr"], gcp_kube["service_cidr"], NETWORK)
        self.report_dir = tmp / "report"
        self.plan_file = tmp / "plan.json"
        self.inventory = tmp / "clusters.yml"
        data = inventory(endpoints, self.vpc_id, network=NETWORK, report_dir=self.report_dir)
        data["all"]["children"]["clusters"]["vars"]["link_verify_delay"] = 1
        self.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
        self.ec2 = boto3.client(
            "ec2",
            endpoint_url=endpoints["aws"]["endpoint_url"],
            region_name=endpoints["aws"]["region"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        gcp = endpoints["gcp"]
        self.gcp_base = f"{gcp['api_endpoint']}/compute/v1/projects/{gcp['project']}"
        self.gcp_region = gcp["region"]
        self.gcp_headers = {"Authorization": f"Bearer {env['GCP_ACCESS_TOKEN']}"}
        self.native_dns_before = {name: self.native_dns(name) for name in NATIVE_DNS}
        self.psk_secret: str = data["all"]["children"]["clusters"]["vars"]["link_psk_secret"]
        self.outputs: list[str] = []  # stdout + stderr of the -vvv link run
        self.seeded = self.snapshot()
        self.linked: dict[str, list[str]] = {}

    def _command(self, name: str, extra: tuple[str, ...], inventory: Path | None) -> list[str]:
        return [str(ANSIBLE_PLAYBOOK), "-i", str(inventory or self.inventory), name, *extra]

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.emulators.env,
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOWS": "1",
            "ANSIBLE_PIPELINING": "1",
        }

    def playbook(
        self,
        name: str,
        *extra: str,
        inventory: Path | None = None,
        faults: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run a playbook (with FAULTS injected into every API while it runs, if asked), bounded
        by PLAYBOOK_TIMEOUT."""
        command = self._command(name, extra, inventory)
        with self.emulators.faults(FAULTS if faults else []):
            return subprocess.run(
                command,
                env=self._env(),
                capture_output=True,
                text=True,
                timeout=PLAYBOOK_TIMEOUT,
                check=False,
            )

    def interrupted(self, name: str, seed: int, timeout: float = 900) -> str:
        """Run a playbook under FAULTS and SIGKILL it, with every worker and module process,
        right after the n-th write the APIs accepted (``seed`` picks n in 1..KILL_WITHIN),
        so it dies with its work half done; say where. Fails the test if the run ended first.
        """
        writes = random.Random(seed).randint(1, KILL_WITHIN)
        mark = self.emulators.mark()
        output = self.report_dir.parent / f"killed-{seed}.log"
        accepted: list[dict[str, Any]] = []
        with self.emulators.faults(FAULTS), output.open("w") as log:
            process = subprocess.Popen(
                self._command(name, (), None),
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes every worker
            )
            deadline = time.monotonic() + timeout
            while process.poll() is None:
                accepted = [e for e in self.emulators.mutations_since(mark) if e["status"] < 400]
                if len(accepted) >= writes or time.monotonic() > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.1)
            process.wait()
        tasks = [line for line in output.read_text().splitlines() if line.startswith("TASK [")]
        where = f"{tasks[-1] if tasks else 'before any task'} after write {len(accepted)}"
        assert process.returncode == -signal.SIGKILL, (
            f"{name} ended (rc {process.returncode}) before write {writes} (seed {seed}): "
            + output.read_text()[-3000:]
        )
        return where

    def snapshot(self) -> dict[str, list[str]]:
        """Every object of the two accounts and the three clusters, by type, each named by
        what identifies it to the collection (AWS: its Name tag, else its id; GCP and
        Kubernetes: its name), sorted and not deduplicated, so a duplicate shows twice. What
        unlink must give back, and where a retried create would show."""
        ec2 = self.ec2

        def named(items: list[dict[str, Any]], id_key: str) -> list[str]:
            live = [i for i in items if i.get("State") not in ("deleted", "deleting")]
            tags = [{t["Key"]: t["Value"] for t in i.get("Tags", [])} for i in live]
            return sorted(t.get("Name", i[id_key]) for i, t in zip(live, tags, strict=True))

        tables = ec2.describe_route_tables()["RouteTables"]
        snap = {
            "aws vpc": named(ec2.describe_vpcs()["Vpcs"], "VpcId"),
            "aws vpn connection": named(
                ec2.describe_vpn_connections()["VpnConnections"], "VpnConnectionId"
            ),
            "aws customer gateway": named(
                ec2.describe_customer_gateways()["CustomerGateways"], "CustomerGatewayId"
            ),
            "aws vpn gateway": named(ec2.describe_vpn_gateways()["VpnGateways"], "VpnGatewayId"),
            "aws route": sorted(
                f"{t['RouteTableId']} {r.get('DestinationCidrBlock')} {r.get('GatewayId')}"
                for t in tables
                for r in t.get("Routes", [])
            )
            + sorted(
                f"{t['RouteTableId']} propagates {g['GatewayId']}"
                for t in tables
                for g in t.get("PropagatingVgws", [])
            ),
            "aws security group rule": sorted(
                f"{g['GroupId']} {p.get('IpProtocol')} {p.get('FromPort')} {r['CidrIp']}"
                for g in ec2.describe_security_groups()["SecurityGroups"]
                for p in g["IpPermissions"]
                for r in p.get("IpRanges", [])
            ),
        }
        state = requests.get(
            f"{self.emulators.endpoints['gcp']['api_endpoint']}/_emulator/gcp/state", timeout=30
        ).json()
        for key, resources in state.items():
            kind = key.rsplit("/", 1)[-1]
            if kind != "operations":
                snap.setdefault(f"gcp {kind}", []).extend(resources)
            if kind == "routers":
                for router in resources.values():
                    for part in ("interfaces", "bgpPeers"):
                        names = [f"{router['name']} {i['name']}" for i in router.get(part, [])]
                        snap.setdefault(f"gcp router {part}", []).extend(names)
        for name in self.emulators.endpoints["kube"]:
            snap |= kube_snapshot(name, self.kube(name))
        return {kind: sorted(names) for kind, names in snap.items()}

    @property
    def plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = json.loads(self.plan_file.read_text())
        return plan

    def gcp(self, path: str) -> dict[str, Any]:
        response = requests.get(f"{self.gcp_base}/{path}", headers=self.gcp_headers, timeout=30)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def gcp_names(self, path: str) -> list[str]:
        return sorted(item["name"] for item in self.gcp(path).get("items", []))

    def kube(self, name: str) -> kube_client.ApiClient:
        return kube_config.new_client_from_config(
            config_file=self.emulators.endpoints["kube"][name]["kubeconfig"], context=name
        )

    def native_dns(self, name: str) -> dict[str, str]:
        api = kube_client.CoreV1Api(self.kube(name))
        data: dict[str, str] = api.read_namespaced_config_map(NATIVE_DNS[name], "kube-system").data
        return data or {}

    def resolvers(self, name: str) -> list[str]:
        api = kube_client.AppsV1Api(self.kube(name))
        found = api.list_deployment_for_all_namespaces().items
        return sorted(d.metadata.name for d in found if d.metadata.name == "crosscluster-link-dns")


def kube_snapshot(cluster: str, api: kube_client.ApiClient) -> dict[str, list[str]]:
    """The objects of the kinds the collection writes in one cluster, as ``ns/name``; what a
    namespace being deleted still holds is left out (the namespace controller removes it)."""
    core, apps = kube_client.CoreV1Api(api), kube_client.AppsV1Api(api)
    rbac = kube_client.RbacAuthorizationV1Api(api)
    namespaces = core.list_namespace().items
    going = {n.metadata.name for n in namespaces if n.metadata.deletion_timestamp}
    listings = {
        "namespace": namespaces,
        "configmap": core.list_config_map_for_all_namespaces().items,
        "secret": core.list_secret_for_all_namespaces().items,
        "serviceaccount": core.list_service_account_for_all_namespaces().items,
        "service": core.list_service_for_all_namespaces().items,
        "deployment": apps.list_deployment_for_all_namespaces().items,
        "clusterrole": rbac.list_cluster_role().items,
        "clusterrolebinding": rbac.list_cluster_role_binding().items,
        "role": rbac.list_role_for_all_namespaces().items,
        "rolebinding": rbac.list_role_binding_for_all_namespaces().items,
    }
    snap: dict[str, list[str]] = {}
    for kind, items in listings.items():
        snap[f"kube {cluster} {kind}"] = sorted(
            f"{i.metadata.namespace or ''}/{i.metadata.name}"
            for i in items
            if not i.metadata.deletion_timestamp and i.metadata.namespace not in going
        )
    return snap


def duplicates(snapshot: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        kind: sorted({n for n in names if names.count(n) > 1})
        for kind, names in snapshot.items()
        if len(set(names)) != len(names)
    }


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """What differs per type: {type: {"added": [...], "removed": [...]}}."""
    diff: dict[str, Any] = {}
    for kind in sorted(before.keys() | after.keys()):
        old, new = before.get(kind, []), after.get(kind, [])
        added = [n for n in new if new.count(n) > old.count(n)]
        removed = [n for n in old if old.count(n) > new.count(n)]
        if added or removed:
            diff[kind] = {"added": sorted(set(added)), "removed": sorted(set(removed))}
    return diff


def recap(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[int, int, int]]:
    """Host -> (changed, unreachable, failed) from the PLAY RECAP."""
    return {m[0]: (int(m[1]), int(m[2]), int(m[3])) for m in RECAP.findall(result.stdout)}


def assert_ok(
    result: subprocess.CompletedProcess[str], hosts: tuple[str, ...] = (AWS, GCP, "onprem-lab")
) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert set(recap(result)) == set(hosts), result.stdout[-2000:]


def assert_unchanged(
    result: subprocess.CompletedProcess[str], hosts: tuple[str, ...] = (AWS, GCP, "onprem-lab")
) -> None:
    assert_ok(result, hosts)
    changed = {host: counts for host, counts in recap(result).items() if counts != (0, 0, 0)}
    assert changed == {}, "\n".join(
        line for line in result.stdout.splitlines() if line.startswith(("changed:", "TASK"))
    )


@pytest.fixture(scope="module")
def world(emulators: EmulatorRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # Seeded at once, then the clouds' own timing (tests/conftest.py REAL_WORLD_AWS): every
    # wait and poll path of link and unlink runs, not only the answers that are final at once.
    world = World(emulators, tmp_path_factory.mktemp("link"))
    with emulators.real_world_timing():
        yield world


def test_pods_outside_the_vpc_fail_every_host_before_any_change(
    world: World, tmp_path: Path
) -> None:
    """The VGW advertises only the VPC's CIDR blocks: a VPC without the pod range associated
    stops link_clusters in its preflight, in check mode and for real, before any mutating
    request to any cloud or cluster (the request logs)."""
    vpc_id = world.ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]  # pods: no block
    data = inventory(world.emulators.endpoints, vpc_id, network=NETWORK)
    path = tmp_path / "clusters.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    pods = world.emulators.endpoints["kube"][AWS]["pod_cidr"]
    mark = world.emulators.mark()
    for mode in (["--check"], []):
        result = world.playbook("crosscluster.link.link_clusters", *mode, inventory=path)
        assert result.returncode != 0, result.stdout[-3000:]
        assert (
            f"pod_cidrs: {pods} is not inside the CIDR blocks associated with VPC {vpc_id} "
            f"(10.10.0.0/16)"
        ) in result.stdout
        assert f"associate-vpc-cidr-block --vpc-id {vpc_id} --cidr-block {pods}" in result.stdout
        assert "Preflight" in result.stdout and "Gateways -" not in result.stdout
        assert {host: counts[2] for host, counts in recap(result).items()}[AWS] == 1
    assert world.emulators.mutations_since(mark) == []
    operations = {e["operation"] for e in world.emulators.requests_since(mark, service="aws")}
    assert operations == {"DescribeVpcs"}
    world.ec2.delete_vpc(VpcId=vpc_id)  # the accounts as seeded again


def test_check_mode_before_the_first_run_makes_no_mutating_request(world: World) -> None:
    # Nothing exists yet: the gateways are previewed, the phases that need the peer's objects
    # say so and are skipped, verify reads once and reports instead of failing. (DNS is left
    # out: the cluster_dns role cannot dry-run into a namespace that does not exist yet.)
    mark = world.emulators.mark()
    result = world.playbook("crosscluster.link.link_clusters", "--check", "-e", "link_dns=false")
    assert_ok(result)
    assert "Check mode: the tunnels of aws-euw1 are not previewed" in result.stdout
    assert "Check mode: 14 check(s) do not pass now" in result.stdout
    assert world.emulators.mutations_since(mark) == []
    assert not (world.report_dir / "link-report.md").exists()


def test_link_killed_at_random_tasks_leaves_no_duplicate(world: World) -> None:
    """Link runs killed mid-task (INTERRUPT_SEEDS), under FAULTS: whatever they made exists
    once; the next run (below) completes it."""
    killed_at = [world.interrupted("crosscluster.link.link_clusters", s) for s in INTERRUPT_SEEDS]
    assert duplicates(world.snapshot()) == {}, killed_at


def test_link_clusters_builds_and_verifies_the_link(world: World) -> None:
    # -vvv (for test_link_run_leaks_no_secret) prints every module's arguments and result:
    # slower, on a shared machine much slower.
    result = world.playbook(
        "crosscluster.link.link_clusters",
        "-vvv",
        "-e",
        f"link_plan_file={world.plan_file}",
        faults=True,
    )
    world.outputs.append(result.stdout + result.stderr)
    assert_ok(result)
    plan = world.plan
    (link,) = plan["links"]
    assert link["id"] == LINK
    tunnels = link["tunnels"]

    # GCP: 4 tunnels ESTABLISHED, 4 BGP peers UP on the planned addresses.
    region = f"regions/{world.gcp_region}"
    gcp_tunnels = {t["name"]: t for t in world.gcp(f"{region}/vpnTunnels").get("items", [])}
    assert sorted(gcp_tunnels) == sorted(f"xcl-{t['id']}" for t in tunnels)
    assert {t["status"] for t in gcp_tunnels.values()} == {"ESTABLISHED"}
    assert {t["ikeVersion"] for t in gcp_tunnels.values()} == {2}
    status = world.gcp(f"{region}/routers/xcl-{GCP}-router/getRouterStatus")["result"]
    peers = {p["name"]: p for p in status["bgpPeerStatus"]}
    assert sorted(peers) == sorted(f"xcl-{t['id']}" for t in tunnels)
    for tunnel in tunnels:
        peer = peers[f"xcl-{tunnel['id']}"]
        assert peer["status"] == "UP"
        assert (peer["ipAddress"], peer["peerIpAddress"]) == (
            tunnel["gcp_inside_address"],
            tunnel["aws_inside_address"],
        )
    router = world.gcp(f"{region}/routers/xcl-{GCP}-router")
    assert router["bgp"]["asn"] == 65010
    assert {p["peerAsn"] for p in router["bgpPeers"]} == {64512}
    advertised = {r["range"] for r in router["bgp"].get("advertisedIpRanges", [])}
    gcp_cluster = plan["clusters"][GCP]
    assert advertised == set(gcp_cluster["pod_cidrs"] + gcp_cluster["service_cidrs"])
    external = world.gcp(f"global/externalVpnGateways/xcl-{LINK}")
    assert external["redundancyType"] == "FOUR_IPS_REDUNDANCY"

    # AWS: 2 VPN connections, 4 tunnels with the planned inside CIDRs, UP, on our VGW.
    connections = world.ec2.describe_vpn_connections(
        Filters=[{"Name": "tag:Name", "Values": [f"{LINK}-a", f"{LINK}-b"]}]
    )["VpnConnections"]
    connections = [c for c in connections if c["State"] != "deleted"]
    assert len(connections) == 2
    assert {c["State"] for c in connections} == {"available"}
    inside = sorted(
        o["TunnelInsideCidr"] for c in connections for o in c["Options"]["TunnelOptions"]
    )
    assert inside == sorted(t["inside_cidr"] for t in tunnels)
    assert {t["Status"] for c in connections for t in c["VgwTelemetry"]} == {"UP"}
    outside = {o["OutsideIpAddress"] for c in connections for o in c["Options"]["TunnelOptions"]}
    assert outside == {i["ipAddress"] for i in external["interfaces"]}
    (vgw,) = {c["VpnGatewayId"] for c in connections}
    gateway = world.ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"][0]
    assert gateway["AmazonSideAsn"] == 64512
    assert {a["VpcId"] for a in gateway["VpcAttachments"] if a["State"] == "attached"} == {
        world.vpc_id
    }
    cgws = world.ec2.describe_customer_gateways(
        CustomerGatewayIds=[c["CustomerGatewayId"] for c in connections]
    )["CustomerGateways"]
    ha_gateway = world.gcp(f"{region}/vpnGateways/xcl-{GCP}-gw")
    assert {g["IpAddress"] for g in cgws} == {i["ipAddress"] for i in ha_gateway["vpnInterfaces"]}
    assert {g["BgpAsn"] for g in cgws} == {"65010"}

    # Routes and rules on both sides.
    tables = world.ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["RouteTables"]
    assert tables and all(
        vgw in [p["GatewayId"] for p in t.get("PropagatingVgws", [])] for t in tables
    )
    remote_gcp = set(
        gcp_cluster["node_cidrs"] + gcp_cluster["pod_cidrs"] + gcp_cluster["service_cidrs"]
    )
    (group,) = world.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [world.vpc_id]},
            {"Name": "group-name", "Values": [SEEDED_SG]},
        ]
    )["SecurityGroups"]
    admitted = {r["CidrIp"] for p in group["IpPermissions"] for r in p.get("IpRanges", [])}
    assert remote_gcp <= admitted
    aws_cluster = plan["clusters"][AWS]
    firewall = world.gcp(f"global/firewalls/xcl-{LINK}-in4")
    assert set(firewall["sourceRanges"]) == set(
        aws_cluster["node_cidrs"] + aws_cluster["pod_cidrs"] + aws_cluster["service_cidrs"]
    )
    assert firewall["network"].endswith(f"/global/networks/{NETWORK}")

    # DNS: a resolver in each cluster, the native DNS changed to forward the remote zone.
    for name in NATIVE_DNS:
        assert world.resolvers(name) == ["crosscluster-link-dns"]
        assert world.native_dns(name) != world.native_dns_before[name]

    # Reports: Markdown with the topology, JUnit with every check passing.
    report = (world.report_dir / "link-report.md").read_text()
    assert "```mermaid" in report and "**PASS**" in report
    suites = ET.parse(world.report_dir / "link-report.xml").getroot()
    assert suites.get("failures") == "0"
    # 2 connections + 4 AWS tunnels; 4 + 4 GCP; DNS both ways
    assert int(suites.get("tests", "0")) == 6 + 8 + 2

    # After the interrupted runs and under faults: every object exists once.
    linked = world.snapshot()
    assert duplicates(linked) == {}
    world.linked = linked


def test_link_clusters_again_changes_nothing(world: World) -> None:
    mark = world.emulators.mark()
    assert_unchanged(world.playbook("crosscluster.link.link_clusters", faults=True))
    # and sends no mutating request at all, faults or not: no cloud call, no Kubernetes write
    # that the API server would find a no-op (the role compares before it writes)
    assert world.emulators.mutations_since(mark) == []
    assert changes(world.linked, world.snapshot()) == {}


def test_resolver_service_keeps_udp_and_tcp_53_after_the_second_link(world: World) -> None:
    # Strategic merge patch merges ports by number (kubernetes/kubernetes#47249): the real API
    # server answers 422 and kubernetes.core falls back to a merge patch. Both must survive.
    for name in NATIVE_DNS:
        api = kube_client.CoreV1Api(world.kube(name))
        service = api.read_namespaced_service("crosscluster-link-dns", "crosscluster-link")
        ports = sorted((p.port, p.protocol) for p in service.spec.ports)
        assert ports == [(53, "TCP"), (53, "UDP")], name


def ask(world: World, cluster: str, name: str) -> tuple[int, list[str]]:
    """(rcode, sorted A records) from the cluster's own DNS Service, as its pods ask it."""
    host, port = world.emulators.endpoints["kube"][cluster]["dns"].rsplit(":", 1)
    answer = dns.query.udp(dns.message.make_query(name, "A"), host, port=int(port), timeout=5)
    return answer.rcode(), sorted(str(r) for rrset in answer.answer for r in rrset)


def ready_ips(world: World, cluster: str, namespace: str, selector: str) -> list[str]:
    api = kube_client.CoreV1Api(world.kube(cluster))
    pods = api.list_namespaced_pod(namespace, label_selector=selector).items
    return sorted(
        p.status.pod_ip
        for p in pods
        if p.status.pod_ip
        and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
    )


def test_aws_cluster_dns_answers_the_gcp_headless_service(world: World) -> None:
    # Real CoreDNS end to end: aws-euw1's native CoreDNS forwards the GCP zone to its resolver,
    # whose kubernetes plugin watches gcp-euw1's API through the reader's token.
    core = kube_client.CoreV1Api(world.kube(GCP))
    ns = "it-db"
    core.create_namespace({"metadata": {"name": ns}})
    core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "cassandra"},
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "cassandra"},
                "ports": [{"port": 9042}],
            },
        },
    )

    def add_pod(index: int) -> None:
        core.create_namespaced_pod(
            ns,
            {
                "metadata": {"name": f"cassandra-{index}", "labels": {"app": "cassandra"}},
                "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]},
            },
        )

    add_pod(0)
    add_pod(1)
    zone = world.plan["clusters"][GCP]["dns_zone"]
    name = f"cassandra.{ns}.svc.{zone}"
    expected = eventually(
        "two ready pods",
        lambda: (ips := ready_ips(world, GCP, ns, "app=cassandra")) and len(ips) == 2 and ips,
    )
    assert eventually(
        "the remote pod IPs", lambda: ask(world, AWS, name) == (dns.rcode.NOERROR, expected)
    )

    # Churn: a new pod appears and a deleted one disappears within the TTL plus a few seconds.
    add_pod(2)
    grown = eventually(
        "three ready pods",
        lambda: (ips := ready_ips(world, GCP, ns, "app=cassandra")) and len(ips) == 3 and ips,
    )
    assert eventually("the added pod", lambda: ask(world, AWS, name)[1] == grown)
    core.delete_namespaced_pod("cassandra-0", ns)
    shrunk = eventually(
        "two pods left",
        lambda: (ips := ready_ips(world, GCP, ns, "app=cassandra")) and len(ips) == 2 and ips,
    )
    assert eventually("the deleted pod gone", lambda: ask(world, AWS, name)[1] == shrunk)

    # Local names still resolve; an unknown name in the remote zone is NXDOMAIN.
    assert ask(world, AWS, "kubernetes.default.svc.cluster.local")[0] == dns.rcode.NOERROR
    assert ask(world, AWS, f"nope.{ns}.svc.{zone}")[0] == dns.rcode.NXDOMAIN
    core.delete_namespace(ns)  # the clusters as seeded again (unlink is compared to them)


@pytest.mark.parametrize(("reader_of", "remote"), [(AWS, GCP), (GCP, AWS)])
def test_reader_token_can_watch_what_dns_needs_and_nothing_else(
    world: World, reader_of: str, remote: str
) -> None:
    # The real authorizer decides, with the reader's own token as the resolver uses it.
    core = kube_client.CoreV1Api(world.kube(remote))
    name = f"crosscluster-link-dns-reader-{reader_of}"
    secret = core.read_namespaced_secret(f"{name}-token", "kube-system")
    token = base64.b64decode(secret.data["token"]).decode()
    endpoint = world.emulators.endpoints["kube"][remote]["api_endpoint"]
    session = requests.Session()
    session.trust_env = False
    session.verify = str(
        Path(world.emulators.endpoints["kube"][remote]["kubeconfig"]).parent / "ca.crt"
    )
    session.headers["Authorization"] = f"Bearer {token}"

    def status(method: str, path: str, **kwargs: Any) -> int:
        return session.request(method, endpoint + path, timeout=30, **kwargs).status_code

    for path in (
        "/api/v1/services",
        "/api/v1/endpoints",
        "/api/v1/namespaces",
        "/api/v1/pods",
        "/apis/discovery.k8s.io/v1/endpointslices",
    ):
        assert status("GET", path + "?limit=1") == 200, path
        assert status("GET", path + "?watch=true&timeoutSeconds=1") == 200, path
    assert status("GET", "/api/v1/namespaces/kube-system/secrets") == 403
    assert status("GET", f"/api/v1/namespaces/kube-system/secrets/{name}-token") == 403
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    assert status("POST", "/api/v1/namespaces/default/configmaps", json=body) == 403
    assert status("DELETE", "/api/v1/namespaces/default/services/kubernetes") == 403


def secret_values(world: World) -> dict[str, str]:
    """Description -> value of every secret the -vvv link run handled."""
    found = {"link_psk_secret": world.psk_secret}
    for link in world.plan["links"]:
        for tunnel in link["tunnels"]:
            found[f"PSK {tunnel['id']}"] = tunnel_psk(world.psk_secret, tunnel["id"])
    for connection in world.ec2.describe_vpn_connections()["VpnConnections"]:
        for index, option in enumerate(connection.get("Options", {}).get("TunnelOptions", [])):
            if option.get("PreSharedKey"):
                found[f"PSK {connection['VpnConnectionId']}/{index}"] = option["PreSharedKey"]
    for reader_of, remote in ((AWS, GCP), (GCP, AWS)):
        core = kube_client.CoreV1Api(world.kube(remote))
        name = f"crosscluster-link-dns-reader-{reader_of}-token"
        token = base64.b64decode(core.read_namespaced_secret(name, "kube-system").data["token"])
        found[f"reader token {remote}/{name}"] = token.decode()
    for name, api in world.emulators.endpoints["kube"].items():
        config = yaml.safe_load(Path(api["kubeconfig"]).read_text())
        for user in config["users"]:
            for key in ("token", "client-key-data", "password"):
                if user["user"].get(key):
                    found[f"kubeconfig {name} {user['name']} {key}"] = user["user"][key]
    assert len(found) >= 1 + 4 + 2 + 3, sorted(found)
    return found


def secret_holders(world: World) -> set[Path]:
    """Where the secrets belong: the clusters' storage, credentials and Secret volumes, the
    inventory (link_psk_secret is its input)."""
    kube = world.emulators.state_dir / "kube"
    allowed = {world.inventory}
    for name in world.emulators.endpoints["kube"]:
        base = kube / name
        allowed |= {base / "etcd", base / "pki", base / "kubeconfig"}
        allowed.add(base / "controller-manager.kubeconfig")
        pods = kube_client.CoreV1Api(world.kube(name)).list_pod_for_all_namespaces().items
        for pod in pods:
            directory = base / "node" / "pods" / f"{pod.metadata.namespace}_{pod.metadata.name}"
            for volume in pod.spec.volumes or []:
                if volume.secret is not None:
                    allowed |= {
                        directory / "volumes" / volume.name,
                        directory / "subpath" / volume.name,
                    }
    return allowed


def test_link_run_leaks_no_secret(world: World) -> None:
    # -vvv prints every module's arguments and results: no secret may be among them, nor in
    # any file the run, its modules or the clusters (pod logs, root filesystems) wrote.
    secrets = secret_values(world)
    forms = {
        form: what
        for what, value in secrets.items()
        for form in (value, base64.b64encode(value.encode()).decode())
    }
    assert world.outputs, "the -vvv link run did not happen"
    leaks = [f"-vvv output: {what}" for form, what in forms.items() if form in world.outputs[0]]
    allowed = secret_holders(world)
    roots = (world.emulators.state_dir, world.inventory.parent)
    scanned = 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            if any(path == a or a in path.parents for a in allowed):
                continue
            if path.name == "coredns" and path.parent.name == "rootfs":
                continue  # the CoreDNS binary copied into each pod
            content = path.read_bytes()
            scanned += 1
            leaks += [f"{path}: {what}" for form, what in forms.items() if form.encode() in content]
    assert scanned > 20
    assert leaks == []


def test_verify_link_alone_fails_when_a_bgp_peer_is_gone(world: World) -> None:
    # A BGP peer removed behind the collection's back: verify_link (which changes nothing)
    # fails naming the checks: the peer is not UP and, without it, its tunnel is not
    # ESTABLISHED. The JUnit report has exactly these two failures. unlink copes with it next.
    router_path = f"regions/{world.gcp_region}/routers/xcl-{GCP}-router"
    router = world.gcp(router_path)
    dropped = f"xcl-{LINK}-t3"
    t = world.plan["links"][0]["tunnels"][3]
    router["bgpPeers"] = [p for p in router["bgpPeers"] if p["name"] != dropped]
    response = requests.patch(
        f"{world.gcp_base}/{router_path}",
        json={"bgpPeers": router["bgpPeers"]},
        headers=world.gcp_headers,
        timeout=30,
    )
    response.raise_for_status()
    # And the AWS cluster's resolver reads gcp-euw1 with a token gcp-euw1 refuses: its pods are
    # restarted, as CoreDNS reads a kubeconfig once, at start. The pods still become Ready
    # (readiness says nothing about remotes); the metrics check names the 401.
    core = kube_client.CoreV1Api(world.kube(AWS))
    secret_name = f"crosscluster-link-remote-{GCP}"
    secret = core.read_namespaced_secret(secret_name, RESOLVER_NS)
    config = yaml.safe_load(base64.b64decode(secret.data["kubeconfig"]))
    config["users"][0]["user"]["token"] = "not-the-reader-token"
    encoded = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    core.patch_namespaced_secret(secret_name, RESOLVER_NS, {"data": {"kubeconfig": encoded}})
    old = {p.metadata.name for p in core.list_namespaced_pod(RESOLVER_NS).items}
    core.delete_collection_namespaced_pod(RESOLVER_NS, label_selector=RESOLVER_PODS)

    def restarted() -> bool:
        pods = core.list_namespaced_pod(RESOLVER_NS, label_selector=RESOLVER_PODS).items
        return bool(pods) and all(
            p.metadata.name not in old
            and p.status.phase == "Running"
            and all(c.ready for c in p.status.container_statuses or [])
            for p in pods
        )

    # verify's own wait is short (20 x 1 s, for the BGP checks): the restart is this test's
    # precondition, so it is waited for here, with room for a loaded machine
    waiting.eventually("the AWS resolver restarted and Ready", restarted, timeout=300.0)
    mark = world.emulators.mark()
    result = world.playbook(
        "crosscluster.link.verify_link", "-e", "link_verify_retries=20", "-e", "link_verify_delay=1"
    )
    assert world.emulators.mutations_since(mark) == []
    assert result.returncode != 0
    assert f"GCP BGP peer {dropped}" in result.stdout
    suites = ET.parse(world.report_dir / "link-report.xml").getroot()
    failures = {
        c.get("name"): c.find("failure").get("message", "") + (c.find("failure").text or "")
        for c in suites.iter("testcase")
        if c.find("failure") is not None
    }
    gcp = world.plan["clusters"][GCP]
    gcp_host = gcp["api_endpoint"].removeprefix("https://")
    dns_check = f"DNS {AWS} -> zone {gcp['dns_zone']} of {GCP} ({gcp_host})"
    assert sorted(failures) == [
        dns_check,
        f"GCP BGP peer {dropped} ({t['gcp_inside_address']} AS 65010 -> "
        f"{t['aws_inside_address']} AS 64512)",
        f"GCP tunnel {dropped} (interface 1)",
    ]
    assert "Unauthorized (401)" in failures[dns_check], failures[dns_check]
    # the other direction is still served, and is reported as a passing check
    passed = [c.get("name") for c in suites.iter("testcase") if c.find("failure") is None]
    assert any(name.startswith(f"DNS {GCP} -> zone ") for name in passed), passed


def test_a_dropped_cluster_keeps_no_dns_access_after_prune(world: World) -> None:
    """gcp-euw1 dropped from the inventory. A link run without link_prune changes nothing and
    lists what gcp-euw1 left in aws-euw1 - its reader, whose token gcp-euw1 still holds, and
    its kubeconfig Secret - with the command that removes them; with link_prune, aws-euw1 (no
    link left) gets its DNS unlinked, the native DNS restored, and both are gone. A second
    prune changes nothing. unlink with the full inventory then removes gcp-euw1's side."""
    data = yaml.safe_load(world.inventory.read_text())
    clusters = data["all"]["children"]["clusters"]
    clusters["hosts"] = {AWS: clusters["hosts"][AWS]}
    clusters["vars"].pop("link_plan_file", None)  # the later tests read the 2-cluster plan
    for name in ("link_topology", "link_pairs", "link_report_dir"):  # pairs name gcp-euw1
        clusters["vars"].pop(name, None)
    alone = world.inventory.with_name("aws-alone.yml")
    alone.write_text(yaml.safe_dump(data, sort_keys=False))
    reader = f"crosscluster-link-dns-reader-{GCP}"

    def owned() -> list[str]:
        """Kind [namespace/]name of each object of the collection in aws-euw1."""
        selector = "app.kubernetes.io/managed-by=crosscluster.link"
        core = kube_client.CoreV1Api(world.kube(AWS))
        rbac = kube_client.RbacAuthorizationV1Api(world.kube(AWS))
        found = {
            "Secret": core.list_secret_for_all_namespaces(label_selector=selector).items,
            "ServiceAccount": core.list_service_account_for_all_namespaces(
                label_selector=selector
            ).items,
            "ClusterRole": rbac.list_cluster_role(label_selector=selector).items,
            "ClusterRoleBinding": rbac.list_cluster_role_binding(label_selector=selector).items,
        }
        return sorted(
            f"{kind} {o.metadata.namespace + '/' if o.metadata.namespace else ''}{o.metadata.name}"
            for kind, items in found.items()
            for o in items
        )

    def owned_names() -> list[str]:
        return sorted(ref.rsplit(" ", 1)[1].rsplit("/", 1)[-1] for ref in owned())

    assert owned_names().count(reader) == 3  # ServiceAccount, ClusterRole, ClusterRoleBinding
    mark = world.emulators.mark()
    listed = world.playbook("crosscluster.link.link_clusters", inventory=alone)
    assert_ok(listed, (AWS,))
    assert world.emulators.mutations_since(mark) == []
    message = " ".join(listed.stdout.split())
    assert f"Cluster {AWS} still holds DNS objects of clusters no longer linked" in message
    listed_refs = [r for r in owned() if r.endswith((reader, f"{reader}-token", f"-remote-{GCP}"))]
    assert len(listed_refs) == 5, listed_refs  # the reader's 4 objects and the kubeconfig
    for ref in listed_refs:
        assert ref in message
    assert "crosscluster.link.link_clusters -e link_prune=true" in message

    pruned = world.playbook(
        "crosscluster.link.link_clusters", "-e", "link_prune=true", inventory=alone
    )
    assert_ok(pruned, (AWS,))
    assert [n for n in owned_names() if GCP in n] == []
    assert world.resolvers(AWS) == []
    assert world.native_dns(AWS) == world.native_dns_before[AWS]
    mark = world.emulators.mark()
    again = world.playbook(
        "crosscluster.link.link_clusters", "-e", "link_prune=true", inventory=alone
    )
    assert_unchanged(again, (AWS,))
    assert world.emulators.mutations_since(mark) == []


def test_unlink_clusters_removes_exactly_what_link_created(world: World) -> None:
    assert_ok(world.playbook("crosscluster.link.unlink_clusters", faults=True))
    assert changes(world.seeded, world.snapshot()) == {}
    region = f"regions/{world.gcp_region}"
    for path in (f"{region}/vpnTunnels", f"{region}/routers", f"{region}/vpnGateways"):
        assert [n for n in world.gcp_names(path) if n.startswith("xcl-")] == [], path
    for path in ("global/externalVpnGateways", "global/firewalls"):
        assert [n for n in world.gcp_names(path) if n.startswith("xcl-")] == [], path
    assert NETWORK in world.gcp_names("global/networks")
    assert f"{NETWORK}-{world.gcp_region}" in world.gcp_names(f"{region}/subnetworks")

    live = [
        c
        for c in world.ec2.describe_vpn_connections()["VpnConnections"]
        if c["State"] != "deleted" and LINK in {t["Value"] for t in c.get("Tags", [])}
    ]
    assert live == []
    cgws = world.ec2.describe_customer_gateways(
        Filters=[{"Name": "tag:Name", "Values": [f"{LINK}-if0", f"{LINK}-if1"]}]
    )["CustomerGateways"]
    assert [g for g in cgws if g["State"] != "deleted"] == []
    vgws = world.ec2.describe_vpn_gateways(
        Filters=[{"Name": "tag:Name", "Values": [f"{AWS}-vgw"]}]
    )["VpnGateways"]
    assert [g for g in vgws if g["State"] != "deleted"] == []
    tables = world.ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["RouteTables"]
    assert tables and all(not t.get("PropagatingVgws") for t in tables)
    (group,) = world.ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [world.vpc_id]},
            {"Name": "group-name", "Values": [SEEDED_SG]},
        ]
    )["SecurityGroups"]
    admitted = {r["CidrIp"] for p in group["IpPermissions"] for r in p.get("IpRanges", [])}
    assert admitted.isdisjoint(world.plan["clusters"][GCP]["pod_cidrs"])
    assert world.ec2.describe_vpcs(VpcIds=[world.vpc_id])["Vpcs"]

    for name in NATIVE_DNS:
        assert world.resolvers(name) == []
        assert world.native_dns(name) == world.native_dns_before[name]


def test_unlink_clusters_again_changes_nothing(world: World) -> None:
    assert_unchanged(world.playbook("crosscluster.link.unlink_clusters"))


def test_unlink_after_a_killed_link_leaves_the_seeded_state(world: World) -> None:
    """A link run killed mid-task, then unlink (both under FAULTS): what the partial run made
    is removed, what it never made is no error, and nothing else is touched."""
    killed_at = world.interrupted("crosscluster.link.link_clusters", PARTIAL_LINK_SEED)
    assert_ok(world.playbook("crosscluster.link.unlink_clusters", faults=True))
    assert changes(world.seeded, world.snapshot()) == {}, killed_at
    for name in NATIVE_DNS:
        assert world.native_dns(name) == world.native_dns_before[name]
