# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Compute Engine v1 REST on google-auth: credentials, retries, pagination, operation
polling, and the plan/apply logic of the gcp_* modules.

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


def ensure(
    api: Api,
    collection: str,
    name: str,
    desired: dict[str, Any],
    state: str,
    check_mode: bool,
    *,
    kind: str,
    mutable: tuple[str, ...] = (),
    replace: bool = False,
    existing: dict[str, Any] | None = None,
    fetched: bool = False,
    write_only: dict[str, Any] | None = None,
) -> Outcome:
    """Plan, then apply: create, patch (``mutable`` fields only), replace, or delete the
    resource ``collection/name`` so it matches ``desired`` (the fields the user set).

    ``write_only`` fields (secrets) are sent on create only and never compared;
    ``replace`` deletes and recreates an existing resource on every run.

    With ``api.wait`` false the change's operation is not polled: the result carries it
    under ``operation``, and ``after`` is the planned resource until the operation is DONE
    (the API shows the change only then)."""
    path = f"{collection}/{name}"
    current = existing if fetched else get(api, path)
    if current is not None:
        check_owned(kind, name, current)

    def applied(method: str, target: str, body: dict[str, Any] | None, planned: Any) -> Outcome:
        op = mutate(api, method, target, body, wait=api.wait)
        done = op.get("status") == "DONE"
        after = get(api, path) if planned is not None and done else planned
        return Outcome(True, current, after, {} if api.wait else {"operation": snake(op)})

    if state == "absent":
        if current is None:
            return Outcome(False, None, None)
        if check_mode:
            return Outcome(True, current, None)
        return applied("DELETE", path, None, None)

    body = {"name": name, **desired}
    if current is None or replace:
        if check_mode:
            return Outcome(True, current, body)
        if current is not None:
            mutate(api, "DELETE", path)  # always waited: the insert needs the name free
        return applied("POST", collection, {**body, **(write_only or {})}, body)

    fields = changed_fields(desired, current)
    if not fields:
        return Outcome(False, current, current)
    fixed = [f for f in fields if f not in mutable]
    if fixed:
        raise ValueError(
            f"{kind} {name} exists with different {', '.join(fixed)}, which cannot be "
            "changed in place: delete it (state: absent) and create it again"
            + (" or set replace: true" if kind == "VPN tunnel" else "")
        )
    patch = {
        f: merged(current[f], desired[f])
        if isinstance(desired[f], dict) and isinstance(current.get(f), dict)
        else desired[f]
        for f in fields
    }
    if check_mode:
        return Outcome(True, current, merged(current, patch))
    # The resource name rides along: firewalls.patch requires it in the body.
    return applied("PATCH", path, {"name": name, **patch}, merged(current, patch))


def compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# HA VPN gateway -------------------------------------------------------------------


def ha_vpn_gateway(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        if not p.get("network"):
            raise ValueError("network is required with state present")
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "stackType": p.get("stack_type"),
            }
        )
    outcome = ensure(
        api,
        api.regional("vpnGateways"),
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="HA VPN gateway",
    )
    outcome.values["interface_ips"] = interface_ips(outcome.after)
    return outcome


def interface_ips(gateway: dict[str, Any] | None) -> list[str]:
    if not gateway:
        return []
    return [i.get("ipAddress", "") for i in gateway.get("vpnInterfaces", [])]


def network_link(api: Api, network: str) -> str:
    if "/" in network:
        return relative_link(network)
    check_name("network", network)
    return api.link(f"global/networks/{network}")


# External VPN gateway ---------------------------------------------------------------


