"""The critical path of linking a mesh: the longest chain of dependent injected waits.

The graph is of *true* dependencies (what a resource needs before the cloud accepts it, or what
the clouds serialize), not of the workflow's plays: a play is a barrier only Ansible needs.
Nodes are the injected waits (model.py); a node starts when every node it needs is done, and
nodes with nothing between them run side by side. ``critical_path`` is the longest path, so it
is the wall time of an ideal workflow that pays only the clouds' waits. docs/benchmarks.md
("Critical path") draws the graph per transport.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tests.perf.model import Latencies


@dataclass(frozen=True)
class Wait:
    """One injected wait: ``name`` unique, ``needs`` the names of the waits it starts after."""

    name: str
    seconds: float
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cluster:
    name: str
    provider: str  # aws | gcp


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    transport: str  # aws_gcp_ha_vpn | gcp_vpc_peering | aws_vpc_peering

    @property
    def id(self) -> str:
        return f"{self.a}--{self.b}"


def critical_path(waits: Iterable[Wait]) -> tuple[float, list[str]]:
    """(seconds, names) of the longest chain of ``waits`` by their ``needs``; (0, []) for none.
    A need that is not a wait, or a cycle, is a ValueError (the graph is wrong)."""
    nodes = {w.name: w for w in waits}
    finish: dict[str, tuple[float, list[str]]] = {}
    visiting: set[str] = set()

    def done(name: str) -> tuple[float, list[str]]:
        if name in finish:
            return finish[name]
        if name not in nodes:
            raise ValueError(f"unknown wait {name!r}")
        if name in visiting:
            raise ValueError(f"cycle through {name!r}")
        visiting.add(name)
        start, chain = max((done(n) for n in nodes[name].needs), default=(0.0, []))
        visiting.discard(name)
        finish[name] = (start + nodes[name].seconds, [*chain, name])
        return finish[name]

    return max((done(n) for n in sorted(nodes)), default=(0.0, []))


def link_waits(
    clusters: Sequence[Cluster], links: Sequence[Link], lat: Latencies, dns: bool
) -> list[Wait]:
    """The waits of linking ``links`` (a link's ``a``/``b`` name ``clusters``) from nothing."""
    provider = {c.name: c.provider for c in clusters}
    waits: list[Wait] = []
    tunnels: dict[str, list[str]] = {}  # GCP cluster -> its tunnel waits (router patch needs)
    last_peering_op: dict[str, str] = {}  # GCP network (cluster) -> its latest peering wait
    for link in links:
        if link.transport == "aws_gcp_ha_vpn":
            gcp = link.b if provider[link.a] == "aws" else link.a
            gateway = f"{gcp}: vpnGateways.insert"
            # The customer gateways are at the HA VPN interface IPs; CreateVpnConnection
            # answers the outside IPs at once, then the connection is pending.
            pending = f"{link.id}: aws vpn connection pending"
            waits.append(Wait(pending, lat.aws_pending, (gateway,)))
            external = f"{link.id}: externalVpnGateways.insert"
            waits.append(Wait(external, lat.gcp("externalVpnGateways.insert"), (gateway,)))
            tunnel = f"{link.id}: vpnTunnels.insert"  # the link's 4 tunnels, side by side
            needs = (external, f"{gcp}: routers.insert")
            waits.append(Wait(tunnel, lat.gcp("vpnTunnels.insert"), needs))
            tunnels.setdefault(gcp, []).append(tunnel)
            waits.append(Wait(f"{link.id}: firewalls.insert", lat.gcp("firewalls.insert")))
        elif link.transport == "gcp_vpc_peering":
            # "only one peering operation at a time across peered networks": each side's
            # addPeering after the latest peering operation on either network, in plan order.
            for side in (link.a, link.b):
                needs = tuple(
                    sorted({last_peering_op[n] for n in (link.a, link.b) if n in last_peering_op})
                )
                name = f"{link.id}: networks.addPeering on {side}"
                waits.append(Wait(name, lat.gcp("networks.addPeering"), needs))
                last_peering_op[link.a] = last_peering_op[link.b] = name
                firewall = f"{link.id}: firewalls.insert on {side}"
                waits.append(Wait(firewall, lat.gcp("firewalls.insert")))
        elif link.transport == "aws_vpc_peering":
            # Request, accept, active: the AWS emulator models no wait for it.
            waits.append(Wait(f"{link.id}: aws vpc peering", 0.0))
        else:
            raise ValueError(f"no waits modelled for transport {link.transport!r}")
    for gcp in sorted(tunnels):
        waits.append(Wait(f"{gcp}: vpnGateways.insert", lat.gcp("vpnGateways.insert")))
        # Cloud Router created with its custom advertisement (it needs nothing of the links).
        waits.append(Wait(f"{gcp}: routers.insert", lat.gcp("routers.insert")))
        # Patches of one router are serial (fingerprint): one patch with every interface and
        # BGP peer, after every tunnel it names.
        waits.append(Wait(f"{gcp}: routers.patch", lat.gcp("routers.patch"), tuple(tunnels[gcp])))
    if dns:
        # Each cluster's native DNS forwards the remote zones: one reload (CoreDNS) or the
        # kube-dns window (GKE). It needs nothing of the clouds' networks.
        linked = {n for link in links for n in (link.a, link.b)}
        for cluster in clusters:
            if cluster.name in linked:
                seconds = lat.kube_dns_window if cluster.provider == "gcp" else lat.coredns_reload
                waits.append(Wait(f"{cluster.name}: native DNS reload", seconds))
    return waits
