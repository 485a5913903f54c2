"""Judging each remote zone of a resolver from CoreDNS's client-go request counters."""

from __future__ import annotations

from ansible_collections.crosscluster.link.plugins.module_utils._dns_remotes import (
    Judgement,
    api_host,
    as_check,
    judge,
    parse_requests,
    running_since,
    transient,
    worst,
)
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll

HOST = "10.0.0.9:6443"
# As CoreDNS v1.15.0 exposes it (plugin/kubernetes/metrics.go), with other series around.
METRICS = """\
# HELP coredns_kubernetes_rest_client_requests_total Number of HTTP requests, partitioned by ...
# TYPE coredns_kubernetes_rest_client_requests_total counter
coredns_kubernetes_rest_client_requests_total{code="200",host="10.0.0.9:6443",method="GET"} 6
coredns_kubernetes_rest_client_requests_total{code="401",host="10.0.0.7:443",method="GET"} 3
coredns_kubernetes_rest_client_requests_total{code="<error>",host="10.0.0.8",method="GET"} 2
coredns_kubernetes_rest_client_requests_total{code="200",host="10.0.0.9:6443",method="PUT"} 1
coredns_build_info{goversion="go1.26",revision="",version="1.15.0"} 1
"""


def test_parse_sums_methods_per_host_and_code() -> None:
    assert parse_requests(METRICS) == {
        HOST: {"200": 7.0},
        "10.0.0.7:443": {"401": 3.0},
        "10.0.0.8": {"<error>": 2.0},
    }


def test_api_host_is_the_url_netloc_as_client_go_labels_it() -> None:
    assert api_host("https://10.0.0.9:6443") == HOST
    assert api_host("https://api.example.com") == "api.example.com"
    assert api_host("10.0.0.9:6443") == HOST


def test_answered_and_no_error_growth_is_served() -> None:
    before = {HOST: {"200": 5.0, "<error>": 1.0}}  # one failure at start-up, long ago
    after = {HOST: {"200": 6.0, "<error>": 1.0}}
    state = judge("gcp", "gcp.local", HOST, before, after)
    assert state.served and state.definitive and state.cause == ""


def test_growing_401_is_unauthorized_even_after_earlier_answers() -> None:
    state = judge("gcp", "gcp.local", HOST, {HOST: {"200": 5.0}}, {HOST: {"200": 5.0, "401": 2.0}})
    assert not state.served and state.definitive
    assert state.cause.startswith("Unauthorized (401)") and "remote gcp" in state.cause


def test_403_only_is_forbidden_naming_the_reader_role() -> None:
    state = judge("gcp", "gcp.local", HOST, {HOST: {"403": 4.0}}, {HOST: {"403": 4.0}})
    assert state.cause.startswith("Forbidden (403)")
    assert "crosscluster-link-dns-reader" in state.cause


def test_list_allowed_but_watch_refused_is_forbidden() -> None:
    before = {HOST: {"200": 2.0, "403": 2.0}}
    after = {HOST: {"200": 3.0, "403": 3.0}}
    assert judge("gcp", "gcp.local", HOST, before, after).cause.startswith("Forbidden")


def test_no_http_answer_is_unreachable_and_worth_waiting_for() -> None:
    state = judge("gcp", "gcp.local", HOST, {}, {HOST: {"<error>": 3.0}})
    assert state.cause.startswith("unreachable") and not state.definitive


def test_no_request_yet_is_not_served() -> None:
    state = judge("gcp", "gcp.local", HOST, {}, {})
    assert not state.served and "has not listed" in state.cause


def test_429_and_5xx_are_transient_the_rest_are_not() -> None:
    codes = ("200", "401", "403", "404", "429", "500", "503", "<error>")
    assert [code for code in codes if transient(code)] == ["429", "500", "503"]


def test_a_throttled_request_answered_on_retry_is_served() -> None:
    # a 429 and its retry's 200 between two samples: client-go recovered
    before = {HOST: {"200": 5.0}}
    after = {HOST: {"200": 6.0, "429": 1.0}}
    state = judge("gcp", "gcp.local", HOST, before, after, before)
    assert state.served and state.retrying
    assert not judge("gcp", "gcp.local", HOST, before, after, after).retrying