def external_interfaces(redundancy: str, interfaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    count = REDUNDANCY_INTERFACES[redundancy]
    if len(interfaces) != count:
        raise ValueError(
            f"interfaces has {len(interfaces)} entries but redundancy_type {redundancy} "
            f"needs exactly {count}"
        )
    result = []
    for position, item in enumerate(interfaces):
        index = position if item.get("id") is None else item["id"]
        if not 0 <= index < count:
            raise ValueError(
                f"interfaces[{position}].id {index} is out of range for redundancy_type "
                f"{redundancy}: use 0-{count - 1}"
            )
        try:
            ipaddress.IPv4Address(item["ip_address"])
        except ValueError:
            raise ValueError(
                f"interfaces[{position}].ip_address {item['ip_address']!r} is not an IPv4 address"
            ) from None
        result.append({"id": index, "ipAddress": item["ip_address"]})
    if len({i["id"] for i in result}) != len(result):
        raise ValueError("interfaces ids must be unique")
    return sorted(result, key=lambda i: i["id"])


def external_vpn_gateway(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        if not p.get("interfaces"):
            raise ValueError("interfaces is required with state present")
        desired = {
            "description": owned_description(p.get("description")),
            "redundancyType": p["redundancy_type"],
            "interfaces": external_interfaces(p["redundancy_type"], p["interfaces"]),
        }
    return ensure(
        api,
        "global/externalVpnGateways",
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="external VPN gateway",
    )


# Cloud Router -------------------------------------------------------------------------


def router_bgp(p: dict[str, Any]) -> dict[str, Any]:
    ranges = p.get("advertised_ip_ranges")
    for position, item in enumerate(ranges or []):
        try:
            ipaddress.ip_network(item["range"])
        except ValueError:
            raise ValueError(
                f"advertised_ip_ranges[{position}].range {item['range']!r} is not a CIDR "
                "(e.g. 10.8.0.0/14)"
            ) from None
    keepalive = p.get("keepalive_interval")
    if keepalive is not None and not 20 <= keepalive <= 60:
        raise ValueError(f"keepalive_interval {keepalive} is out of range: use 20-60 seconds")
    mode = p.get("advertise_mode")
    groups = p.get("advertised_groups")
    if mode != "CUSTOM" and (groups or ranges):
        raise ValueError("advertised_groups and advertised_ip_ranges need advertise_mode: CUSTOM")
    if mode == "DEFAULT":
        # The API accepts custom groups and ranges only in CUSTOM mode (RouterBgp reference).
        groups, ranges = [], []
    return compact(
        {
            "asn": p.get("asn"),
            "advertiseMode": mode,
            "advertisedGroups": groups,
            "advertisedIpRanges": None
            if ranges is None
            else [
                compact({"range": r["range"], "description": r.get("description")}) for r in ranges
            ],
            "keepaliveInterval": keepalive,
        }
    )


def router(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    check_private_asn("asn", p.get("asn"))
    if p["state"] == "present" and not p.get("network"):
        raise ValueError("network is required with state present")
    bgp = router_bgp(p) if p["state"] == "present" else {}
    collection = api.regional("routers")
    current = get(api, f"{collection}/{p['name']}")
    desired: dict[str, Any] = {}
    if p["state"] == "absent":
        check_router_deletable(api, p["name"], current)
    else:
        if current is None and p.get("asn") is None:
            raise ValueError("asn is required to create a Cloud Router")
        current_asn = (current or {}).get("bgp", {}).get("asn")
        if current is not None and "asn" in bgp and current_asn != bgp["asn"]:
            raise ValueError(
                f"asn: Cloud Router {p['name']} has ASN {current_asn}; the ASN of an existing "
                f"router cannot be changed and it is not recreated: set asn: {current_asn}, "
                "or delete the router (state: absent) first"
            )
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "bgp": bgp or None,
            }
        )
    return ensure(
        api,
        collection,
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="Cloud Router",
        mutable=("bgp", "description"),
        existing=current,
        fetched=True,
    )


def check_router_deletable(api: Api, name: str, current: dict[str, Any] | None) -> None:
    """Refuse to delete a router that is not ours or still carries interfaces or BGP peers
    this collection does not own (deleting the router would delete them too)."""
    if current is None:
        return
    check_owned("Cloud Router", name, current)
    foreign = foreign_router_entries(api, current)
    if foreign:
        raise ValueError(
            f"Cloud Router {name} is not deleted: it still has {', '.join(foreign)}, which "
            "crosscluster.link does not own (it owns the interfaces linked to VPN tunnels it "
            "created, and their BGP peers). Remove them first (crosscluster.link.gcp_router_peer "
            "with state: absent removes one it created), or keep the router"
        )


def foreign_router_entries(api: Api, current: dict[str, Any]) -> list[str]:
    """The interfaces and BGP peers of a router that this collection did not create, as
    "interface NAME" / "BGP peer NAME". Router interfaces and BGP peers have no description
    (Compute Engine reference, Router: RouterInterface, RouterBgpPeer), so an interface is
    ours when its linkedVpnTunnel is a VPN tunnel whose description carries OWNER_MARK, and a
    BGP peer when its interfaceName is such an interface."""
    interfaces = current.get("interfaces", [])
    prefix = f"projects/{api.project}/"
    owned: set[str | None] = set()
    for interface in interfaces:
        link = relative_link(interface.get("linkedVpnTunnel") or "")
        if link.startswith(prefix):
            tunnel = get(api, link[len(prefix) :])
            if tunnel is not None and OWNER_MARK in (tunnel.get("description") or ""):
                owned.add(interface.get("name"))
    return [f"interface {i.get('name')}" for i in interfaces if i.get("name") not in owned] + [
        f"BGP peer {b.get('name')}"
        for b in current.get("bgpPeers", [])
        if b.get("interfaceName") not in owned
    ]


# Router interface + BGP peer ------------------------------------------------------------


def merge_router_entries(
    interfaces: list[dict[str, Any]],
    peers: list[dict[str, Any]],
    interface: dict[str, Any] | None,
    peer: dict[str, Any] | None,
    interface_name: str,
    peer_name: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Full interface and peer lists to PATCH (PATCH replaces lists): every entry with
    another name is kept as it is, ours is replaced in place, appended, or (None) removed."""

    def merge(entries: list[dict[str, Any]], name: str, ours: dict[str, Any] | None) -> list:
        result = []
        placed = False
        for entry in entries:
            if entry.get("name") != name:
                result.append(entry)
            elif ours is not None and not placed:
                result.append(merged(entry, ours))
                placed = True
        if ours is not None and not placed:
            result.append(ours)
        return result

    return merge(interfaces, interface_name, interface), merge(peers, peer_name, peer)


def router_peer_entries(
    api: Api, p: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The interface and BGP peer this module manages, validated (None when absent)."""
    if p["state"] == "absent":
        return None, None
    for option in ("ip_range", "peer_ip_address", "peer_asn"):
        if p.get(option) is None:
            raise ValueError(f"{option} is required with state present")
    iface = check_link_local_30("ip_range", p["ip_range"])
    check_peer_ip("peer_ip_address", p["peer_ip_address"], iface)
    check_peer_asn("peer_asn", p["peer_asn"])
    priority = p.get("advertised_route_priority")
    if priority is not None and not 0 <= priority <= 65535:
        raise ValueError(f"advertised_route_priority {priority} is out of range: use 0-65535")
    interface = {"name": p["interface_name"], "ipRange": str(iface)}
    if p.get("linked_vpn_tunnel"):
        tunnel = p["linked_vpn_tunnel"]
        if "/" not in tunnel:
            check_name("linked_vpn_tunnel", tunnel)
            tunnel = api.link(api.regional(f"vpnTunnels/{tunnel}"))
        interface["linkedVpnTunnel"] = relative_link(tunnel)
    peer = compact(
        {
            "name": p["name"],
            "interfaceName": p["interface_name"],
            "ipAddress": str(iface.ip),
            "peerIpAddress": p["peer_ip_address"],
            "peerAsn": p["peer_asn"],
            "advertisedRoutePriority": priority,
            "enable": "TRUE" if p.get("enable", True) else "FALSE",
            "bfd": {"sessionInitializationMode": p.get("bfd_mode") or "DISABLED"},
        }
    )
    return interface, peer


def router_peer(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """One router interface and its BGP peer on an existing Cloud Router."""
    check_name("name", p["name"])
    check_name("router", p["router"])
    p = dict(p, interface_name=p.get("interface_name") or f"if-{p['name']}")
    check_name("interface_name", p["interface_name"])
    interface, peer = router_peer_entries(api, p)
    path = f"{api.regional('routers')}/{p['router']}"
    current = get(api, path)
    if current is None:
        if p["state"] == "absent":
            return Outcome(False, None, None)
        raise ValueError(f"router {p['router']} does not exist: create it with gcp_router first")
    interfaces = current.get("interfaces", [])
    peers = current.get("bgpPeers", [])
    new_interfaces, new_peers = merge_router_entries(
        interfaces, peers, interface, peer, p["interface_name"], p["name"]
    )
    before = _peer_view(interfaces, peers, p["interface_name"], p["name"])
    after = _peer_view(new_interfaces, new_peers, p["interface_name"], p["name"])
    if matches(new_interfaces, interfaces) and matches(new_peers, peers):
        return Outcome(False, before, before)
    if not check_mode:
        mutate(api, "PATCH", path, {"interfaces": new_interfaces, "bgpPeers": new_peers})
        current = get(api, path) or {}
        after = _peer_view(
            current.get("interfaces", []),
            current.get("bgpPeers", []),
            p["interface_name"],
            p["name"],
        )
    return Outcome(True, before, after)


def _peer_view(
    interfaces: list[dict[str, Any]], peers: list[dict[str, Any]], iface: str, name: str
) -> dict[str, Any] | None:
    found_iface = next((i for i in interfaces if i.get("name") == iface), None)
    found_peer = next((b for b in peers if b.get("name") == name), None)
    if found_iface is None and found_peer is None:
        return None
    return {"interface": found_iface or {}, "bgpPeer": found_peer or {}}


# VPN tunnel ---------------------------------------------------------------------------


def vpn_tunnel(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """The secret is write-only: the API returns sharedSecretHash, whose algorithm is not
    documented (VpnTunnel reference: "Hash of the shared secret."), so a changed secret is
    applied only with replace: true."""
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        for option in ("vpn_gateway", "peer_external_gateway", "shared_secret", "router"):
            if not p.get(option):
                raise ValueError(f"{option} is required with state present")
        if p["vpn_gateway_interface"] not in (0, 1):
            raise ValueError(
                f"vpn_gateway_interface {p['vpn_gateway_interface']} is out of range: "
                "an HA VPN gateway has interfaces 0 and 1"
            )
        peer_if = p["peer_external_gateway_interface"]
        if not 0 <= peer_if <= 3:
            raise ValueError(f"peer_external_gateway_interface {peer_if} is out of range: use 0-3")
        for option in ("vpn_gateway", "peer_external_gateway", "router"):
            if "/" not in p[option]:
                check_name(option, p[option])
        external = p["peer_external_gateway"]
        ext_link = (
            relative_link(external)
            if "/" in external
            else api.link(f"global/externalVpnGateways/{external}")
        )
        ext = get(api, ext_link.split(f"projects/{api.project}/", 1)[-1])
        if ext is None:
            raise ValueError(f"peer_external_gateway {external} does not exist")
        count = REDUNDANCY_INTERFACES.get(ext.get("redundancyType", ""), 4)
        if peer_if >= count:
            raise ValueError(
                f"peer_external_gateway_interface {peer_if} is out of range for "
                f"{external} ({ext.get('redundancyType')}): use 0-{count - 1}"
            )
        desired = {
            "description": owned_description(p.get("description")),
            "vpnGateway": _regional_link(api, p["vpn_gateway"], "vpnGateways"),
            "vpnGatewayInterface": p["vpn_gateway_interface"],
            "peerExternalGateway": ext_link,
            "peerExternalGatewayInterface": peer_if,
            "ikeVersion": p["ike_version"],
            "router": _regional_link(api, p["router"], "routers"),
        }
    return ensure(
        api,
        api.regional("vpnTunnels"),
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="VPN tunnel",
        replace=bool(p.get("replace")),
        write_only={"sharedSecret": p.get("shared_secret")},
    )


def _regional_link(api: Api, value: str, collection: str) -> str:
    if "/" in value:
        return relative_link(value)
    return api.link(api.regional(f"{collection}/{value}"))


# Firewall rule --------------------------------------------------------------------------


def firewall_rule(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    check_name("name", p["name"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        for option in ("network", "source_ranges"):
            if not p.get(option):
                raise ValueError(f"{option} is required with state present")
        families: dict[int, str] = {}
        for position, cidr in enumerate(p["source_ranges"]):
            try:
                families.setdefault(ipaddress.ip_network(cidr).version, cidr)
            except ValueError:
                raise ValueError(
                    f"source_ranges[{position}] {cidr!r} is not a CIDR (e.g. 10.8.0.0/14)"
                ) from None
        if len(families) > 1:
            # A VPC firewall rule's source ranges are all IPv4 or all IPv6 (the API refuses
            # a mix with 400).
            raise ValueError(
                f"source_ranges mixes IPv4 ({families[4]}) and IPv6 ({families[6]}) ranges, "
                "which one firewall rule cannot hold: give the IPv4 ranges to one rule and the "
                f"IPv6 ranges to another (e.g. {p['name']}-in4 and {p['name']}-in6)"
            )
        allowed = []
        for position, rule in enumerate(p.get("allowed") or [{"protocol": "all"}]):
            if rule.get("ports") and rule["protocol"] not in ("tcp", "udp", "sctp"):
                raise ValueError(
                    f"allowed[{position}].ports applies to tcp, udp and sctp only, "
                    f"not {rule['protocol']}"
                )
            allowed.append(compact({"IPProtocol": rule["protocol"], "ports": rule.get("ports")}))
        priority = p.get("priority")
        if priority is not None and not 0 <= priority <= 65535:
            raise ValueError(f"priority {priority} is out of range: use 0-65535")
        desired = compact(
            {
                "description": owned_description(p.get("description")),
                "network": network_link(api, p["network"]),
                "direction": "INGRESS",
                "sourceRanges": p["source_ranges"],
                "allowed": allowed,
                "priority": priority,
                "targetTags": p.get("target_tags"),
            }
        )
    return ensure(
        api,
        "global/firewalls",
        p["name"],
        desired,
        p["state"],
        check_mode,
        kind="firewall rule",
        mutable=("description", "sourceRanges", "allowed", "priority", "targetTags"),
    )


# Info -----------------------------------------------------------------------------------


def find(
    api: Api, collection: str, name: str | None = None, name_prefix: str | None = None
) -> list[dict[str, Any]]:
    """Resources of a collection: one by name, those whose name starts with a prefix, or
    all; [] when none match."""
    check_name("name", name)
    if name:
        found = get(api, f"{collection}/{name}")
        return [found] if found else []
    items = list_all(api, collection)
    return [i for i in items if i.get("name", "").startswith(name_prefix or "")]


def listing(key: str, collection: str) -> Operation:
    """The operation of a ``*_info`` module: the resources of ``collection`` (``global/...``,
    else in the region) that match the name or name_prefix option, under ``key``."""

    def operation(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
        path = collection if collection.startswith("global/") else api.regional(collection)
        items = find(api, path, p.get("name"), p.get("name_prefix"))
        return Outcome(False, None, None, {key: [snake(item) for item in items]})

    return operation


def vpn_info(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """The operation of gcp_vpn_info: tunnels and BGP peers with their status."""
    return Outcome(False, None, None, vpn_status(api, p.get("routers"), p.get("tunnel_prefix")))


def vpn_status(
    api: Api, routers: list[str] | None, tunnel_prefix: str | None
) -> dict[str, list[dict[str, Any]]]:
    """Tunnel status and BGP peer status with learned routes (routers.getRouterStatus)."""
    for position, name in enumerate(routers or []):
        check_name(f"routers[{position}]", name)
    tunnels = [
        {
            "name": t["name"],
            "status": t.get("status"),
            "detailed_status": t.get("detailedStatus"),
            "router": (t.get("router") or "").rsplit("/", 1)[-1],
            "vpn_gateway_interface": t.get("vpnGatewayInterface"),
            "peer_external_gateway_interface": t.get("peerExternalGatewayInterface"),
        }
        for t in find(api, api.regional("vpnTunnels"), name_prefix=tunnel_prefix)
    ]
    names = routers or sorted({t["router"] for t in tunnels if t["router"]})
    peers = []
    for name in names:
        status = request(api, "GET", f"{api.regional('routers')}/{name}/getRouterStatus").get(
            "result", {}
        )
        best = status.get("bestRoutes", [])
        for peer in status.get("bgpPeerStatus", []):
            learned = [
                r.get("destRange")
                for r in best
                if r.get("nextHopIp") and r.get("nextHopIp") == peer.get("peerIpAddress")
            ]
            peers.append(
                {
                    "router": name,
                    "name": peer.get("name"),
                    "status": peer.get("status"),
                    "state": peer.get("state"),
                    "uptime": peer.get("uptime"),
                    "uptime_seconds": peer.get("uptimeSeconds"),
                    "ip_address": peer.get("ipAddress"),
                    "peer_ip_address": peer.get("peerIpAddress"),
                    "linked_vpn_tunnel": (peer.get("linkedVpnTunnel") or "").rsplit("/", 1)[-1],
                    "num_learned_routes": peer.get("numLearnedRoutes", 0),
                    "learned_routes": learned,
                    "advertised_routes": [
                        r.get("destRange") for r in peer.get("advertisedRoutes", [])
                    ],
                }
            )
    return {"tunnels": tunnels, "bgp_peers": peers}
