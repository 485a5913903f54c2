"""``python -m tests.emulators up|down|status --state-dir DIR``: see launcher.py."""

from __future__ import annotations

import argparse
import sys

from tests.emulators import launcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status"):
        command = sub.add_parser(name)
        command.add_argument("--state-dir", required=True)
        if name == "up":
            command.add_argument("--faults", help='JSON file {"rules": [...]} for every emulator')
            command.add_argument("--aws-pending-seconds", type=float, default=0.0)
            command.add_argument("--aws-deleting-seconds", type=float, default=0.0)
            command.add_argument("--aws-modifying-seconds", type=float, default=0.0)
            command.add_argument("--aws-shuffle-tunnel-options", type=int, metavar="SEED")
            command.add_argument("--aws-notfound-seconds", type=float, default=0.0)
            command.add_argument("--aws-peering-seconds", type=float, default=0.0)
            command.add_argument("--gcp-operation-seconds", type=float)
            command.add_argument("--kube-clusters", help="JSON list of {name, flavour, ...}")
            command.add_argument(
                "--only", help=f"comma-separated subset of {','.join(launcher.EMULATORS)}"
            )
            command.add_argument("--timeout", type=float, default=launcher.START_TIMEOUT)
    args = parser.parse_args(argv)
    if args.command == "up":
        try:
            endpoints = launcher.up(
                args.state_dir,
                only=args.only.split(",") if args.only else None,
                faults=args.faults,
                aws_pending_seconds=args.aws_pending_seconds,
                aws_deleting_seconds=args.aws_deleting_seconds,
                aws_modifying_seconds=args.aws_modifying_seconds,
                aws_shuffle_tunnel_options=args.aws_shuffle_tunnel_options,
                aws_notfound_seconds=args.aws_notfound_seconds,
                aws_peering_seconds=args.aws_peering_seconds,
                gcp_operation_seconds=args.gcp_operation_seconds,
                kube_clusters=args.kube_clusters,
                timeout=args.timeout,
            )
        except launcher.LauncherError as exc:
            print(f"emulators: {exc}", file=sys.stderr)
            return 1
        names = [n for n in endpoints if n != "kube"] + [
            f"kube:{c}" for c in endpoints.get("kube", {})
        ]
        print(f"emulators up: {', '.join(names)}; source {args.state_dir}/env.sh")
        return 0
    if args.command == "down":
        stopped = launcher.down(args.state_dir)
        print(f"emulators down: {', '.join(stopped) or 'nothing was running'}")
        return 0
    rows = launcher.status(args.state_dir)
    for row in rows:
        state = "alive" if row["alive"] else "dead"
        print(f"{row['name']:<20} {row['pid']:>8} {state:<6} {row['endpoint']}")
    if not rows:
        print("no emulators started from this state directory")
    return 0 if rows and all(r["alive"] for r in rows) else 3


if __name__ == "__main__":
    sys.exit(main())
