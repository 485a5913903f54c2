"""The GCP side of every HA VPN tunnel, from the Compute Engine emulator: vpnTunnels (IKE
version, HA gateway interface, peer external gateway interface), vpnGateways (interface
IPs), externalVpnGateways (the peer's IP), routers (ASN, interfaces, BGP peers,
advertisements), subnetworks and networks (what a default advertisement carries).

The shared secret is write-only in the API (VpnTunnel.sharedSecret: GET answers a mask), so
it is read from the emulator's lab-only ``GET /_emulator/gcp/state`` (docs/emulators-gcp.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import requests

from tests.lab import proposals
from tests.lab.model import Gateway, Proposal, TunnelEnd

# Cloud VPN "Supported IKE ciphers" (IKEv2, phase 1 and phase 2), as far as strongSwan's
# openssl plugin here implements them: Cloud VPN offers all of them, the peer picks.
ENCRYPTION = ["aes128gcm16", "aes256gcm16", "aes128", "aes192", "aes256"]
INTEGRITY = ["sha256", "sha384", "sha512", "sha1"]
DH_GROUPS = [14, 15, 16, 18, 19, 20, 21, 5, 2, 22, 23, 24]
PROPOSAL = Proposal(
    ike=proposals.ike(ENCRYPTION, INTEGRITY, DH_GROUPS),
    esp=proposals.esp(ENCRYPTION, INTEGRITY, DH_GROUPS),
)
# RouterBgp.keepaliveInterval: "The default is 20" (seconds); hold time is 3 x keepalive.
KEEPALIVE = 20


class Api:
    """GET on the emulated Compute Engine API (v1), pages followed."""

    def __init__(self, endpoint: str, project: str, token: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.base = f"{self.endpoint}/compute/v1/projects/{project}"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, url: str) -> dict[str, Any]:
        response = self.session.get(url if "://" in url else f"{self.base}/{url}", timeout=30)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def items(self, path: str) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            page = self.get(path + (f"?pageToken={token}" if token else ""))
            yield from page.get("items", [])
            token = page.get("nextPageToken", "")
            if not token:
                return

    def secrets(self) -> dict[str, str]:
        """Lab-only: tunnel selfLink -> shared secret, from the emulator's internal state."""
        state = self.get(f"{self.endpoint}/_emulator/gcp/state")
        return {
            tunnel["selfLink"]: tunnel["_secret"]
            for key, collection in state.items()
            if key.endswith("/vpnTunnels")
            for tunnel in collection.values()
            if "_secret" in tunnel
        }


def subnet_ranges(api: Api, router: dict[str, Any]) -> list[str]:
    """What a default advertisement carries: the subnet ranges, primary and secondary, of
    the router's region, or of every region with GLOBAL dynamic routing (Cloud Router
    "Advertise custom address ranges", default advertisements)."""
    network = api.get(router["network"])
    routing_mode = network.get("routingConfig", {}).get("routingMode", "REGIONAL")
    region = router["region"].rsplit("/", 1)[-1]
    regions = [region]
    if routing_mode == "GLOBAL":
        regions = [r["name"] for r in api.items("regions")]
    ranges = []
    for name in regions:
        for subnet in api.items(f"regions/{name}/subnetworks"):
            if subnet.get("network") == router["network"]:
                ranges.append(subnet["ipCidrRange"])
                ranges += [r["ipCidrRange"] for r in subnet.get("secondaryIpRanges", [])]
    return ranges


