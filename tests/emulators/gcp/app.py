"""WSGI front of the Compute Engine emulator: routing, auth, lists, operations, admin hooks.

Routes come from the compute v1 discovery document, so a path answers exactly where
https://compute.googleapis.com/compute/v1/... would, and the request log names each call by
its method id (``compute.vpnTunnels.insert``).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tests.emulators import _common
from tests.emulators.gcp import schema
from tests.emulators.gcp.compute import KINDS, ApiError, Compute, Resource, invalid, split_rel

RESOURCES = {
    "networks": "networks",
    "subnetworks": "subnetworks",
    "vpnGateways": "vpnGateways",
    "externalVpnGateways": "externalVpnGateways",
    "routers": "routers",
    "vpnTunnels": "vpnTunnels",
    "routes": "routes",
    "firewalls": "firewalls",
    "regionOperations": "operations",
    "globalOperations": "operations",
}
PREFIX = "/compute/v1/"
GCP_ADMIN = "/_emulator/gcp/"
# VpnTunnel.status, as the Compute Engine API reference (VpnTunnel) lists it.
TUNNEL_STATUSES = frozenset(
    {
        "PROVISIONING",
        "WAITING_FOR_FULL_CONFIG",
        "FIRST_HANDSHAKE",
        "ESTABLISHED",
        "NETWORK_ERROR",
        "AUTHORIZATION_ERROR",
        "NEGOTIATION_FAILURE",
        "DEPROVISIONING",
        "FAILED",
        "NO_INCOMING_PACKETS",
        "REJECTED",
        "ALLOCATING_RESOURCES",
        "STOPPED",
        "PEER_IDENTITY_MISMATCH",
        "TS_NARROWING_NOT_ALLOWED",
    }
)
# RFC 4271 section 8.2.2 (the BGP finite state machine), as Cloud Router reports them.
BGP_STATES = ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established")
# Request parameters every Google API accepts (discovery "parameters").
STANDARD_PARAMS = set(schema.discovery()["parameters"]) | {"access_token"}


@dataclass
class Route:
    method_id: str
    http_method: str
    regex: re.Pattern[str]
    collection: str
    verb: str
    params: set[str]


def _routes() -> list[Route]:
    routes = []
    for resource, collection in RESOURCES.items():
        for verb, spec in schema.discovery()["resources"][resource]["methods"].items():
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", spec["path"])
            routes.append(
                Route(
                    spec["id"],
                    spec["httpMethod"],
                    re.compile("^" + PREFIX + pattern + "$"),
                    collection,
                    verb,
                    set(spec.get("parameters", {})),
                )
            )
    return routes


ROUTES = _routes()


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.regex.match(path)
        if found and route.http_method == method:
            return route, found.groupdict()
    return None


# networks.addPeering / removePeering / updatePeering change the network and answer an
# Operation like insert and delete; networks.listPeeringRoutes only reads.
MUTATING_VERBS = frozenset(
    {"insert", "delete", "patch", "update", "addPeering", "removePeering", "updatePeering"}
)
PEERING_VERBS = ("addPeering", "removePeering", "updatePeering")


def is_mutating(method_id: str) -> bool:
    verb = method_id.rsplit(".", 1)[-1]
    return verb in MUTATING_VERBS or verb.startswith("set")


def classify(environ: dict[str, Any], body: bytes) -> tuple[str, bool]:
    method = environ.get("REQUEST_METHOD", "GET")
    found = match(method, environ.get("PATH_INFO", ""))
    if found is None:
        return "compute.unknown", method != "GET"
    return found[0].method_id, is_mutating(found[0].method_id)


# Compute Engine "API rate limits" (https://cloud.google.com/compute/docs/api-rate-limits):
# "If your project exceeds a rate quota, you receive a 403 error with the reason
# rateLimitExceeded"; a per-user limit answers userRateLimitExceeded (Google API "Standard
# error responses"), both in domain usageLimits.
THROTTLE_REASONS = {
    "rateLimitExceeded": "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
    "minute' of service 'compute.googleapis.com'.",
    "userRateLimitExceeded": "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
    "minute per user' of service 'compute.googleapis.com'.",
}


def render_fault(
    kind: str, operation: str, throttle_reason: str = "rateLimitExceeded"
) -> tuple[str, list[tuple[str, str]], bytes]:
    """A throttle as Compute Engine answers one (403 ``throttle_reason`` in domain
    usageLimits, THROTTLE_REASONS) and a transient 503 backendError."""
    if kind == "throttle":
        message = THROTTLE_REASONS[throttle_reason]
        error = ApiError(403, throttle_reason, message, domain="usageLimits")
        status = "403 Forbidden"
    else:
        error = ApiError(503, "backendError", "Backend Error")
        status = "503 Service Unavailable"
    return status, [("Content-Type", "application/json; charset=UTF-8")], _dump(error.body())


def _dump(payload: Any) -> bytes:
    return json.dumps(payload, indent=1).encode()


# ----- list filters and pages -------------------------------------------------------------

_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(!=|=|\beq\b|\bne\b|:)\s*(.+?)\s*$")


def parse_filter(text: str) -> list[tuple[str, str, str]]:
    """The ``filter`` list parameter: ``name = "x"``, ``name != x``, ``name eq regex``,
    ``name ne regex``, ``field:*``, and ``(a) (b)`` / ``(a) AND (b)`` conjunctions
    (list methods, "filter" parameter, compute v1 reference)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("("):
        groups = re.findall(r"\(([^()]*)\)", text)
        rest = re.sub(r"\(([^()]*)\)", "", text).replace("AND", "").strip()
        if rest or not groups:
            raise invalid(f"Invalid list filter expression '{text}'.")
    else:
        groups = [text]
    clauses = []
    for group in groups:
        found = _CLAUSE.match(group)
        if not found:
            raise invalid(f"Invalid list filter expression '{text}'.")
        field, op, value = found.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        clauses.append((field, op, value))
    return clauses


