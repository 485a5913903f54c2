"""A logging, fault-injecting HTTPS proxy in front of one real kube-apiserver.

Clients (the collection's modules, kubectl, the resolvers' kubeconfigs) talk to the proxy;
it forwards every request unchanged (headers, body, protobuf or JSON, watch streams) to
the API server and streams the answer back. Through ``tests.emulators._common.Instrumented``
each request is logged to ``requests.jsonl`` as service ``kube:<cluster>`` with operation
``<verb>:<resource>`` (e.g. ``patch:configmaps``; mutating unless ``dryRun=All``), and
faults and latency can be injected as for the cloud emulators. The control plane's own
clients (controller manager, node agent) talk to the API server directly and are not logged.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

MUTATING = {"create", "update", "patch", "delete", "deletecollection"}
# Hop-by-hop headers (RFC 9110 section 7.6.1) are not forwarded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
}
CHUNK = 64 * 1024


def _resource(path: str) -> tuple[str, str] | None:
    """(resource[/subresource], name) of an API resource path, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        rest = parts[3:]
    else:
        return None
    if not rest:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    if len(rest) > 2:
        resource += "/" + rest[2]
    return resource, name


def classify(environ: dict[str, Any], _body: bytes) -> tuple[str, bool]:
    """``(verb:resource, mutating)`` as the Kubernetes API concepts name them."""
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    parsed = _resource(path)
    if parsed is None:
        return f"get:{path.strip('/') or 'root'}", False
    resource, name = parsed
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "GET":
        watch = query.get("watch", ["false"])[0] in ("true", "1")
        verb = "watch" if watch else ("get" if name else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(
            method, "delete" if name else "deletecollection"
        )
    dry = query.get("dryRun", [""])[0] == "All"
    return f"{verb}:{resource}", verb in MUTATING and not dry


def render_fault(kind: str, operation: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The API server's own error shapes: 429 with Retry-After, 503 (metav1.Status)."""
    if kind == "throttle":
        code, reason, status = 429, "TooManyRequests", "429 Too Many Requests"
        message = "Too many requests, please try again later."
        headers = [("Retry-After", "1")]
        details: dict[str, Any] = {"retryAfterSeconds": 1}
    else:
        code, reason, status = 503, "ServiceUnavailable", "503 Service Unavailable"
        message = f"injected fault on {operation}: the server is currently unable to handle it"
        headers, details = [], {}
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }
    return status, [("Content-Type", "application/json"), *headers], json.dumps(body).encode()


class Forward:
    """WSGI app forwarding to ``https://127.0.0.1:<upstream_port>`` (verified by ``ca``)."""

    def __init__(self, upstream_port: int, ca: str) -> None:
        self.port = upstream_port
        self.context = ssl.create_default_context(cafile=ca)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Host"] = f"127.0.0.1:{self.port}"
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=3600
        )
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = connection.getresponse()
        except OSError as exc:
            connection.close()
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return iter([f"kube-apiserver did not answer: {exc}".encode()])
        out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", out)
        return self._stream(connection, response)

    @staticmethod
    def _stream(
        connection: http.client.HTTPSConnection, response: http.client.HTTPResponse
    ) -> Iterator[bytes]:
        try:
            while True:
                chunk = response.read1(CHUNK)
                if not chunk:
                    return
                yield chunk
        except OSError:
            return
        finally:
            connection.close()
