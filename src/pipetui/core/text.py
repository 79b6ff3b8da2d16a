"""Validation of the text people type into names and titles."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from pipetui.core.errors import InvalidInput

# Titles imported from other CRMs run long (Salesforce allows 120, HubSpot
# more); the screens cut them to fit, so the limit only guards the database.
TITLE_MAX_LENGTH = 500


def printable(text: str) -> str:
    """Text fit for a terminal, screen or cell grid: control characters become U+FFFD."""
    if text.isprintable():
        return text
    return "".join(
        "\ufffd" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text
    )



def clean_line(value: str, what: str, *, max_length: int = 200, required: bool = True) -> str | None:
    """Strip ``value`` and reject control characters and over-long text.

    Markup such as ``[bold]`` is ordinary text here; the screens show it
    literally. Escape sequences are refused rather than stored, because a
    terminal would act on them wherever the text is printed.
    """
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput(f"{what} must not be empty")
        return None
    if not value.isprintable():  # the per-character check only for text that may need it
        for char in value:
            if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != "\u200d":
                raise InvalidInput(f"{what} contains a control character ({char!r}); type plain text")
    if len(value) > max_length:
        raise InvalidInput(f"{what} is too long ({len(value)} characters, at most {max_length})")
    return value


def clean_text(value: str, what: str, *, max_length: int = 20_000) -> str:
    """Multi-line text such as a note: newlines and tabs allowed, other controls not."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"{what} must not be empty")
    for char in value:
        if char not in "\n\t" and unicodedata.category(char) == "Cc":
            raise InvalidInput(f"{what} contains a control character ({char!r}); type plain text")
    if len(value) > max_length:
        raise InvalidInput(f"{what} is too long ({len(value)} characters, at most {max_length})")
    return value


# Ids and counts live in 64-bit signed integer columns.
MAX_WHOLE_NUMBER = 2**63 - 1

_PROBABILITY = re.compile(r"^(?P<minus>-)?(?P<number>\d+(?:\.\d+)?|\.\d+)$", re.ASCII)


def parse_whole_number(text: str | int, what: str, *, minimum: int = 0,
                       maximum: int = MAX_WHOLE_NUMBER) -> int:
    """An id or a count: ASCII digits only (``1_000``, ``１２`` and ``٣`` are
    refused, as a file or a database would not take them back), from
    ``minimum`` to ``maximum``."""
    shown = str(text).strip()
    if not (shown.isascii() and shown.isdigit()):
        raise InvalidInput(f"{what} {shown!r} is not a whole number: use the digits 0-9")
    # The length first: int() of thousands of digits is slow, then refused.
    if len(shown.lstrip("0")) > len(str(maximum)) or int(shown) > maximum:
        raise InvalidInput(f"{what} {shown!r} is too large (at most {maximum:,})")
    if int(shown) < minimum:
        raise InvalidInput(f"{what} {shown!r} is too small (at least {minimum:,})")
    return int(shown)


def parse_probability(text: str | int, *, shares: bool = False) -> int:
    """A win probability in whole percent, from 0 to 100: ``40``, ``40%`` or
    ``40.0``; ``50.5``, ``1e2`` and non-ASCII digits are refused.

    ``shares``: the text is a share of one (``0.4``, as HubSpot writes; the
    import decides it for a whole file), rounded to the nearest percent.
    """
    shown = str(text).strip()
    match = _PROBABILITY.match(shown.removesuffix("%").rstrip())
    if not match:
        raise InvalidInput(f"probability {shown!r} is not a probability: write a whole number "
                           "from 0 to 100 (e.g. 40 or 40%)")
    percent = Decimal(match["number"]) * (100 if shares else 1)
    if percent > 100 or match["minus"]:
        raise InvalidInput(f"probability {shown!r} is out of range: a probability is from 0 to 100 %")
    if percent % 1 and not shares:
        raise InvalidInput(f"probability {shown!r} is not a whole percent: write a whole number "
                           "from 0 to 100")
    return int(percent.to_integral_value(ROUND_HALF_UP))
