"""The clouds' waits the benchmark injects: real-world values, scaled by one factor.

Each wait is a typical real duration in seconds with the page it comes from (the sources and
how firm each figure is are in docs/benchmarks.md, "Latency model"). ``Latencies.scaled``
multiplies every one by the same factor (``--scale``, default 1/10) and gives the emulators'
start options; nothing else is injected (no fault rules, no per-request latency).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# AWS Site-to-Site VPN: a new connection is ``pending`` for minutes before ``available`` (the
# EC2 waiter vpn-connection-available polls 15 s x 40, so up to 10 min), a deleted one stays
# ``deleting`` (its customer and VPN gateways in use) before ``deleted``.
AWS_VPN_PENDING = 300.0
AWS_VPN_DELETING = 120.0

# Compute Engine operations, per "<collection>.<operationType>" (the GCP emulator's
# operation_seconds_by_kind keys): HA VPN gateways and tunnels take longest, global
# resources (firewall rules, external VPN gateways) and router patches less. Peering
# operations include the exchange of subnet routes. Any other kind: GCP_OTHER.
GCP_OPERATIONS: dict[str, float] = {
    "vpnGateways.insert": 30.0,
    "vpnGateways.delete": 30.0,
    "vpnTunnels.insert": 20.0,
    "vpnTunnels.delete": 20.0,
    "routers.insert": 10.0,
    "routers.patch": 10.0,
    "routers.delete": 10.0,
    "externalVpnGateways.insert": 10.0,
    "externalVpnGateways.delete": 10.0,
    "firewalls.insert": 10.0,
    "firewalls.patch": 10.0,
    "firewalls.delete": 10.0,
    "networks.addPeering": 30.0,
    "networks.removePeering": 30.0,
}
GCP_OTHER = 10.0

# DNS: CoreDNS's reload plugin checks the Corefile every 30 s (+- 15 s jitter), so a native
# DNS change waits up to one interval; GKE's kube-dns reads a changed ConfigMap when the
# kubelet syncs the volume, which k8s_dns_config waits out as a window (its default 90 s).
COREDNS_RELOAD = 30.0
KUBE_DNS_WINDOW = 90.0
# The reload plugin's minimum interval (coredns.io/plugins/reload).
COREDNS_RELOAD_MIN = 2.0


@dataclass(frozen=True)
class Latencies:
    """The waits of one benchmark, in seconds (already scaled)."""

    scale: float
    aws_pending: float
    aws_deleting: float
    gcp_other: float
    gcp_by_kind: dict[str, float] = field(default_factory=dict)
    coredns_reload: float = 0.0
    kube_dns_window: float = 0.0

    @classmethod
    def scaled(cls, scale: float) -> Latencies:
        if scale <= 0:
            raise ValueError(f"the scale must be > 0, not {scale}")
        return cls(
            scale=scale,
            aws_pending=AWS_VPN_PENDING * scale,
            aws_deleting=AWS_VPN_DELETING * scale,
            gcp_other=GCP_OTHER * scale,
            gcp_by_kind={kind: seconds * scale for kind, seconds in GCP_OPERATIONS.items()},
            coredns_reload=max(COREDNS_RELOAD * scale, COREDNS_RELOAD_MIN),
            kube_dns_window=KUBE_DNS_WINDOW * scale,
        )

    def gcp(self, kind: str) -> float:
        """Seconds of a GCP operation, ``kind`` as ``<collection>.<operationType>``."""
        return self.gcp_by_kind.get(kind, self.gcp_other)

    def reload_interval(self) -> str:
        """The native Corefiles' ``reload`` interval (XCL_KUBE_DNS_RELOAD, tests/kube/seed.py)."""
        return f"{self.coredns_reload:g}s"
