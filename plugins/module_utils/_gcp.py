# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Compute Engine v1 REST on google-auth: credentials, retries, pagination, operation
polling, comparison and the plan/apply step (:func:`ensure`) of the gcp_* modules. Each
resource's own rules are in a module of its own, as for AWS: ``_gcp_vpn_gateway``,
``_gcp_router``, ``_gcp_vpn_tunnel``, ``_gcp_firewall``, ``_gcp_info``.

Every helper takes values (parameters, an :class:`Api`), never the module object, except
:func:`run`, which runs a module.
API facts follow the Compute Engine v1 REST reference
(https://cloud.google.com/compute/docs/reference/rest/v1) and its discovery document.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.common.dict_transformations import (
    camel_dict_to_snake_dict,
    recursive_diff,
)
from ansible_collections.crosscluster.link.plugins.module_utils import _retry
from ansible_collections.crosscluster.link.plugins.module_utils._cloud_facts import is_private_asn
from ansible_collections.crosscluster.link.plugins.module_utils._compare import contains
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll

try:
    import google.auth
    import google.auth.exceptions
    import google.oauth2.credentials
    import google.oauth2.service_account
    import requests
    from google.auth.transport.requests import AuthorizedSession

    HAS_GOOGLE_AUTH = True
    GOOGLE_AUTH_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by sanity import tests only
    HAS_GOOGLE_AUTH = False
    GOOGLE_AUTH_IMPORT_ERROR = traceback.format_exc()

DEFAULT_ENDPOINT = "https://compute.googleapis.com"
COMPUTE_SCOPE = "https://www.googleapis.com/auth/compute"
# Marker in the description of every resource this collection creates: resources
# without it are foreign and are never modified or deleted.
OWNER_MARK = "crosscluster.link"
DEFAULT_DESCRIPTION = "Managed by crosscluster.link"

