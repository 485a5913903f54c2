"""One wait for the tests that talk to real clusters and real DNS servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dns.exception


def eventually(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """The first truthy result of ``check`` within ``timeout`` seconds; a server that does not
    answer yet (OSError, a DNS timeout) counts as not yet."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, dns.exception.DNSException) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last: {last!r})")
