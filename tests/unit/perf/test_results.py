"""The benchmark's JSON rows, targets and summary (tests/perf/results.py)."""

from __future__ import annotations

import pytest

from tests.perf import results
from tests.perf.report import RunFigures

REQUIRED = {
    "clusters",
    "links",
    "critical_path_s",
    "critical_path_ratio",
    "calls_per_link",
    "rerun_mutating_calls",
}


def figures(label: str, wall: float, calls: int, mutating: int) -> RunFigures:
    return RunFigures(
        label=label,
        wall=wall,
        calls=calls,
        mutating=mutating,
        reads=calls - mutating,
        per_service={"aws": (mutating, calls - mutating)},
        top_operations=[],
        polling=0,
        top_polling=[],
        injected_latency=0.0,
        injected_operations=0.0,
    )


def mesh(clusters: int, links: int, link_calls: int, rerun_mutating: int = 0) -> results.MeshResult:
    return results.MeshResult(
        clusters=clusters,
        links=links,
        dns=False,
        critical_path_s=40.0,
        critical_chain=["a", "b"],
        runs={
            "link": figures("link", 46.0, link_calls, 20),
            "re-run": figures("re-run", 20.0, 30, rerun_mutating),
            "check": figures("check", 21.0, 30, 0),
            "unlink": figures("unlink", 30.0, 70, 20),
        },
    )


def test_one_row_per_run_with_the_required_keys() -> None:
    table = results.rows(mesh(2, 1, 80), scale=0.1, date="2026-12-07")
    assert [r["run"] for r in table] == list(results.RUNS)
    assert all(r.keys() >= REQUIRED for r in table)
    link, rerun, _check, unlink = table
    assert link["critical_path_ratio"] == pytest.approx(46.0 / 40.0, abs=1e-3)
    assert rerun["critical_path_ratio"] is None  # the ratio is the link run's
    assert [r["calls_per_link"] for r in table] == [80.0, 30.0, 30.0, 70.0]
    assert {r["rerun_mutating_calls"] for r in table} == {0}
    assert link["per_service"] == {"aws": {"mutating": 20, "read": 60}}
    assert unlink["wall_s"] == 30.0 and unlink["status"] == "ok"


def test_a_mesh_not_run_has_the_keys_and_says_why() -> None:
    refused = results.MeshResult(4, 6, False, 33.0, ["x"], status="not run: the plan refuses it")
    table = results.rows(refused, scale=0.1, date="d")
    assert len(table) == 4
    for row in table:
        assert row.keys() >= REQUIRED
        assert row["status"] == "not run: the plan refuses it"
        assert row["critical_path_s"] == 33.0
        assert row["critical_path_ratio"] is row["calls_per_link"] is row["wall_s"] is None
    text = results.markdown(table)
    assert text.count("not run: the plan refuses it") == 1  # one line for the mesh
    assert "| rerun_mutating_calls = 0 | 4 | no | - | not measured |" in text


def test_a_failed_run_keeps_the_runs_before_it() -> None:
    result = mesh(2, 1, 80)
    del result.runs["check"], result.runs["unlink"]
    result.status = "failed: check-2: boom"
    table = results.rows(result, scale=0.1, date="d")
    failed = "failed: check-2: boom"
    assert [r["status"] for r in table] == ["ok", "ok", failed, failed]
    assert table[2]["wall_s"] is None
    assert table[2]["rerun_mutating_calls"] == 0


def test_targets_are_reported_met_or_missed() -> None:
    table = [
        *results.rows(mesh(2, 1, 80), 0.1, "d"),  # ratio 1.15: met
        *results.rows(mesh(6, 15, 15 * 90, rerun_mutating=2), 0.1, "d"),  # +12.5 %: missed
    ]
    verdicts = {(v.target, v.clusters): v for v in results.targets(table)}
    assert verdicts["critical_path_ratio <= 1.15", 2].met is True
    assert verdicts["critical_path_ratio <= 1.3", 6].met is True
    assert verdicts["rerun_mutating_calls = 0", 6].met is False
    spread = verdicts["calls_per_link within 10% of 2 clusters'", 6]
    assert (spread.measured, spread.met) == ("90.0 (+12%)", False)
    assert "| critical_path_ratio <= 1.15 | 2 | no | 1.15 | met |" in results.markdown(table)
