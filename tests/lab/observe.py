"""Feed what the lab's daemons see back into the emulated clouds, so that the clouds' own
status APIs (and so ``verify_link``) report the real tunnel and BGP state (docs/lab.md,
"What is fed back"):

- strongSwan (``swanctl --list-sas --raw`` of each tunnel end's charon): IKE SA and CHILD_SA
  state; the charon log's likely cause of a tunnel that is down (``swan.diagnosis``);
- FRR (``vtysh -c 'show bgp neighbors json'`` and ``'show bgp ipv4 unicast json'`` of each
  gateway's bgpd): each session's state and the prefixes it accepted from its peer.

The AWS ends go to ``PUT /_emulator/aws/observed`` (VgwTelemetry), the GCP ends to
``PUT /_emulator/gcp/observed`` (vpnTunnels status, getRouterStatus). The parsing and the
mapping to each cloud's documented values are pure functions (tests/unit/test_lab_observe.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.lab import frr, swan
from tests.lab.lab import Lab
from tests.lab.model import TunnelEnd

# ----- parsing -------------------------------------------------------------------------

# vici's raw message format as swanctl prints it: "name {" opens a section, "}" closes it,
# key=value or key=[list] are values (swanctl(8) --raw).
_TOKEN = re.compile(r"\{|\}|[^\s{}=]+=\[[^\]]*\]|[^\s{}=]+=[^\s{}]*|[^\s{}]+")


@dataclass(frozen=True)
class IkeSa:
    state: str  # IKE SA state, e.g. ESTABLISHED, CONNECTING
    children: tuple[str, ...]  # the CHILD_SAs' states, e.g. INSTALLED


def parse_sas(raw: str) -> list[IkeSa]:
    """The IKE SAs of ``swanctl --list-sas --raw``: each ``list-sa event`` holds IKE SA
    sections (depth 2) whose ``child-sas`` section holds the CHILD_SAs (depth 4)."""
    sas: list[IkeSa] = []
    path: list[str] = []
    last_word = ""
    ike_state, children = "", []
    for token in _TOKEN.findall(raw):
        if token == "{":
            path.append(last_word)
        elif token == "}":
            if len(path) == 2:  # an IKE SA section ends
                sas.append(IkeSa(ike_state, tuple(children)))
                ike_state, children = "", []
            if path:
                path.pop()
        elif token.startswith("state="):
            value = token.split("=", 1)[1]
            if len(path) == 2:
                ike_state = value
            elif len(path) == 4 and path[2] == "child-sas":
                children.append(value)
        elif "=" not in token:
            last_word = token
    return sas


def ipsec_up(sas: list[IkeSa]) -> bool:
    """An IKE SA ESTABLISHED with a CHILD_SA INSTALLED: ESP can flow."""
    return any(sa.state == "ESTABLISHED" and "INSTALLED" in sa.children for sa in sas)


def accepted_prefixes(table: dict[str, Any], peer: str) -> list[str]:
    """The prefixes of ``show bgp ipv4 unicast json`` with a valid path learned from ``peer``
    (its ``peerId``): what this bgpd accepted on that session."""
    routes = table.get("routes") or {}
    return sorted(
        prefix
        for prefix, paths in routes.items()
        if any(p.get("peerId") == peer and p.get("valid") for p in paths)
    )


# ----- the clouds' documented values --------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What the lab saw of one tunnel end: its IPsec state, the charon log's likely cause
    when down, its bgpd's neighbour entry and the prefixes accepted from the peer."""

    ipsec_up: bool
    diagnosis: str
    neighbour: dict[str, Any]
    accepted: tuple[str, ...]

    @property
    def bgp_state(self) -> str:
        return str(self.neighbour.get("bgpState", "Idle"))

    @property
    def bgp_up(self) -> bool:
        return self.ipsec_up and self.bgp_state == "Established"


def aws_telemetry(seen: Seen) -> dict[str, Any]:
    """VgwTelemetry of an AWS tunnel with dynamic routing (API_VgwTelemetry: Status UP | DOWN,
    StatusMessage "if an error occurs, a description of the error", AcceptedRouteCount "the
    number of accepted routes"). A BGP VPN's tunnel is up only when its BGP session is
    (CloudWatch "Site-to-Site VPN tunnel metrics", TunnelState: "For BGP VPNs, 1 indicates
    ESTABLISHED and 0 is used for all other states"); the message says which half is down."""
    if not seen.ipsec_up:
        return {"Status": "DOWN", "StatusMessage": "IPSEC IS DOWN", "AcceptedRouteCount": 0}
    if not seen.bgp_up:
        return {"Status": "DOWN", "StatusMessage": "IPSEC IS UP", "AcceptedRouteCount": 0}
    count = len(seen.accepted)
    return {"Status": "UP", "StatusMessage": f"{count} BGP ROUTES", "AcceptedRouteCount": count}


# charon's likely cause (swan.CAUSES) -> VpnTunnel.status (Compute Engine API reference,
# VpnTunnel): "AUTHORIZATION_ERROR: Auth error (for example, bad shared secret)",
# "NEGOTIATION_FAILURE: Handshake failed", "NO_INCOMING_PACKETS: No incoming packets from peer".
GCP_TUNNEL_STATUS = (
    ("pre-shared key mismatch", "AUTHORIZATION_ERROR"),
    ("proposal mismatch", "NEGOTIATION_FAILURE"),
    ("the peer has no tunnel", "NEGOTIATION_FAILURE"),
    ("no answer from the peer", "NO_INCOMING_PACKETS"),
)