def _lookup(res: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(res, dict) or part not in res:
            return None
        res = res[part]
    return res


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def matches(res: Resource, clauses: list[tuple[str, str, str]]) -> bool:
    for field, op, value in clauses:
        got = _lookup(res, field)
        if op == ":":
            ok = got is not None if value == "*" else value in _text(got or "")
        elif op in ("=", "!="):
            ok = got is not None and _text(got) == value
            ok = ok if op == "=" else not ok
        else:
            ok = got is not None and re.fullmatch(value, _text(got)) is not None
            ok = ok if op == "eq" else not ok
        if not ok:
            return False
    return True


def page(items: list[Resource], query: dict[str, str]) -> tuple[list[Resource], str | None]:
    """maxResults (0-500, default 500) and an opaque pageToken."""
    raw = query.get("maxResults", "500")
    if not raw.isdigit() or int(raw) > 500:
        raise invalid(
            f"Invalid value for field 'maxResults': '{raw}'. Must be less than or equal to 500"
        )
    size = int(raw) or 500
    start = 0
    if query.get("pageToken"):
        try:
            start = int(base64.urlsafe_b64decode(query["pageToken"].encode()).decode())
        except ValueError:
            raise invalid(f"Invalid value for field 'pageToken': '{query['pageToken']}'") from None
    chunk = items[start : start + size]
    token = None
    if start + size < len(items):
        token = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return chunk, token


# ----- the application --------------------------------------------------------------------


class ComputeApp:
    """The WSGI app (wrapped in ``_common.Instrumented`` by :func:`build`)."""

    def __init__(
        self,
        compute: Compute,
        wait_cap: float = 10.0,
        project: str = "demo-project",
        region: str = "europe-west1",
    ) -> None:
        self.compute = compute
        self.compute_defaults = {"project": project, "region": region}
        # operations.wait: "returns ... when the operation is DONE or ... after 2 minutes";
        # the emulator waits at most ``wait_cap`` seconds, clients loop either way.
        self.wait_cap = wait_cap

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            status, payload = self.handle(environ)
        except ApiError as exc:
            status, payload = exc.code, exc.body()
        except schema.SchemaError as exc:
            status, payload = 400, ApiError(400, exc.reason, exc.message).body()
        reason = {200: "OK", 204: "No Content"}.get(status, "Error")
        body = b"" if status == 204 else _dump(payload)
        start_response(
            f"{status} {reason}",
            [
                ("Content-Type", "application/json; charset=UTF-8"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[int, Any]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not re.fullmatch(r"Bearer\s+\S+", auth):
            raise ApiError(
                401,
                "required" if not auth else "authError",
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        found = match(method, path)
        if found is None:
            raise ApiError(
                404, "notFound", f"The requested URL {path} was not found on this server."
            )
        route, params = found
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        for key in query:
            if key not in route.params and key not in STANDARD_PARAMS:
                raise invalid(
                    f'Invalid JSON payload received. Unknown name "{key}": '
                    "Cannot bind query parameter."
                )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        body: Any = {}
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise ApiError(400, "parseError", "Invalid JSON payload received.") from None
        with self.compute.lock:
            self.compute.tick()
            return self.dispatch(route, params, query, body)

    def dispatch(
        self, route: Route, params: dict[str, str], query: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        c = self.compute
        project, region = params["project"], params.get("region", "")
        collection, verb = route.collection, route.verb
        name = next(
            (v for k, v in params.items() if k not in ("project", "region")),
            "",
        )
        if verb == "insert":
            return 200, c.insert(project, region, collection, body, route.method_id)
        if verb == "list":
            return 200, self.list(project, region, collection, query)
        if collection == "operations" and verb in ("get", "wait", "delete"):
            return self.operation(project, region, name, verb)
        if verb == "get":
            return 200, c.render(c.get(project, region, collection, name))
        if verb == "delete":
            return 200, c.delete(project, region, collection, name)
        if verb in ("patch", "update") and collection in ("routers", "firewalls"):
            return 200, c.change(project, region, collection, name, body, route.method_id, verb)
        if verb == "setLabels":
            return 200, c.set_labels(project, region, collection, name, body)
        if verb == "getStatus":
            return 200, c.gateway_status(c.get(project, region, collection, name))
        if verb == "getRouterStatus":
            return 200, c.router_status(c.get(project, region, collection, name))
        if collection == "networks" and verb in PEERING_VERBS:
            return 200, c.change_peering(project, name, verb, body, route.method_id)
        if collection == "networks" and verb == "listPeeringRoutes":
            return 200, self.peering_routes(project, name, query)
        raise ApiError(501, "notImplemented", f"{route.method_id} is not emulated.")

    def list(
        self, project: str, region: str, collection: str, query: dict[str, str]
    ) -> dict[str, Any]:
        c = self.compute
        scope = f"regions/{region}" if region else "global"
        clauses = parse_filter(query.get("filter", ""))
        items = [c.render(r) for _unused, r in sorted(c.items(project, scope, collection).items())]
        chunk, token = page([r for r in items if matches(r, clauses)], query)
        rel = f"projects/{project}/{scope}/{collection}"
        out: dict[str, Any] = {
            "kind": f"compute#{KINDS[collection]}List",
            "id": rel,
            "selfLink": c.url(rel),
        }
        if chunk:  # the real API omits "items" from an empty list
            out["items"] = chunk
        if token:
            out["nextPageToken"] = token
        return out

    def peering_routes(self, project: str, name: str, query: dict[str, str]) -> dict[str, Any]:
        """networks.listPeeringRoutes as an ExchangedPeeringRoutesList, filtered and paged like
        the other lists. peeringName, direction and region are required, as gcloud's
        ``networks peerings list-routes NAME --direction --network --region`` has them (the
        wording of the errors is the emulator's)."""
        c = self.compute
        network = c.get(project, "", "networks", name)
        for key in ("peeringName", "direction", "region"):
            if not query.get(key):
                message = f"Required field '{schema.snake(key)}' not specified"
                raise ApiError(400, "required", message)
        direction = query["direction"]
        if direction not in ("INCOMING", "OUTGOING"):
            raise invalid(
                f"Invalid value for field 'direction': '{direction}'. Must be INCOMING or OUTGOING."
            )
        items = c.peering_routes(network, query["peeringName"], direction, query["region"])
        clauses = parse_filter(query.get("filter", ""))
        chunk, token = page([r for r in items if matches(r, clauses)], query)
        rel = f"projects/{project}/global/networks/{name}/listPeeringRoutes"
        out: dict[str, Any] = {
            "kind": "compute#exchangedPeeringRoutesList",
            "id": rel,
            "selfLink": c.url(rel),
        }
        if chunk:  # like the other lists: no "items" when empty
            out["items"] = chunk
        if token:
            out["nextPageToken"] = token
        return out

    def operation(self, project: str, region: str, name: str, verb: str) -> tuple[int, Any]:
        c = self.compute
        scope = f"regions/{region}" if region else "global"
        rel = f"projects/{project}/{scope}/operations/{name}"
        op = c.items(project, scope, "operations").get(name)
        if op is None:
            raise ApiError(404, "notFound", f"The resource '{rel}' was not found")
        if verb == "delete":
            c.items(project, scope, "operations").pop(name)
            return 204, None
        deadline = time.monotonic() + (self.wait_cap if verb == "wait" else 0)
        while op["status"] != "DONE" and time.monotonic() < deadline:
            c.changed.wait(timeout=0.05)
            c.tick()
        return 200, dict(op)

    # ----- emulator-only hooks under /_emulator/gcp/ (not logged, not part of the API) -----

    def admin(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        name = environ["PATH_INFO"][len(GCP_ADMIN) :]
        method = environ.get("REQUEST_METHOD", "GET")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        status, payload = "200 OK", {}
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            with self.compute.lock:
                if name == "learned-routes" and method in ("PUT", "POST"):
                    payload = self.set_learned(body)
                elif name == "learned-routes":
                    payload = self.get_learned()
                elif name == "state":
                    payload = {"/".join(k): v for k, v in self.compute.store.items()}
                elif name == "observed" and method in ("PUT", "POST"):
                    payload = self.observe(body)
                elif name == "observed" and method == "DELETE":
                    self.compute.observed_tunnels.clear()
                    self.compute.observed_peers.clear()
                    payload = self.observations()
                elif name == "observed":
                    payload = self.observations()
                elif name == "operations":
                    payload = self.operation_timing(body if method in ("PUT", "POST") else None)
                else:
                    status, payload = "404 Not Found", {"error": f"no admin endpoint {name!r}"}
        except (ValueError, KeyError, TypeError, AttributeError, ApiError) as exc:
            status, payload = "400 Bad Request", {"error": f"bad {name} body: {exc}"}
        data = _dump(payload)
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def operation_timing(self, body: Any) -> dict[str, Any]:
        """``GET|PUT /_emulator/gcp/operations`` ``{"seconds": S, "byKind": {K: S}}``: how
        long the operations started from now take to reach DONE (the ``--operation-seconds``
        and ``--operation-seconds-by-kind`` start options); ``byKind`` keys are
        ``<collection>.<operationType>`` or ``<collection>`` (Compute.duration_of), and a PUT
        without it leaves them as they are. Real operations take seconds to minutes (Compute
        Engine, "Handling API responses": poll or wait on the Operation until DONE), so a gate
        can run with real-world timing."""
        if body is not None:
            seconds = body.get("seconds") if isinstance(body, dict) else None
            by_kind = body.get("byKind", {}) if isinstance(body, dict) else None
            if not _seconds(seconds):
                raise ValueError("'seconds' must be a number of seconds >= 0")
            if not isinstance(by_kind, dict) or not all(
                isinstance(k, str) and _seconds(v) for k, v in by_kind.items()
            ):
                raise ValueError("'byKind' must map kinds to numbers of seconds >= 0")
            self.compute.operation_seconds = float(seconds)
            if "byKind" in body:
                self.compute.operation_seconds_by_kind = {k: float(v) for k, v in by_kind.items()}
        return {
            "seconds": self.compute.operation_seconds,
            "byKind": dict(self.compute.operation_seconds_by_kind),
        }

    def observe(self, body: Any) -> dict[str, Any]:
        """``{"tunnels": [{"project", "region", "tunnel", "status", "detailedStatus"}],
        "bgpPeers": [{"project", "region", "router", "peer", "status", "state",
        "numLearnedRoutes", "learnedRoutes": [...]}]}``: what a datapath (the lab's strongSwan
        and FRR) reports of each tunnel and BGP session; replaces the earlier observation of
        those. All or nothing: one bad entry changes nothing."""
        tunnels = [self._tunnel_observation(e) for e in body.get("tunnels", [])]
        peers = [self._peer_observation(e) for e in body.get("bgpPeers", [])]
        self.compute.observed_tunnels.update(tunnels)
        self.compute.observed_peers.update(peers)
        return self.observations()

    def _scope(self, entry: dict[str, Any]) -> tuple[str, str]:
        return (
            entry.get("project", self.compute_defaults["project"]),
            entry.get("region", self.compute_defaults["region"]),
        )

    def _tunnel_observation(self, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        project, region = self._scope(entry)
        tunnel = self.compute.get(project, region, "vpnTunnels", str(entry["tunnel"]))
        status, detail = entry["status"], entry.get("detailedStatus", "")
        # VpnTunnel.status (Compute Engine API reference, VpnTunnel): the documented values.
        if status not in TUNNEL_STATUSES:
            raise ValueError(f"tunnel status must be one of {sorted(TUNNEL_STATUSES)}: {status!r}")
        if not isinstance(detail, str):
            raise ValueError(f"detailedStatus must be a string, got {detail!r}")
        return tunnel["selfLink"], {"status": status, "detailedStatus": detail}

    def _peer_observation(self, entry: dict[str, Any]) -> tuple[tuple[str, str], dict[str, Any]]:
        project, region = self._scope(entry)
        router = self.compute.get(project, region, "routers", str(entry["router"]))
        name = str(entry["peer"])
        if name not in [p["name"] for p in router.get("bgpPeers", [])]:
            raise ValueError(f"router {router['name']!r} has no BGP peer {name!r}")
        status, state = entry["status"], entry["state"]
        learned, count = entry.get("learnedRoutes", []), entry.get("numLearnedRoutes", 0)
        # RouterStatusBgpPeerStatus (routers.getRouterStatus): status UP | DOWN | UNKNOWN;
        # state "BGP state as specified in RFC1771" (the RFC 4271 FSM states).
        if status not in ("UP", "DOWN", "UNKNOWN"):
            raise ValueError(f"BGP peer status must be UP, DOWN or UNKNOWN, got {status!r}")
        if state not in BGP_STATES:
            raise ValueError(f"BGP state must be one of {list(BGP_STATES)}, got {state!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"numLearnedRoutes must be an integer >= 0, got {count!r}")
        if not isinstance(learned, list) or not all(isinstance(r, str) for r in learned):
            raise ValueError(f"learnedRoutes must be a list of prefixes, got {learned!r}")
        seen = {"status": status, "state": state, "numLearnedRoutes": count}
        return (router["selfLink"], name), seen | {"learnedRoutes": learned}

    def observations(self) -> dict[str, Any]:
        c = self.compute
        return {
            "tunnels": [{"selfLink": k} | v for k, v in sorted(c.observed_tunnels.items())],
            "bgpPeers": [
                {"router": router, "peer": peer} | v
                for (router, peer), v in sorted(c.observed_peers.items())
            ],
        }

    def set_learned(self, body: Any) -> dict[str, Any]:
        """``{"routes": [{"project", "region", "router", "peer", "prefixes": [...]}]}``
        replaces what each named BGP peer learns from its remote side."""
        for entry in body["routes"]:
            project = entry.get("project", self.compute_defaults["project"])
            region = entry.get("region", self.compute_defaults["region"])
            router = f"projects/{project}/regions/{region}/routers/{entry['router']}"
            key = (self.compute.url(router), str(entry["peer"]))
            self.compute.learned[key] = [str(p) for p in entry["prefixes"]]
        return self.get_learned()

    def get_learned(self) -> dict[str, Any]:
        routes = []
        for (router, peer), prefixes in sorted(self.compute.learned.items()):
            project, scope, _unused, name = split_rel(self.compute.rel(router, "", "routers"))
            routes.append(
                {
                    "project": project,
                    "region": scope.split("/")[1],
                    "router": name,
                    "peer": peer,
                    "prefixes": prefixes,
                }
            )
        return {"routes": routes}


class Front:
    """Outermost WSGI layer: ``/_emulator/gcp/*`` hooks, everything else instrumented."""

    def __init__(self, app: ComputeApp, instrumented: _common.Instrumented) -> None:
        self.app = app
        self.instrumented = instrumented

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(GCP_ADMIN):
            return self.app.admin(environ, start_response)
        return self.instrumented(environ, start_response)


def _seconds(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


def seed(app: ComputeApp, data: dict[str, Any]) -> None:
    """Pre-create networks and subnetworks (and learned routes) through the API's own code
    path: ``{"networks": [Network], "subnetworks": [Subnetwork + "region"],
    "learnedRoutes": [...]}``; an entry may name its ``project``."""
    c = app.compute
    defaults = app.compute_defaults
    saved, c.operation_seconds = c.operation_seconds, 0.0
    saved_by_kind, c.operation_seconds_by_kind = c.operation_seconds_by_kind, {}
    with c.lock:
        for kind in ("networks", "subnetworks"):
            for entry in data.get(kind, []):
                body = dict(entry)
                project = body.pop("project", defaults["project"])
                region = body.pop("region", defaults["region"]) if kind == "subnetworks" else ""
                c.insert(project, region, kind, body, f"compute.{kind}.insert")
        c.tick()
        failed = [op.resource for op in c.operations if "error" in op.resource]
        if failed:
            raise ValueError(f"seed failed: {failed[0]['error']}")
        c.operations.clear()
        for key in [k for k in c.store if k[2] == "operations"]:
            del c.store[key]
    c.operation_seconds = saved
    c.operation_seconds_by_kind = saved_by_kind
    if data.get("learnedRoutes"):
        app.set_learned({"routes": data["learnedRoutes"]})


def build(
    *,
    port: int,
    state_dir: str,
    faults: list[dict[str, Any]] | None = None,
    project: str = "demo-project",
    region: str = "europe-west1",
    operation_seconds: float = 0.0,
    operation_seconds_by_kind: dict[str, float] | None = None,
    seed_data: dict[str, Any] | None = None,
    wait_cap: float = 10.0,
    throttle_reason: str = "rateLimitExceeded",
) -> Front:
    compute = Compute(
        base=f"http://127.0.0.1:{port}{PREFIX}",
        operation_seconds=operation_seconds,
        operation_seconds_by_kind=dict(operation_seconds_by_kind or {}),
    )
    app = ComputeApp(compute, wait_cap=wait_cap, project=project, region=region)
    if seed_data:
        seed(app, seed_data)
    plan = _common.Faults()
    plan.replace(faults or [])
    instrumented = _common.Instrumented(
        app,
        service="gcp",
        log=_common.RequestLog(state_dir, "gcp"),
        faults=plan,
        classify=classify,
        render_fault=functools.partial(render_fault, throttle_reason=throttle_reason),
    )
    return Front(app, instrumented)
