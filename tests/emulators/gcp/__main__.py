"""``python -m tests.emulators.gcp --port P --state-dir DIR [--faults FILE] ...``"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.emulators import _common
from tests.emulators.gcp.app import THROTTLE_REASONS, build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulators.gcp", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--faults", help="JSON file {'rules': [...]} (tests.emulators._common)")
    parser.add_argument("--project", default="demo-project", help="default project of --seed")
    parser.add_argument("--region", default="europe-west1", help="default region of --seed")
    parser.add_argument(
        "--operation-seconds",
        type=float,
        default=0.0,
        help="time an operation takes from PENDING to DONE (default 0: done at once)",
    )
    parser.add_argument(
        "--operation-seconds-by-kind",
        type=json.loads,
        default={},
        metavar="JSON",
        help='per kind, e.g. {"vpnTunnels.insert": 2, "routers": 1} (others: --operation-seconds)',
    )
    parser.add_argument("--seed", help="JSON file of networks/subnetworks to pre-create")
    parser.add_argument(
        "--wait-cap", type=float, default=10.0, help="longest operations.wait, seconds"
    )
    parser.add_argument(
        "--throttle-reason",
        choices=sorted(THROTTLE_REASONS),
        default="rateLimitExceeded",
        help="reason of the 403 a throttle fault answers (default rateLimitExceeded)",
    )
    args = parser.parse_args(argv)
    Path(args.state_dir).mkdir(parents=True, exist_ok=True)
    app = build(
        port=args.port,
        state_dir=args.state_dir,
        faults=_common.load_fault_rules(args.faults),
        project=args.project,
        region=args.region,
        operation_seconds=args.operation_seconds,
        operation_seconds_by_kind=args.operation_seconds_by_kind,
        seed_data=json.loads(Path(args.seed).read_text()) if args.seed else None,
        wait_cap=args.wait_cap,
        throttle_reason=args.throttle_reason,
    )
    _common.serve(app, args.port)


if __name__ == "__main__":
    main()
