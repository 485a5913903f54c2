""" "Pods": namespaces with an address from a cluster's pod range behind its gateway
namespace, and the probes between them (ICMP with ping(8), TCP with ``probe.py``)."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.lab import netns

REPO = Path(__file__).resolve().parents[2]
TCP_PORT = 7777


@dataclass
class Pod:
    cluster: str
    ns: str
    ip: str
    gateway_ns: str
    link: str = ""  # its veth in the gateway namespace
    server: subprocess.Popen[bytes] | None = None


def address(pod_cidr: str, index: int) -> str:
    """The index-th pod's address: the range's 10th host onwards (clear of the gateway
    addresses a CNI would reserve at the start)."""
    net = ipaddress.ip_network(pod_cidr)
    return str(net.network_address + 10 + index)


def plug(pod: Pod, link: str, vpc_routes: tuple[str, ...] | None = None) -> None:
    """Pod ``eth0`` <-> ``link`` in the gateway namespace. The pod routes everything
    on-link to eth0 and the gateway answers ARP for it (proxy ARP), as a routed CNI does;
    the gateway routes the pod's /32 to the veth. With ``vpc_routes`` (AWS) the pod's
    packets reach the gateway's routes only for those destinations, as the VPC route table
    says (ip-rule(8): ``iif LINK to PREFIX lookup main``, then ``unreachable``)."""
    pod.link = link
    netns.add(pod.ns)
    netns.veth(pod.ns, "eth0", pod.gateway_ns, link)
    netns.ip("addr", "add", f"{pod.ip}/32", "dev", "eth0", ns=pod.ns)
    netns.ip("route", "add", "default", "dev", "eth0", ns=pod.ns)
    netns.run("sysctl", "-qw", f"net.ipv4.conf.{link}.proxy_arp=1", ns=pod.gateway_ns)
    netns.ip("route", "add", f"{pod.ip}/32", "dev", link, ns=pod.gateway_ns)
    if vpc_routes is None:
        return
    for n, prefix in enumerate(vpc_routes):
        rule = ("iif", link, "to", prefix, "lookup", "main", "pref", str(1000 + n))
        netns.ip("rule", "add", *rule, ns=pod.gateway_ns)
    netns.ip("rule", "add", "iif", link, "unreachable", "pref", "1999", ns=pod.gateway_ns)


def _probe(pod: Pod, *args: str) -> list[str]:
    return ["ip", "netns", "exec", pod.ns, sys.executable, "-m", "tests.lab.probe", *args]


def serve(pod: Pod, log: Path) -> None:
    pod.server = subprocess.Popen(
        _probe(pod, "serve", str(TCP_PORT)),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def ping(source: Pod, target: Pod) -> bool:
    result = subprocess.run(
        ["ip", "netns", "exec", source.ns, "ping", "-c", "1", "-W", "2", "-q", target.ip],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return result.returncode == 0


def fits(source: Pod, target: Pod, size: int) -> bool:
    """An ICMP echo of ``size`` bytes (IP packet) with DF set gets its reply (ping(8) ``-M do``:
    no fragmentation anywhere; a hop with a smaller MTU answers Fragmentation Needed)."""
    payload = size - 28  # IPv4 header 20 + ICMP header 8
    result = subprocess.run(
        [
            *("ip", "netns", "exec", source.ns, "ping", "-c", "1", "-W", "1", "-q"),
            *("-M", "do", "-s", str(payload), target.ip),
        ],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return result.returncode == 0


def path_mtu(source: Pod, target: Pod, ceiling: int, floor: int = 576) -> int | None:
    """The largest IPv4 packet that reaches ``target`` unfragmented, by bisection between
    ``floor`` (576, the size every IPv4 host must accept, RFC 791) and ``ceiling`` (the pod's
    MTU); None when not even ``floor`` gets through."""
    if not fits(source, target, floor):
        return None
    low, high = floor, ceiling  # fits(low) holds; above high nothing is tried
    while low < high:
        middle = (low + high + 1) // 2
        if fits(source, target, middle):
            low = middle
        else:
            high = middle - 1
    return low


def connect(source: Pod, target: Pod) -> bool:
    result = subprocess.run(
        _probe(source, "connect", target.ip, str(TCP_PORT)),
        cwd=REPO,
        capture_output=True,
        timeout=15,
        check=False,
    )
    return result.returncode == 0
