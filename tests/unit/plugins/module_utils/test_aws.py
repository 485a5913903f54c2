"""_aws: the retry decorator, the error type and tag planning (no network)."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws, _retry
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError
from botocore.exceptions import ClientError


def _flaky(errors: list[AwsError], result: str = "ok"):
    calls = []

    def func() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return func, calls


@pytest.mark.parametrize(
    "error",
    [
        AwsError("RequestLimitExceeded", "Request limit exceeded.", 503),
        AwsError("Throttling", "Rate exceeded", 400),
        AwsError("InternalError", "An internal error has occurred", 500),
        AwsError("Whatever", "bad gateway", 502),
    ],
)
def test_retry_retries_throttling_and_5xx(error: AwsError) -> None:
    sleeps: list[float] = []
    func, calls = _flaky([error, error])
    wrapped = _aws.retry(attempts=5, base_delay=1.0, sleep=sleeps.append)(func)
    assert wrapped() == "ok"
    assert len(calls) == 3
    assert len(sleeps) == 2
    # full jitter: each delay within [0, base * 2**attempt]
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0


@pytest.mark.parametrize(
    "error",
    [
        AwsError("InvalidVpnGatewayID.NotFound", "The vpnGateway ID 'vgw-1' does not exist", 400),
        AwsError("UnauthorizedOperation", "You are not authorized", 403),
    ],
)
def test_retry_raises_other_errors_at_once(error: AwsError) -> None:
    sleeps: list[float] = []
    func, calls = _flaky([error])
    wrapped = _aws.retry(attempts=5, sleep=sleeps.append)(func)
    with pytest.raises(AwsError) as raised:
        wrapped()
    assert raised.value is error
    assert len(calls) == 1 and sleeps == []


def test_retry_gives_up_after_attempts() -> None:
    sleeps: list[float] = []
    errors = [AwsError("RequestLimitExceeded", "slow down", 503) for _unused in range(10)]
    func, calls = _flaky(errors)
    wrapped = _aws.retry(attempts=3, sleep=sleeps.append)(func)
    with pytest.raises(AwsError, match="RequestLimitExceeded"):
        wrapped()
    assert len(calls) == 3 and len(sleeps) == 2


def test_retry_delay_is_capped() -> None:
    sleeps: list[float] = []
    errors = [AwsError("Throttling", "x", 400) for _unused in range(7)]
    func, _unused = _flaky(errors)
    with mock.patch.object(_retry.random, "uniform", side_effect=lambda low, high: high):
        _aws.retry(attempts=8, base_delay=1.0, max_delay=5.0, sleep=sleeps.append)(func)()
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]


NOT_FOUND = "InvalidVpnConnectionID.NotFound"


def test_retry_codes_are_retried_for_that_call_only_and_not_passed_on() -> None:
    sleeps: list[float] = []
    seen: list[dict[str, object]] = []

    def describe(**kwargs: object) -> str:
        seen.append(kwargs)
        if len(seen) < 3:
            raise AwsError(NOT_FOUND, "The vpnConnection ID 'vpn-1' does not exist", 400)
        return "found"

    wrapped = _aws.retry(attempts=5, base_delay=1.0, sleep=sleeps.append)(describe)
    assert wrapped(retry_codes={NOT_FOUND}, VpnConnectionIds=["vpn-1"]) == "found"
    assert seen == [{"VpnConnectionIds": ["vpn-1"]}] * 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0
    # The same error without retry_codes is the answer: raised at once.
    seen.clear()
    with pytest.raises(AwsError, match=NOT_FOUND):
        wrapped(VpnConnectionIds=["vpn-1"])
    assert len(seen) == 1 and len(sleeps) == 2


def test_retry_codes_give_up_after_attempts_with_the_api_error() -> None:
    sleeps: list[float] = []
    errors = [AwsError(NOT_FOUND, f"attempt {n}", 400) for n in range(10)]
    func, calls = _flaky(errors)
    wrapped = _aws.retry(attempts=4, sleep=sleeps.append)(func)
    with pytest.raises(AwsError, match="attempt 3"):
        wrapped(retry_codes=_aws.FRESH_ID_NOT_FOUND_CODES)
    assert len(calls) == 4 and len(sleeps) == 3


def test_default_retry_budget_is_bounded() -> None:
    """Seven retries with the defaults, at most 51.5 s of sleep in all."""
    sleeps: list[float] = []
    errors = [AwsError(NOT_FOUND, "x", 400) for _unused in range(8)]
    func, calls = _flaky(errors)
    highest = mock.patch.object(_retry.random, "uniform", side_effect=lambda low, high: high)
    with highest, pytest.raises(AwsError):
        _aws.retry(sleep=sleeps.append)(func)(retry_codes={NOT_FOUND})
    assert len(calls) == 8 and sum(sleeps) == 51.5


def test_call_retries_retry_codes_and_passes_only_the_api_params() -> None:
    client = mock.Mock()
    not_found = ClientError(
        {
            "Error": {"Code": NOT_FOUND, "Message": "does not exist"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "DescribeVpnConnections",
    )
    client.describe_vpn_connections.side_effect = [not_found, {"VpnConnections": []}]
    with mock.patch.object(_retry.random, "uniform", return_value=0.0):
        answer = _aws.call(
            client,
            "describe_vpn_connections",
            retry_codes=_aws.FRESH_ID_NOT_FOUND_CODES,
            VpnConnectionIds=["vpn-1"],
        )
    assert answer == {"VpnConnections": []}
    assert [c.kwargs for c in client.describe_vpn_connections.call_args_list] == [
        {"VpnConnectionIds": ["vpn-1"]}
    ] * 2


def test_call_turns_client_error_into_aws_error() -> None:
    client = mock.Mock()
    client.delete_route.side_effect = ClientError(
        {
            "Error": {"Code": "InvalidRoute.NotFound", "Message": "no route 10.0.0.0/8"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "DeleteRoute",
    )
    with pytest.raises(AwsError) as raised:
        _aws.call(client, "delete_route", RouteTableId="rtb-1")
    assert raised.value.code == "InvalidRoute.NotFound"
    assert raised.value.message == "no route 10.0.0.0/8"
    assert raised.value.status == 400
    assert client.delete_route.call_count == 1


def test_call_all_follows_next_token() -> None:
    client = mock.Mock()
    client.describe_route_tables.side_effect = [
        {"RouteTables": [{"RouteTableId": "rtb-1"}], "NextToken": "t"},
        {"RouteTables": [{"RouteTableId": "rtb-2"}]},
    ]
    tables = _aws.call_all(client, "describe_route_tables", "RouteTables", Filters=[])
    assert [t["RouteTableId"] for t in tables] == ["rtb-1", "rtb-2"]
    assert client.describe_route_tables.call_args_list[1].kwargs["NextToken"] == "t"


def test_ec2_client_disables_botocore_retries() -> None:
    client = _aws.ec2_client(
        access_key="a", secret_key="b", region="eu-west-1", endpoint_url="http://127.0.0.1:9"
    )
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("current", "wanted", "purge", "to_set", "to_delete"),
    [
        ({}, None, False, {"crosscluster.link/managed": "true"}, []),
        ({"crosscluster.link/managed": "true", "a": "1"}, None, True, {}, []),
        ({"crosscluster.link/managed": "true", "a": "1"}, {"a": "2"}, False, {"a": "2"}, []),
        ({"crosscluster.link/managed": "true", "a": "1"}, {}, True, {}, ["a"]),
        ({"crosscluster.link/managed": "true", "aws:x": "1"}, {}, True, {}, []),
    ],
)
def test_plan_tags(current, wanted, purge, to_set, to_delete) -> None:
    keep = {"crosscluster.link/managed": "true"}
    assert _aws.plan_tags(current, wanted, purge, keep) == (to_set, to_delete)


class ModuleExit(Exception):
    """Stands for the SystemExit of exit_json / fail_json."""


class FakeModule:
    def __init__(self, diff: bool, check_mode: bool = False) -> None:
        self.params = {"region": "eu-west-1"}
        self.check_mode = check_mode
        self._diff = diff
        self.exited: dict | None = None
        self.failed: dict | None = None

    def exit_json(self, **result) -> None:
        self.exited = result
        raise ModuleExit

    def fail_json(self, **result) -> None:
        self.failed = result
        raise ModuleExit


def _resource(client, params, check_mode):
    return {
        "changed": True,
        "thing": {"a": 2},
        "before": {"a": 1, "b": 1},
        "after": {"a": 2, "b": 1},
    }


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        (False, {"changed": True, "thing": {"a": 2}}),
        (
            True,
            {"changed": True, "thing": {"a": 2}, "diff": {"before": {"a": 1}, "after": {"a": 2}}},
        ),
    ],
)
def test_run_returns_the_diff_only_with_diff_mode(diff: bool, expected: dict) -> None:
    module = FakeModule(diff)
    with mock.patch.object(_aws, "client_from_params"), pytest.raises(ModuleExit):
        _aws.run(module, _resource)
    assert module.exited == expected


def test_run_info_result_has_no_diff() -> None:
    module = FakeModule(diff=True)
    with mock.patch.object(_aws, "client_from_params"), pytest.raises(ModuleExit):
        _aws.run(module, lambda client, params, check_mode: {"changed": False, "items": []})
    assert module.exited == {"changed": False, "items": []}


def test_run_rejects_bad_input_before_the_client_and_maps_api_errors() -> None:
    module = FakeModule(diff=False)
    with mock.patch.object(_aws, "client_from_params") as client, pytest.raises(ModuleExit):
        _aws.run(module, _resource, lambda params: ["a is wrong", "b is wrong"])
    client.assert_not_called()
    assert module.failed == {"msg": "a is wrong; b is wrong"}

    def denied(client, params, check_mode):
        raise AwsError("UnauthorizedOperation", "You are not authorized.", 403)

    module = FakeModule(diff=False)
    with mock.patch.object(_aws, "client_from_params"), pytest.raises(ModuleExit):
        _aws.run(module, denied)
    assert module.failed == {
        "msg": "You are not authorized.",
        "error_code": "UnauthorizedOperation",
    }


def test_info_states_add_the_ended_ones_once_with_include_ended() -> None:
    live, ended = ("pending", "up"), ("failed", "deleted")
    assert _aws.info_states({"states": None}, live, ended) == live
    assert _aws.info_states({"states": ["up"], "include_ended": False}, live, ended) == ("up",)
    assert _aws.info_states({"states": ["up", "failed"], "include_ended": True}, live, ended) == (
        "up",
        "failed",
        "deleted",
    )