def advertised(api: Api, router: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    """RouterBgpPeer.advertiseMode CUSTOM overrides the router's RouterBgp settings; CUSTOM
    advertises advertisedIpRanges, plus the subnets with advertisedGroups ALL_SUBNETS."""
    source = peer if peer.get("advertiseMode") == "CUSTOM" else router.get("bgp", {})
    if source.get("advertiseMode", "DEFAULT") != "CUSTOM":
        return subnet_ranges(api, router)
    ranges = (
        subnet_ranges(api, router) if "ALL_SUBNETS" in source.get("advertisedGroups", []) else []
    )
    ranges += [r["range"] for r in source.get("advertisedIpRanges", [])]
    return list(dict.fromkeys(ranges))


def tunnel_end(
    api: Api, tunnel: dict[str, Any], gateway: dict[str, Any], secret: str
) -> TunnelEnd | None:
    """One HA VPN tunnel end with its BGP session (the router interface whose
    linkedVpnTunnel is the tunnel, and the BGP peer on that interface); None for a tunnel
    to another GCP gateway (not an AWS peer)."""
    if not tunnel.get("peerExternalGateway"):
        return None
    interfaces = {i["id"]: i["ipAddress"] for i in gateway.get("vpnInterfaces", [])}
    peer_gateway = api.get(tunnel["peerExternalGateway"])
    peer_ips = {i.get("id", 0): i["ipAddress"] for i in peer_gateway.get("interfaces", [])}
    inside, peer_inside, peer_asn, ranges = "", "", 0, []
    router = api.get(tunnel["router"]) if tunnel.get("router") else {}
    iface = next(
        (i for i in router.get("interfaces", []) if i.get("linkedVpnTunnel") == tunnel["selfLink"]),
        None,
    )
    peer = next(
        (
            p
            for p in router.get("bgpPeers", [])
            if iface
            and p.get("interfaceName") == iface["name"]
            and p.get("enable", "TRUE") == "TRUE"
        ),
        None,
    )
    if iface and iface.get("ipRange") and peer:
        net = ipaddress.ip_interface(iface["ipRange"]).network
        local = peer.get("ipAddress") or str(ipaddress.ip_interface(iface["ipRange"]).ip)
        inside = f"{local}/{net.prefixlen}"
        peer_inside, peer_asn = peer["peerIpAddress"], int(peer["peerAsn"])
        ranges = advertised(api, router, peer)
    return TunnelEnd(
        name=tunnel["name"],
        public_ip=interfaces[tunnel.get("vpnGatewayInterface", 0)],
        peer_public_ip=peer_ips[tunnel.get("peerExternalGatewayInterface", 0)],
        psk=secret,
        # VpnTunnel.ikeVersion: "Acceptable IKE versions are 1 or 2. The default version is 2."
        ike_version=int(tunnel.get("ikeVersion", 2)),
        proposal=PROPOSAL,
        inside=inside,
        peer_inside_ip=peer_inside,
        peer_asn=peer_asn,
        initiate=True,  # Cloud VPN starts the negotiation itself
        advertised=tuple(ranges),
        router=router.get("name", "") if peer else "",
        bgp_peer=peer["name"] if peer else "",
    )


def gateways(api: Api, region: str) -> list[Gateway]:
    """Every HA VPN gateway of ``region`` with tunnels to external (AWS) gateways."""
    secrets = api.secrets()
    found: dict[str, Gateway] = {}
    for tunnel in api.items(f"regions/{region}/vpnTunnels"):
        if not tunnel.get("vpnGateway"):
            continue  # Classic VPN
        gateway = api.get(tunnel["vpnGateway"])
        end = tunnel_end(api, tunnel, gateway, secrets.get(tunnel["selfLink"], ""))
        if end is None:
            continue
        router = api.get(tunnel["router"]) if tunnel.get("router") else {}
        bgp = router.get("bgp", {})
        entry = found.setdefault(
            gateway["selfLink"],
            Gateway(
                cloud="gcp",
                name=gateway["name"],
                network=gateway["network"],
                asn=int(bgp.get("asn", 0)),
                # Cloud Router spreads traffic over equal routes (ECMP) from its peers.
                ecmp=True,
                keepalive=int(bgp.get("keepaliveInterval", KEEPALIVE)),
                public_ips=[i["ipAddress"] for i in gateway.get("vpnInterfaces", [])],
            ),
        )
        entry.tunnels.append(end)
    return list(found.values())
