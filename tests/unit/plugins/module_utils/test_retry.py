"""The one retry of the cloud module_utils (_retry): what is retried, how often, how long."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _retry


class Transient(Exception):
    pass


def flaky(failures: int) -> tuple[object, list[int]]:
    calls: list[int] = []

    def func() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise Transient(f"attempt {len(calls)}")
        return "ok"

    return func, calls


POLICY = _retry.Policy(attempts=4, base_delay=1.0, max_delay=3.0)


def transient(exc: Exception) -> bool:
    return isinstance(exc, Transient)


def test_a_retryable_error_is_retried_until_the_call_succeeds() -> None:
    func, calls = flaky(2)
    sleeps: list[float] = []
    assert _retry.call(func, transient, POLICY, sleeps.append) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 3 and len(sleeps) == 2
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0  # full jitter under the cap


def test_the_last_error_is_raised_when_the_attempts_run_out() -> None:
    func, calls = flaky(10)
    sleeps: list[float] = []
    with pytest.raises(Transient, match="attempt 4"):
        _retry.call(func, transient, POLICY, sleeps.append)  # type: ignore[arg-type]
    assert len(calls) == 4 and len(sleeps) == 3  # no sleep after the last attempt


def test_an_error_that_is_not_retryable_is_raised_at_once() -> None:
    sleeps: list[float] = []

    def func() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        _retry.call(func, transient, POLICY, sleeps.append)
    assert sleeps == []


def test_the_delay_doubles_up_to_its_cap() -> None:
    policy = _retry.Policy(attempts=6, base_delay=0.5, max_delay=3.0)
    with mock.patch.object(_retry.random, "uniform", side_effect=lambda low, high: high):
        assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_decorator_passes_arguments_and_retries() -> None:
    calls: list[tuple[int, str]] = []

    @_retry.retrying(transient, POLICY, sleep=lambda _s: None)
    def add(a: int, b: str = "") -> str:
        calls.append((a, b))
        if len(calls) < 2:
            raise Transient("once")
        return f"{a}{b}"

    assert add(1, b="x") == "1x" and calls == [(1, "x"), (1, "x")]
