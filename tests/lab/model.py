"""What the lab realises: VPN gateways and their tunnel ends, as each cloud's state says.

Plain values, filled by ``aws.py`` and ``gcp.py`` from one emulator each, never from the
plan or the inventory.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Proposal:
    """One IKE or ESP proposal set in strongSwan's syntax (``aes256-sha256-modp2048``),
    several alternatives separated by commas."""

    ike: str
    esp: str


@dataclass(frozen=True)
class TunnelEnd:
    """One side of one IPsec tunnel and the BGP session carried in it."""

    name: str  # the cloud's own name for it (e.g. vpn-0123:198.51.100.1, a tunnel name)
    public_ip: str  # this side's outside address
    peer_public_ip: str  # the address this side expects the peer at
    psk: str
    ike_version: int  # 0 = IKEv1 or IKEv2 (strongSwan swanctl.conf ``version``)
    proposal: Proposal
    inside: str  # this side's inside address with prefix, e.g. 169.254.10.1/30
    peer_inside_ip: str  # the BGP neighbour
    peer_asn: int
    initiate: bool  # start the IKE SA (else only respond)
    # Prefixes this side advertises on this session (a Cloud Router peer can override the
    # router's advertisements).
    advertised: tuple[str, ...] = ()
    # swanctl.conf dpd_action when the peer stops answering: restart (negotiate again) or
    # clear (close and wait for the peer).
    dpd_action: str = "restart"
    # GCP: the Cloud Router and the BGP peer of this tunnel's session, by name (to feed the
    # observed state back, tests/lab/observe.py); "" on AWS or without a session.
    router: str = ""
    bgp_peer: str = ""

    @property
    def inside_ip(self) -> str:
        return str(ipaddress.ip_interface(self.inside).ip)


@dataclass
class Gateway:
    """One cloud VPN gateway (VGW, TGW, HA VPN gateway + Cloud Router)."""

    cloud: str  # aws | gcp
    name: str  # its id or name
    network: str  # VPC id / network self link, to place the cluster's pods behind it
    asn: int
    ecmp: bool  # Cloud Router and an ECMP TGW spread over equal paths; a VGW uses one
    keepalive: int  # BGP keepalive seconds; hold time is three times it
    public_ips: list[str] = field(default_factory=list)
    tunnels: list[TunnelEnd] = field(default_factory=list)
    # AWS: the destinations the VPC route table of the pods sends to this gateway or keeps
    # local ("0.0.0.0/0" when it propagates the gateway's BGP routes); None: the network
    # uses what its router learned as it is (GCP: dynamic routes of the Cloud Router).
    vpc_routes: tuple[str, ...] | None = None
    # The MTU its own configuration gives the tunnel interfaces (on-prem: the role's XFRM
    # unit); None: the cloud's documented one (lab.TUNNEL_MTU).
    tunnel_mtu: int | None = None

    @property
    def advertised(self) -> list[str]:
        return list(dict.fromkeys(p for t in self.tunnels for p in t.advertised))
