# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to wait: call ``step`` every ``interval`` seconds until ``done`` says its result
is final or ``timeout`` seconds have passed, never sleeping past the deadline. With
``max_interval`` the interval doubles after each sleep up to it (a cloud resource that takes
minutes is not read every second). The caller decides what a result that is not final at
the deadline means; ``step`` raises to stop early (a state that cannot reach the target)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(
    step: Callable[[], T],
    done: Callable[[T], bool],
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_interval: float | None = None,
) -> T:
    deadline = clock() + timeout
    while True:
        result = step()
        now = clock()
        if done(result) or now >= deadline:
            return result
        sleep(min(interval, deadline - now))
        if max_interval is not None:
            interval = min(interval * 2, max_interval)
