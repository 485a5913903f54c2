"""Failover: cut the internet path of the tunnel that carries a pod pair's traffic, time
until the traffic flows again and BGP routes around it, restore the path, time until the
tunnel and its session are back.

The cut drops the tunnel's outside packets in both gateway namespaces: as when the path
between the clouds fails, the charons notice by DPD and the bgpd by their hold timer (AWS:
30 s), so the times are those detection times, not the lab's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.lab import frr, netns, pods, swan
from tests.lab.lab import Lab


@dataclass
class Failover:
    tunnel: str
    traffic_back: float | None = None  # seconds after the cut until both pings pass
    rerouted: float | None = None  # ... until no gateway routes the pods into the cut tunnel
    tunnel_down: float | None = None  # ... until a charon gave the tunnel up (DPD)
    tunnel_back: float | None = None  # seconds after the restore until the tunnel is up
    session_back: float | None = None  # ... until its BGP session is Established again

    @property
    def ok(self) -> bool:
        times = (self.traffic_back, self.rerouted, self.tunnel_down)
        return None not in (*times, self.tunnel_back, self.session_back)

    def line(self) -> str:
        def s(value: float | None) -> str:
            return "never" if value is None else f"{value:.1f}s"

        return (
            f"failover {self.tunnel}: traffic back after {s(self.traffic_back)}, "
            f"rerouted after {s(self.rerouted)}, tunnel down after {s(self.tunnel_down)}; "
            f"restored: tunnel up after {s(self.tunnel_back)}, BGP after {s(self.session_back)}"
        )


def _device(ns: str, destination: str) -> str:
    route = json.loads(netns.ip("-j", "route", "get", destination, ns=ns))
    return str(route[0].get("dev", "")) if route else ""


def _first_times(
    conditions: dict[str, Callable[[], bool]], since: float, timeout: float
) -> dict[str, float | None]:
    """Seconds from ``since`` until each condition first held (None: not within timeout)."""
    times: dict[str, float | None] = dict.fromkeys(conditions)
    while time.monotonic() - since < timeout and None in times.values():
        for name, condition in conditions.items():
            if times[name] is None and condition():
                times[name] = time.monotonic() - since
        time.sleep(0.5)
    return times


def _path(ns: str, local: str, remote: str, action: str) -> None:
    """Drop (or let through again) this side's packets of one tunnel: ip-rule(8) ``from
    LOCAL to REMOTE blackhole`` (only this pair: the other tunnel of an HA interface goes on)."""
    rule = ("from", f"{local}/32", "to", f"{remote}/32", "blackhole", "pref", "100")
    netns.ip("rule", action, *rule, ns=ns)


def run(lab: Lab, timeout: float = 120, on_step: Callable[[str], None] | None = None) -> Failover:
    """Cut the tunnel the first AWS pod's traffic to a remote pod takes, then restore it.
    ``on_step`` is called with "cut" (the path still cut, once the steps after the cut were
    timed) and "restored" (once the tunnel and its session were timed back), e.g. to feed
    the state into the emulators (observe.feed)."""
    step = on_step or (lambda _name: None)
    source = next(p for p in lab.pods if p.gateway_ns.startswith(f"{lab.prefix}aws"))
    target = next(p for p in lab.pods if p.cluster != source.cluster)
    device = _device(source.gateway_ns, target.ip)
    aws_end = next(c for c in lab.charons if c.ns == source.gateway_ns and c.tun == device)
    pair = {aws_end.end.public_ip, aws_end.end.peer_public_ip}
    ends = [c for c in lab.charons if {c.end.public_ip, c.end.peer_public_ip} == pair]
    result = Failover(" <-> ".join(c.end.name for c in ends))
    tuns = {(c.ns, c.tun) for c in ends}
    sessions = [(r, c.end.peer_inside_ip) for c in ends for r in lab.routers if r.ns == c.ns]

    def rerouted() -> bool:
        return (source.gateway_ns, _device(source.gateway_ns, target.ip)) not in tuns and (
            target.gateway_ns,
            _device(target.gateway_ns, source.ip),
        ) not in tuns

    for charon in ends:
        _path(charon.ns, charon.end.public_ip, charon.end.peer_public_ip, "add")
    cut = time.monotonic()
    times = _first_times(
        {
            "rerouted": rerouted,
            "traffic": lambda: (
                rerouted() and pods.ping(source, target) and pods.ping(target, source)
            ),
            "down": lambda: not all(swan.established(c) for c in ends),
        },
        cut,
        timeout,
    )
    result.rerouted, result.traffic_back = times["rerouted"], times["traffic"]
    result.tunnel_down = times["down"]
    step("cut")
    for charon in ends:
        _path(charon.ns, charon.end.public_ip, charon.end.peer_public_ip, "del")
    restored = time.monotonic()
    times = _first_times(
        {
            "tunnel": lambda: len(ends) == 2 and all(swan.established(c) for c in ends),
            "session": lambda: all(
                frr.neighbours(r).get(peer, {}).get("bgpState") == "Established"
                for r, peer in sessions
            ),
        },
        restored,
        timeout,
    )
    result.tunnel_back, result.session_back = times["tunnel"], times["session"]
    step("restored")
    return result
