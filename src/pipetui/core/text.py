"""Validation of the text people type into names and titles."""

from __future__ import annotations

import unicodedata

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


def parse_probability(text: str | int) -> int:
    """A win probability: a whole number from 0 to 100, with or without ``%``."""
    raw = str(text).strip().removesuffix("%").strip()
    if not (raw.isascii() and raw.isdecimal()) or not 0 <= int(raw) <= 100:
        raise InvalidInput(f"probability must be a whole number from 0 to 100, not {str(text)!r}")
    return int(raw)
