"""Plumbing shared by every emulator: request log, fault and latency injection, serving.

Each emulator is a WSGI app wrapped in :class:`Instrumented`, which
- answers the admin endpoints under ``/_emulator/`` (``health``, ``faults``),
- applies injected latency and faults before the app sees the request,
- appends one JSON line per request to ``<state-dir>/requests.jsonl``.

Tests read the log with :func:`read_log` to prove that check mode made no mutating
call and benchmarks count calls with it.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

LOG_NAME = "requests.jsonl"
ADMIN_PREFIX = "/_emulator/"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
# (operation, mutating) of a request, e.g. ("CreateVpnConnection", True)
Classifier = Callable[[Environ, bytes], tuple[str, bool]]
# (kind, operation) -> (HTTP status line, headers, body) in the service's own error shape
FaultRenderer = Callable[[str, str], tuple[str, list[tuple[str, str]], bytes]]

FAULT_KINDS = ("throttle", "server_error", "latency")

# Listening ports are picked below the kernel's ephemeral range: a port taken from that
# range with bind(0) is free only until the next outgoing connection, and a component
# (etcd, kube-apiserver) binds it seconds later, so under load a client's connect() could
# take it first and the component would exit with "address already in use".
PORT_FLOOR = 15000
_ISSUED: set[int] = set()
_ISSUED_LOCK = threading.Lock()


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):  # DNS listeners take both
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """A TCP and UDP port free on 127.0.0.1, outside the ephemeral range, never handed out
    twice by this process (random, so concurrent test processes rarely meet)."""
    ceiling = _ephemeral_floor()
    rng = random.SystemRandom()
    with _ISSUED_LOCK:
        for _attempt in range(200):
            port = rng.randrange(PORT_FLOOR, ceiling)
            if port not in _ISSUED and _bindable(port):
                _ISSUED.add(port)
                return port
    raise RuntimeError(f"no free port between {PORT_FLOOR} and {ceiling} on 127.0.0.1")


@dataclass
class FaultRule:
    """One injected fault. ``operation`` is the service's own operation name or ``*``.

    ``count`` fails the next N matching requests; ``rate`` fails that fraction of them
    (seeded, so a run is repeatable); neither means every matching request.
    ``latency_ms`` delays matching requests (for any kind).
    """

    kind: str = "throttle"
    operation: str = "*"
    service: str = "*"
    count: int | None = None
    rate: float | None = None
    latency_ms: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(FAULT_KINDS)}")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate {self.rate!r} must be between 0 and 1")

    def matches(self, service: str, operation: str) -> bool:
        service_ok = self.service in ("*", service) or service.startswith(self.service + ":")
        return service_ok and self.operation in ("*", operation)


@dataclass
class Faults:
    """The fault plan of one emulator process (thread-safe)."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)

    def replace(self, rules: Iterable[dict[str, Any]]) -> None:
        parsed = [FaultRule(**rule) for rule in rules]
        with self._lock:
            self.rules = parsed

    def decide(self, service: str, operation: str) -> tuple[float, str | None]:
        """Return (delay in seconds, fault kind to answer with or None)."""
        delay = 0.0
        kind: str | None = None
        with self._lock:
            for rule in self.rules:
                if not rule.matches(service, operation):
                    continue
                delay = max(delay, rule.latency_ms / 1000.0)
                if rule.kind == "latency" or kind is not None:
                    continue
                if rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                    kind = rule.kind
                elif rule.rate is not None:
                    if self._random.random() < rule.rate:
                        kind = rule.kind
                else:
                    kind = rule.kind
        return delay, kind

    def as_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self.rules]


class RequestLog:
    """Appends one JSON line per request to the state directory's shared log."""

    def __init__(self, state_dir: str | os.PathLike[str], service: str) -> None:
        self.path = Path(state_dir) / LOG_NAME
        self.service = service
        self._lock = threading.Lock()

    def record(self, method: str, path: str, operation: str, mutating: bool, status: int) -> None:
        entry = {
            "time": time.time(),
            "service": self.service,
            "method": method,
            "path": path,
            "operation": operation,
            "mutating": mutating,
            "status": status,
        }
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock:
            # O_APPEND: lines from several emulator processes never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


def read_log(state_dir: str | os.PathLike[str], service: str | None = None) -> list[dict[str, Any]]:
    """All logged requests, oldest first, optionally of one service (prefix match)."""
    path = Path(state_dir) / LOG_NAME
    if not path.exists():
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if service is None:
        return entries
    return [e for e in entries if e["service"] == service or e["service"].startswith(service + ":")]


def _json_response(start_response: StartResponse, status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Instrumented:
    """WSGI middleware: admin endpoints, faults, latency and the request log."""

    def __init__(
        self,
        app: Callable[[Environ, StartResponse], Iterable[bytes]],
        *,
        service: str,
        log: RequestLog,
        faults: Faults,
        classify: Classifier,
        render_fault: FaultRenderer,
    ) -> None:
        self.app = app
        self.service = service
        self.log = log
        self.faults = faults
        self.classify = classify
        self.render_fault = render_fault

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) :])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        operation, mutating = self.classify(environ, body)
        method = environ.get("REQUEST_METHOD", "GET")
        delay, kind = self.faults.decide(self.service, operation)
        if delay:
            time.sleep(delay)
        if kind is not None:
            status, headers, payload = self.render_fault(kind, operation)
            self.log.record(method, path, operation, mutating, int(status.split()[0]))
            start_response(status, [*headers, ("Content-Length", str(len(payload)))])
            return [payload]
        captured: dict[str, str] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            return start_response(status, headers, exc_info)

        result = self.app(environ, _start)
        if "status" not in captured:  # the app answers lazily: read it to learn the status
            result = list(result)
        # An app that started its response (a proxied watch) streams the rest after the log.
        self.log.record(
            method, path, operation, mutating, int(captured.get("status", "500").split()[0])
        )
        return result

    def _admin(self, environ: Environ, start_response: StartResponse, name: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if name == "health":
            return _json_response(start_response, "200 OK", {"service": self.service, "ok": True})
        if name == "faults":
            if method in ("PUT", "POST"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
                try:
                    self.faults.replace(payload.get("rules", []))
                except (TypeError, ValueError) as exc:
                    return _json_response(start_response, "400 Bad Request", {"error": str(exc)})
            elif method == "DELETE":
                self.faults.replace([])
            return _json_response(start_response, "200 OK", {"rules": self.faults.as_json()})
        return _json_response(
            start_response, "404 Not Found", {"error": f"no admin endpoint {name!r}"}
        )


def load_fault_rules(path: str | None) -> list[dict[str, Any]]:
    """Rules of a ``--faults`` JSON file (``{"rules": [...]}``); each emulator keeps all of
    them and applies those whose ``service`` matches its own."""
    if not path:
        return []
    rules: list[dict[str, Any]] = json.loads(Path(path).read_text()).get("rules", [])
    return rules


def serve(app: Callable[..., Any], port: int, ssl_context: Any = None) -> None:
    """Serve ``app`` on 127.0.0.1:port until the process is terminated."""
    server = make_server("127.0.0.1", port, app, threaded=True, ssl_context=ssl_context)
    server.serve_forever()
