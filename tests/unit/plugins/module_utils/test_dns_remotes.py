"""Judging each remote zone of a resolver from CoreDNS's client-go request counters."""

from __future__ import annotations

from ansible_collections.crosscluster.link.plugins.module_utils._dns_remotes import (
    api_host,
    as_check,
    judge,
    parse_requests,
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
