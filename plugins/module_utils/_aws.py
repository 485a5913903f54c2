# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""EC2 client, the one retry policy and the one error type of the AWS modules, and
:func:`run`, which runs one (the only helper here that takes the module object)."""

from __future__ import annotations

import functools
import importlib.util
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.common.dict_transformations import recursive_diff
from ansible_collections.crosscluster.link.plugins.module_utils import _retry

# botocore alone, not boto3: boto3 adds nothing an EC2 client needs here and its import (s3transfer
# among it) costs each module run about 70 ms of CPU. And botocore itself is imported where a
# client is made or its errors are caught, not here: ansible-core imports every filter file of a
# collection in each task's worker that looks up one of its filters (Jinja2Loader.get_with_context
# walks the package), and the filters that use this module's plain helpers (_aws_cgw) would pay
# botocore's import, about 0.15 s of CPU, in every such task.
HAS_BOTOCORE = importlib.util.find_spec("botocore") is not None


def _botocore_errors() -> tuple[type[Exception], ...]:
    """botocore's two error bases (for an ``except``: evaluated only when something is raised)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


T = TypeVar("T")

# Ownership tags: the collection only ever modifies or deletes resources carrying these.
MANAGED_TAG = "crosscluster.link/managed"
NAME_TAG = "crosscluster.link/name"

AWS_AUTH_ARGSPEC: dict[str, dict[str, Any]] = {
    "access_key": {
        "type": "str",
        "aliases": ["aws_access_key_id", "aws_access_key"],
        "fallback": (env_fallback, ["AWS_ACCESS_KEY_ID"]),
        "no_log": False,
    },
    "secret_key": {
        "type": "str",
        "aliases": ["aws_secret_access_key", "aws_secret_key"],
        "fallback": (env_fallback, ["AWS_SECRET_ACCESS_KEY"]),
        "no_log": True,
    },
    "session_token": {
        "type": "str",
        "aliases": ["aws_session_token"],
        "fallback": (env_fallback, ["AWS_SESSION_TOKEN"]),
        "no_log": True,
    },
    "profile": {
        "type": "str",
        "aliases": ["aws_profile"],
        "fallback": (env_fallback, ["AWS_PROFILE"]),
    },
    "region": {
        "type": "str",
        "aliases": ["aws_region"],
        "fallback": (env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION"]),
    },
    "endpoint_url": {
        "type": "str",
        "aliases": ["aws_endpoint_url"],
        "fallback": (env_fallback, ["AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"]),
    },
}
# A profile and explicit keys are two different credentials: take one.
AWS_MUTUALLY_EXCLUSIVE = [["profile", "access_key"], ["profile", "secret_key"]]

# Error codes AWS uses for throttling (EC2 API reference, "Error codes": RequestLimitExceeded;
# the other services' Throttling family); 5xx are retried too.
THROTTLING_CODES = frozenset(
    {
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
    }
)
SERVER_ERROR_CODES = frozenset(
    {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"}
)
# "Eventual consistency in the Amazon EC2 API" (EC2 developer guide): right after a create, a
# Describe or use of the new id can answer that it does not exist; AWS advises retrying with
# exponential backoff. Only a call naming an id that was just created passes these as
# ``retry_codes``: anywhere else a NotFound is the answer and fails (or is handled) at once.
FRESH_ID_NOT_FOUND_CODES = frozenset(
    {
        "InvalidCustomerGatewayID.NotFound",
        "InvalidVpnGatewayID.NotFound",
        "InvalidTransitGatewayID.NotFound",
        "InvalidVpnConnectionID.NotFound",
    }
)


class AwsError(Exception):
    """An AWS API error: the API's own code and message (and HTTP status when known)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @property
    def retryable(self) -> bool:
        return (
            self.code in THROTTLING_CODES
            or self.code in SERVER_ERROR_CODES
            or (self.status is not None and self.status >= 500)
        )


def retry(
    attempts: int = 8,
    base_delay: float = 0.5,
    max_delay: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Retry on throttling and 5xx (:func:`_retry.call`, full-jitter exponential backoff):
    with the defaults 7 retries, at most 51.5 s in all (26 s on average). The decorated
    function takes one more keyword, ``retry_codes`` (not passed on): error codes retried the
    same way for that call only (FRESH_ID_NOT_FOUND_CODES). Any other :class:`AwsError` is
    raised at once.
    """
    policy = _retry.Policy(attempts, base_delay, max_delay)

    def decorator(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args: Any, retry_codes: Collection[str] = (), **kwargs: Any) -> T:
            def retryable(exc: Exception) -> bool:
                return isinstance(exc, AwsError) and (exc.retryable or exc.code in retry_codes)

            return _retry.call(lambda: func(*args, **kwargs), retryable, policy, sleep)

        return wrapper

    return decorator


def _to_aws_error(exc: Exception) -> AwsError:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return AwsError(error.get("Code", "Unknown"), error.get("Message", str(exc)), status)
    return AwsError(type(exc).__name__, str(exc))


@retry()
def call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Call one EC2 API operation (the client's snake_case name); errors become AwsError. Throttling
    and 5xx are retried (:func:`retry`), and so are the codes in the keyword ``retry_codes``."""
    try:
        result: dict[str, Any] = getattr(client, operation)(**params)
    except _botocore_errors() as exc:
        raise _to_aws_error(exc) from exc
    return result


def call_all(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Call a paginated Describe* operation and concatenate the ``key`` lists of every page."""
    items: list[dict[str, Any]] = []
    while True:
        page = call(client, operation, **params)
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items
        params = {**params, "NextToken": token}


def ec2_client(
    access_key: str | None = None,
    secret_key: str | None = None,
    session_token: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """An EC2 client from the given values or the standard credential chain.

    botocore's own retries are reduced to one attempt so :func:`retry` is the only policy.
    """
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    try:
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        return botocore.session.Session(profile=profile).create_client(
            "ec2",
            region_name=region,
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=config,
        )
    except BotoCoreError as exc:
        raise AwsError(type(exc).__name__, str(exc)) from exc


def client_from_params(params: dict[str, Any], region: str | None = None) -> Any:
    """An EC2 client with the module's credentials, in ``region`` when given (the accepter's
    Region of a peering), else in the module's."""
    client_args = {name: params.get(name) for name in AWS_AUTH_ARGSPEC}
    return ec2_client(**{**client_args, "region": region or client_args.get("region")})


def resolved_region(params: dict[str, Any]) -> str | None:
    """The region the client will use (for region-dependent validation), without any call."""
    if params.get("region"):
        return str(params["region"])
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        session = botocore.session.Session(profile=params.get("profile"))
        region = session.get_config_variable("region")
        return str(region) if region else None
    except BotoCoreError:
        return None


def tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def dict_to_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]


def owner_tags(name: str) -> dict[str, str]:
    """The tags that mark a resource as created by this collection under ``name``."""
    return {MANAGED_TAG: "true", NAME_TAG: name, "Name": name}


def owned_by(resource: dict[str, Any], name: str) -> bool:
    """Whether an EC2 resource (its ``Tags`` list) carries the ownership tags of ``name``."""
    tags = tags_to_dict(resource.get("Tags"))
    return all(tags.get(k) == v for k, v in owner_tags(name).items())


def is_owned(tags: dict[str, str]) -> bool:
    return tags.get(MANAGED_TAG) == "true"


def plan_tags(
    current: dict[str, str], wanted: dict[str, str] | None, purge: bool, keep: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to delete) to go from ``current`` to ``wanted`` + ``keep``.

    ``wanted`` None leaves user tags alone; ``purge`` removes user tags not in ``wanted``;
    ``keep`` (ownership tags) is always set and never removed.
    """
    desired = {**(wanted or {}), **keep}
    to_set = {k: str(v) for k, v in desired.items() if current.get(k) != str(v)}
    to_delete: list[str] = []
    if purge and wanted is not None:
        to_delete = sorted(k for k in current if k not in desired and not k.startswith("aws:"))
    return to_set, to_delete


def apply_tags(client: Any, resource_id: str, to_set: dict[str, str], to_delete: list[str]) -> None:
    if to_set:
        call(client, "create_tags", Resources=[resource_id], Tags=dict_to_tags(to_set))
    if to_delete:
        call(client, "delete_tags", Resources=[resource_id], Tags=[{"Key": k} for k in to_delete])


def reconcile_tags(
    client: Any, resource_id: str, current: dict[str, str], params: dict[str, Any], check_mode: bool
) -> tuple[bool, dict[str, str]]:
    """Give ``resource_id`` (tagged ``current`` now) the ownership tags of ``params["name"]``
    and the user ``tags`` (``purge_tags`` removing the others); nothing is sent in check mode.
    Returns (changed, the tags after)."""
    to_set, to_delete = plan_tags(
        current, params.get("tags"), params.get("purge_tags", False), owner_tags(params["name"])
    )
    if (to_set or to_delete) and not check_mode:
        apply_tags(client, resource_id, to_set, to_delete)
    after = {k: v for k, v in {**current, **to_set}.items() if k not in to_delete}
    return bool(to_set or to_delete), after


def run(
    module: Any,
    operation: Callable[[Any, dict[str, Any], bool], dict[str, Any]],
    validate: Callable[[dict[str, Any]], list[str]] | None = None,
) -> None:
    """Run an aws_* module: check botocore, reject bad input (``validate(params)`` returns the
    error messages) before any API call, call ``operation(client, params, check_mode)`` and
    exit with the result it returns. An AwsError fails with the API's own message and code.
    A result's ``before`` and ``after`` are not returned: they become the diff, with --diff."""
    if not HAS_BOTOCORE:
        module.fail_json(msg=missing_required_lib("botocore"))
    errors = validate(module.params) if validate else []
    if errors:
        module.fail_json(msg="; ".join(errors))
    try:
        result = operation(client_from_params(module.params), module.params, module.check_mode)
    except AwsError as exc:
        module.fail_json(msg=exc.message, error_code=exc.code)
    if "before" in result:
        before, after = result.pop("before"), result.pop("after")
        if module._diff:
            diff = recursive_diff(before, after) or ({}, {})
            result["diff"] = {"before": diff[0], "after": diff[1]}
    module.exit_json(**result)


def info_states(
    params: dict[str, Any], live: tuple[str, ...], ended: tuple[str, ...]
) -> tuple[str, ...]:
    """The states a peering info module reads: ``states`` (``live`` by default), with
    ``include_ended`` also the ``ended`` ones, each once."""
    states = tuple(params.get("states") or live)
    return tuple(dict.fromkeys((*states, *ended))) if params.get("include_ended") else states
