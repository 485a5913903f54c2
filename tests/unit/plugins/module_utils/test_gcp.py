"""Unit tests of plugins/module_utils/_gcp.py: no network.

Transport tests use a fake session (the object AuthorizedSession would be); plan/apply
tests replace the wrappers ``get`` and ``mutate`` and record what would be sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp as g
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_firewall as gf
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_info as gi
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_router as gr
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_vpn_gateway as gvg
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_vpn_tunnel as gt

PROJECT = "demo-project"
REGION = "europe-west1"
BASE = f"https://compute.example/compute/v1/projects/{PROJECT}/"


class FakeResponse:
    def __init__(self, status: int, payload: Any = None) -> None:
        self.status_code = status
        self.text = json.dumps(payload) if payload is not None else ""
        self.content = self.text.encode()

    def json(self) -> Any:
        return json.loads(self.text)


class FakeSession:
    """Answers queued responses in order and records every call."""

    def __init__(self, responses: list[FakeResponse], clock: FakeClock | None = None) -> None:
        self.responses = list(responses)
        self.calls: list[tuple[str, str, Any, Any]] = []
        self.clock = clock

    def request(self, method: str, url: str, json: Any = None, params: Any = None, timeout=None):
        self.calls.append((method, url, json, dict(params or {})))
        if self.clock is not None:
            self.clock.now += self.clock.latency  # every call takes this long
        return self.responses.pop(0)


class FakeClock:
    def __init__(self, latency: float = 0.0) -> None:
        self.now = 0.0
        self.latency = latency

    def __call__(self) -> float:
        return self.now


def error_body(status: int, reason: str, message: str) -> dict[str, Any]:
    # Google JSON error format (Compute Engine reference, "Handling API errors").
    return {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}


def op(status: str, name: str = "operation-1", **extra: Any) -> dict[str, Any]:
    return {"kind": "compute#operation", "name": name, "status": status, **extra}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(g, "_sleep", recorded.append)
    return recorded


def make_api(session: Any, clock: FakeClock | None = None, timeout: float = 300) -> g.Api:
    return g.Api(
        session=session,
        endpoint="https://compute.example",
        project=PROJECT,
        region=REGION,
        wait_timeout=timeout,
        clock=clock or FakeClock(),
    )


# ----------------------------------------------------------------------------- transport


def test_error_from_google_body() -> None:
    text = json.dumps(error_body(409, "alreadyExists", "The resource 'x' already exists"))
    err = g.GcpError.from_response(409, text)
    assert (err.status, err.reason, err.message) == (
        409,
        "alreadyExists",
        "The resource 'x' already exists",
    )


def test_error_from_non_json_body() -> None:
    err = g.GcpError.from_response(502, "<html>Bad gateway</html>")
    assert err.status == 502
    assert err.reason == "unknown"
    assert "Bad gateway" in err.message


def test_429_is_retried_with_jittered_backoff(sleeps: list[float]) -> None:
    throttled = FakeResponse(429, error_body(429, "rateLimitExceeded", "Rate Limit Exceeded"))
    session = FakeSession([throttled, throttled, FakeResponse(200, {"name": "r1"})])
    assert g.request(make_api(session), "GET", "regions/x/routers/r1") == {"name": "r1"}
    assert len(session.calls) == 3
    assert len(sleeps) == 2
    # full jitter: each sleep is within [0, base * 2**attempt]
    assert 0 <= sleeps[0] <= 0.5
    assert 0 <= sleeps[1] <= 1.0


def test_5xx_retries_are_bounded(sleeps: list[float]) -> None:
    unavailable = FakeResponse(503, error_body(503, "backendError", "Backend Error"))
    session = FakeSession([unavailable] * 6)
    with pytest.raises(g.GcpError) as info:
        g.request(make_api(session), "GET", "global/firewalls/x")
    assert info.value.status == 503
    assert len(session.calls) == 6
    assert len(sleeps) == 5


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_403_rate_limits_are_retried(sleeps: list[float], reason: str) -> None:
    """Compute Engine "API rate limits": over a rate quota the API answers 403 with reason
    rateLimitExceeded (userRateLimitExceeded per user), domain usageLimits."""
    body = error_body(403, reason, "Quota exceeded for quota metric 'Queries'")
    body["error"]["errors"][0]["domain"] = "usageLimits"
    throttled = FakeResponse(403, body)
    session = FakeSession([throttled, throttled, FakeResponse(200, {"name": "r1"})])
    assert g.request(make_api(session), "GET", "regions/x/routers/r1") == {"name": "r1"}
    assert len(session.calls) == 3
    assert len(sleeps) == 2


def test_403_rate_limit_retries_are_bounded(sleeps: list[float]) -> None:
    throttled = FakeResponse(403, error_body(403, "rateLimitExceeded", "Rate Limit Exceeded"))
    session = FakeSession([throttled] * 6)
    with pytest.raises(g.GcpError) as info:
        g.request(make_api(session), "GET", "global/firewalls/x")
    assert (info.value.status, info.value.reason) == (403, "rateLimitExceeded")
    assert len(session.calls) == 6 and len(sleeps) == 5


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "invalid"),
        # A 403 is retried only for a rate limit: not for permissions or resource quotas.
        (403, "forbidden"),
        (403, "insufficientPermissions"),
        (403, "quotaExceeded"),
        (404, "notFound"),
        (409, "alreadyExists"),
    ],
)
def test_client_errors_are_not_retried(sleeps: list[float], status: int, reason: str) -> None:
    session = FakeSession([FakeResponse(status, error_body(status, reason, "no"))])
    with pytest.raises(g.GcpError) as info:
        g.request(make_api(session), "POST", "global/firewalls", {"name": "x"})
    assert info.value.reason == reason
    assert len(session.calls) == 1
    assert sleeps == []


def test_get_returns_none_on_404() -> None:
    session = FakeSession([FakeResponse(404, error_body(404, "notFound", "gone"))])
    assert g.get(make_api(session), "global/firewalls/x") is None


def test_list_all_follows_page_tokens() -> None:
    session = FakeSession(
        [
            FakeResponse(200, {"items": [{"name": "a"}, {"name": "b"}], "nextPageToken": "p2"}),
            FakeResponse(200, {"items": [{"name": "c"}]}),
        ]
    )
    items = g.list_all(make_api(session), "global/firewalls")
    assert [i["name"] for i in items] == ["a", "b", "c"]
    assert session.calls[0][3] == {"maxResults": 500}
    assert session.calls[1][3] == {"maxResults": 500, "pageToken": "p2"}


def test_operation_polled_with_wait_method_through_latency_and_429(sleeps: list[float]) -> None:
    clock = FakeClock(latency=20.0)
    throttled = FakeResponse(429, error_body(429, "rateLimitExceeded", "slow down"))
    session = FakeSession(
        [
            FakeResponse(200, op("PENDING", region=f"{BASE}regions/{REGION}")),
            throttled,
            FakeResponse(200, op("RUNNING", region=f"{BASE}regions/{REGION}")),
            FakeResponse(200, op("DONE", region=f"{BASE}regions/{REGION}")),
        ],
        clock,
    )
    done = g.mutate(make_api(session, clock), "POST", f"regions/{REGION}/routers", {"name": "r"})
    assert done["status"] == "DONE"
    wait_url = f"{BASE}regions/{REGION}/operations/operation-1/wait"
    assert [(c[0], c[1]) for c in session.calls[1:]] == [("POST", wait_url)] * 3
    assert len(sleeps) == 1


def test_global_operation_uses_global_wait() -> None:
    session = FakeSession([FakeResponse(200, op("RUNNING")), FakeResponse(200, op("DONE"))])
    g.mutate(make_api(session), "DELETE", "global/firewalls/x")
    assert session.calls[1][1] == f"{BASE}global/operations/operation-1/wait"


def test_operation_deadline() -> None:
    clock = FakeClock(latency=60.0)
    session = FakeSession([FakeResponse(200, op("RUNNING"))] * 10, clock)
    with pytest.raises(g.GcpError) as info:
        g.mutate(make_api(session, clock, timeout=100), "POST", "global/firewalls", {})
    assert info.value.reason == "timeout"
    assert "wait_timeout" in info.value.message
    # insert ends at t=60, deadline t=160; waits end at t=120 and t=180, then it gives up
    assert len(session.calls) == 3


def test_operation_error_raises_with_google_reason() -> None:
    failed = op(
        "DONE",
        httpErrorStatusCode=400,
        error={"errors": [{"code": "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE", "message": "in use"}]},
    )
    session = FakeSession([FakeResponse(200, failed)])
    with pytest.raises(g.GcpError) as info:
        g.mutate(make_api(session), "DELETE", "global/externalVpnGateways/x")
    assert (info.value.status, info.value.reason, info.value.message) == (
        400,
        "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
        "in use",
    )


GATEWAYS = f"{BASE}regions/{REGION}/vpnGateways"
NOT_FOUND = FakeResponse(404, error_body(404, "notFound", "not found"))


def gateway_params(**overrides: Any) -> dict[str, Any]:
    return {"name": "gw", "state": "present", "network": "net1", "stack_type": None, **overrides}


def no_wait_api(session: FakeSession) -> g.Api:
    api = make_api(session)
    api.wait = False
    return api


@pytest.mark.parametrize("status", ["PENDING", "RUNNING"])
def test_no_wait_returns_the_accepted_operation_without_polling(status: str) -> None:
    accepted = op(status, region=f"{BASE}regions/{REGION}", selfLink=f"{BASE}ops/operation-1")
    session = FakeSession([NOT_FOUND, FakeResponse(200, accepted)])
    outcome = gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(), check_mode=False)
    # one GET (plan) and the insert: no operations.wait call, no GET of the new gateway
    assert [(c[0], c[1]) for c in session.calls] == [
        ("GET", f"{GATEWAYS}/gw"),
        ("POST", GATEWAYS),
    ]
    assert outcome.changed
    assert outcome.values["operation"]["status"] == status
    assert outcome.values["operation"]["self_link"] == f"{BASE}ops/operation-1"
    assert outcome.after is not None and outcome.after["name"] == "gw"
    assert outcome.values["interface_ips"] == []
    result = outcome.result("vpn_gateway", want_diff=True)
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "gw"


def test_no_wait_is_idempotent_once_the_resource_exists() -> None:
    existing = {
        "name": "gw",
        "description": g.DEFAULT_DESCRIPTION,
        "network": f"{BASE}global/networks/net1",
        "vpnInterfaces": [{"id": 0, "ipAddress": "203.0.113.1"}],
    }
    session = FakeSession([FakeResponse(200, existing)])
    outcome = gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(), check_mode=False)
    assert not outcome.changed
    assert "operation" not in outcome.values
    assert outcome.values["interface_ips"] == ["203.0.113.1"]
    assert len(session.calls) == 1


def test_no_wait_operation_done_at_once_is_checked_and_read_back() -> None:
    created = {"name": "gw", "selfLink": f"{GATEWAYS}/gw", "vpnInterfaces": []}
    session = FakeSession([NOT_FOUND, FakeResponse(200, op("DONE")), FakeResponse(200, created)])
    outcome = gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(), check_mode=False)
    assert [c[0] for c in session.calls] == ["GET", "POST", "GET"]
    assert outcome.after == created and outcome.values["operation"]["status"] == "DONE"
    failed = op("DONE", httpErrorStatusCode=409, error={"errors": [{"code": "X", "message": "m"}]})
    session = FakeSession([NOT_FOUND, FakeResponse(200, failed)])
    with pytest.raises(g.GcpError, match="m"):
        gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(), check_mode=False)


def test_no_wait_delete_and_check_mode() -> None:
    existing = {"name": "gw", "description": g.DEFAULT_DESCRIPTION}
    session = FakeSession([FakeResponse(200, existing)])
    planned = gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(state="absent"), True)
    assert planned.changed and "operation" not in planned.values
    assert [c[0] for c in session.calls] == ["GET"]  # check mode: no mutating call
    session = FakeSession([FakeResponse(200, existing), FakeResponse(200, op("RUNNING"))])
    deleted = gvg.ha_vpn_gateway(no_wait_api(session), gateway_params(state="absent"), False)
    assert [c[0] for c in session.calls] == ["GET", "DELETE"]
    assert deleted.changed and deleted.after is None
    assert deleted.values["operation"]["status"] == "RUNNING"


def test_waiting_is_the_default() -> None:
    params = {"auth_kind": "accesstoken", "access_token": "t", "project": "p", "region": "r"}
    assert g.connect(params).wait is True
    assert g.connect({**params, "wait": False}).wait is False
    session = FakeSession(
        [
            NOT_FOUND,
            FakeResponse(200, op("PENDING")),
            FakeResponse(200, op("DONE")),
            FakeResponse(200, {"name": "gw"}),
        ]
    )
    outcome = gvg.ha_vpn_gateway(make_api(session), gateway_params(), check_mode=False)
    assert [c[1].rsplit("/", 1)[-1] for c in session.calls] == ["gw", "vpnGateways", "wait", "gw"]
    assert "operation" not in outcome.values


def test_info_waits_once_for_the_operation_of_a_change_started_without_waiting() -> None:
    """gcp_ha_vpn_gateway with wait: false, then gcp_ha_vpn_gateway_info with its operation:
    the insert, then one operations.wait chain and one read, no read before the DONE."""
    region = f"{BASE}regions/{REGION}"
    accepted = op("PENDING", region=region)
    created = {"name": "gw", "vpnInterfaces": [{"id": 0, "ipAddress": "203.0.113.1"}]}
    session = FakeSession(
        [
            NOT_FOUND,
            FakeResponse(200, accepted),
            FakeResponse(200, op("RUNNING", region=region)),
            FakeResponse(200, op("DONE", region=region)),
            FakeResponse(200, created),
        ]
    )
    api = no_wait_api(session)
    started = gvg.ha_vpn_gateway(api, gateway_params(), check_mode=False)
    listing = gi.listing("vpn_gateways", "vpnGateways")
    found = listing(
        make_api(session), {"name": "gw", "operation": started.values["operation"]}, False
    )
    wait_url = f"{region}/operations/operation-1/wait"
    assert [(c[0], c[1]) for c in session.calls] == [
        ("GET", f"{GATEWAYS}/gw"),
        ("POST", GATEWAYS),
        ("POST", wait_url),
        ("POST", wait_url),
        ("GET", f"{GATEWAYS}/gw"),
    ]
    assert found.values["vpn_gateways"][0]["vpn_interfaces"][0]["ip_address"] == "203.0.113.1"
    failed = op("DONE", region=region, error={"errors": [{"code": "X", "message": "quota"}]})
    session = FakeSession([FakeResponse(200, failed)])
    with pytest.raises(g.GcpError, match="quota"):
        listing(make_api(session), {"name": "gw", "operation": g.snake(accepted)}, False)


# ----------------------------------------------------------------------------- credentials


def test_unreadable_service_account_file_names_the_path(tmp_path) -> None:
    missing = tmp_path / "nope.json"
    params = {
        "auth_kind": "serviceaccount",
        "service_account_file": str(missing),
        "project": PROJECT,
        "region": REGION,
    }
    with pytest.raises(ValueError, match=f"service_account_file {missing} cannot be read"):
        g.connect(params)


def test_service_account_file_not_json(tmp_path) -> None:
    bad = tmp_path / "key.json"
    bad.write_text("not json")
    params = {"auth_kind": "serviceaccount", "service_account_file": str(bad), "project": "p"}
    with pytest.raises(ValueError, match=f"service_account_file {bad} is not a JSON key file"):
        g.connect(params, need_region=False)


def test_access_token_credentials() -> None:
    params = {"auth_kind": "accesstoken", "access_token": "tok", "project": "p", "region": "r"}
    api = g.connect(params)
    assert api.session.credentials.token == "tok"
    assert api.base == "https://compute.googleapis.com/compute/v1/projects/p/"


def test_access_token_missing() -> None:
    with pytest.raises(ValueError, match="access_token is required"):
        g.connect({"auth_kind": "accesstoken", "project": "p", "region": "r"})


@pytest.mark.parametrize(
    ("params", "need_region", "message"),
    [
        ({"region": "r"}, True, "project is required"),
        ({"project": "p"}, True, "region is required"),
    ],
)
def test_missing_location(params: dict[str, Any], need_region: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        g.connect({"auth_kind": "accesstoken", "access_token": "t", **params}, need_region)


def test_global_resources_do_not_need_region() -> None:
    api = g.connect({"auth_kind": "accesstoken", "access_token": "t", "project": "p"}, False)
    assert api.region is None


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: g.check_name("name", "Upper"), "name 'Upper' is not a valid"),
        (lambda: g.check_name("name", "1abc"), "name '1abc' is not a valid"),
        (lambda: g.check_name("router", "ends-"), "router 'ends-' is not a valid"),
        (lambda: g.check_name("name", "a" * 64), "is not a valid Compute Engine name"),
        (lambda: g.check_private_asn("asn", 65535), "asn 65535 is not a private ASN"),
        (lambda: g.check_private_asn("asn", 64511), "use 64512-65534 or 4200000000-4294967294"),
        (lambda: g.check_private_asn("asn", 4294967295), "asn 4294967295 is not a private"),
        (lambda: g.check_peer_asn("peer_asn", 0), "peer_asn 0 is out of range"),
        (
            lambda: g.check_link_local_30("ip_range", "10.0.0.2/30"),
            "must be a /30 inside 169.254.0.0/16",
        ),
        (
            lambda: g.check_link_local_30("ip_range", "169.254.10.2/29"),
            "must be a /30 inside 169.254.0.0/16",
        ),
        (
            lambda: g.check_link_local_30("ip_range", "169.254.10.0/30"),
            "network or broadcast address",
        ),
        (lambda: g.check_link_local_30("ip_range", "nope"), "ip_range 'nope' is not an IPv4"),
        (
            lambda: g.check_peer_ip(
                "peer_ip_address", "169.254.10.5", g.check_link_local_30("x", "169.254.10.2/30")
            ),
            "peer_ip_address 169.254.10.5 is not the other host.*use 169.254.10.1",
        ),
        (
            lambda: g.check_peer_ip(
                "peer_ip_address", "169.254.10.2", g.check_link_local_30("x", "169.254.10.2/30")
            ),
            "is not the other host",
        ),
        (
            lambda: gvg.external_interfaces("TWO_IPS_REDUNDANCY", [{"ip_address": "1.1.1.1"}]),
            "interfaces has 1 entries but redundancy_type TWO_IPS_REDUNDANCY needs exactly 2",
        ),
        (
            lambda: gvg.external_interfaces(
                "TWO_IPS_REDUNDANCY",
                [{"id": 0, "ip_address": "1.1.1.1"}, {"id": 2, "ip_address": "1.1.1.2"}],
            ),
            r"interfaces\[1\].id 2 is out of range for redundancy_type TWO_IPS_REDUNDANCY",
        ),
        (
            lambda: gvg.external_interfaces(
                "SINGLE_IP_INTERNALLY_REDUNDANT", [{"ip_address": "x"}]
            ),
            r"interfaces\[0\].ip_address 'x' is not an IPv4 address",
        ),
    ],
)
def test_validation_messages(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", ["a", "xcl-router", "a1-b2", "a" * 63])
def test_valid_names(name: str) -> None:
    g.check_name("name", name)


@pytest.mark.parametrize("asn", [64512, 65534, 4200000000, 4294967294])
def test_private_asn_bounds(asn: int) -> None:
    g.check_private_asn("asn", asn)


# ----------------------------------------------------------------------------- router merge

FOREIGN_IF = {"name": "if-manual", "ipRange": "169.254.99.2/30", "linkedVpnTunnel": "t-manual"}
FOREIGN_PEER = {"name": "manual", "interfaceName": "if-manual", "peerAsn": 65100}
OUR_IF = {"name": "if-xcl-a1", "ipRange": "169.254.10.2/30"}
OUR_PEER = {"name": "xcl-a1", "interfaceName": "if-xcl-a1", "peerAsn": 64512}


def test_merge_appends_ours_and_keeps_foreign() -> None:
    interfaces, peers = gr.merge_router_entries(
        [FOREIGN_IF], [FOREIGN_PEER], OUR_IF, OUR_PEER, "if-xcl-a1", "xcl-a1"
    )
    assert interfaces == [FOREIGN_IF, OUR_IF]
    assert peers == [FOREIGN_PEER, OUR_PEER]


def test_merge_updates_ours_in_place_keeping_server_fields() -> None:
    current_if = {**OUR_IF, "managementType": "MANAGED_BY_USER"}
    current_peer = {**OUR_PEER, "peerAsn": 64999, "advertiseMode": "DEFAULT"}
    interfaces, peers = gr.merge_router_entries(
        [current_if, FOREIGN_IF],
        [current_peer, FOREIGN_PEER],
        OUR_IF,
        OUR_PEER,
        "if-xcl-a1",
        "xcl-a1",
    )
    assert interfaces == [current_if, FOREIGN_IF]
    assert peers == [{**OUR_PEER, "advertiseMode": "DEFAULT"}, FOREIGN_PEER]


def test_merge_removes_only_ours() -> None:
    interfaces, peers = gr.merge_router_entries(
        [FOREIGN_IF, OUR_IF], [OUR_PEER, FOREIGN_PEER], None, None, "if-xcl-a1", "xcl-a1"
    )
    assert interfaces == [FOREIGN_IF]
    assert peers == [FOREIGN_PEER]


def test_merge_is_idempotent() -> None:
    once = gr.merge_router_entries(
        [FOREIGN_IF], [FOREIGN_PEER], OUR_IF, OUR_PEER, OUR_IF["name"], "xcl-a1"
    )
    twice = gr.merge_router_entries(*once, OUR_IF, OUR_PEER, OUR_IF["name"], "xcl-a1")
    assert once == twice


# ----------------------------------------------------------------------------- plan/apply


class Recorder:
    """Replaces the get/mutate wrappers with an in-memory store."""

    def __init__(self, store: dict[str, dict[str, Any]]) -> None:
        self.store = store
        self.mutations: list[tuple[str, str, Any]] = []
        self.lists: list[str] = []
        self.gets: list[str] = []

    def get(self, api: g.Api, path: str) -> dict[str, Any] | None:
        self.gets.append(path)
        return self.store.get(path)

    def list_all(self, api: g.Api, path: str, params: Any = None) -> list[dict[str, Any]]:
        self.lists.append(path)
        return [v for k, v in self.store.items() if k.rsplit("/", 1)[0] == path]

    def mutate(
        self, api: g.Api, method: str, path: str, body: Any = None, *, wait: bool = True
    ) -> dict[str, Any]:
        self.mutations.append((method, path, body))
        if method == "POST":
            self.store[f"{path}/{body['name']}"] = body
        elif method == "PATCH":
            self.store[path] = g.merged(self.store[path], body)
        elif method == "DELETE":
            self.store.pop(path, None)
        return op("DONE")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder({})
    monkeypatch.setattr(g, "get", rec.get)
    monkeypatch.setattr(g, "list_all", rec.list_all)
    monkeypatch.setattr(g, "mutate", rec.mutate)
    return rec


API = g.Api(session=None, endpoint="https://compute.example", project=PROJECT, region=REGION)
ROUTER_PATH = f"regions/{REGION}/routers/xcl-router"


def router_params(**overrides: Any) -> dict[str, Any]:
    params = {
        "name": "xcl-router",
        "state": "present",
        "network": "net1",
        "asn": 65010,
        "advertise_mode": "CUSTOM",
        "advertised_groups": ["ALL_SUBNETS"],
        "advertised_ip_ranges": [{"range": "10.8.0.0/14", "description": "pods"}],
        "keepalive_interval": None,
        "description": None,
    }
    return {**params, **overrides}


def peer_params(**overrides: Any) -> dict[str, Any]:
    params = {
        "name": "xcl-a1",
        "router": "xcl-router",
        "state": "present",
        "interface_name": None,
        "ip_range": "169.254.10.2/30",
        "linked_vpn_tunnel": "xcl-a1",
        "peer_ip_address": "169.254.10.1",
        "peer_asn": 64512,
        "advertised_route_priority": None,
        "enable": True,
        "bfd_mode": "DISABLED",
    }
    return {**params, **overrides}


def test_router_four_run_cycle(recorder: Recorder) -> None:
    params = router_params()
    first = gr.router(API, params, check_mode=True)
    assert first.changed and recorder.mutations == []
    assert gr.router(API, params, check_mode=False).changed
    assert [m[0] for m in recorder.mutations] == ["POST"]
    assert not gr.router(API, params, check_mode=True).changed
    assert not gr.router(API, params, check_mode=False).changed
    assert len(recorder.mutations) == 1


def test_router_asn_change_is_refused_without_any_mutation(recorder: Recorder) -> None:
    gr.router(API, router_params(), check_mode=False)
    with pytest.raises(ValueError, match=r"has ASN 65010.*cannot be changed.*set asn: 65010"):
        gr.router(API, router_params(asn=65011), check_mode=False)
    assert [m[0] for m in recorder.mutations] == ["POST"]


def test_router_patch_keeps_unset_bgp_fields(recorder: Recorder) -> None:
    gr.router(API, router_params(), check_mode=False)
    recorder.store[ROUTER_PATH]["bgp"]["keepaliveInterval"] = 20  # server default
    outcome = gr.router(API, router_params(advertised_ip_ranges=[{"range": "10.12.0.0/20"}]), False)
    assert outcome.changed
    method, path, body = recorder.mutations[-1]
    assert (method, path, sorted(body)) == ("PATCH", ROUTER_PATH, ["bgp", "name"])
    assert body["bgp"]["asn"] == 65010
    assert body["bgp"]["keepaliveInterval"] == 20
    assert body["bgp"]["advertisedIpRanges"] == [{"range": "10.12.0.0/20"}]


def test_router_refuses_foreign_router(recorder: Recorder) -> None:
    recorder.store[ROUTER_PATH] = {"name": "xcl-router", "description": "made by hand"}
    with pytest.raises(ValueError, match=r"not created by crosscluster.link"):
        gr.router(API, router_params(state="absent"), check_mode=False)
    assert recorder.mutations == []


TUNNELS = f"regions/{REGION}/vpnTunnels"
OUR_TUNNEL_LINK = f"{BASE}{TUNNELS}/xcl-a1"


def owned_router(interfaces: list[dict[str, Any]], peers: list[dict[str, Any]]) -> dict:
    return {
        "name": "xcl-router",
        "description": g.DEFAULT_DESCRIPTION,
        "interfaces": interfaces,
        "bgpPeers": peers,
    }


@pytest.mark.parametrize(
    ("interfaces", "peers", "named"),
    [
        # A hand-made interface and peer on a tunnel without the ownership mark.
        ([FOREIGN_IF], [FOREIGN_PEER], ["interface if-manual", "BGP peer manual"]),
        # Ours are not named; the foreign pair next to them is.
        (
            [{**OUR_IF, "linkedVpnTunnel": OUR_TUNNEL_LINK}, FOREIGN_IF],
            [OUR_PEER, FOREIGN_PEER],
            ["interface if-manual", "BGP peer manual"],
        ),
        # An interface linked to no tunnel, and a peer on an interface that does not exist.
        (
            [OUR_IF],
            [{**FOREIGN_PEER, "interfaceName": "if-gone"}],
            ["interface if-xcl-a1", "BGP peer manual"],
        ),
        ([], [FOREIGN_PEER], ["BGP peer manual"]),
    ],
)
def test_router_delete_refused_while_foreign_entries_remain(
    recorder: Recorder, interfaces: list, peers: list, named: list[str]
) -> None:
    recorder.store[ROUTER_PATH] = owned_router(interfaces, peers)
    recorder.store[f"{TUNNELS}/xcl-a1"] = {"name": "xcl-a1", "description": g.DEFAULT_DESCRIPTION}
    recorder.store[f"{TUNNELS}/t-manual"] = {"name": "t-manual", "description": "made by hand"}
    assert gr.foreign_router_entries(API, recorder.store[ROUTER_PATH]) == named
    for check_mode in (True, False):
        with pytest.raises(ValueError, match=r"Cloud Router xcl-router is not deleted") as exc:
            gr.router(API, router_params(state="absent"), check_mode=check_mode)
        assert f"still has {', '.join(named)}, which" in str(exc.value)
    assert recorder.mutations == []
    assert ROUTER_PATH in recorder.store


def test_router_delete_goes_ahead_with_only_our_entries(recorder: Recorder) -> None:
    ours = [{**OUR_IF, "linkedVpnTunnel": OUR_TUNNEL_LINK}]
    recorder.store[ROUTER_PATH] = owned_router(ours, [OUR_PEER])
    recorder.store[f"{TUNNELS}/xcl-a1"] = {"name": "xcl-a1", "description": g.DEFAULT_DESCRIPTION}
    assert gr.router(API, router_params(state="absent"), check_mode=True).changed
    assert recorder.mutations == []
    assert gr.router(API, router_params(state="absent"), check_mode=False).changed
    assert recorder.mutations == [("DELETE", ROUTER_PATH, None)]
    assert not gr.router(API, router_params(state="absent"), check_mode=False).changed


def test_router_peer_patch_sends_foreign_entries(recorder: Recorder) -> None:
    recorder.store[ROUTER_PATH] = {
        "name": "xcl-router",
        "interfaces": [FOREIGN_IF],
        "bgpPeers": [FOREIGN_PEER],
    }
    assert gr.router_peer(API, peer_params(), check_mode=True).changed
    assert recorder.mutations == []
    assert gr.router_peer(API, peer_params(), check_mode=False).changed
    method, path, body = recorder.mutations[-1]
    assert (method, path) == ("PATCH", ROUTER_PATH)
    assert body["interfaces"][0] == FOREIGN_IF
    assert body["bgpPeers"][0] == FOREIGN_PEER
    assert body["interfaces"][1]["name"] == "if-xcl-a1"
    assert body["interfaces"][1]["linkedVpnTunnel"].endswith(f"regions/{REGION}/vpnTunnels/xcl-a1")
    assert body["bgpPeers"][1]["bfd"] == {"sessionInitializationMode": "DISABLED"}
    assert not gr.router_peer(API, peer_params(), check_mode=False).changed
    # delete twice: only ours goes, the foreign peer stays
    assert gr.router_peer(API, peer_params(state="absent"), check_mode=False).changed
    assert not gr.router_peer(API, peer_params(state="absent"), check_mode=False).changed
    assert recorder.store[ROUTER_PATH]["interfaces"] == [FOREIGN_IF]
    assert recorder.store[ROUTER_PATH]["bgpPeers"] == [FOREIGN_PEER]


def test_router_peer_rejects_bad_input_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_call(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("API called before validation")

    monkeypatch.setattr(g, "get", no_call)
    monkeypatch.setattr(g, "mutate", no_call)
    with pytest.raises(ValueError, match=r"peer_ip_address 169.254.11.1 is not the other host"):
        gr.router_peer(API, peer_params(peer_ip_address="169.254.11.1"), check_mode=False)
    with pytest.raises(ValueError, match="router 'Bad_Router' is not a valid"):
        gr.router_peer(API, peer_params(router="Bad_Router"), check_mode=False)


def peers_params(count: int, **overrides: Any) -> dict[str, Any]:
    """``peers`` mode: ``count`` interfaces and peers on consecutive /30s."""
    single = peer_params()
    common = {k: single[k] for k in ("peer_asn", "advertised_route_priority", "enable", "bfd_mode")}
    peers = [
        {
            **common,
            "name": f"xcl-a{i}",
            "interface_name": None,
            "ip_range": f"169.254.{10 + i}.2/30",
            "linked_vpn_tunnel": f"xcl-a{i}",
            "peer_ip_address": f"169.254.{10 + i}.1",
        }
        for i in range(count)
    ]
    return {**single, "name": None, "peers": peers, **overrides}


def test_router_peers_in_one_patch(recorder: Recorder) -> None:
    recorder.store[ROUTER_PATH] = {
        "name": "xcl-router",
        "interfaces": [FOREIGN_IF],
        "bgpPeers": [FOREIGN_PEER],
    }
    check = gr.router_peer(API, peers_params(4), check_mode=True)
    assert check.changed and recorder.mutations == []
    assert sorted(check.after or {}) == ["xcl-a0", "xcl-a1", "xcl-a2", "xcl-a3"]
    assert gr.router_peer(API, peers_params(4), check_mode=False).changed
    assert [(m[0], m[1]) for m in recorder.mutations] == [("PATCH", ROUTER_PATH)]
    body = recorder.mutations[0][2]
    assert body["interfaces"][0] == FOREIGN_IF and body["bgpPeers"][0] == FOREIGN_PEER
    assert [i["name"] for i in body["interfaces"][1:]] == [f"if-xcl-a{i}" for i in range(4)]
    assert [b["peerIpAddress"] for b in body["bgpPeers"][1:]] == [
        f"169.254.{10 + i}.1" for i in range(4)
    ]
    again = gr.router_peer(API, peers_params(4), check_mode=False)
    assert not again.changed and len(recorder.mutations) == 1
    # One of them changes: one PATCH, the diff names that peer only.
    changed = peers_params(4)
    changed["peers"][2]["peer_asn"] = 64513
    outcome = gr.router_peer(API, changed, check_mode=False)
    assert outcome.changed and len(recorder.mutations) == 2
    diff = g.make_diff(outcome.before, outcome.after)
    assert list(diff["after"]) == ["xcl-a2"]
    # Removing them all: one PATCH, the foreign entries stay.
    assert gr.router_peer(API, peers_params(4, state="absent"), check_mode=False).changed
    assert len(recorder.mutations) == 3
    assert recorder.store[ROUTER_PATH]["interfaces"] == [FOREIGN_IF]
    assert recorder.store[ROUTER_PATH]["bgpPeers"] == [FOREIGN_PEER]
    assert not gr.router_peer(API, peers_params(4, state="absent"), check_mode=False).changed


def test_router_peers_name_the_bad_entry_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_call(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("API called before validation")

    monkeypatch.setattr(g, "get", no_call)
    monkeypatch.setattr(g, "mutate", no_call)
    bad = peers_params(3)
    bad["peers"][1]["peer_ip_address"] = "169.254.99.1"
    with pytest.raises(ValueError, match=r"^peers\[1\]\.peer_ip_address 169.254.99.1 is not"):
        gr.router_peer(API, bad, check_mode=False)
    missing = peers_params(2)
    missing["peers"][0]["ip_range"] = None
    with pytest.raises(ValueError, match=r"^peers\[0\]\.ip_range is required with state present"):
        gr.router_peer(API, missing, check_mode=False)
    twice = peers_params(2)
    twice["peers"][1]["name"] = "xcl-a0"
    with pytest.raises(ValueError, match="peers: name xcl-a0 given more than once"):
        gr.router_peer(API, twice, check_mode=False)


def tunnel_params(**overrides: Any) -> dict[str, Any]:
    params = {
        "name": "xcl-a1",
        "state": "present",
        "vpn_gateway": "xcl-gw",
        "vpn_gateway_interface": 0,
        "peer_external_gateway": "xcl-peer",
        "peer_external_gateway_interface": 1,
        "ike_version": 2,
        "shared_secret": "s3cr3t.value",
        "router": "xcl-router",
        "replace": False,
        "description": None,
    }
    return {**params, **overrides}


def test_tunnel_secret_sent_on_create_and_replace_only(recorder: Recorder) -> None:
    recorder.store["global/externalVpnGateways/xcl-peer"] = {
        "name": "xcl-peer",
        "redundancyType": "FOUR_IPS_REDUNDANCY",
    }
    tunnels = f"regions/{REGION}/vpnTunnels"
    created = gt.vpn_tunnel(API, tunnel_params(), check_mode=True)
    assert "sharedSecret" not in created.after
    assert gt.vpn_tunnel(API, tunnel_params(), check_mode=False).changed
    assert recorder.mutations[-1][2]["sharedSecret"] == "s3cr3t.value"
    # a new secret is not detected (write-only) ...
    assert not gt.vpn_tunnel(API, tunnel_params(shared_secret="other"), False).changed
    # ... unless replace: true, which deletes and recreates
    assert gt.vpn_tunnel(API, tunnel_params(shared_secret="other", replace=True), False).changed
    assert [m[:2] for m in recorder.mutations[-2:]] == [
        ("DELETE", f"{tunnels}/xcl-a1"),
        ("POST", tunnels),
    ]
    assert recorder.mutations[-1][2]["sharedSecret"] == "other"


def test_tunnel_changed_settings_need_replace(recorder: Recorder) -> None:
    recorder.store["global/externalVpnGateways/xcl-peer"] = {
        "name": "xcl-peer",
        "redundancyType": "FOUR_IPS_REDUNDANCY",
    }
    gt.vpn_tunnel(API, tunnel_params(), check_mode=False)
    with pytest.raises(ValueError, match=r"different peerExternalGatewayInterface.*replace: true"):
        gt.vpn_tunnel(API, tunnel_params(peer_external_gateway_interface=2), check_mode=False)


def test_tunnel_interface_out_of_range_for_peer_type(recorder: Recorder) -> None:
    recorder.store["global/externalVpnGateways/xcl-peer"] = {
        "name": "xcl-peer",
        "redundancyType": "TWO_IPS_REDUNDANCY",
    }
    with pytest.raises(ValueError, match="peer_external_gateway_interface 3 is out of range"):
        gt.vpn_tunnel(API, tunnel_params(peer_external_gateway_interface=3), check_mode=False)
    assert recorder.mutations == []


PEER_GW = "projects/team-b/regions/us-east1/vpnGateways/xcl-gke-b-gw"


def ha_params(**overrides: Any) -> dict[str, Any]:
    params = tunnel_params(
        peer_external_gateway=None,
        peer_external_gateway_interface=None,
        peer_gcp_gateway=PEER_GW,
        vpn_gateway_interface=1,
    )
    return {**params, **overrides}


def test_tunnel_to_a_peer_ha_gateway_sends_peer_gcp_gateway_and_no_peer_interface(
    recorder: Recorder,
) -> None:
    recorder.store[f"https://compute.example/compute/v1/{PEER_GW}"] = {"name": "xcl-gke-b-gw"}
    assert gt.vpn_tunnel(API, ha_params(), check_mode=True).changed
    assert recorder.mutations == []
    assert gt.vpn_tunnel(API, ha_params(), check_mode=False).changed
    method, path, body = recorder.mutations[-1]
    assert (method, path) == ("POST", f"regions/{REGION}/vpnTunnels")
    assert body["peerGcpGateway"] == PEER_GW and body["vpnGatewayInterface"] == 1
    assert "peerExternalGateway" not in body and "peerExternalGatewayInterface" not in body
    assert body["sharedSecret"] == "s3cr3t.value"
    assert not gt.vpn_tunnel(API, ha_params(), check_mode=False).changed
    other = "projects/team-c/regions/us-east1/vpnGateways/xcl-gke-c-gw"
    recorder.store[f"https://compute.example/compute/v1/{other}"] = {"name": "xcl-gke-c-gw"}
    with pytest.raises(ValueError, match=r"different peerGcpGateway.*replace: true"):
        gt.vpn_tunnel(API, ha_params(peer_gcp_gateway=other), check_mode=False)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "peer_gcp_gateway projects/team-b/regions/us-east1/vpnGateways/xcl-gke-b-gw does not"),
        ({"peer_external_gateway_interface": 0}, "applies to peer_external_gateway only"),
        ({"peer_gcp_gateway": None}, "set exactly one of peer_external_gateway"),
        ({"peer_external_gateway": "xcl-peer"}, "set exactly one of peer_external_gateway"),
        ({"peer_gcp_gateway": "Bad_Name"}, "peer_gcp_gateway"),
    ],
)
def test_tunnel_peer_gcp_gateway_is_checked_before_any_change(
    recorder: Recorder, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        gt.vpn_tunnel(API, ha_params(**overrides), check_mode=False)
    assert recorder.mutations == []


def test_firewall_defaults_to_all_protocols_and_patches(recorder: Recorder) -> None:
    params = {
        "name": "xcl-from-aws",
        "state": "present",
        "network": "net1",
        "source_ranges": ["10.100.0.0/16"],
        "allowed": None,
        "priority": None,
        "target_tags": None,
        "description": None,
    }
    gf.firewall_rule(API, params, check_mode=False)
    body = recorder.mutations[-1][2]
    assert body["allowed"] == [{"IPProtocol": "all"}]
    assert body["direction"] == "INGRESS"
    assert "crosscluster.link" in body["description"]
    wider = {**params, "source_ranges": ["10.100.0.0/16", "172.20.0.0/16"]}
    outcome = gf.firewall_rule(API, wider, check_mode=False)
    assert outcome.changed
    assert recorder.mutations[-1] == (
        "PATCH",
        "global/firewalls/xcl-from-aws",
        {"name": "xcl-from-aws", "sourceRanges": ["10.100.0.0/16", "172.20.0.0/16"]},
    )


def test_firewall_refuses_mixed_families_before_any_call(recorder: Recorder) -> None:
    params = {
        "name": "xcl-from-aws",
        "state": "present",
        "network": "net1",
        "source_ranges": ["10.100.0.0/16", "2600:1f18::/56", "10.32.0.0/13"],
        "allowed": None,
        "priority": None,
        "target_tags": None,
        "description": None,
    }
    with pytest.raises(ValueError) as raised:
        gf.firewall_rule(API, params, check_mode=False)
    message = str(raised.value)
    assert "source_ranges mixes IPv4 (10.100.0.0/16) and IPv6 (2600:1f18::/56)" in message
    assert "xcl-from-aws-in4 and xcl-from-aws-in6" in message
    assert recorder.mutations == []
    # One family alone is fine, IPv6 included.
    assert gf.firewall_rule(API, {**params, "source_ranges": ["2600:1f18::/56"]}, False).changed


def test_diff_only_differing_parts() -> None:
    before = {"name": "r", "bgp": {"asn": 1, "advertiseMode": "DEFAULT"}}
    after = {"name": "r", "bgp": {"asn": 1, "advertiseMode": "CUSTOM"}}
    assert g.make_diff(before, after) == {
        "before": {"bgp": {"advertise_mode": "DEFAULT"}},
        "after": {"bgp": {"advertise_mode": "CUSTOM"}},
    }


def test_matches_compares_links_by_project_path() -> None:
    desired = {"network": "projects/p/global/networks/n", "tags": []}
    current = {"network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/n"}
    assert g.matches(desired, current)
    assert not g.matches({"network": "projects/p/global/networks/m"}, current)


# ----------------------------------------------------------------- several tunnels in one call


def tunnels_params(count: int, **overrides: Any) -> dict[str, Any]:
    shared = tunnel_params(name=None, peer_external_gateway_interface=None, **overrides)
    shared["tunnels"] = [
        {
            "name": f"xcl-a{i}",
            "vpn_gateway_interface": i // 2,
            "peer_external_gateway_interface": i,
            "shared_secret": f"secret-{i}",
        }
        for i in range(count)
    ]
    return shared


@pytest.fixture
def pending(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The recorder's changes answer PENDING when not waited for; every change and every wait
    for an operation is logged in order."""
    events: list[tuple[str, str]] = []
    recorder.store["global/externalVpnGateways/xcl-peer"] = {
        "name": "xcl-peer",
        "redundancyType": "FOUR_IPS_REDUNDANCY",
    }
    done = recorder.mutate

    def mutate(api: g.Api, method: str, path: str, body: Any = None, *, wait: bool = True) -> Any:
        done(api, method, path, body, wait=wait)
        target = f"{path}/{body['name']}" if method == "POST" else path
        events.append((method, target))
        return op("DONE" if wait else "PENDING", name=f"op-{target}", region=REGION)

    def wait_operation(api: g.Api, operation: dict[str, Any]) -> dict[str, Any]:
        events.append(("wait", operation["name"]))
        return {**operation, "status": "DONE"}

    monkeypatch.setattr(g, "mutate", mutate)
    monkeypatch.setattr(g, "wait_operation", wait_operation)
    return events


