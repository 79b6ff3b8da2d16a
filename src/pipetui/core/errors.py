"""Errors every front door shows as one line.

``InvalidInput`` and its subclasses mean the user's input was wrong and nothing
was written (the CLI exits with status 2); the others are failures of the
operation itself (status 1).
"""

from __future__ import annotations


class PipetuiError(Exception):
    """A failure with a message fit to show a user as it is.

    The message speaks of fields and values, never of one front end's way of
    giving them; ``field`` names the field or setting it is about (``currency``,
    ``date_format``, ``column_map``), so that each front end can add its own
    hint: the option on the command line, the field on a screen.
    """

    exit_code = 1

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInput(PipetuiError):
    """The input was wrong; nothing was changed."""

    exit_code = 2


class NotFound(InvalidInput):
    """A named deal, stage, rep, … does not exist."""


class Ambiguous(InvalidInput):
    """A reference matched more than one thing; the message lists them."""


class ConflictError(PipetuiError):
    """Someone else changed the record since it was read; nothing was overwritten."""


class DatabaseBusy(PipetuiError):
    """Another process held the database locked for longer than the busy timeout."""


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for a bug.

    Database driver errors are recognised here so that the front doors need
    not know which driver is in use.
    """
    if isinstance(exc, PipetuiError):
        return str(exc)
    from peewee import DatabaseError, InterfaceError, OperationalError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, OperationalError) and "locked" in text.lower():
        return "the database is locked by another process; try again in a moment"
    if isinstance(exc, (OperationalError, InterfaceError)):
        return f"database error: {text}"
    if isinstance(exc, DatabaseError):
        return f"database error: {text}"
    return None
