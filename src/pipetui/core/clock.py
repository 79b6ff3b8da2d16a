"""The one source of "now" and "today", which tests and snapshots can freeze.

Timestamps are naive UTC datetimes; "today" is the local calendar date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current UTC time, naive, to the microsecond."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """The current local date."""
    if _frozen is not None:
        return _frozen.date()
    return dt.date.today()


def is_frozen() -> bool:
    return _frozen is not None


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze :func:`now` and :func:`today` at ``at`` (naive) for the block."""
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous
