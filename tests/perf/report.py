"""The benchmark's figures, computed from the emulators' request log (no timing of its own).

Every function here is pure: it takes log entries (``tests.emulators._common.read_log``), the
injected waits and the times Ansible reported, and returns numbers, so the math is unit
tested on a synthetic log (tests/unit/perf/test_report.py).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.emulators._common import FaultRule

Entry = dict[str, Any]


@dataclass(frozen=True)
class Injected:
    """What the emulators were told to add to every call and to every long-running operation."""

    rules: tuple[FaultRule, ...] = ()
    aws_pending_seconds: float = 0.0
    gcp_operation_seconds: float = 0.0
    aws_deleting_seconds: float = 0.0
    # "<collection>.<operationType>" or "<collection>" -> seconds (Compute.duration_of)
    gcp_operation_by_kind: dict[str, float] = field(default_factory=dict)

    def gcp_seconds(self, operation: str) -> float:
        """Seconds the GCP emulator's Operation of a logged call (``compute.routers.patch``)
        takes to DONE."""
        kind = operation.removeprefix("compute.")
        for key in (kind, kind.split(".", 1)[0]):
            if key in self.gcp_operation_by_kind:
                return self.gcp_operation_by_kind[key]
        return self.gcp_operation_seconds


@dataclass(frozen=True)
class Span:
    """A named stretch of a playbook run (a play, or a task on one host), in epoch seconds."""

    name: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class PhaseFigures:
    name: str
    seconds: float
    calls: int
    mutating: int
    latency: float  # injected per-request latency the phase's calls carried


@dataclass
class RunFigures:
    label: str
    wall: float
    calls: int
    mutating: int
    reads: int
    per_service: dict[str, tuple[int, int]]  # service -> (mutating, read)
    top_operations: list[tuple[str, int]]
    polling: int
    top_polling: list[tuple[str, int]]
    injected_latency: float
    injected_operations: float  # AWS pending seconds + GCP operation seconds, summed
    phases: list[PhaseFigures] = field(default_factory=list)
    slowest_tasks: list[Span] = field(default_factory=list)
    milestones: dict[str, float] = field(default_factory=dict)  # name -> s from the start

    @property
    def serial_waits(self) -> float:
        return self.injected_latency + self.injected_operations

    @property
    def wall_per_serial_wait(self) -> float | None:
        """Below 1: the injected waits overlapped (something else ran while one was pending)."""
        return ratio(self.wall, self.serial_waits)

    @property
    def reads_per_mutation(self) -> float | None:
        return ratio(self.reads, self.mutating)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def ok(entry: Entry) -> bool:
    return 200 <= int(entry["status"]) < 300


def operation_key(entry: Entry) -> str:
    return f"{entry['service']} {entry['operation']}"


def call_latency(entry: Entry, rules: Iterable[FaultRule]) -> float:
    """Seconds the emulator slept before answering: the largest ``latency_ms`` of the rules
    matching the call (tests.emulators._common.Faults.decide)."""
    delays = [r.latency_ms for r in rules if r.matches(entry["service"], entry["operation"])]
    return max(delays, default=0) / 1000.0


def operation_waits(entries: Iterable[Entry], injected: Injected) -> float:
    """Serial sum of the long-running waits the calls started: every accepted
    CreateVpnConnection is ``pending`` for ``aws_pending_seconds``, every accepted
    DeleteVpnConnection ``deleting`` for ``aws_deleting_seconds``, and every accepted GCP
    mutation returns an Operation that takes its kind's seconds to reach DONE."""
    total = 0.0
    for entry in entries:
        if not ok(entry):
            continue
        if entry["service"] == "aws" and entry["operation"] == "CreateVpnConnection":
            total += injected.aws_pending_seconds
        elif entry["service"] == "aws" and entry["operation"] == "DeleteVpnConnection":
            total += injected.aws_deleting_seconds
        elif entry["service"] == "gcp" and entry["mutating"]:
            total += injected.gcp_seconds(entry["operation"])
    return total


