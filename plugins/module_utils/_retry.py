# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to retry: call ``func`` again while ``retryable`` says its error is transient,
``attempts`` times in all, sleeping a full-jitter exponential backoff between calls: before
retry ``n`` (0-based) a delay uniform in [0, min(max_delay, base_delay * 2**n)] ("Exponential
Backoff And Jitter", the AWS Architecture Blog, as the AWS SDKs retry; Google Cloud "Retry
strategy": truncated exponential backoff with jitter). Each cloud module_utils passes its own
retryable errors and policy; any other error is raised at once, the last one when the attempts
run out."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    attempts: int
    base_delay: float
    max_delay: float

    def delay(self, retry: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**retry))


def call(
    func: Callable[[], T],
    retryable: Callable[[Exception], bool],
    policy: Policy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    for attempt in range(policy.attempts):
        try:
            return func()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not retryable(exc) or attempt == policy.attempts - 1:
                raise
        sleep(policy.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def retrying(
    retryable: Callable[[Exception], bool],
    policy: Policy,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """:func:`call` as a decorator."""

    def decorator(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            return call(lambda: func(*args, **kwargs), retryable, policy, sleep)

        return wrapper

    return decorator
