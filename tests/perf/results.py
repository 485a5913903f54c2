"""The benchmark's results: one JSON object per run, the targets, and the Markdown summary.

Pure functions over report.RunFigures (unit tested in tests/unit/perf/test_results.py). The
keys the issue fixes (``clusters``, ``links``, ``critical_path_s``, ``critical_path_ratio``,
``calls_per_link``, ``rerun_mutating_calls``) are in every object; a mesh that was not run
has them too, ``null`` where there is no measure, and says why in ``status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.perf.report import RunFigures

# The runs of each mesh, in order: link, link again, link in check mode, unlink.
RUNS = ("link", "re-run", "check", "unlink")
RATIO_TARGETS = {2: 1.15, 6: 1.3}  # critical_path_ratio at most, by clusters
CALLS_PER_LINK_SPREAD = 0.10  # calls_per_link within 10 % of the 2-cluster mesh's


@dataclass
class MeshResult:
    """What one mesh gave: its critical path, and the runs it got through (or why not)."""

    clusters: int
    links: int
    dns: bool
    critical_path_s: float
    critical_chain: list[str]
    runs: dict[str, RunFigures] = field(default_factory=dict)
    status: str = "ok"  # or "not run: <why>" / "failed: <why>"


def _ratio(value: float, base: float) -> float | None:
    return round(value / base, 3) if base else None


def rows(result: MeshResult, scale: float, date: str) -> list[dict[str, Any]]:
    """One object per run of ``RUNS`` (a run not made: ``status`` says why, figures null)."""
    link = result.runs.get("link")
    rerun = result.runs.get("re-run")
    out = []
    for kind in RUNS:
        run = result.runs.get(kind)
        status = "ok" if run else (result.status if result.status != "ok" else "not run")
        row: dict[str, Any] = {
            "clusters": result.clusters,
            "links": result.links,
            "critical_path_s": round(result.critical_path_s, 2),
            "critical_path_ratio": (
                _ratio(link.wall, result.critical_path_s) if kind == "link" and link else None
            ),
            "calls_per_link": round(run.calls / result.links, 2) if run else None,
            "rerun_mutating_calls": rerun.mutating if rerun else None,
            "run": kind,
            "dns": result.dns,
            "status": status,
            "date": date,
            "scale": scale,
            "wall_s": round(run.wall, 1) if run else None,
            "calls": run.calls if run else None,
            "mutating": run.mutating if run else None,
            "reads": run.reads if run else None,
            "per_service": (
                {s: {"mutating": m, "read": r} for s, (m, r) in run.per_service.items()}
                if run
                else None
            ),
            "injected_op_waits_s": round(run.injected_operations, 1) if run else None,
            "milestones": run.milestones if run else None,
            "critical_chain": result.critical_chain,
        }
        if run and kind == "link":
            row["plays"] = [
                {"name": p.name, "s": round(p.seconds, 1), "calls": p.calls, "mutating": p.mutating}
                for p in run.phases
            ]
        out.append(row)
    return out


@dataclass(frozen=True)
class Verdict:
    target: str
    clusters: int
    dns: bool
    measured: str
    met: bool | None  # None: nothing measured


def _link_row(table: Sequence[dict[str, Any]], clusters: int, dns: bool) -> dict[str, Any] | None:
    for row in table:
        if (row["clusters"], row["dns"], row["run"]) == (clusters, dns, "link"):
            return row
    return None


def targets(table: Sequence[dict[str, Any]]) -> list[Verdict]:
    """The issue's targets against the rows: reported, never asserted."""
    verdicts = []
    for row in (r for r in table if r["run"] == "link"):
        n, dns = row["clusters"], row["dns"]
        bound = RATIO_TARGETS.get(n)
        ratio = row["critical_path_ratio"]
        if bound is not None:
            verdicts.append(
                Verdict(
                    f"critical_path_ratio <= {bound}",
                    n,
                    dns,
                    "-" if ratio is None else f"{ratio:.2f}",
                    None if ratio is None else ratio <= bound,
                )
            )
        rerun = row["rerun_mutating_calls"]
        verdicts.append(
            Verdict(
                "rerun_mutating_calls = 0",
                n,
                dns,
                "-" if rerun is None else str(rerun),
                None if rerun is None else rerun == 0,
            )
        )
        base = _link_row(table, 2, dns)
        cpl, base_cpl = row["calls_per_link"], base["calls_per_link"] if base else None
        if n != 2:
            spread = None if cpl is None or not base_cpl else cpl / base_cpl - 1
            verdicts.append(
                Verdict(
                    f"calls_per_link within {CALLS_PER_LINK_SPREAD:.0%} of 2 clusters'",
                    n,
                    dns,
                    "-" if spread is None else f"{cpl:.1f} ({spread:+.0%})",
                    None if spread is None else abs(spread) <= CALLS_PER_LINK_SPREAD,
                )
            )
    return verdicts


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _run(row: dict[str, Any]) -> str:
    return "all" if row["status"].startswith("not run") else row["run"]


def _status(row: dict[str, Any]) -> str:
    return " ".join(row["status"].split()).replace("|", "/")


def _marks(row: dict[str, Any], *names: str) -> str:
    marks = row.get("milestones") or {}
    return " / ".join(_num(marks.get(n)) for n in names) if marks else "-"


def markdown(table: Sequence[dict[str, Any]]) -> str:
    """The summary table of every run and the targets' table."""
    lines = [
        "| clusters | links | DNS | run | status | wall s | calls | mutating | calls/link "
        "| critical path s | wall / critical path | first / last mutating s | last VPN created s |",
        "|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        if row["status"].startswith("not run") and row["run"] != RUNS[0]:
            continue  # a mesh that was not run: one line
        lines.append(
            f"| {row['clusters']} | {row['links']} | {'yes' if row['dns'] else 'no'} "
            f"| {_run(row)} | {_status(row)} | {_num(row['wall_s'])} "
            f"| {_num(row['calls'])} | {_num(row['mutating'])} | {_num(row['calls_per_link'])} "
            f"| {_num(row['critical_path_s'])} | {_num(row['critical_path_ratio'], 2)} "
            f"| {_marks(row, 'first_mutating_s', 'last_mutating_s')} "
            f"| {_marks(row, 'last_vpn_connection_created_s')} |"
        )
    lines += ["", "| target (reported, not asserted) | clusters | DNS | measured | |"]
    lines.append("|---|---:|---|---:|---|")
    for v in targets(table):
        verdict = {True: "met", False: "**missed**", None: "not measured"}[v.met]
        lines.append(
            f"| {v.target} | {v.clusters} | {'yes' if v.dns else 'no'} | {v.measured} | {verdict} |"
        )
    return "\n".join(lines) + "\n"
