"""``python -m tests.lab --state-dir DIR [--link]``: the datapath lab (docs/lab.md).

Reads every VPN endpoint from the running, linked emulators of DIR, realises it with
strongSwan and FRR in network namespaces, puts pods behind each cluster's gateway, prints

    N/M tunnels established
    N/M BGP sessions established
    N/M pod-to-pod
    N/M resolve-and-connect

and removes everything it started; exits 1 when any N < M. With ``--link`` it first starts
and links the emulators as the demo does (``tests/lab/emulated.py``: without the DNS phase)
and stops them at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from tests.lab import dns, observe, sources
from tests.lab.failover import run as run_failover
from tests.lab.lab import Lab, Summary
from tests.lab.netns import LabError

DEFAULT_PREFIX = "xcl-lab-"


def _interrupt(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks, which clean up


def report(lab: Lab, summary: Summary) -> None:
    for title, results in (
        ("tunnel", summary.tunnels),
        ("bgp", summary.sessions),
        ("pod", summary.pod_to_pod),
        ("dns", summary.resolved or []),
    ):
        for result in results:
            mark = "ok  " if result.ok else "FAIL"
            print(
                f"  {mark} {title:<6} {result.name}"
                + (f" ({result.detail})" if result.detail else "")
            )
    for mtu in summary.mtus:
        print(mtu.line())
    for line in summary.lines():
        print(line)


def run_lab(
    state_dir: Path, prefix: str, pods: int, timeout: float, failover: bool = False
) -> Summary:
    gateways = sources.gateways(state_dir)
    specs = sources.pod_specs(state_dir)
    for gateway in gateways:
        advertised = ", ".join(gateway.advertised) or "nothing"
        print(
            f"lab: {gateway.cloud} {gateway.name}: ASN {gateway.asn}, "
            f"{len(gateway.tunnels)} tunnels, advertises {advertised}"
        )
    lab = Lab(prefix, state_dir / "lab", gateways, specs, pods_per_cluster=pods)
    discovery = dns.Discovery(lab, dns.clusters(state_dir))
    try:
        started = time.monotonic()
        lab.build()
        print(f"lab: built in {time.monotonic() - started:.0f}s; waiting for tunnels and BGP")
        summary = lab.check(timeout=timeout)
        print("lab: resolve-and-connect: publishing each cluster's lab pods as a headless Service")
        for note in discovery.start():
            print(f"lab: not checked: {note}")
        summary.resolved = discovery.check(timeout=timeout)
        report(lab, summary)
        feed(lab, state_dir, "after the checks")
        if failover and summary.ok:
            print("lab: failover: cutting the tunnel that carries the first pod pair")
            result = run_failover(lab, on_step=lambda step: feed(lab, state_dir, step))
            print(result.line())
            summary.failover_ok = result.ok
        return summary
    finally:
        try:
            discovery.stop()
        except (OSError, RuntimeError) as exc:  # the emulators are gone
            print(f"lab: could not delete the published lab Services: {exc}")
        lab.teardown()
        try:
            observe.forget(state_dir)
        except (OSError, RuntimeError) as exc:  # the emulators are gone: nothing to forget
            print(f"lab: could not reset the emulators' observed state: {exc}")
        print(f"lab: removed the {prefix}* namespaces and their processes")


def feed(lab: Lab, state_dir: Path, when: str) -> None:
    """Write the tunnels' and sessions' real state into the emulators (observe.py)."""
    observed = observe.feed(lab, state_dir)
    up = sum(seen.bgp_up for _cloud, _end, seen in observed)
    print(f"lab: fed {len(observed)} tunnel ends into the emulators ({when}): {up} with BGP up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.lab", description=__doc__.split("\n", maxsplit=1)[0]
    )
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--link", action="store_true", help="start and link the emulators first")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="namespace name prefix")
    parser.add_argument("--pods", type=int, default=1, help="pods per cluster")
    parser.add_argument("--timeout", type=float, default=90, help="seconds to wait for tunnels")
    parser.add_argument(
        "--failover", action="store_true", help="then cut one tunnel, time the failover, restore"
    )
    parser.add_argument(
        "--no-onprem",
        dest="onprem",
        action="store_false",
        help="with --link: link the two clouds only (by default the on-prem cluster too, its "
        "gateway built from the files the onprem_vpn role rendered)",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("lab: needs root (network namespaces)", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    state_dir: Path = args.state_dir.resolve()
    from tests.emulators import launcher

    try:
        if args.link:
            from tests.lab.emulated import link

            rc = link(state_dir, onprem=args.onprem)
            if rc != 0:
                print(f"lab: link_clusters failed against the emulators (rc {rc})", file=sys.stderr)
                return rc
        summary = run_lab(state_dir, args.prefix, args.pods, args.timeout, args.failover)
        return 0 if summary.ok else 1
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.link:
            launcher.down(state_dir)


if __name__ == "__main__":
    sys.exit(main())