def test_tunnels_are_all_started_then_waited_for_once(
    recorder: Recorder, pending: list[tuple[str, str]]
) -> None:
    tunnels = f"regions/{REGION}/vpnTunnels"
    preview = gt.vpn_tunnel(API, tunnels_params(4), check_mode=True)
    assert preview.changed and sorted(preview.after) == ["xcl-a0", "xcl-a1", "xcl-a2", "xcl-a3"]
    assert preview.before == {} and pending == []
    recorder.lists.clear()
    recorder.gets.clear()
    outcome = gt.vpn_tunnel(API, tunnels_params(4), check_mode=False)
    assert recorder.lists == [tunnels, tunnels]  # what exists, then what was made: 2 reads
    assert recorder.gets == ["global/externalVpnGateways/xcl-peer"]  # once for the 4 tunnels
    assert pending == [("POST", f"{tunnels}/xcl-a{i}") for i in range(4)] + [
        ("wait", f"op-{tunnels}/xcl-a{i}") for i in range(4)
    ]
    assert outcome.changed and outcome.before == {}
    assert outcome.after["xcl-a3"]["peerExternalGatewayInterface"] == 3
    assert outcome.after["xcl-a3"]["vpnGatewayInterface"] == 1
    assert [m[2]["sharedSecret"] for m in recorder.mutations] == [f"secret-{i}" for i in range(4)]
    assert "operations" not in outcome.values
    again = gt.vpn_tunnel(API, tunnels_params(4), check_mode=False)
    assert not again.changed and again.before == again.after == outcome.after
    assert len(pending) == 8
    gone = gt.vpn_tunnel(API, tunnels_params(4, state="absent"), check_mode=False)
    assert gone.changed and gone.after == {} and sorted(gone.before) == sorted(outcome.after)
    assert pending[8:] == [("DELETE", f"{tunnels}/xcl-a{i}") for i in range(4)] + [
        ("wait", f"op-{tunnels}/xcl-a{i}") for i in range(4)
    ]


