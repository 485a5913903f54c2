"""The datapath lab against linked emulators (``make lab-test``; root, strongSwan and FRR).

The emulators are started and linked once for the module (``tests/lab/emulated.py``: as
the demo does, without the DNS phase). Expected counts come
from the emulators' own state, never from the lab's output.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators import launcher
from tests.lab import failover, netns, observe, sources
from tests.lab.emulated import link, verify
from tests.lab.lab import Lab, Result, Summary

PREFIX = "xcl-labt-"  # not make lab's prefix: the two may run side by side
READY = (
    os.geteuid() == 0
    and all(Path(p).exists() for p in ("/usr/lib/ipsec/charon", "/usr/lib/frr/bgpd"))
    and all(shutil.which(t) for t in ("swanctl", "vtysh", "ping"))
)
pytestmark = pytest.mark.skipif(
    not READY, reason="the lab needs root, strongSwan, FRR and ping (make lab-packages)"
)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("lab")
    try:
        assert link(state) == 0, "link_clusters failed against the emulators"
        yield state
    finally:
        launcher.down(state)


TUNNEL_CAUSE = "pre-shared key or proposal mismatch"
SESSION_CAUSE = "ASN or inside address mismatch"


def run_lab(state: Path, timeout: float) -> tuple[Summary, int, dict[str, str]]:
    """Build and check the lab, feed what it saw into the emulators and run the product's
    verify_link against them while the lab runs: (summary, verify's exit code, its failing
    checks by name -> message)."""
    lab = Lab(PREFIX, state / "lab", sources.gateways(state), sources.pod_specs(state))
    try:
        lab.build()
        summary = lab.check(timeout=timeout)
        observe.feed(lab, state)
        rc, failures = verify(state, state / "verify-report")
        return summary, rc, failures
    finally:
        lab.teardown()
        observe.forget(state)
        assert netns.namespaces(PREFIX) == []


def aws_tunnels(state: Path) -> list[tuple[str, dict[str, Any]]]:
    """(connection id, TunnelOption) of every AWS tunnel, as the AWS emulator has them."""
    ec2 = sources.ec2_client(state)
    return [
        (c["VpnConnectionId"], t)
        for c in ec2.describe_vpn_connections()["VpnConnections"]
        for t in c["Options"]["TunnelOptions"]
    ]


def down(results: list[Result]) -> list[str]:
    return [r.name for r in results if not r.ok]


def test_every_tunnel_session_and_pod_pair_is_up(linked: Path) -> None:
    tunnels = aws_tunnels(linked)
    summary, rc, failures = run_lab(linked, timeout=90)
    assert len(tunnels) == 4  # the reference topology: 2 connections x 2 tunnels
    assert summary.lines() == [
        f"{len(tunnels)}/{len(tunnels)} tunnels established",
        f"{len(tunnels)}/{len(tunnels)} BGP sessions established",
        "2/2 pod-to-pod",
    ], [r for r in summary.tunnels + summary.sessions + summary.pod_to_pod if not r.ok]
    # verify_link, reading the state the lab fed back through the clouds' APIs, passes:
    # every tunnel, session and learned route (route checks on) is as planned.
    assert (rc, failures) == (0, {})
    cases = ET.parse(linked / "verify-report" / "link-report.xml").getroot().iter("testcase")
    names = [str(c.get("name")) for c in cases]
    assert sum(" routes accepted from GCP" in n for n in names) == len(tunnels)
    assert sum(" routes learned from AWS" in n for n in names) == len(tunnels)


def test_a_psk_changed_on_one_aws_tunnel_takes_exactly_that_tunnel_down(linked: Path) -> None:
    ec2 = sources.ec2_client(linked)
    connection_id, tunnel = aws_tunnels(linked)[1]
    outside, inside = tunnel["OutsideIpAddress"], tunnel["TunnelInsideCidr"]
    original = tunnel["PreSharedKey"]

    def set_psk(psk: str) -> None:
        ec2.modify_vpn_tunnel_options(
            VpnConnectionId=connection_id,
            VpnTunnelOutsideIpAddress=outside,
            TunnelOptions={"PreSharedKey": psk},
        )

    set_psk("Lab.wrong." + original[:20])  # the AWS side only: GCP keeps its secret
    try:
        summary, rc, failures = run_lab(linked, timeout=45)
    finally:
        set_psk(original)
    broken = down(summary.tunnels)
    assert len(broken) == 1 and broken[0].startswith(f"{connection_id}:{outside} <-> "), broken
    aws_inside = str(next(ipaddress.ip_network(inside).hosts()))  # AWS takes the first host
    sessions = down(summary.sessions)
    assert len(sessions) == 1 and aws_inside in sessions[0].split(" <-> "), sessions
    assert summary.lines()[:2] == ["3/4 tunnels established", "3/4 BGP sessions established"]
    # The three other tunnels still carry every pod pair.
    assert summary.lines()[2] == "2/2 pod-to-pod"
    # verify_link fails naming exactly that tunnel (by its inside CIDR) on both clouds, with
    # the likely cause; the session on it is down because its tunnel is.
    assert rc != 0
    aws_failed = {n: m for n, m in failures.items() if n.startswith("AWS tunnel ")}
    ((name, message),) = [(n, m) for n, m in aws_failed.items() if "routes" not in n]
    assert f"UP {inside} " in message and TUNNEL_CAUSE in message, (name, message)
    gcp_failed = [m for n, m in failures.items() if n.startswith("GCP tunnel ")]
    assert len(gcp_failed) == 1 and TUNNEL_CAUSE in gcp_failed[0], gcp_failed
    assert not [m for m in failures.values() if SESSION_CAUSE in m], failures


def patch_router(state: Path, router: dict[str, Any], peers: list[dict[str, Any]]) -> None:
    """routers.patch of the BGP peers (JSON merge patch: the list is replaced whole), then
    the operation waited for."""
    api, _unused = sources.gcp_api(state)
    response = api.session.patch(router["selfLink"], json={"bgpPeers": peers}, timeout=30)
    response.raise_for_status()
    api.session.post(response.json()["selfLink"] + "/wait", timeout=60).raise_for_status()


def test_a_peer_asn_changed_on_one_cloud_router_peer_takes_exactly_that_session_down(
    linked: Path,
) -> None:
    api, region = sources.gcp_api(linked)
    router = next(r for r in api.items(f"regions/{region}/routers") if r.get("bgpPeers"))
    peers = router["bgpPeers"]
    wrong = copy.deepcopy(peers)
    wrong[2]["peerAsn"] = int(wrong[2]["peerAsn"]) + 1  # the GCP side only: AWS keeps its ASN
    patch_router(linked, router, wrong)
    try:
        summary, rc, failures = run_lab(linked, timeout=45)
    finally:
        patch_router(linked, router, peers)
    assert down(summary.tunnels) == []
    sessions = down(summary.sessions)
    assert len(sessions) == 1 and peers[2]["peerIpAddress"] in sessions[0].split(" <-> ")
    assert summary.lines() == [
        "4/4 tunnels established",
        "3/4 BGP sessions established",
        "2/2 pod-to-pod",
    ]
    # verify_link fails naming that session with the likely cause, no tunnel check fails.
    assert rc != 0
    session = [m for n, m in failures.items() if n.startswith(f"GCP BGP peer {peers[2]['name']} (")]
    assert len(session) == 1 and SESSION_CAUSE in session[0], failures
    assert [n for n in failures if n.startswith("GCP tunnel ")] == [], failures
    assert not [m for m in failures.values() if TUNNEL_CAUSE in m], failures


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


@pytest.fixture(scope="module")
def linked_onprem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's three clusters, all linked: the on-prem gateway's files rendered by the
    onprem_vpn role (tests/lab/onprem.py reads them)."""
    state = tmp_path_factory.mktemp("lab-onprem")
    try:
        assert link(state, onprem=True) == 0, "link_clusters failed against the emulators"
        yield state
    finally:
        launcher.down(state)


