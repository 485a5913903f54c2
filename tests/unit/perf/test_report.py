"""The benchmark's report math (tests/perf/report.py) on a synthetic request log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulators._common import FaultRule
from tests.perf import __main__ as bench
from tests.perf import report


def call(
    time: float,
    service: str,
    operation: str,
    mutating: bool = False,
    path: str = "/",
    method: str = "POST",
    status: int = 200,
) -> dict[str, Any]:
    return {
        "time": time,
        "service": service,
        "method": method,
        "path": path,
        "operation": operation,
        "mutating": mutating,
        "status": status,
    }


OP = "/compute/v1/projects/p/regions/r/operations/op-1"
LOG = [
    call(10.0, "aws", "CreateVpnConnection", mutating=True),
    call(10.5, "aws", "CreateVpnConnection", mutating=True, status=400),  # refused: no wait
    call(11.0, "aws", "DescribeVpnConnections"),
    call(12.0, "aws", "DescribeVpnConnections"),
    call(13.0, "gcp", "compute.vpnTunnels.insert", mutating=True, path="/t"),
    call(14.0, "gcp", "compute.regionOperations.wait", path=OP + "/wait"),
    call(15.0, "gcp", "compute.vpnTunnels.get", method="GET", path="/t/a"),
    call(16.0, "gcp", "compute.vpnTunnels.get", method="GET", path="/t/b"),  # other resource
    call(17.0, "gcp", "compute.vpnTunnels.get", method="GET", path="/t/a"),
    call(18.0, "kube:aws-euw1", "patch:configmaps", mutating=True, method="PATCH"),
]
INJECTED = report.Injected(
    rules=(
        FaultRule(kind="latency", service="aws", latency_ms=100),
        FaultRule(kind="latency", service="gcp", latency_ms=50),
        # two rules match DescribeVpnConnections: the emulator sleeps the larger one
        FaultRule("latency", "DescribeVpnConnections", "aws", latency_ms=300),
        FaultRule(kind="latency", service="kube", latency_ms=20),
    ),
    aws_pending_seconds=30.0,
    gcp_operation_seconds=2.0,
)


@pytest.fixture(name="figures")
def _figures() -> report.RunFigures:
    phases = [report.Span("tunnels", 10.0, 13.0), report.Span("gcp", 13.0, 20.0)]
    tasks = [report.Span("short", 0.0, 1.0), report.Span("long", 0.0, 5.0)]
    return report.summarize("link", LOG, 40.0, INJECTED, phases, tasks)


def test_counts_per_service_split_into_mutating_and_read(figures: report.RunFigures) -> None:
    assert figures.calls == 10
    assert (figures.mutating, figures.reads) == (4, 6)
    assert figures.per_service == {"aws": (2, 2), "gcp": (1, 4), "kube:aws-euw1": (1, 0)}
    assert figures.reads_per_mutation == pytest.approx(1.5)


def test_top_operations_are_ordered_by_count(figures: report.RunFigures) -> None:
    assert figures.top_operations[:2] == [
        ("gcp compute.vpnTunnels.get", 3),
        ("aws CreateVpnConnection", 2),
    ]


def test_polling_counts_repeats_on_the_same_resource(figures: report.RunFigures) -> None:
    # DescribeVpnConnections twice (AWS: same operation), tunnel a twice, tunnel b once.
    assert figures.polling == 2
    assert dict(figures.top_polling) == {
        "aws DescribeVpnConnections": 1,
        "gcp compute.vpnTunnels.get": 1,
    }


def test_injected_latency_takes_the_largest_matching_rule(figures: report.RunFigures) -> None:
    # aws: 2 x 0.1 + 2 x 0.3; gcp: 5 x 0.05; kube: 0.02
    assert figures.injected_latency == pytest.approx(0.8 + 0.25 + 0.02)


def test_operation_waits_count_accepted_long_running_calls(figures: report.RunFigures) -> None:
    # one accepted VPN connection (30 s pending), one GCP operation (2 s)
    assert figures.injected_operations == pytest.approx(32.0)
    assert figures.serial_waits == pytest.approx(33.07)
    assert figures.wall_per_serial_wait == pytest.approx(40.0 / 33.07)


def test_phases_get_the_calls_made_while_they_ran(figures: report.RunFigures) -> None:
    tunnels, gcp = figures.phases
    assert (tunnels.calls, tunnels.mutating, tunnels.seconds) == (4, 2, 3.0)
    assert tunnels.latency == pytest.approx(0.2 + 0.6)
    assert (gcp.calls, gcp.mutating) == (6, 2)
    assert [t.name for t in figures.slowest_tasks] == ["long", "short"]


def test_ratios_without_a_denominator_are_none() -> None:
    empty = report.summarize("none", [], 3.0, report.Injected())
    assert empty.reads_per_mutation is None
    assert empty.wall_per_serial_wait is None
    assert "| none | 3.0 | 0 | 0 | 0 | - | 0 | 0.0 | 0.0 | - |" in report.markdown([empty])


def test_spans_from_the_json_callback() -> None:
    result = {
        "plays": [
            {
                "play": {"name": "a", "duration": {"start": "2026-01-01T00:00:00.000000Z"}},
                "tasks": [
                    {
                        "task": {
                            "name": "t",
                            "duration": {
                                "start": "2026-01-01T00:00:01.000000Z",
                                "end": "2026-01-01T00:00:03.500000Z",
                            },
                        },
                        "hosts": {"h2": {}, "h1": {}},
                    }
                ],
            },
            {
                "play": {
                    "name": "b",
                    "duration": {
                        "start": "2026-01-01T00:00:04.000000Z",
                        "end": "2026-01-01T00:00:10.000000Z",
                    },
                },
                "tasks": [],
            },
        ]
    }
    plays, tasks = report.spans(result)
    assert [(p.name, p.seconds) for p in plays] == [("a", 4.0), ("b", 6.0)]
    assert plays[0].start == 1767225600.0  # 2026-01-01T00:00:00Z
    assert [(t.name, t.seconds) for t in tasks] == [("t [h1,h2]", 2.5)]


def test_markdown_compares_the_re_run_with_the_first() -> None:
    first = report.summarize("link", LOG, 40.0, INJECTED)
    again = report.summarize("link (re-run)", LOG[:5], 10.0, INJECTED)
    text = report.markdown([first, again], baseline=first)
    assert "calls 5/10 = 0.50, mutating 3, wall 10.0/40.0 s = 0.25." in text


def test_out_page_keeps_the_reading_outside_the_markers() -> None:
    previous = f"# Title\n\nReading kept.\n\n{bench.BEGIN}\nold figures\n{bench.END}\nTail kept.\n"
    text = bench.page("Measured now.", "| new |\n", previous)
    assert text.startswith("# Title\n\nReading kept.\n\n" + bench.BEGIN)
    assert text.endswith(bench.END + "\nTail kept.\n")
    assert "old figures" not in text
    assert "Measured now.\n\n| new |" in text


def test_operation_waits_per_kind_and_deleting() -> None:
    injected = report.Injected(
        aws_pending_seconds=30.0,
        aws_deleting_seconds=12.0,
        gcp_operation_seconds=1.0,
        gcp_operation_by_kind={"vpnTunnels.insert": 2.0, "routers": 0.5},
    )
    log = [
        call(1.0, "aws", "CreateVpnConnection", mutating=True),
        call(2.0, "aws", "DeleteVpnConnection", mutating=True),
        call(3.0, "gcp", "compute.vpnTunnels.insert", mutating=True),
        call(4.0, "gcp", "compute.routers.patch", mutating=True),  # the collection's time
        call(5.0, "gcp", "compute.firewalls.insert", mutating=True),  # the default
        call(6.0, "gcp", "compute.vpnTunnels.get", method="GET"),  # a read starts no wait
    ]
    assert report.operation_waits(log, injected) == pytest.approx(30 + 12 + 2 + 0.5 + 1)


def test_first_failure_names_host_task_and_message() -> None:
    ok = {"task": {"name": "fine"}, "hosts": {"h": {"changed": False}}}
    bad = {"task": {"name": "Plan"}, "hosts": {"b": {"failed": True, "msg": " refused\n"}}}
    assert report.first_failure({"plays": [{"tasks": [ok]}]}) is None
    assert report.first_failure({"plays": [{"tasks": [ok, bad]}]}) == "b: Plan: refused"
    items = {
        "failed": True,
        "msg": "One or more items failed",
        "results": [
            {"failed": False, "msg": "fine"},
            {"failed": True, "msg": "The customer gateway is in use."},
        ],
    }
    loop = {"task": {"name": "Delete"}, "hosts": {"a": items}}
    assert report.first_failure({"plays": [{"tasks": [loop]}]}) == (
        "a: Delete: The customer gateway is in use."
    )


def test_milestones_from_the_start_of_the_run() -> None:
    marks = report.milestones(LOG, start=8.0)
    # the refused CreateVpnConnection (400) at 10.5 is mutating but started nothing
    assert marks == {
        "first_mutating_s": 2.0,
        "last_mutating_s": 10.0,
        "last_vpn_connection_created_s": 2.0,
    }
    assert report.milestones([], start=0.0) == {}
