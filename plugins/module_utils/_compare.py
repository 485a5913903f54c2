# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One comparison for every API: does the live resource already have what is desired?"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any


def contains(desired: Any, current: Any, same: Callable[[Any, Any], bool] = operator.eq) -> bool:
    """Whether ``current`` already has every field of ``desired``: fields it adds (defaults,
    status) are ignored, lists match position by position, and an absent list or mapping is
    an empty one (APIs omit them). ``same`` compares two scalars."""
    if isinstance(desired, dict):
        current = {} if current is None else current
        return isinstance(current, dict) and all(
            contains(v, current.get(k), same) for k, v in desired.items()
        )
    if isinstance(desired, list):
        current = [] if current is None else current
        return (
            isinstance(current, list)
            and len(desired) == len(current)
            and all(contains(d, c, same) for d, c in zip(desired, current, strict=True))
        )
    return bool(same(desired, current))
