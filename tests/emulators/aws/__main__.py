"""``python -m tests.emulators.aws --port P --state-dir DIR [--faults FILE]
[--pending-seconds S] [--deleting-seconds S] [--modifying-seconds S]
[--shuffle-tunnel-options SEED] [--notfound-seconds S] [--peering-seconds S] [--region R]``:
serve the AWS emulator on 127.0.0.1:P."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.emulators._common import Faults, Instrumented, RequestLog, load_fault_rules, serve
from tests.emulators.aws.app import AwsEmulator, Front, classify, render_fault


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.aws")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--faults", help='JSON file {"rules": [...]} (_common.FaultRule)')
    parser.add_argument(
        "--pending-seconds", type=float, default=0.0, help="new VPN connections stay pending"
    )
    parser.add_argument(
        "--deleting-seconds",
        type=float,
        default=0.0,
        help="deleted VPN connections stay deleting (their gateways in use) that long",
    )
    parser.add_argument(
        "--modifying-seconds",
        type=float,
        default=0.0,
        help="a VPN connection stays modifying after ModifyVpnTunnelOptions that long",
    )
    parser.add_argument(
        "--shuffle-tunnel-options",
        type=int,
        metavar="SEED",
        help="report Options.TunnelOptions in a shuffled order (seeded)",
    )
    parser.add_argument(
        "--notfound-seconds",
        type=float,
        default=0.0,
        help="a new customer gateway, VPN gateway or VPN connection is not found by id that long",
    )
    parser.add_argument(
        "--peering-seconds",
        type=float,
        default=0.0,
        help="VPC and TGW peerings stay initiating / provisioning (pending) / deleting that long",
    )
    parser.add_argument("--region", default="eu-west-1")
    args = parser.parse_args(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    faults = Faults()
    faults.replace(load_fault_rules(args.faults))
    app = AwsEmulator(
        region=args.region,
        pending_seconds=args.pending_seconds,
        deleting_seconds=args.deleting_seconds,
        modifying_seconds=args.modifying_seconds,
        shuffle_seed=args.shuffle_tunnel_options,
        notfound_seconds=args.notfound_seconds,
        peering_seconds=args.peering_seconds,
    )
    wrapped = Instrumented(
        app,
        service="aws",
        log=RequestLog(args.state_dir, "aws"),
        faults=faults,
        classify=classify,
        render_fault=render_fault,
    )
    serve(Front(app, wrapped), args.port)


if __name__ == "__main__":
    main()