def test_a_transient_error_not_yet_answered_fails_while_it_grows() -> None:
    first = {HOST: {"200": 5.0}}
    throttled = {HOST: {"200": 5.0, "503": 2.0}}
    state = judge("gcp", "gcp.local", HOST, first, throttled, first)
    assert not state.served and not state.definitive and state.cause == f"HTTP 503 from {HOST}"
    # the next sample: the 503s stopped and the list was answered
    answered = {HOST: {"200": 6.0, "503": 2.0}}
    assert judge("gcp", "gcp.local", HOST, first, answered, throttled).served


def test_a_transient_error_that_stopped_growing_no_longer_fails() -> None:
    first = {HOST: {"200": 5.0}}
    later = {HOST: {"200": 5.0, "429": 1.0}}
    assert judge("gcp", "gcp.local", HOST, first, later, later).served


def test_only_transient_errors_and_no_answer_is_not_served() -> None:
    state = judge("gcp", "gcp.local", HOST, {}, {HOST: {"429": 3.0}})
    assert not state.served and state.cause == f"HTTP 429 from {HOST}" and not state.definitive


def test_worst_pod_decides() -> None:
    good = judge("gcp", "z", HOST, {}, {HOST: {"200": 1.0}})
    bad = judge("gcp", "z", HOST, {}, {HOST: {"401": 1.0}})
    assert worst([good, bad]) is bad
    assert worst([good, good]) is good


def test_check_shape_names_link_cluster_and_cause() -> None:
    bad = judge("gcp-euw1", "gcp.local", HOST, {}, {HOST: {"401": 1.0}})
    check = as_check("aws-euw1", bad)
    assert check["link"] == "aws-euw1--gcp-euw1"
    assert check["ok"] is False and check["expected"] == "served"
    assert "Unauthorized (401)" in str(check["summary"])


def test_poll_stops_when_done_or_at_the_deadline_without_oversleeping() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    calls = iter(range(100))
    result = poll(lambda: next(calls), lambda n: n == 2, 60, 5, sleep, lambda: now[0])
    assert result == 2 and slept == [5, 5]
    now[0], slept[:] = 0.0, []
    result = poll(lambda: next(calls), lambda n: False, 12, 5, sleep, lambda: now[0])
    assert slept == [5, 5, 2] and now[0] == 12


REMOTES = [("gcp", "gcp.local", HOST)]
OK = {HOST: {"200": 6.0}}


def test_a_young_pod_is_served_only_after_settle_seconds_watched() -> None:
    judgement = Judgement(REMOTES, settle=30)
    pods = {"dns-0": (995.0, OK)}
    (first,) = judgement.step(pods, "", now=1000.0)
    assert first.served and not first.settled and not judgement.final([first])
    (later,) = judgement.step(pods, "", now=1020.0)
    assert not judgement.final([later])
    (settled,) = judgement.step(pods, "", now=1030.0)
    assert settled.settled and judgement.final([settled])


def test_an_old_pod_without_any_error_is_settled_in_one_sample() -> None:
    judgement = Judgement(REMOTES, settle=30)
    (state,) = judgement.step({"dns-0": (900.0, OK)}, "", now=1000.0)
    assert state.settled and judgement.final([state])


def test_an_old_pod_with_an_old_error_is_watched_for_settle_seconds() -> None:
    judgement = Judgement(REMOTES, settle=30)
    pods = {"dns-0": (900.0, {HOST: {"200": 6.0, "<error>": 1.0}})}
    judgement.step(pods, "", now=1000.0)
    (state,) = judgement.step(pods, "", now=1005.0)
    assert state.served and not state.settled and not judgement.final([state])
    (state,) = judgement.step(pods, "", now=1030.0)
    assert state.settled


