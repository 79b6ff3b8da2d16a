"""The text people type into names and titles: its validation, and how
stored text, wherever it came from, is made safe to show."""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from pipetui.core.errors import InvalidInput

# Titles imported from other CRMs run long (Salesforce allows 120, HubSpot
# more); the screens cut them to fit, so the limit only guards the database.
TITLE_MAX_LENGTH = 500


# What a terminal could act on or that reorders a line: C0 and C1 controls
# (escape sequences start with ESC or C1 CSI), format characters such as the
# bidi overrides U+202E and U+2066-2069, and the line and paragraph separators.
_CONTROL_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))
# The zero-width joiner only joins emoji into one picture; clean_line allows it.
_JOINER = "\u200d"


def _is_control(char: str) -> bool:
    return char != _JOINER and unicodedata.category(char) in _CONTROL_CATEGORIES


@functools.cache
def _deleting(chars: str) -> dict[int, None]:
    return str.maketrans("", "", chars)


def printable(text: str, *, keep: str = "") -> str:
    """Text fit for a terminal, screen or cell grid: control characters
    (C0, C1, escape, bidi overrides) become U+FFFD, except those in ``keep``
    (newline and tab, for multi-line output). Text clean_line accepts is unchanged."""
    if text.isprintable() or (keep and text.translate(_deleting(keep)).isprintable()):
        return text  # the usual case, checked at C speed
    return "".join("\ufffd" if char not in keep and _is_control(char) else char for char in text)


_NOT_PLAIN_ASCII = re.compile(r"[^\n -~]")


def json_escaped(text: str) -> str:
    """JSON text with the control characters of its strings written as
    ``\\uXXXX`` escapes: the data stays exact and the text is safe to print.

    ``json.dumps(ensure_ascii=False)`` escapes C0 itself but leaves DEL, C1,
    bidi overrides and U+2028/2029 raw. Every raw newline in JSON text lies
    between values, never inside a string, so newlines stay."""
    if text.translate(_deleting("\n")).isprintable():
        return text
    return _NOT_PLAIN_ASCII.sub(lambda found: _escape(found[0]) if _is_control(found[0]) else found[0], text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # beyond the BMP, JSON writes a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


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
