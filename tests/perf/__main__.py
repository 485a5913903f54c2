"""``make bench``: the link workflow on the emulated clouds with the real clouds' waits, scaled.

For each mesh size (``--sizes``, default 2,4,6; a full mesh, providers alternating aws, gcp,
aws, ...) without DNS, and for ``--dns-sizes`` (default 2) with DNS on real control planes:

1. start the emulators (``tests.emulators.launcher.up``) with the waits of the latency model
   (tests/perf/model.py) scaled by ``--scale`` (default 0.1): AWS VPN connections ``pending``
   and ``deleting``, GCP operations per kind, the native CoreDNS reload interval; no fault;
2. seed one VPC per AWS cluster and one network per GCP cluster (tests/perf/mesh.py), write
   the inventory, and plan it (``plan_links``): a mesh the plan refuses is reported as not
   run, with the plan's error;
3. run ``link_clusters``, again (re-run), again with ``--check``, then ``unlink_clusters``,
   with Ansible's ``ansible.posix.json`` callback for the play and task times;
4. compute the critical path of the mesh from its dependency graph (tests/perf/graph.py) and
   the figures from the emulators' request log (tests/perf/report.py); write one JSON object
   per run to ``--json`` and, with ``--out``, the tables into docs/benchmarks.md.

Nothing is asserted: the targets are reported (tests/perf/results.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from tests.emulators import launcher
from tests.emulators._common import read_log
from tests.kube.seed import RELOAD_ENV
from tests.perf import graph, mesh, report, results
from tests.perf.model import Latencies

REPO = Path(__file__).resolve().parents[2]
# The transport each provider pair gets; checked against the plan whenever it plans the mesh
# (aws <-> aws is the VPC peering transport main is adding; the plan refuses it until then).
PAIR_TRANSPORTS = {
    ("aws", "gcp"): "aws_gcp_ha_vpn",
    ("gcp", "gcp"): "gcp_vpc_peering",
    ("aws", "aws"): "aws_vpc_peering",
}


class BenchError(Exception):
    """A playbook of the benchmark failed (the message says which)."""


def ansible(
    label: str, state: Path, inventory_path: Path, playbook: str, env: dict[str, str], *extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        *("-i", str(inventory_path), f"crosscluster.link.{playbook}", *extra),
    ]
    print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    (state / f"bench-{label}.json").write_text(done.stdout)
    (state / f"bench-{label}.stderr").write_text(done.stderr)
    return done, wall


def failure(done: subprocess.CompletedProcess[str]) -> str:
    """The first failed task's message of a run with the json callback (else stderr's end)."""
    try:
        message = report.first_failure(json.loads(done.stdout))
    except ValueError:
        message = None
    text = message or done.stderr.strip()[-500:] or f"ansible-playbook exited {done.returncode}"
    return " ".join(text.split())


def run_playbook(
    label: str,
    state: Path,
    inventory_path: Path,
    playbook: str,
    env: dict[str, str],
    injected: report.Injected,
    *extra: str,
) -> report.RunFigures:
    """Run one collection playbook and return its figures from the log it caused."""
    before = len(read_log(state))
    start = time.time()
    done, wall = ansible(label, state, inventory_path, playbook, env, *extra)
    if done.returncode != 0:
        print(f"  {label} failed: output in {state}/bench-{label}.json", file=sys.stderr)
        raise BenchError(f"{label}: {failure(done)}")
    plays, tasks = report.spans(json.loads(done.stdout))
    entries = read_log(state)[before:]
    print(f"  {label}: {wall:.1f} s, {len(entries)} calls", file=sys.stderr, flush=True)
    return report.summarize(label, entries, wall, injected, plays, tasks, start=start)


def full_mesh(specs: list[mesh.Spec]) -> list[graph.Link]:
    return [
        graph.Link(a.name, b.name, PAIR_TRANSPORTS[tuple(sorted((a.provider, b.provider)))])
        for i, a in enumerate(specs)
        for b in specs[i + 1 :]
    ]


def pairs(links: list[graph.Link]) -> set[tuple[frozenset[str], str]]:
    """The links as unordered pairs of clusters with their transports."""
    return {(frozenset((x.a, x.b)), x.transport) for x in links}


def planned_links(plan_file: Path) -> list[graph.Link]:
    plan = json.loads(plan_file.read_text())
    return [graph.Link(*link["clusters"], link["transport"]) for link in plan["links"]]


def run_mesh(size: int, dns: bool, lat: Latencies, root: Path) -> results.MeshResult:
    specs = mesh.specs(size)
    links = full_mesh(specs)
    clusters = [s.cluster() for s in specs]

    def outcome(links: list[graph.Link], status: str = "ok") -> results.MeshResult:
        seconds, chain = graph.critical_path(graph.link_waits(clusters, links, lat, dns))
        return results.MeshResult(size, len(links), dns, seconds, chain, status=status)

    state = root / f"mesh-{size}{'-dns' if dns else ''}"
    state.mkdir(parents=True, exist_ok=True)
    launcher.down(state)
    (state / "requests.jsonl").unlink(missing_ok=True)
    kube_file = None
    if dns:
        kube_file = state / "kube-clusters.json"
        kube_file.write_text(json.dumps(mesh.kube_clusters(specs), indent=2))
        os.environ[RELOAD_ENV] = lat.reload_interval()  # read by the clusters' seed
    label = f"{size} clusters{' with DNS' if dns else ''}"
    print(f"== {label}: starting the emulators in {state} ...", file=sys.stderr, flush=True)
    endpoints = launcher.up(
        state,
        only=("aws", "gcp", "kube") if dns else ("aws", "gcp"),
        aws_pending_seconds=lat.aws_pending,
        aws_deleting_seconds=lat.aws_deleting,
        gcp_operation_seconds=lat.gcp_other,
        gcp_operation_seconds_by_kind=lat.gcp_by_kind,
        kube_clusters=kube_file,
    )
    try:
        env = {
            **os.environ,
            **launcher.environment(state, endpoints),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        }
        networks = mesh.seed(specs, endpoints, env)
        plan_file = state / "plan.json"
        plan_file.unlink(missing_ok=True)
        data = mesh.inventory(specs, endpoints, networks, dns, plan_file, lat.kube_dns_window)
        inventory_path = state / "clusters.yml"
        inventory_path.write_text(yaml.safe_dump(data, sort_keys=False))
        done, _wall = ansible("plan", state, inventory_path, "plan_links", env)
        if done.returncode != 0:
            return outcome(links, f"not run: the plan refuses it: {failure(done)}")
        planned = planned_links(plan_file)
        if pairs(planned) != pairs(links):
            raise BenchError(f"the plan's links {planned} are not the full mesh {links}")
        result = outcome(planned)
        injected = report.Injected(
            aws_pending_seconds=lat.aws_pending,
            aws_deleting_seconds=lat.aws_deleting,
            gcp_operation_seconds=lat.gcp_other,
            gcp_operation_by_kind=lat.gcp_by_kind,
        )
        slug = f"{size}{'-dns' if dns else ''}"
        for kind, playbook, extra in (
            ("link", "link_clusters", ()),
            ("re-run", "link_clusters", ()),
            ("check", "link_clusters", ("--check",)),
            ("unlink", "unlink_clusters", ()),
        ):
            try:
                result.runs[kind] = run_playbook(
                    f"{kind}-{slug}", state, inventory_path, playbook, env, injected, *extra
                )
            except BenchError as exc:
                result.status = f"failed: {exc}"
                break
        return result
    finally:
        launcher.down(state)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf", description=__doc__.split("\n", maxsplit=1)[0]
    )

    def sizes(text: str) -> list[int]:
        return [int(n) for n in text.split(",") if n.strip()]

    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="also write the tables into this Markdown page")
    parser.add_argument(
        "--json", type=Path, help="write the runs here (default: docs/benchmarks/<date>.json)"
    )
    parser.add_argument("--scale", type=float, default=0.1, help="factor on every real wait")
    parser.add_argument("--sizes", type=sizes, default=[2, 4, 6], help="meshes without DNS")
    parser.add_argument("--dns-sizes", type=sizes, default=[2], help="meshes with DNS ('' none)")
    return parser.parse_args(argv)


BEGIN = "<!-- bench:begin (generated by python -m tests.perf --out) -->"
END = "<!-- bench:end -->"


def page(header: str, tables: str, previous: str = "") -> str:
    """The figures between BEGIN and END; what ``previous`` has outside them (the reading
    of the figures) is kept."""
    figures = f"{BEGIN}\n\n{header}\n\n{tables}\n{END}"
    if BEGIN in previous and END in previous:
        head, rest = previous.split(BEGIN, 1)
        return head + figures + rest.split(END, 1)[1]
    return "# Benchmark: the link workflow on the emulated clouds\n\n" + figures + "\n"


def header(lat: Latencies, now: datetime.datetime, json_path: Path, minutes: float) -> str:
    kinds = ", ".join(f"{k} {v:g}" for k, v in sorted(lat.gcp_by_kind.items()))
    where = json_path.relative_to(REPO) if json_path.is_relative_to(REPO) else json_path
    return (
        f"Measured {now:%Y-%m-%d %H:%M} UTC on {platform.machine()}, nproc "
        f"{len(os.sched_getaffinity(0))}, Python {platform.python_version()}, by `make bench` "
        f"in {minutes:.0f} min; every run in `{where}`.\n\n"
        f"Injected (scale {lat.scale:g}): AWS VPN connections `pending` {lat.aws_pending:g} s "
        f"and `deleting` {lat.aws_deleting:g} s; GCP operations (s): {kinds}, other kinds "
        f"{lat.gcp_other:g}; native CoreDNS `reload {lat.reload_interval()}`, GKE kube-dns "
        f"window {max(1, round(lat.kube_dns_window))} s. No fault, no per-request latency."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    lat = Latencies.scaled(args.scale)
    root: Path = args.state_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    json_path: Path = args.json or REPO / "docs" / "benchmarks" / f"{now:%Y-%m-%d}.json"
    started = time.monotonic()
    table: list[dict[str, Any]] = []
    # Smallest first (with DNS after the same size without): the big meshes last.
    meshes = sorted([(n, False) for n in args.sizes] + [(n, True) for n in args.dns_sizes])
    failed = False
    link_runs: list[report.RunFigures] = []
    text = ""
    for size, dns in meshes:
        try:
            result = run_mesh(size, dns, lat, root)
        except (BenchError, launcher.LauncherError) as exc:
            print(f"bench: {size} clusters: {exc}", file=sys.stderr)
            return 1
        failed |= result.status.startswith("failed")
        print(f"  -> {result.status}", file=sys.stderr, flush=True)
        table += results.rows(result, lat.scale, f"{now:%Y-%m-%d}")
        if "link" in result.runs:
            result.runs["link"].label = f"link, {size} clusters, DNS {'yes' if dns else 'no'}"
            link_runs.append(result.runs["link"])
        # Written after every mesh, so a long bench leaves what it measured so far.
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(table, indent=2) + "\n")
        minutes = (time.monotonic() - started) / 60
        text = results.markdown(table)
        if link_runs:
            text += "\n### Where the time goes (the link runs)\n\n" + report.markdown(link_runs)
        if args.out:
            previous = args.out.read_text() if args.out.exists() else ""
            args.out.write_text(page(header(lat, now, json_path, minutes), text, previous))
        print(f"wrote {json_path} ({minutes:.1f} min)", file=sys.stderr, flush=True)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