def polling(entries: Iterable[Entry]) -> Counter[str]:
    """Reads repeated on the same resource: every read after the first with the same service,
    method, path and operation, per operation. AWS's Query API names the resource in the
    request body, which the log does not keep, so there a repeated Describe operation counts
    as polling whichever resource it read."""
    seen: set[tuple[str, str, str, str]] = set()
    repeats: Counter[str] = Counter()
    for entry in entries:
        if entry["mutating"]:
            continue
        key = (entry["service"], entry["method"], entry["path"], entry["operation"])
        if key in seen:
            repeats[operation_key(entry)] += 1
        seen.add(key)
    return repeats


def milestones(entries: Sequence[Entry], start: float) -> dict[str, float]:
    """Seconds from ``start`` (epoch) to the first and the last mutating call, and to the
    last accepted CreateVpnConnection: from then on the run can end no sooner than the
    ``pending`` wait (the long wait of the critical path)."""
    mutating = [e["time"] - start for e in entries if e["mutating"]]
    created = [
        e["time"] - start
        for e in entries
        if e["service"] == "aws" and e["operation"] == "CreateVpnConnection" and ok(e)
    ]
    marks = {}
    if mutating:
        marks["first_mutating_s"] = round(min(mutating), 1)
        marks["last_mutating_s"] = round(max(mutating), 1)
    if created:
        marks["last_vpn_connection_created_s"] = round(max(created), 1)
    return marks


def in_span(entries: Iterable[Entry], span: Span) -> list[Entry]:
    return [e for e in entries if span.start <= e["time"] < span.end]


def summarize(
    label: str,
    entries: Sequence[Entry],
    wall: float,
    injected: Injected,
    phases: Sequence[Span] = (),
    tasks: Sequence[Span] = (),
    top: int = 10,
    start: float | None = None,
) -> RunFigures:
    """The figures of one playbook run from the log entries it caused."""
    per_service: dict[str, tuple[int, int]] = {}
    for entry in entries:
        mutating, reads = per_service.get(entry["service"], (0, 0))
        per_service[entry["service"]] = (
            (mutating + 1, reads) if entry["mutating"] else (mutating, reads + 1)
        )
    mutating = sum(1 for e in entries if e["mutating"])
    repeats = polling(entries)
    phase_rows = []
    for span in phases:
        inside = in_span(entries, span)
        phase_rows.append(
            PhaseFigures(
                span.name,
                span.seconds,
                len(inside),
                sum(1 for e in inside if e["mutating"]),
                sum(call_latency(e, injected.rules) for e in inside),
            )
        )
    return RunFigures(
        label=label,
        wall=wall,
        calls=len(entries),
        mutating=mutating,
        reads=len(entries) - mutating,
        per_service=dict(sorted(per_service.items())),
        top_operations=Counter(operation_key(e) for e in entries).most_common(top),
        polling=sum(repeats.values()),
        top_polling=repeats.most_common(5),
        injected_latency=sum(call_latency(e, injected.rules) for e in entries),
        injected_operations=operation_waits(entries, injected),
        phases=phase_rows,
        slowest_tasks=sorted(tasks, key=lambda s: s.seconds, reverse=True)[:8],
        milestones={} if start is None else milestones(entries, start),
    )


# ----- Ansible's own timings (the ansible.posix.json stdout callback) -----------------------


def _epoch(stamp: str) -> float:
    """The callback's ``datetime.utcnow().isoformat() + 'Z'`` as epoch seconds."""
    parsed = datetime.datetime.fromisoformat(stamp.rstrip("Z"))
    return parsed.replace(tzinfo=datetime.UTC).timestamp()


