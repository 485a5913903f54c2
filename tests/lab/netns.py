"""Network namespaces, veths and the "internet" bridge, with iproute2 (ip-netns(8),
ip-link(8)). Every name starts with the lab's prefix, so cleanup finds exactly what a run
(or an interrupted earlier one) made, and nothing else."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence


class LabError(Exception):
    """The lab could not be built (the message says what failed)."""


def run(*args: str, ns: str | None = None, check: bool = True, timeout: float = 30) -> str:
    """Run a command (in namespace ``ns``) and return its stdout."""
    command = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(command)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def ip(*args: str, ns: str | None = None, check: bool = True) -> str:
    return run("ip", *(("-n", ns) if ns else ()), *args, check=check)


def mtu(ns: str, device: str) -> int:
    """The MTU of ``device`` in ``ns`` (ip-link(8))."""
    return int(json.loads(ip("-j", "link", "show", "dev", device, ns=ns))[0]["mtu"])


def namespaces(prefix: str) -> list[str]:
    out = run("ip", "netns", "list")
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def add(ns: str, sysctls: Sequence[str] = ()) -> None:
    """A namespace with lo up, forwarding on and reverse-path filtering off (packets come
    back out of another tunnel than they left by: ECMP, failover)."""
    ip("netns", "add", ns)
    ip("link", "set", "lo", "up", ns=ns)
    for setting in (
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        *sysctls,
    ):
        run("sysctl", "-qw", setting, ns=ns)


def veth(ns_a: str, name_a: str, ns_b: str, name_b: str) -> None:
    """A veth pair with one end in each namespace, both up (nothing in the root namespace)."""
    ip("link", "add", name_a, "netns", ns_a, "type", "veth", "peer", "name", name_b, "netns", ns_b)
    ip("link", "set", name_a, "up", ns=ns_a)
    ip("link", "set", name_b, "up", ns=ns_b)


def bridge(ns: str, name: str) -> None:
    ip("link", "add", name, "type", "bridge", ns=ns)
    ip("link", "set", name, "up", ns=ns)


def kill_all(ns: str, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL, every process in ``ns``: only the lab's own daemons run there."""
    pids = [int(p) for p in run("ip", "netns", "pids", ns, check=False).split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if os.path.exists(f"/proc/{p}")]
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def cleanup(prefix: str) -> list[str]:
    """Stop every process in the prefix's namespaces and delete them (their veths and the
    bridge go with them). Idempotent; returns the namespaces removed."""
    found = namespaces(prefix)
    for ns in found:
        kill_all(ns)
    for ns in found:
        ip("netns", "del", ns, check=False)
    return found