def test_a_refused_watch_between_samples_is_never_served() -> None:
    # list answered, the watch refused and retried with back-off: 403 grows past the baseline
    judgement = Judgement(REMOTES, settle=30)
    judgement.step({"dns-0": (999.0, {HOST: {"200": 3.0, "403": 1.0}})}, "", now=1000.0)
    quiet = {"dns-0": (999.0, {HOST: {"200": 3.0, "403": 1.0}})}
    judgement.step(quiet, "", now=1010.0)
    (state,) = judgement.step({"dns-0": (999.0, {HOST: {"200": 3.0, "403": 2.0}})}, "", 1031.0)
    assert state.cause.startswith("Forbidden") and judgement.final([state])


def test_a_refusal_is_final_from_the_second_sample() -> None:
    judgement = Judgement(REMOTES, settle=30)
    pods = {"dns-0": (999.0, {HOST: {"401": 2.0}})}
    (state,) = judgement.step(pods, "", now=1000.0)
    assert state.cause.startswith("Unauthorized") and not judgement.final([state])
    (state,) = judgement.step(pods, "", now=1005.0)
    assert judgement.final([state])


def test_no_pod_names_the_problem_and_waits() -> None:
    judgement = Judgement(REMOTES, settle=30)
    (state,) = judgement.step({}, "no running pod of ns/dns", now=1000.0)
    assert state.cause == "no running pod of ns/dns" and not judgement.final([state])


def test_a_pod_first_seen_late_is_watched_settle_seconds_from_its_own_first_sample() -> None:
    # a rollout brings a new pod 25 s into the wait: 5 s later it has not been watched 30 s
    judgement = Judgement(REMOTES, settle=30)
    judgement.step({"old": (1000.0, OK)}, "", now=1000.0)
    pods = {"old": (1000.0, OK), "new": (1024.0, OK)}
    (state,) = judgement.step(pods, "", now=1025.0)
    (state,) = judgement.step(pods, "", now=1030.0)
    assert state.served and not state.settled and not judgement.final([state])
    (state,) = judgement.step(pods, "", now=1055.0)
    assert state.settled and judgement.final([state])


def test_every_pod_must_be_settled() -> None:
    judgement = Judgement(REMOTES, settle=30)
    (state,) = judgement.step({"old": (900.0, OK), "new": (998.0, OK)}, "", now=1000.0)
    assert state.served and not state.settled


def test_running_since_is_the_youngest_container_start_plus_truncation() -> None:
    pod = {
        "metadata": {"name": "dns-0"},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.5",
            "containerStatuses": [
                {"state": {"running": {"startedAt": "2026-12-01T17:00:00Z"}}},
                {"state": {"running": {"startedAt": "2026-12-01T17:00:10Z"}}},
            ],
        },
    }
    assert running_since(pod) == 1796144410.0 + 1.0
    pod["metadata"]["deletionTimestamp"] = "2026-12-01T17:01:00Z"
    assert running_since(pod) is None
    assert running_since({"metadata": {}, "status": {"phase": "Pending"}}) is None
    waiting = {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [{"state": {}}]}
    assert running_since({"metadata": {}, "status": waiting}) is None


def test_a_transient_error_restarts_the_settle_watch() -> None:
    judgement = Judgement(REMOTES, settle=30)
    judgement.step({"dns-0": (995.0, OK)}, "", now=1000.0)
    retry = {"dns-0": (995.0, {HOST: {"200": 7.0, "429": 1.0}})}
    (state,) = judgement.step(retry, "", now=1020.0)
    assert state.served and not state.settled
    (state,) = judgement.step(retry, "", now=1035.0)  # 35 s watched, 15 s since the 429
    assert state.served and not state.settled and not judgement.final([state])
    (state,) = judgement.step(retry, "", now=1050.0)
    assert state.settled and judgement.final([state])


def test_a_transient_error_unanswered_until_the_end_is_not_served() -> None:
    judgement = Judgement(REMOTES, settle=30)
    judgement.step({"dns-0": (995.0, OK)}, "", now=1000.0)
    for n, now in ((1.0, 1005.0), (2.0, 1010.0)):
        (state,) = judgement.step({"dns-0": (995.0, {HOST: {"200": 6.0, "500": n}})}, "", now)
        assert not state.served and state.cause == f"HTTP 500 from {HOST}"
        assert not judgement.final([state])
