"""The text people type into names and titles: its validation, and how
stored text, wherever it came from, is made safe to show."""

from __future__ import annotations

import functools
import re
import unicodedata

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


def parse_probability(text: str | int) -> int:
    """A win probability: a whole number from 0 to 100, with or without ``%``."""
    raw = str(text).strip().removesuffix("%").strip()
    if not (raw.isascii() and raw.isdecimal()) or not 0 <= int(raw) <= 100:
        raise InvalidInput(f"probability must be a whole number from 0 to 100, not {str(text)!r}")
    return int(raw)