# RFC 1035 names, as the Compute Engine reference requires for every resource name.
NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# Interfaces per external VPN gateway redundancy type (ExternalVpnGateway.redundancyType).
REDUNDANCY_INTERFACES = {
    "FOUR_IPS_REDUNDANCY": 4,
    "TWO_IPS_REDUNDANCY": 2,
    "SINGLE_IP_INTERNALLY_REDUNDANT": 1,
}
# Cloud Router BGP sessions over Cloud VPN use link-local addresses (Cloud Router docs,
# "BGP sessions": 169.254.0.0/16).
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Compute Engine "API rate limits" (https://cloud.google.com/compute/docs/api-rate-limits):
# a project over a rate quota gets 403 with reason rateLimitExceeded (userRateLimitExceeded
# for a per-user limit), domain usageLimits, not 429. Any other 403 (permission denied, a
# resource quota) is final.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

GCP_ARGSPEC: dict[str, Any] = {
    "auth_kind": {
        "type": "str",
        "choices": ["application", "serviceaccount", "accesstoken"],
        "default": "application",
        "fallback": (env_fallback, ["GCP_AUTH_KIND"]),
    },
    "service_account_file": {
        "type": "path",
        "fallback": (env_fallback, ["GCP_SERVICE_ACCOUNT_FILE"]),
    },
    "service_account_contents": {
        "type": "jsonarg",
        "no_log": True,
        "fallback": (env_fallback, ["GCP_SERVICE_ACCOUNT_CONTENTS"]),
    },
    "access_token": {
        "type": "str",
        "no_log": True,
        "fallback": (env_fallback, ["GCP_ACCESS_TOKEN"]),
    },
    "scopes": {"type": "list", "elements": "str", "default": [COMPUTE_SCOPE]},
    "project": {"type": "str", "fallback": (env_fallback, ["GCP_PROJECT"])},
    "region": {"type": "str", "fallback": (env_fallback, ["GCP_REGION"])},
    "api_endpoint": {
        "type": "str",
        "default": DEFAULT_ENDPOINT,
        "fallback": (env_fallback, ["GCP_API_ENDPOINT"]),
    },
    "wait_timeout": {"type": "int", "default": 300},
}

# The wait option of the resource modules (doc fragment crosscluster.link.gcp.WAIT).
WAIT_ARGSPEC: dict[str, Any] = {"wait": {"type": "bool", "default": True}}

# The name filter of the _info modules (doc fragment crosscluster.link.gcp.NAME_FILTER).
NAME_FILTER_ARGSPEC: dict[str, Any] = {
    "name": {"type": "str"},
    "name_prefix": {"type": "str"},
}
# An info module's wait for the operation of a change started with wait: false (doc fragment
# crosscluster.link.gcp.OPERATION).
OPERATION_ARGSPEC: dict[str, Any] = {"operation": {"type": "dict"}}


class GcpError(Exception):
    """An API failure, carrying Google's HTTP status, error reason and message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {reason})")
        self.status = status
        self.reason = reason
        self.message = message

    @classmethod
    def from_response(cls, status: int, text: str) -> GcpError:
        """Parse Google's JSON error body: {"error": {"code", "message", "errors": [{reason}]}}."""
        try:
            error = json.loads(text).get("error", {})
        except (ValueError, AttributeError):
            error = {}
        if not isinstance(error, dict):
            error = {}
        errors = error.get("errors") or [{}]
        reason = errors[0].get("reason") or error.get("status") or "unknown"
        message = error.get("message") or text.strip() or f"HTTP {status}"
        return cls(status, reason, message)


# --------------------------------------------------------------------------- validation


def check_name(option: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > 63 or not NAME_RE.match(value):
        raise ValueError(
            f"{option} {value!r} is not a valid Compute Engine name: use 1-63 characters of "
            "lowercase letters, digits and '-', starting with a letter and not ending with '-'"
        )


def check_private_asn(option: str, asn: int | None) -> None:
    if asn is None:
        return
    if not is_private_asn(asn):
        raise ValueError(
            f"{option} {asn} is not a private ASN Cloud Router accepts: "
            "use 64512-65534 or 4200000000-4294967294"
        )


def check_peer_asn(option: str, asn: int | None) -> None:
    if asn is not None and not 1 <= asn <= 4294967295:
        raise ValueError(f"{option} {asn} is out of range: use 1-4294967295")


def check_link_local_30(option: str, ip_range: str) -> ipaddress.IPv4Interface:
    try:
        iface = ipaddress.IPv4Interface(ip_range)
    except ValueError:
        raise ValueError(
            f"{option} {ip_range!r} is not an IPv4 address with a prefix, e.g. 169.254.10.2/30"
        ) from None
    net = iface.network
    if net.prefixlen != 30 or not net.subnet_of(LINK_LOCAL):
        raise ValueError(f"{option} {ip_range!r} must be a /30 inside 169.254.0.0/16")
    if iface.ip in (net.network_address, net.broadcast_address):
        raise ValueError(
            f"{option} {ip_range!r} is the network or broadcast address of {net}: "
            "use one of its two host addresses"
        )
    return iface


def check_peer_ip(option: str, peer_ip: str, iface: ipaddress.IPv4Interface) -> None:
    try:
        ip = ipaddress.IPv4Address(peer_ip)
    except ValueError:
        raise ValueError(f"{option} {peer_ip!r} is not an IPv4 address") from None
    hosts = list(iface.network.hosts())
    if ip not in hosts or ip == iface.ip:
        others = [str(h) for h in hosts if h != iface.ip]
        raise ValueError(
            f"{option} {peer_ip} is not the other host of the interface's {iface.network}: "
            f"use {', '.join(others)}"
        )


def check_location(params: dict[str, Any], need_region: bool) -> None:
    if not params.get("project"):
        raise ValueError("project is required: set the project option or GCP_PROJECT")
    if need_region and not params.get("region"):
        raise ValueError("region is required: set the region option or GCP_REGION")


# --------------------------------------------------------------------------- transport


@dataclass
class Api:
    """A Compute Engine v1 endpoint for one project and region."""

    session: Any
    endpoint: str
    project: str
    region: str | None = None
    wait_timeout: float = 300.0
    # False: ensure() returns once the API accepted a change, without polling its operation.
    wait: bool = True
    clock: Callable[[], float] = field(default=time.monotonic)

    @property
    def base(self) -> str:
        return f"{self.endpoint.rstrip('/')}/compute/v1/projects/{self.project}/"

    def regional(self, collection: str) -> str:
        return f"regions/{self.region}/{collection}"

    def link(self, path: str) -> str:
        """Partial URL of a resource, as the API accepts in reference fields."""
        return f"projects/{self.project}/{path}"


def credentials_from(params: dict[str, Any]) -> Any:
    """google-auth credentials for auth_kind application, serviceaccount or accesstoken."""
    kind = params.get("auth_kind") or "application"
    scopes = params.get("scopes") or [COMPUTE_SCOPE]
    if kind == "accesstoken":
        token = params.get("access_token")
        if not token:
            raise ValueError(
                "access_token is required with auth_kind accesstoken: set it or GCP_ACCESS_TOKEN"
            )
        return google.oauth2.credentials.Credentials(token=token)
    if kind == "serviceaccount":
        info = params.get("service_account_contents")
        path = params.get("service_account_file")
        if info:
            try:
                data = json.loads(info) if isinstance(info, str) else info
                return google.oauth2.service_account.Credentials.from_service_account_info(
                    data, scopes=scopes
                )
            except ValueError as exc:
                raise ValueError(
                    f"service_account_contents is not a service-account key: {exc}"
                ) from None
        if not path:
            raise ValueError(
                "auth_kind serviceaccount needs service_account_file or service_account_contents"
            )
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as exc:
            raise ValueError(
                f"service_account_file {path} cannot be read: {exc.strerror}"
            ) from None
        except ValueError:
            raise ValueError(f"service_account_file {path} is not a JSON key file") from None
        try:
            return google.oauth2.service_account.Credentials.from_service_account_info(
                data, scopes=scopes
            )
        except ValueError as exc:
            raise ValueError(
                f"service_account_file {path} is not a service-account key: {exc}"
            ) from None
    try:
        credentials, _project = google.auth.default(scopes=scopes)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise ValueError(
            f"auth_kind application: no Application Default Credentials: {exc}"
        ) from None
    return credentials


def connect(params: dict[str, Any], need_region: bool = True) -> Api:
    """Validate project/region and credentials (no API call) and return an :class:`Api`."""
    check_location(params, need_region)
    credentials = credentials_from(params)
    return Api(
        session=AuthorizedSession(credentials),
        endpoint=params.get("api_endpoint") or DEFAULT_ENDPOINT,
        project=params["project"],
        region=params.get("region"),
        wait_timeout=float(params.get("wait_timeout") or 300),
        wait=params.get("wait") is not False,
    )


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def retryable(exc: Exception) -> bool:
    """429, 5xx, and 403 with a rate-limit reason (RATE_LIMIT_REASONS)."""
    return isinstance(exc, GcpError) and (
        exc.status in RETRY_STATUSES or (exc.status == 403 and exc.reason in RATE_LIMIT_REASONS)
    )


# Google Cloud "Retry strategy": truncated exponential backoff with jitter (_retry). The
# lambda looks _sleep up at each call, so a test can replace it.
RETRY_POLICY = _retry.Policy(attempts=6, base_delay=0.5, max_delay=16.0)
retried = _retry.retrying(
    retryable,
    RETRY_POLICY,
    sleep=lambda seconds: _sleep(seconds),  # pylint: disable=unnecessary-lambda
)


@retried
def request(
    api: Api,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One API call; ``path`` is relative to the project. Raises :class:`GcpError`."""
    url = path if path.startswith("http") else api.base + path
    try:
        response = api.session.request(method, url, json=body, params=params, timeout=120)
    except requests.RequestException as exc:
        raise GcpError(0, "transportError", f"{method} {url} failed: {exc}") from None
    if response.status_code >= 400:
        raise GcpError.from_response(response.status_code, response.text)
    if not response.content:
        return {}
    result: dict[str, Any] = response.json()
    return result


def get(api: Api, path: str) -> dict[str, Any] | None:
    """The resource at ``path``, or None when the API answers 404."""
    try:
        return request(api, "GET", path)
    except GcpError as exc:
        if exc.status == 404:
            return None
        raise


def list_all(api: Api, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item of a list call, following nextPageToken."""
    items: list[dict[str, Any]] = []
    query = dict(params or {}, maxResults=500)
    while True:
        page = request(api, "GET", path, params=query)
        items.extend(page.get("items", []))
        token = page.get("nextPageToken")
        if not token:
            return items
        query["pageToken"] = token


def _operation_path(op: dict[str, Any]) -> str:
    if op.get("region"):
        return f"regions/{op['region'].rstrip('/').rsplit('/', 1)[-1]}/operations/{op['name']}"
    return f"global/operations/{op['name']}"


def wait_operation(api: Api, op: dict[str, Any]) -> dict[str, Any]:
    """Block until ``op`` is DONE using the operations ``wait`` method, or fail at the
    deadline. An operation that ends with ``error`` raises :class:`GcpError`."""
    path = _operation_path(op)
    # operations.wait itself returns when DONE or after about 2 minutes (Compute Engine
    # reference, regionOperations.wait / globalOperations.wait): no sleep between calls.
    if op.get("status") != "DONE":
        op = poll(
            lambda: request(api, "POST", path + "/wait"),
            lambda answer: answer.get("status") == "DONE",
            api.wait_timeout,
            0,
            clock=api.clock,
        )
    if op.get("status") != "DONE":
        raise GcpError(
            0,
            "timeout",
            f"operation {op.get('name')} ({op.get('operationType', '?')} on "
            f"{op.get('targetLink', '?')}) not DONE after {api.wait_timeout:g}s: "
            "raise wait_timeout or check the operation in the console",
        )
    error = op.get("error")
    if error:
        first = (error.get("errors") or [{}])[0]
        raise GcpError(
            int(op.get("httpErrorStatusCode") or 400),
            first.get("code", "operationFailed"),
            first.get("message") or op.get("httpErrorMessage") or "operation failed",
        )
    return op


def mutate(
    api: Api, method: str, path: str, body: dict[str, Any] | None = None, *, wait: bool = True
) -> dict[str, Any]:
    """A mutating call followed by waiting for its operation. With ``wait`` false the
    operation is returned as the API accepted it (PENDING or RUNNING), not polled; one that
    is already DONE is still checked for its error."""
    op = request(api, method, path, body=body)
    if wait or op.get("status") == "DONE":
        return wait_operation(api, op)
    return op


# --------------------------------------------------------------------------- comparison


def relative_link(value: str) -> str:
    """``projects/...`` suffix of a full or partial resource URL, else the value."""
    index = value.find("projects/")
    return value[index:] if index >= 0 else value


def same_value(desired: Any, current: Any) -> bool:
    """Scalars as Compute Engine returns them: a resource link full or relative."""
    if isinstance(desired, str) and isinstance(current, str) and "projects/" in desired:
        return relative_link(desired) == relative_link(current)
    return bool(desired == current)


def matches(desired: Any, current: Any) -> bool:
    """Whether ``current`` already has every field of ``desired`` (unset fields ignored)."""
    return contains(desired, current, same_value)


def changed_fields(desired: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in desired.items() if not matches(v, current.get(k)))


def merged(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """``current`` with the fields of ``desired`` (nested dicts merged, lists replaced)."""
    result = dict(current)
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            result[key] = merged(current[key], value)
        else:
            result[key] = value
    return result


def make_diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Ansible diff of two resources (snake_case), only the differing parts."""
    left = camel_dict_to_snake_dict(before or {})
    right = camel_dict_to_snake_dict(after or {})
    delta = recursive_diff(left, right)
    if delta is None:
        return {"before": {}, "after": {}}
    return {"before": delta[0], "after": delta[1]}


def owned_description(description: str | None) -> str:
    if not description:
        return DEFAULT_DESCRIPTION
    if OWNER_MARK in description:
        return description
    return f"{description} ({DEFAULT_DESCRIPTION.lower()})"


def check_owned(kind: str, name: str, resource: dict[str, Any]) -> None:
    if OWNER_MARK not in (resource.get("description") or ""):
        raise ValueError(
            f"{kind} {name} exists but was not created by crosscluster.link (its description "
            f"does not contain {OWNER_MARK!r}); it is left alone: choose another name"
        )


def snake(resource: dict[str, Any] | None) -> dict[str, Any]:
    return camel_dict_to_snake_dict(resource) if resource else {}


# --------------------------------------------------------------------------- plan/apply


@dataclass
class Outcome:
    """What a module did (or would do, in check mode): the resource before and after, and
    any further return ``values`` (an info module has only those)."""

    changed: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    values: dict[str, Any] = field(default_factory=dict)
    # The operation of a change not waited for (``api.wait`` false), as the API returned it.
    pending: dict[str, Any] | None = None

    def result(self, key: str, want_diff: bool) -> dict[str, Any]:
        """The module's return values; the resource under ``key`` (none when empty), with the
        diff when ``want_diff``."""
        result: dict[str, Any] = {"changed": self.changed, **self.values}
        if key:
            result[key] = snake(self.after)
            if want_diff:
                result["diff"] = make_diff(self.before, self.after)
        return result


Operation = Callable[[Api, dict[str, Any], bool], Outcome]


def run(module: Any, operation: Operation, key: str = "", need_region: bool = True) -> None:
    """Run a gcp_* module: the one helper that takes the module object.

    Checks google-auth, connects (project, region and credentials are checked without any API
    call), calls ``operation(api, params, check_mode)`` and exits with its :class:`Outcome`
    (the resource under ``key``); bad input (ValueError) and API errors (GcpError) fail with
    their message."""
    if not HAS_GOOGLE_AUTH:
        module.fail_json(
            msg=missing_required_lib("google-auth"), exception=GOOGLE_AUTH_IMPORT_ERROR
        )
    try:
        outcome = operation(connect(module.params, need_region), module.params, module.check_mode)
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status, reason=exc.reason)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**outcome.result(key, module._diff))


def changed(
    api: Api, op: dict[str, Any], current: Any, planned: Any, read: Callable[[], Any]
) -> Outcome:
    """The Outcome of a change whose operation is ``op``: ``after`` is ``read()`` back once
    the operation is DONE (the API shows a change only then), else the ``planned`` state; with
    ``api.wait`` false the operation is returned too. A removal (``planned`` None) reads
    nothing."""
    after = read() if planned is not None and op.get("status") == "DONE" else planned
    if api.wait:
        return Outcome(True, current, after)
    return Outcome(True, current, after, {"operation": snake(op)}, op)


@dataclass(frozen=True)
class Change:
    """What :func:`plan` found to do to one resource: ``method`` (POST, PATCH or DELETE; None
    when it already matches), the request's ``target`` and ``body``, whether the existing
    resource is deleted first (``replace``), and the resource ``before`` and as ``planned``."""

    path: str
    method: str | None
    target: str
    body: dict[str, Any] | None
    before: dict[str, Any] | None
    planned: dict[str, Any] | None
    replace: bool = False


def plan(
    api: Api,
    collection: str,
    name: str,
    desired: dict[str, Any],
    state: str,
    *,
    kind: str,
    mutable: tuple[str, ...] = (),
    replace: bool = False,
    existing: dict[str, Any] | None = None,
    fetched: bool = False,
    write_only: dict[str, Any] | None = None,
    fix: str = "",
) -> Change:
    """The change that makes ``collection/name`` match ``desired`` (the fields the user set):
    create, patch (``mutable`` fields only), replace, or delete; reads the resource unless
    ``fetched`` (then ``existing`` is it). A foreign resource or a field that cannot change in
    place fails here, before any change (``fix`` adds a way out to that message).

    ``write_only`` fields (secrets) are sent on create only and never compared; ``replace``
    deletes and recreates an existing resource on every run."""
    path = f"{collection}/{name}"
    current = existing if fetched else get(api, path)
    if current is not None:
        check_owned(kind, name, current)
    if state == "absent":
        if current is None:
            return Change(path, None, path, None, None, None)
        return Change(path, "DELETE", path, None, current, None)

    body = {"name": name, **desired}
    if current is None or replace:
        create = {**body, **(write_only or {})}
        return Change(path, "POST", collection, create, current, body, current is not None)

    fields = changed_fields(desired, current)
    if not fields:
        return Change(path, None, path, None, current, current)
    fixed = [f for f in fields if f not in mutable]
    if fixed:
        raise ValueError(
            f"{kind} {name} exists with different {', '.join(fixed)}, which cannot be "
            "changed in place: delete it (state: absent) and create it again" + fix
        )
    patch = {
        f: merged(current[f], desired[f])
        if isinstance(desired[f], dict) and isinstance(current.get(f), dict)
        else desired[f]
        for f in fields
    }
    # The resource name rides along: firewalls.patch requires it in the body.
    return Change(path, "PATCH", path, {"name": name, **patch}, current, merged(current, patch))


def apply(api: Api, change: Change, check_mode: bool) -> Outcome:
    """Carry out ``change`` (nothing in check mode: the planned state is reported)."""
    if change.method is None:
        return Outcome(False, change.before, change.planned)
    if check_mode:
        return Outcome(True, change.before, change.planned)
    if change.replace:
        mutate(api, "DELETE", change.path)  # always waited: the insert needs the name free
    op = mutate(api, change.method, change.target, change.body, wait=api.wait)
    return changed(api, op, change.before, change.planned, lambda: get(api, change.path))


def ensure(
    api: Api,
    collection: str,
    name: str,
    desired: dict[str, Any],
    state: str,
    check_mode: bool,
    *,
    kind: str,
    **options: Any,
) -> Outcome:
    """Plan, then apply (see :func:`plan` for ``kind`` and ``options``). With ``api.wait``
    false the change's operation is not polled: the result carries it under ``operation``, and
    ``after`` is the planned resource until the operation is DONE (the API shows the change
    only then)."""
    change = plan(api, collection, name, desired, state, kind=kind, **options)
    return apply(api, change, check_mode)


def network_link(api: Api, network: str) -> str:
    if "/" in network:
        return relative_link(network)
    check_name("network", network)
    return api.link(f"global/networks/{network}")


def compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
