"""FRR zebra + bgpd per gateway namespace, each with its own zserv socket, vty directory
and pid files (zebra(8)/bgpd(8) ``-z``, ``--vty_socket``, ``-i``; REFERENCE "Tooling
offline"). zebra installs what bgpd picks into the namespace's kernel table."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.lab.model import Gateway
from tests.lab.netns import LabError, run

FRR = Path("/usr/lib/frr")
# The BGP finite state machine's states (RFC 4271 section 8.2.2), as bgpd names them.
BGP_STATES = ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established")


@dataclass
class Frr:
    gateway: Gateway
    ns: str
    directory: Path
    router_id: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def bgpd_conf(frr: Frr) -> str:
    """bgpd configuration (FRR user guide, "BGP"). eBGP to each tunnel's peer; each session
    advertises what that side of the cloud would (``network`` plus an outbound prefix-list
    per neighbour: a Cloud Router peer can override the router's advertisements).

    - ``no bgp ebgp-requires-policy``: FRR 8 sends nothing on eBGP without a policy;
    - ``no bgp network import-check``: advertise the cloud's ranges without a kernel route
      for them (the clouds advertise VPC / subnet ranges they do not route through here);
    - ``maximum-paths``: 1 for a VGW (no ECMP), 8 (equal paths) for a Cloud Router or TGW;
    - ``timers connect 5``: a lab artefact, so a session retries soon after its tunnel is up
      (FRR's default connect-retry is 120 s).
    """
    gw = frr.gateway
    keepalive = gw.keepalive
    lines = [
        f"hostname {frr.ns}",
        f"router bgp {gw.asn}",
        f" bgp router-id {frr.router_id}",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
    ]
    sessions = [t for t in gw.tunnels if t.inside and t.peer_inside_ip]
    for tunnel in sessions:
        peer = tunnel.peer_inside_ip
        lines += [
            f" neighbor {peer} remote-as {tunnel.peer_asn}",
            f" neighbor {peer} description {tunnel.name}",
            f" neighbor {peer} update-source {tunnel.inside_ip}",
            f" neighbor {peer} timers {keepalive} {3 * keepalive}",
            f" neighbor {peer} timers connect 5",
        ]
    lines.append(" address-family ipv4 unicast")
    lines += [f"  network {prefix}" for prefix in gw.advertised]
    lines.append(f"  maximum-paths {8 if gw.ecmp else 1}")
    for index, tunnel in enumerate(sessions):
        lines.append(f"  neighbor {tunnel.peer_inside_ip} prefix-list out{index} out")
    lines.append(" exit-address-family")
    for index, tunnel in enumerate(sessions):
        lines += [
            f"ip prefix-list out{index} seq {5 * (n + 1)} permit {p}"
            for n, p in enumerate(tunnel.advertised)
        ]
        lines.append(f"ip prefix-list out{index} seq 10000 deny any")
    return "\n".join(lines) + "\n"


def _daemon(frr: Frr, name: str, *extra: str) -> subprocess.Popen[bytes]:
    d = frr.directory
    return subprocess.Popen(
        [
            *("ip", "netns", "exec", frr.ns, str(FRR / name)),
            *("-z", f"{d}/zserv.api", "--vty_socket", str(d), "-i", f"{d}/{name}.pid"),
            *("-f", f"{d}/{name}.conf", "-P", "0", "--log", f"file:{d}/{name}.log", *extra),
        ],
        stdin=subprocess.DEVNULL,
        stdout=(d / f"{name}.out").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start(frr: Frr, timeout: float = 20) -> None:
    """zebra first (bgpd connects to its zserv socket), then bgpd. The daemons drop to the
    ``frr`` user, so their directory is writable by it."""
    d = frr.directory
    d.mkdir(parents=True, exist_ok=True)
    for path in (d.parent, d):
        path.chmod(0o777)
    (d / "zebra.conf").write_text(f"hostname {frr.ns}\n")
    (d / "bgpd.conf").write_text(bgpd_conf(frr))
    frr.processes.append(_daemon(frr, "zebra"))
    _wait(d / "zserv.api", frr, timeout)
    frr.processes.append(_daemon(frr, "bgpd"))
    _wait(d / "bgpd.vty", frr, timeout)


def _wait(path: Path, frr: Frr, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        if any(p.poll() is not None for p in frr.processes):
            break
        time.sleep(0.1)
    raise LabError(f"FRR in {frr.ns} did not start ({path.name}); see {frr.directory}")


def vtysh(frr: Frr, command: str) -> Any:
    out = run("vtysh", "--vty_socket", str(frr.directory), "-c", command, check=False)
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return {}


def neighbours(frr: Frr) -> dict[str, dict[str, Any]]:
    """neighbour IP -> its entry of ``show bgp neighbors json`` (bgpState,
    lastNotificationReason, ...)."""
    result: dict[str, dict[str, Any]] = vtysh(frr, "show bgp neighbors json")
    return result


def diagnosis(entry: dict[str, Any]) -> str:
    """Why a session is not Established, from its ``show bgp neighbors json`` entry: the last
    NOTIFICATION (e.g. "OPEN Message Error/Bad Peer AS": ASN mismatch), else its state
    (Active/Connect: no TCP session, the tunnel is down or an inside address differs)."""
    if not entry:
        return "not configured"
    reason = entry.get("lastNotificationReason", "")
    if "Bad Peer AS" in reason:
        return f"ASN mismatch ({reason})"
    if reason:
        return reason
    state = entry.get("bgpState", "unknown")
    return f"{state}: no BGP connection (tunnel down or inside address mismatch)"