def test_tunnels_without_wait_return_the_operations(
    recorder: Recorder, pending: list[tuple[str, str]]
) -> None:
    api = no_wait_api(None)  # type: ignore[arg-type]
    outcome = gt.vpn_tunnel(api, tunnels_params(2), check_mode=False)
    assert [o["status"] for o in outcome.values["operations"]] == ["PENDING", "PENDING"]
    assert [e[0] for e in pending] == ["POST", "POST"]


@pytest.mark.parametrize(
    ("entry", "change", "message"),
    [
        (2, {"vpn_gateway_interface": 2}, r"^tunnels\[2\]\.vpn_gateway_interface 2 is out of"),
        (1, {"name": "Bad_Name"}, r"^tunnels\[1\]\.name 'Bad_Name' is not a valid"),
        (3, {"name": "xcl-a0"}, r"^tunnels: name xcl-a0 given more than once"),
    ],
)
def test_a_bad_tunnel_entry_fails_before_any_change(
    recorder: Recorder,
    pending: list[tuple[str, str]],
    entry: int,
    change: dict[str, Any],
    message: str,
) -> None:
    params = tunnels_params(4)
    params["tunnels"][entry].update(change)
    with pytest.raises(ValueError, match=message):
        gt.vpn_tunnel(API, params, check_mode=False)
    assert recorder.mutations == []


def test_a_tunnel_that_cannot_change_in_place_fails_before_any_change(
    recorder: Recorder, pending: list[tuple[str, str]]
) -> None:
    gt.vpn_tunnel(API, tunnel_params(name="xcl-a2", peer_external_gateway_interface=0), False)
    made = len(recorder.mutations)
    with pytest.raises(
        ValueError, match=r"^tunnels\[2\] \(xcl-a2\): VPN tunnel xcl-a2 exists with different"
    ):
        gt.vpn_tunnel(API, tunnels_params(4), check_mode=False)
    assert len(recorder.mutations) == made