def gcp_tunnel(seen: Seen) -> dict[str, str]:
    """vpnTunnels status and detailedStatus of a GCP tunnel end."""
    if seen.ipsec_up:
        return {"status": "ESTABLISHED", "detailedStatus": "Tunnel is up and running."}
    status = next(
        (s for marker, s in GCP_TUNNEL_STATUS if seen.diagnosis.startswith(marker)),
        "NO_INCOMING_PACKETS",  # nothing in the log: no answer seen at all
    )
    detail = seen.diagnosis or "no IKE answer from the peer"
    return {"status": status, "detailedStatus": f"{detail} (observed by the lab)"}


def gcp_peer(seen: Seen) -> dict[str, Any]:
    """One bgpPeerStatus of routers.getRouterStatus: status UP | DOWN, state the BGP FSM state
    bgpd reports (the RFC 4271 names Cloud Router uses too), numLearnedRoutes and the learned
    prefixes (bestRoutes with this peer as next hop)."""
    up = seen.bgp_up
    return {
        "status": "UP" if up else "DOWN",
        "state": seen.bgp_state if seen.bgp_state in frr.BGP_STATES else "Idle",
        "numLearnedRoutes": len(seen.accepted) if up else 0,
        "learnedRoutes": list(seen.accepted) if up else [],
    }


def aws_entry(end: TunnelEnd, seen: Seen) -> dict[str, Any]:
    connection_id, outside = end.name.rsplit(":", 1)  # aws.tunnel_end names it so
    return {"VpnConnectionId": connection_id, "OutsideIpAddress": outside} | aws_telemetry(seen)


# ----- reading the daemons, writing the emulators ----------------------------------------------


def observe(lab: Lab) -> Iterator[tuple[str, TunnelEnd, Seen]]:
    """(cloud, tunnel end, what its charon and bgpd say) for every tunnel end of the lab."""
    tables = {id(r): frr.vtysh(r, "show bgp ipv4 unicast json") or {} for r in lab.routers}
    neighbours = {id(r): frr.neighbours(r) for r in lab.routers}
    router_of = {end: r for r in lab.routers for end in r.gateway.tunnels}
    for charon in lab.charons:
        router = router_of[charon.end]
        peer = charon.end.peer_inside_ip
        raw = swan.swanctl(charon, "--list-sas", "--raw", check=False)
        seen = Seen(
            ipsec_up=ipsec_up(parse_sas(raw)),
            diagnosis=swan.diagnosis(charon),
            neighbour=neighbours[id(router)].get(peer, {}) if peer else {},
            accepted=tuple(accepted_prefixes(tables[id(router)], peer)) if peer else (),
        )
        yield router.gateway.cloud, charon.end, seen


def bodies(
    observed: list[tuple[str, TunnelEnd, Seen]], project: str, region: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The AWS and the GCP emulator's ``observed`` request bodies."""
    aws = {"tunnels": [aws_entry(end, seen) for cloud, end, seen in observed if cloud == "aws"]}
    scope = {"project": project, "region": region}
    gcp: dict[str, list[dict[str, Any]]] = {"tunnels": [], "bgpPeers": []}
    for cloud, end, seen in observed:
        if cloud != "gcp":
            continue
        gcp["tunnels"].append(scope | {"tunnel": end.name} | gcp_tunnel(seen))
        if end.router and end.bgp_peer:
            peer = {"router": end.router, "peer": end.bgp_peer}
            gcp["bgpPeers"].append(scope | peer | gcp_peer(seen))
    return aws, gcp


def _urls(state_dir: Path) -> tuple[str, str, dict[str, Any]]:
    endpoints = json.loads((state_dir / "endpoints.json").read_text())
    gcp = endpoints["gcp"]
    return (
        endpoints["aws"]["endpoint_url"] + "/_emulator/aws/observed",
        gcp["api_endpoint"].rstrip("/") + "/_emulator/gcp/observed",
        gcp,
    )


def _send(method: str, url: str, body: dict[str, Any] | None = None) -> None:
    session = requests.Session()
    session.trust_env = False  # loopback only, never a proxy
    response = session.request(method, url, json=body, timeout=30)
    if not response.ok:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")


def feed(lab: Lab, state_dir: Path) -> list[tuple[str, TunnelEnd, Seen]]:
    """Read every tunnel end and send what it says to its cloud's emulator."""
    aws_url, gcp_url, gcp = _urls(state_dir)
    observed = list(observe(lab))
    aws, gcp_body = bodies(observed, gcp["project"], gcp["region"])
    _send("PUT", aws_url, aws)
    _send("PUT", gcp_url, gcp_body)
    return observed


def forget(state_dir: Path) -> None:
    """Back to the emulators' derived status (the lab is gone)."""
    aws_url, gcp_url, _unused = _urls(state_dir)
    _send("DELETE", aws_url)
    _send("DELETE", gcp_url)
