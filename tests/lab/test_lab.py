"""The datapath lab against linked emulators (``make lab-test``; root, strongSwan and FRR).

The emulators are started and linked once for the module (``tests/lab/emulated.py``: as
the demo does, the DNS phase and the on-prem cluster included: its gateway from the files the
onprem_vpn role rendered). Expected counts come from the emulators' own state and the role's
files, never from the lab's output.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators import launcher
from tests.lab import dns, failover, netns, observe, sources
from tests.lab.emulated import link, verify
from tests.lab.lab import Lab, Result, Summary

REPO = Path(__file__).resolve().parents[2]
PREFIX = "xcl-labt-"  # not make lab's prefix: the two may run side by side
READY = (
    os.geteuid() == 0
    and all(Path(p).exists() for p in ("/usr/lib/ipsec/charon", "/usr/lib/frr/bgpd"))
    and all(shutil.which(t) for t in ("swanctl", "vtysh", "ping"))
)
NOT_READY = "the lab needs root, strongSwan, FRR and ping (make lab-packages)"
# make lab-test (and so make test) sets XCL_LAB_REQUIRED: there the lab must run, not skip.
if os.environ.get("XCL_LAB_REQUIRED") and not READY:
    raise RuntimeError(NOT_READY)
pytestmark = pytest.mark.skipif(not READY, reason=NOT_READY)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("lab")
    try:
        assert link(state, onprem=True) == 0, "link_clusters failed against the emulators"
        yield state
    finally:
        launcher.down(state)


TUNNEL_CAUSE = "pre-shared key or proposal mismatch"
SESSION_CAUSE = "ASN or inside address mismatch"


def run_lab(
    state: Path, timeout: float, resolve: bool = False
) -> tuple[Summary, int, dict[str, str]]:
    """Build and check the lab (with ``resolve``, resolve-and-connect too), feed what it saw
    into the emulators and run the product's verify_link against them while the lab runs:
    (summary, verify's exit code, its failing checks by name -> message)."""
    lab = Lab(PREFIX, state / "lab", sources.gateways(state), sources.pod_specs(state))
    discovery = dns.Discovery(lab, dns.clusters(state))
    try:
        lab.build()
        summary = lab.check(timeout=timeout)
        if resolve:
            discovery.start()
            summary.resolved = discovery.check(timeout=timeout)
        observe.feed(lab, state)
        rc, failures = verify(state, state / "verify-report")
        return summary, rc, failures
    finally:
        if resolve:
            discovery.stop()
        lab.teardown()
        observe.forget(state)
        assert netns.namespaces(PREFIX) == []


def aws_tunnels(state: Path, to_gcp: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """(connection id, TunnelOption) of every AWS tunnel, as the AWS emulator has them; with
    ``to_gcp`` only those whose customer gateway is an HA VPN interface."""
    ec2 = sources.ec2_client(state)
    gcp_ips = {ip for g in sources.gateways(state) if g.cloud == "gcp" for ip in g.public_ips}
    gateway_ip = {
        g["CustomerGatewayId"]: g["IpAddress"]
        for g in ec2.describe_customer_gateways()["CustomerGateways"]
    }
    return [
        (c["VpnConnectionId"], t)
        for c in ec2.describe_vpn_connections()["VpnConnections"]
        if not to_gcp or gateway_ip[c["CustomerGatewayId"]] in gcp_ips
        for t in c["Options"]["TunnelOptions"]
    ]


def expected_tunnels(state: Path) -> int:
    """Every tunnel either side configured, once: each AWS one (to GCP or to the on-prem
    gateway) and each GCP one to the on-prem gateway (those to AWS are AWS's tunnels)."""
    gateways = sources.gateways(state)
    onprem_ips = {ip for g in gateways if g.cloud == "onprem" for ip in g.public_ips}
    gcp_to_onprem = [
        t for g in gateways if g.cloud == "gcp" for t in g.tunnels if t.peer_public_ip in onprem_ips
    ]
    return len(aws_tunnels(state)) + len(gcp_to_onprem)


def down(results: list[Result]) -> list[str]:
    return [r.name for r in results if not r.ok]


def served_pairs(state: Path) -> int:
    """(pod, remote cluster) pairs whose pod's own cluster DNS runs here (kubeadm, k3s: real
    CoreDNS), from the emulators' endpoints: one pod per cluster that has a VPN gateway."""
    kube = json.loads((state / "endpoints.json").read_text())["kube"]
    placed = {spec.cluster for spec in sources.pod_specs(state)}
    served = [c for c in placed if kube[c]["flavour"] in ("kubeadm", "k3s")]
    return len(served) * (len(placed) - 1)


def test_every_tunnel_session_pod_pair_and_remote_name_is_up(linked: Path) -> None:
    gateways = sources.gateways(linked)
    (onprem,) = [g for g in gateways if g.cloud == "onprem"]
    to_gcp, tunnels = aws_tunnels(linked, to_gcp=True), expected_tunnels(linked)
    pairs = served_pairs(linked)
    summary, rc, failures = run_lab(linked, timeout=90, resolve=True)
    # The reference topology: AWS 2 connections x 2 tunnels to GCP and 1 x 2 to the on-prem
    # gateway, GCP 2 tunnels to it; the gateway the role rendered has the other ends of 4.
    assert (len(to_gcp), tunnels, len(onprem.tunnels)) == (4, 8, 4)
    # aws-euw1 (kubeadm) and onprem-lab (k3s) resolve the two others' Services; GKE's kube-dns
    # is not built here.
    assert pairs == 4
    results = summary.tunnels + summary.sessions + summary.pod_to_pod + (summary.resolved or [])
    assert summary.lines() == [
        f"{tunnels}/{tunnels} tunnels established",
        f"{tunnels}/{tunnels} BGP sessions established",
        "6/6 pod-to-pod",
        f"{pairs}/{pairs} resolve-and-connect",
    ], [r for r in results if not r.ok]
    # Path MTU, measured with DF-set echoes, is what the interfaces on the path say: the
    # tunnel's (the lab's kernel-libipsec carries 1400, below AWS's 1446, Cloud VPN's 1406 and
    # the on-prem XFRM interfaces' 1436),
    # so Fragmentation Needed comes back and nothing is dropped silently; the pods (MTU 1500)
    # are told to clamp the MSS or lower their MTU.
    assert [(m.measured, m.expected) for m in summary.mtus] == [(1400, 1400)] * 6, summary.mtus
    assert all("clamp the TCP MSS to 1360 on the gateways" in m.line() for m in summary.mtus)
    # verify_link, reading the state the lab fed back through the clouds' APIs, passes:
    # every tunnel, session and learned route (route checks on) is as planned.
    assert (rc, failures) == (0, {})
    cases = ET.parse(linked / "verify-report" / "link-report.xml").getroot().iter("testcase")
    names = [str(c.get("name")) for c in cases]
    assert sum(" routes accepted from GCP" in n for n in names) == len(to_gcp)
    assert sum(" routes learned from AWS" in n for n in names) == len(to_gcp)


def patch_router(state: Path, router: dict[str, Any], peers: list[dict[str, Any]]) -> None:
    """routers.patch of the BGP peers (JSON merge patch: the list is replaced whole), then
    the operation waited for."""
    api, _unused = sources.gcp_api(state)
    response = api.session.patch(router["selfLink"], json={"bgpPeers": peers}, timeout=30)
    response.raise_for_status()
    api.session.post(response.json()["selfLink"] + "/wait", timeout=60).raise_for_status()


def test_a_wrong_psk_and_a_wrong_peer_asn_take_exactly_their_tunnel_and_session_down(
    linked: Path,
) -> None:
    """Two faults in one lab run, on different tunnels (each fault needs the lab built and
    verify_link run: CI time): a PSK changed in the AWS emulator only (GCP keeps its secret)
    takes exactly that tunnel and the session over it down; a peer ASN changed in the GCP
    emulator only (AWS keeps its ASN) takes exactly that session down, its tunnel staying up.
    verify_link names each with its likely cause."""
    ec2 = sources.ec2_client(linked)
    to_gcp = aws_tunnels(linked, to_gcp=True)
    connection_id, tunnel = to_gcp[1]
    outside, inside = tunnel["OutsideIpAddress"], tunnel["TunnelInsideCidr"]
    original = tunnel["PreSharedKey"]
    # AWS takes the first host of each inside /30
    aws_insides = [
        str(next(ipaddress.ip_network(t["TunnelInsideCidr"]).hosts())) for _c, t in to_gcp
    ]
    aws_inside = aws_insides[1]
    total = expected_tunnels(linked)
    api, region = sources.gcp_api(linked)
    router = next(
        r
        for r in api.items(f"regions/{region}/routers")
        if any(p["peerIpAddress"] == aws_inside for p in r.get("bgpPeers", []))
    )
    peers = router["bgpPeers"]
    # The ASN fault on the session of another AWS tunnel than the PSK fault's.
    (asn_index,) = [
        i for i, p in enumerate(peers) if p["peerIpAddress"] in aws_insides[:1] + aws_insides[2:]
    ][-1:]
    asn_peer = peers[asn_index]
    wrong = copy.deepcopy(peers)
    wrong[asn_index]["peerAsn"] = int(asn_peer["peerAsn"]) + 1

    def set_psk(psk: str) -> None:
        ec2.modify_vpn_tunnel_options(
            VpnConnectionId=connection_id,
            VpnTunnelOutsideIpAddress=outside,
            TunnelOptions={"PreSharedKey": psk},
        )

    set_psk("Lab.wrong." + original[:20])
    patch_router(linked, router, wrong)
    try:
        summary, rc, failures = run_lab(linked, timeout=45)
    finally:
        set_psk(original)
        patch_router(linked, router, peers)
    broken = down(summary.tunnels)
    assert len(broken) == 1 and broken[0].startswith(f"{connection_id}:{outside} <-> "), broken
    sessions = sorted(down(summary.sessions), key=lambda name: aws_inside not in name)
    assert len(sessions) == 2, sessions
    assert aws_inside in sessions[0].split(" <-> "), sessions  # over the broken tunnel
    assert asn_peer["peerIpAddress"] in sessions[1].split(" <-> "), sessions  # the wrong ASN
    assert summary.lines() == [
        f"{total - 1}/{total} tunnels established",
        f"{total - 2}/{total} BGP sessions established",
        "6/6 pod-to-pod",  # the other tunnels still carry every pod pair
    ]
    assert rc != 0
    # Each fault named on both clouds with its likely cause, each tunnel by its inside CIDR:
    # AWS reports a tunnel DOWN when its BGP session is, so the ASN's tunnel fails there too.
    asn_cidr = str(ipaddress.ip_interface(f"{asn_peer['peerIpAddress']}/30").network)
    aws_failed = [
        m for n, m in failures.items() if n.startswith("AWS tunnel ") and "routes" not in n
    ]
    assert len(aws_failed) == 2, failures
    assert [m for m in aws_failed if f"UP {inside} " in m and TUNNEL_CAUSE in m], aws_failed
    assert [m for m in aws_failed if f"UP {asn_cidr} " in m and SESSION_CAUSE in m], aws_failed
    gcp_failed = [m for n, m in failures.items() if n.startswith("GCP tunnel ")]
    assert len(gcp_failed) == 1 and TUNNEL_CAUSE in gcp_failed[0], gcp_failed
    peer = f"GCP BGP peer {asn_peer['name']} ("
    session = [m for n, m in failures.items() if n.startswith(peer) and "routes" not in n]
    assert len(session) == 1 and SESSION_CAUSE in session[0], failures
    # The session over the PSK's tunnel is down because its tunnel is: not an ASN mismatch.
    named = [n for n, m in failures.items() if SESSION_CAUSE in m]
    assert len(named) == 2 and all(n.startswith(peer) or "AWS tunnel " in n for n in named), named


def test_failover_reroutes_around_a_cut_tunnel_and_the_tunnel_comes_back(linked: Path) -> None:
    lab = Lab(PREFIX, linked / "lab", sources.gateways(linked), sources.pod_specs(linked))
    ec2 = sources.ec2_client(linked)
    reported: dict[str, dict[str, str]] = {}

    def feed(step: str) -> None:
        """Feed the state in after each step and keep what AWS then reports per tunnel."""
        observe.feed(lab, linked)
        reported[step] = {
            f"{c['VpnConnectionId']}:{t['OutsideIpAddress']}": t["Status"]
            for c in ec2.describe_vpn_connections()["VpnConnections"]
            for t in c["VgwTelemetry"]
        }

    try:
        lab.build()
        assert lab.check(timeout=90).ok
        result = failover.run(lab, timeout=120, on_step=feed)
    finally:
        lab.teardown()
        observe.forget(linked)
    assert result.ok, result.line()
    # The cut tunnel is DOWN in the AWS telemetry while cut, UP again once restored.
    cut = next(name for name in reported["cut"] if result.tunnel.startswith(f"{name} <-> "))
    assert reported["cut"][cut] == "DOWN" and reported["restored"][cut] == "UP", reported
    # Detection is DPD (tunnel) and the BGP hold time (AWS: 30 s) -- not at once, not never.
    assert result.traffic_back is not None and 5 < result.traffic_back < 100, result.line()
    assert result.tunnel_back is not None and result.tunnel_back < 60, result.line()


def lab_command(state: Path, prefix: str) -> list[str]:
    return [sys.executable, "-m", "tests.lab", "--state-dir", str(state), "--prefix", prefix]


def holders(inodes: set[int]) -> list[str]:
    """The processes still in one of the network namespaces ``inodes`` (ns/net links)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                link = os.readlink(proc / "ns" / "net")
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue  # gone meanwhile
            if int(link.strip("net:[]")) in inodes:
                found.append(f"{proc.name}: {command}")
    return found


def test_an_interrupted_lab_leaves_nothing_and_the_next_run_works(linked: Path) -> None:
    """``python -m tests.lab`` (what make lab runs) stopped by SIGTERM while its daemons run
    removes every namespace and process it started; a second run right after passes."""
    prefix = "xcl-labi-"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # each line as it is printed
    lab = subprocess.Popen(
        lab_command(linked, prefix), stdout=subprocess.PIPE, text=True, cwd=REPO, env=env
    )
    assert lab.stdout is not None
    seen = []
    for line in lab.stdout:
        seen.append(line)
        if line.startswith("lab: built in"):
            break
    namespaces = netns.namespaces(prefix)
    inodes = {os.stat(f"/run/netns/{ns}").st_ino for ns in namespaces}
    assert len(namespaces) >= 5 and holders(inodes), seen  # inet, 2 gateways, 2 pods
    lab.send_signal(signal.SIGTERM)
    rest, _unused = lab.communicate(timeout=120)
    assert lab.returncode == 128 + signal.SIGTERM, rest
    assert f"lab: removed the {prefix}* namespaces and their processes" in rest
    assert netns.namespaces(prefix) == []
    assert holders(inodes) == []
    again = subprocess.run(
        lab_command(linked, prefix),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    summary = [line for line in again.stdout.splitlines() if line[:1].isdigit()]
    assert len(summary) == 4 and all(
        line.split("/", 1)[0] == line.split("/", 1)[1].split()[0] for line in summary
    ), summary
    assert netns.namespaces(prefix) == []
