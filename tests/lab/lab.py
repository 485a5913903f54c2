"""Build the lab from gateways and pods, check it, and take it down.

Namespaces (all named ``<prefix>...``): ``inet`` holds the bridge carrying the outside IPs;
one namespace per cloud gateway (``aws0``, ``gcp0``...) holds its outside IPs, one charon
per tunnel end and FRR; ``pod-<cluster>-<n>`` are the pods behind their cluster's gateway.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.lab import frr, netns, pods, swan
from tests.lab.model import Gateway

BASE_PORT = 4500  # the first NAT-T port; each tunnel gets its own (swan.py)
# The largest inner packet each cloud's tunnel carries: AWS Site-to-Site VPN supports an MTU
# of 1446 bytes (Site-to-Site VPN quotas: "Maximum transmission unit (MTU)"); a Cloud VPN
# tunnel's payload MTU on an IPv4 gateway interface is 1406 bytes (Cloud VPN "MTU
# considerations", "Cloud VPN payload MTU values"). A pod's own MTU (veth, 1500) is above both.
TUNNEL_MTU = {"aws": 1446, "gcp": 1406}
# strongSwan 5.9's kernel-libipsec creates its TUN device with MTU 1400 and reads no larger
# packet from it (kernel_libipsec_plugin.c, TUN_DEFAULT_MTU; no option changes it): a larger
# TUN MTU would drop packets silently. The lab's tunnels carry the smaller of the two.
LIBIPSEC_MTU = 1400


def tunnel_mtu(gateway: Gateway) -> tuple[int, str]:
    """The MTU the lab gives a gateway's tunnels, and where the gateway's own one comes from:
    its configured MTU (the on-prem role's unit) or its cloud's documented one, at most what
    kernel-libipsec carries."""
    if gateway.tunnel_mtu:
        return min(gateway.tunnel_mtu, LIBIPSEC_MTU), f"configured {gateway.tunnel_mtu}"
    documented = TUNNEL_MTU[gateway.cloud]
    return min(documented, LIBIPSEC_MTU), f"documented {documented}"


@dataclass(frozen=True)
class PodSpec:
    """A cluster whose pods sit behind the gateway of ``network``."""

    cluster: str
    network: str  # VPC id, or GCP network name
    pod_cidr: str


@dataclass
class Result:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class PathMtu:
    """The path MTU from one cluster's pod to another's, measured with DF-set echoes, and
    what the interfaces on the way say it must be (the smallest MTU of the source pod's
    eth0, the device its gateway routes the packet into, the target's veth and eth0)."""

    source: str
    target: str
    measured: int | None
    expected: int
    pod_mtu: int
    hops: tuple[int, ...] = ()  # the MTUs the expectation comes from, in path order

    @property
    def ok(self) -> bool:
        """Measured as the interfaces say: a smaller measure means packets dropped silently
        (no Fragmentation Needed came back), which breaks path MTU discovery."""
        return self.measured == self.expected

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        head = f"  {mark} mtu    {self.source} -> {self.target}: "
        if self.measured is None:
            return head + "no DF-set echo of 576 bytes got through"
        text = f"path MTU {self.measured} (pods' MTU {self.pod_mtu})"
        if self.measured != self.expected:
            text += f" (the interfaces on the path say {self.expected}: {self.hops})"
        if self.measured < self.pod_mtu:
            text += (
                f": below the pods' MTU; clamp the TCP MSS to {self.measured - 40} on the "
                f"gateways (path MTU - 40) or set the pods' MTU to {self.measured}"
            )
        return head + text


@dataclass
class Summary:
    tunnels: list[Result] = field(default_factory=list)
    sessions: list[Result] = field(default_factory=list)
    pod_to_pod: list[Result] = field(default_factory=list)
    mtus: list[PathMtu] = field(default_factory=list)
    resolved: list[Result] | None = None  # resolve-and-connect, when checked (tests/lab/dns.py)
    failover_ok: bool = True  # no failover run, or one that recovered in time

    def lines(self) -> list[str]:
        return [
            f"{_count(self.tunnels)} tunnels established",
            f"{_count(self.sessions)} BGP sessions established",
            f"{_count(self.pod_to_pod)} pod-to-pod",
            *([] if self.resolved is None else [f"{_count(self.resolved)} resolve-and-connect"]),
        ]

    @property
    def ok(self) -> bool:
        results = self.tunnels + self.sessions + self.pod_to_pod + (self.resolved or [])
        return self.failover_ok and all(r.ok for r in results) and all(m.ok for m in self.mtus)


def _count(results: list[Result]) -> str:
    return f"{sum(r.ok for r in results)}/{len(results)}"


def _matches(gateway: Gateway, network: str) -> bool:
    return network in (gateway.network, gateway.network.rsplit("/", 1)[-1])


@dataclass
class Lab:
    prefix: str
    workdir: Path
    gateways: list[Gateway]
    pod_specs: list[PodSpec]
    pods_per_cluster: int = 1
    say: Callable[[str], None] = print
    charons: list[swan.Charon] = field(default_factory=list)
    routers: list[frr.Frr] = field(default_factory=list)
    pods: list[pods.Pod] = field(default_factory=list)

    @property
    def frr_dir(self) -> Path:
        """FRR's runtime files (pid files, sockets, logs): the daemons run as user ``frr``,
        which must reach them, so under the world-traversable temporary directory; copied
        into ``workdir`` at teardown."""
        return Path(tempfile.gettempdir()) / f"{self.prefix}frr"

    @property
    def inet(self) -> str:
        return f"{self.prefix}inet"

    def gateway_ns(self, index: int) -> str:
        return f"{self.prefix}{self.gateways[index].cloud}{index}"

    # ----- build -----------------------------------------------------------------------

    def build(self) -> None:
        netns.cleanup(self.prefix)  # what an interrupted earlier run may have left
        shutil.rmtree(self.frr_dir, ignore_errors=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        netns.add(self.inet)
        netns.bridge(self.inet, "br0")
        ports = self._ports()
        for index, gateway in enumerate(self.gateways):
            self._gateway(index, gateway, ports)
        mtus = {(g.cloud, *tunnel_mtu(g)) for g in self.gateways}
        self.say(
            f"lab: starting {len(self.charons)} charons (one per tunnel end); tunnel MTU "
            + ", ".join(f"{cloud} {mtu} ({source})" for cloud, mtu, source in sorted(mtus))
            + f": kernel-libipsec carries at most {LIBIPSEC_MTU}"
        )
        for charon in self.charons:
            swan.start(charon)
        if len({(c.ns, c.tun) for c in self.charons}) != len(self.charons):
            raise netns.LabError("two charons report the same TUN device: see their charon.log")
        for charon, gateway in self._charon_gateways():
            mtu = str(tunnel_mtu(gateway)[0])
            netns.ip("link", "set", "dev", charon.tun, "mtu", mtu, ns=charon.ns)
            if charon.end.inside:
                netns.ip("addr", "add", charon.end.inside, "dev", charon.tun, ns=charon.ns)
        for index in range(len(self.gateways)):
            self._no_table_220(self.gateway_ns(index))
        # Responders first, so the initiators' first IKE_SA_INIT finds them listening.
        for charon in sorted(self.charons, key=lambda c: c.end.initiate):
            swan.load(charon)
        self.say(f"lab: starting FRR (zebra + bgpd) in {len(self.gateways)} gateway namespaces")
        for index, gateway in enumerate(self.gateways):
            ns = self.gateway_ns(index)
            router = frr.Frr(gateway, ns, self.frr_dir / ns, router_id=gateway.public_ips[0])
            frr.start(router)
            self.routers.append(router)
        self._pods()

    def _charon_gateways(self) -> list[tuple[swan.Charon, Gateway]]:
        by_ns = {self.gateway_ns(i): g for i, g in enumerate(self.gateways)}
        return [(c, by_ns[c.ns]) for c in self.charons]

    def _ports(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(gateway index, tunnel index) -> (own NAT-T port, peer's), equal for the two ends
        of one (AWS outside IP, customer gateway IP) pair, unique within a namespace."""
        counter = itertools.count(BASE_PORT)
        by_pair: dict[frozenset[str], int] = {}
        used: dict[int, set[int]] = {}
        result = {}
        for g, gateway in enumerate(self.gateways):
            for t, end in enumerate(gateway.tunnels):
                pair = frozenset((end.public_ip, end.peer_public_ip))
                if pair not in by_pair:
                    by_pair[pair] = next(counter)
                port = by_pair[pair]
                if port in used.setdefault(g, set()):
                    port = next(counter)  # the same pair twice on one gateway
                used[g].add(port)
                result[(g, t)] = (port, port)
        return result

    def _gateway(
        self, index: int, gateway: Gateway, ports: dict[tuple[int, int], tuple[int, int]]
    ) -> None:
        ns = self.gateway_ns(index)
        netns.add(ns)
        netns.veth(self.inet, f"g{index}", ns, "pub")
        netns.ip("link", "set", f"g{index}", "master", "br0", ns=self.inet)
        for address in dict.fromkeys(gateway.public_ips):
            netns.ip("addr", "add", f"{address}/32", "dev", "pub", ns=ns)
        # The "internet": every peer this gateway's own state names is on-link on the bridge.
        for peer in dict.fromkeys(t.peer_public_ip for t in gateway.tunnels):
            netns.ip("route", "add", f"{peer}/32", "dev", "pub", ns=ns)
        for t, end in enumerate(gateway.tunnels):
            port, peer_port = ports[(index, t)]
            self.charons.append(
                swan.Charon(end, ns, port, peer_port, self.workdir / ns / f"charon{t}")
            )

    @staticmethod
    def _no_table_220(ns: str) -> None:
        """kernel-libipsec routes everything into its TUN through table 220, whatever
        ``install_routes`` says (REFERENCE "Tooling offline"): drop the rule and the table,
        so the main table, where zebra installs BGP's choice, decides."""
        while "lookup 220" in netns.ip("rule", "list", ns=ns):
            netns.ip("rule", "del", "table", "220", ns=ns)
        netns.ip("route", "flush", "table", "220", ns=ns, check=False)

    def _pods(self) -> None:
        for spec in self.pod_specs:
            index = next(
                (i for i, g in enumerate(self.gateways) if _matches(g, spec.network)), None
            )
            if index is None:
                self.say(f"lab: no VPN gateway for {spec.cluster} ({spec.network}): no pods")
                continue
            gateway_ns = self.gateway_ns(index)
            for n in range(self.pods_per_cluster):
                pod = pods.Pod(
                    spec.cluster,
                    f"{self.prefix}pod-{spec.cluster}-{n}",
                    pods.address(spec.pod_cidr, n),
                    gateway_ns,
                )
                pods.plug(pod, f"p{len(self.pods)}", self.gateways[index].vpc_routes)
                pods.serve(pod, self.workdir / f"{pod.ns}.probe.log")
                self.pods.append(pod)

    # ----- check -----------------------------------------------------------------------

    def tunnels(self) -> list[Result]:
        """One result per (outside IP, outside IP) pair either side configured: established
        when both ends exist and both report the IKE SA and CHILD_SA up."""
        groups: dict[frozenset[str], list[swan.Charon]] = {}
        for charon in self.charons:
            pair = frozenset((charon.end.public_ip, charon.end.peer_public_ip))
            groups.setdefault(pair, []).append(charon)
        results = []
        for ends in groups.values():
            names = " <-> ".join(c.end.name for c in ends)
            ok = len(ends) == 2 and all(swan.established(c) for c in ends)
            detail = "" if len(ends) == 2 else "one end only"
            if not ok and not detail:
                causes = {f"{c.end.name}: {swan.diagnosis(c)}" for c in ends if swan.diagnosis(c)}
                detail = "; ".join(sorted(causes))
            results.append(Result(names, ok, detail))
        return results

    def sessions(self) -> list[Result]:
        """One result per (inside IP, inside IP) pair either side configured: established
        when both bgpd report the session Established."""
        groups: dict[frozenset[str], list[tuple[frr.Frr, str]]] = {}
        for router in self.routers:
            for end in router.gateway.tunnels:
                if end.inside and end.peer_inside_ip:
                    pair = frozenset((end.inside_ip, end.peer_inside_ip))
                    groups.setdefault(pair, []).append((router, end.peer_inside_ip))
        states = {id(r): frr.neighbours(r) for r in self.routers}
        results = []
        for pair, ends in groups.items():
            entries = [(r, states[id(r)].get(peer, {})) for r, peer in ends]
            up = [e.get("bgpState") == "Established" for _unused, e in entries]
            ok = len(ends) == 2 and all(up)
            detail = "" if len(ends) == 2 else "one end only"
            if not ok and not detail:
                detail = "; ".join(
                    f"{r.gateway.cloud}: {frr.diagnosis(e)}"
                    for (r, e), u in zip(entries, up, strict=True)
                    if not u
                )
            results.append(Result(" <-> ".join(sorted(pair)), ok, detail))
        return results

    def pod_to_pod(self) -> list[Result]:
        """Every pod to every pod of another cluster: ICMP echo and a TCP echo."""
        results = []
        for source, target in itertools.permutations(self.pods, 2):
            if source.cluster == target.cluster:
                continue
            icmp, tcp = pods.ping(source, target), pods.connect(source, target)
            detail = f"icmp {'ok' if icmp else 'FAILED'}, tcp {'ok' if tcp else 'FAILED'}"
            results.append(Result(f"{source.ns} -> {target.ip}", icmp and tcp, detail))
        return results

    def path_mtus(self) -> list[PathMtu]:
        """From the first pod of each cluster to the first pod of every other one."""
        first = {p.cluster: p for p in reversed(self.pods)}
        results = []
        for source, target in itertools.permutations(first.values(), 2):
            path = ("get", target.ip, "from", source.ip, "iif", source.link)
            route = netns.ip("-j", "route", *path, ns=source.gateway_ns)
            device = json.loads(route)[0]["dev"]
            hops = [
                netns.mtu(source.ns, "eth0"),
                netns.mtu(source.gateway_ns, device),
                netns.mtu(target.gateway_ns, target.link),
                netns.mtu(target.ns, "eth0"),
            ]
            pod_mtu = hops[0]
            measured = pods.path_mtu(source, target, ceiling=pod_mtu)
            results.append(PathMtu(source.ns, target.ip, measured, min(hops), pod_mtu, tuple(hops)))
        return results

    def check(self, timeout: float = 90) -> Summary:
        """Poll until everything is up or ``timeout`` passes; the last poll is the answer."""
        deadline = time.monotonic() + timeout
        while True:
            summary = Summary(self.tunnels(), self.sessions())
            if summary.ok or time.monotonic() > deadline:
                break
            time.sleep(2)
        for index in range(len(self.gateways)):
            self._no_table_220(self.gateway_ns(index))
        while True:
            summary.pod_to_pod = self.pod_to_pod()
            if all(r.ok for r in summary.pod_to_pod) or time.monotonic() > deadline:
                break
            time.sleep(2)
        summary.mtus = self.path_mtus()
        return summary

    def teardown(self) -> None:
        netns.cleanup(self.prefix)
        for router in self.routers:
            target = self.workdir / router.ns / "frr"
            target.mkdir(parents=True, exist_ok=True)
            for path in router.directory.glob("*"):
                if path.suffix in (".conf", ".log", ".out"):
                    shutil.copy(path, target)
        shutil.rmtree(self.frr_dir, ignore_errors=True)