def test_the_onprem_gateway_the_role_rendered_carries_traffic_to_both_clouds(
    linked_onprem: Path,
) -> None:
    gateways = sources.gateways(linked_onprem)
    (onprem,) = [g for g in gateways if g.cloud == "onprem"]
    ip = onprem.public_ips[0]
    # Expected from the clouds' own state: every AWS tunnel (4 to GCP, 2 to the on-prem IP)
    # and the GCP tunnels to the on-prem IP.
    aws_count = len(aws_tunnels(linked_onprem))
    gcp_to_onprem = [
        t for g in gateways if g.cloud == "gcp" for t in g.tunnels if t.peer_public_ip == ip
    ]
    assert aws_count == 6 and len(gcp_to_onprem) == 2 and len(onprem.tunnels) == 4
    expected = aws_count + len(gcp_to_onprem)
    summary, rc, failures = run_lab(linked_onprem, timeout=90)
    assert summary.lines() == [
        f"{expected}/{expected} tunnels established",
        f"{expected}/{expected} BGP sessions established",
        "6/6 pod-to-pod",
    ], [r for r in summary.tunnels + summary.sessions + summary.pod_to_pod if not r.ok]
    # What AWS and GCP report about their tunnels to the gateway (fed back by the lab) is
    # what verify_link checks: all of it passes.
    assert (rc, failures) == (0, {})
