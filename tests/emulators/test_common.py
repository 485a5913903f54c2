"""The emulators' shared plumbing: fault plans, the request log, the admin endpoints."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from tests.emulators._common import (
    PORT_FLOOR,
    Faults,
    Instrumented,
    RequestLog,
    free_port,
    read_log,
)


def _app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _classify(environ, body):
    return environ["PATH_INFO"].strip("/"), environ["REQUEST_METHOD"] != "GET"


def _render(kind, operation):
    status = "429 Too Many Requests" if kind == "throttle" else "503 Service Unavailable"
    return status, [("Content-Type", "text/plain")], f"{kind}:{operation}".encode()


def _call(app, method, path, body=b""):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    payload = b"".join(app(environ, start_response))
    return int(seen["status"].split()[0]), payload


@pytest.fixture
def wrapped(tmp_path):
    faults = Faults()
    app = Instrumented(
        _app,
        service="test",
        log=RequestLog(tmp_path, "test"),
        faults=faults,
        classify=_classify,
        render_fault=_render,
    )
    return app, faults, tmp_path


def test_count_rule_fails_exactly_n_matching_requests(wrapped):
    app, faults, _unused = wrapped
    faults.replace([{"kind": "throttle", "operation": "create", "count": 2}])
    statuses = [_call(app, "POST", "/create")[0] for _unused in range(3)]
    assert statuses == [429, 429, 200]
    assert _call(app, "POST", "/other")[0] == 200


@pytest.mark.parametrize("rate, expected", [(0.0, 0), (1.0, 20)])
def test_rate_rule_bounds(wrapped, rate, expected):
    app, faults, _unused = wrapped
    faults.replace([{"kind": "server_error", "rate": rate}])
    failures = sum(_call(app, "GET", "/x")[0] == 503 for _unused in range(20))
    assert failures == expected


def test_rate_rule_is_repeatable_with_the_same_seed():
    def run():
        faults = Faults(seed=7)
        faults.replace([{"kind": "throttle", "rate": 0.5}])
        return [faults.decide("svc", "op")[1] for _unused in range(32)]

    first = run()
    assert first == run()
    assert 0 < first.count("throttle") < 32


def test_latency_rule_delays_without_failing():
    faults = Faults()
    faults.replace([{"kind": "latency", "operation": "op", "latency_ms": 250}])
    assert faults.decide("svc", "op") == (0.25, None)
    assert faults.decide("svc", "other") == (0.0, None)


def test_service_prefix_matches_cluster_scoped_services():
    faults = Faults()
    faults.replace([{"kind": "throttle", "service": "kube"}])
    assert faults.decide("kube:cluster-a", "get")[1] == "throttle"
    assert faults.decide("gcp", "get")[1] is None


def test_bad_rules_are_rejected():
    with pytest.raises(ValueError, match="fault kind"):
        Faults().replace([{"kind": "explode"}])
    with pytest.raises(ValueError, match="rate"):
        Faults().replace([{"kind": "throttle", "rate": 2}])


def test_log_records_every_request_with_mutation_flag_and_status(wrapped):
    app, faults, state = wrapped
    _call(app, "GET", "/read")
    faults.replace([{"kind": "throttle", "count": 1}])
    _call(app, "POST", "/write")
    entries = read_log(state, "test")
    assert [(e["method"], e["operation"], e["mutating"], e["status"]) for e in entries] == [
        ("GET", "read", False, 200),
        ("POST", "write", True, 429),
    ]
    assert read_log(state, "other") == []


def test_admin_endpoints_set_and_clear_faults_and_are_not_logged(wrapped):
    app, faults, state = wrapped
    body = json.dumps({"rules": [{"kind": "throttle", "count": 1}]}).encode()
    status, payload = _call(app, "PUT", "/_emulator/faults", body)
    assert status == 200
    assert json.loads(payload)["rules"][0]["count"] == 1
    status, payload = _call(app, "PUT", "/_emulator/faults", b'{"rules": [{"kind": "nope"}]}')
    assert status == 400
    assert b"fault kind" in payload
    assert _call(app, "DELETE", "/_emulator/faults")[0] == 200
    assert faults.rules == []
    assert _call(app, "GET", "/_emulator/health")[0] == 200
    assert read_log(state) == []


def test_free_ports_are_below_the_ephemeral_range_distinct_and_bindable():
    ephemeral_floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _attempt in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(PORT_FLOOR <= port < ephemeral_floor for port in ports)
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("127.0.0.1", ports[0]))