def spans(result: dict[str, Any]) -> tuple[list[Span], list[Span]]:
    """(plays, tasks) of an ``ansible.posix.json`` result. A play lasts from its start to the
    next play's start (the last one to its last task result); a task is one host's run of it."""
    plays: list[Span] = []
    tasks: list[Span] = []
    raw = result.get("plays", [])
    for index, play in enumerate(raw):
        duration = play["play"]["duration"]
        start = _epoch(duration["start"])
        if index + 1 < len(raw):
            end = _epoch(raw[index + 1]["play"]["duration"]["start"])
        else:
            end = _epoch(duration.get("end", duration["start"]))
        plays.append(Span(play["play"]["name"], start, end))
        for task in play.get("tasks", []):
            timing = task["task"]["duration"]
            if "end" not in timing:
                continue
            hosts = ",".join(sorted(task.get("hosts", {}))) or "-"
            tasks.append(
                Span(
                    f"{task['task']['name']} [{hosts}]",
                    _epoch(timing["start"]),
                    _epoch(timing["end"]),
                )
            )
    return plays, tasks


# ----- Markdown -----------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(runs: Sequence[RunFigures], baseline: RunFigures | None = None) -> str:
    """Tables of the runs' figures; ``baseline`` is the first run an idempotent re-run is
    compared with (the re-run must be in ``runs`` and labelled ``... (re-run)``)."""
    lines = [
        "| run | wall s | calls | mutating | reads | reads/mutation | polling | "
        "injected latency s | injected op waits s | wall / serial waits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.label} | {run.wall:.1f} | {run.calls} | {run.mutating} | {run.reads} | "
            f"{_num(run.reads_per_mutation, 1)} | {run.polling} | {run.injected_latency:.1f} | "
            f"{run.injected_operations:.1f} | {_num(run.wall_per_serial_wait)} |"
        )
    if baseline is not None:
        for run in runs:
            if run is baseline or "re-run" not in run.label:
                continue
            lines += [
                "",
                f"Idempotent re-run vs first run: calls {run.calls}/{baseline.calls} = "
                f"{_num(ratio(run.calls, baseline.calls))}, mutating {run.mutating}, "
                f"wall {run.wall:.1f}/{baseline.wall:.1f} s = "
                f"{_num(ratio(run.wall, baseline.wall))}.",
            ]
    for run in runs:
        lines += ["", f"### {run.label}", "", "| service | mutating | read |", "|---|---:|---:|"]
        lines += [f"| {s} | {m} | {r} |" for s, (m, r) in run.per_service.items()]
        if run.phases:
            lines += [
                "",
                "| play | s | calls | mutating | injected latency s |",
                "|---|---:|---:|---:|---:|",
            ]
            lines += [
                f"| {_cell(p.name)} | {p.seconds:.1f} | {p.calls} | {p.mutating} "
                f"| {p.latency:.1f} |"
                for p in run.phases
            ]
        lines += ["", "| top operations | calls |", "|---|---:|"]
        lines += [f"| {op} | {n} |" for op, n in run.top_operations]
        if run.top_polling:
            lines += ["", "| polling (repeated reads) | repeats |", "|---|---:|"]
            lines += [f"| {op} | {n} |" for op, n in run.top_polling]
        if run.slowest_tasks:
            lines += ["", "| slowest tasks (one host each) | s |", "|---|---:|"]
            lines += [f"| {_cell(t.name)} | {t.seconds:.1f} |" for t in run.slowest_tasks]
    return "\n".join(lines) + "\n"


def first_failure(result: dict[str, Any]) -> str | None:
    """``host: task: msg`` of the first failed task result of an ``ansible.posix.json``
    result, or None when none failed."""
    for play in result.get("plays", []):
        for task in play.get("tasks", []):
            for host, outcome in sorted(task.get("hosts", {}).items()):
                if outcome.get("failed"):
                    # A loop's own msg is "One or more items failed": the first item's says why.
                    items = [r for r in outcome.get("results", []) if r.get("failed")]
                    message = str((items[0] if items else outcome).get("msg", "")).strip()
                    return f"{host}: {task['task']['name']}: {message}"
    return None
