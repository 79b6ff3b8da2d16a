"""Export deals to CSV or JSON, in the columns the import reads back, and
back up a SQLite database while it is in use.

CSV cells that a spreadsheet would run as a formula (beginning with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) are written with a leading
``'``, as OWASP advises; the import takes it off again.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from pipetui.core import rows
from pipetui.core.errors import InvalidInput, PipetuiError
from pipetui.core.files import private_file, private_path, refuse_database_files
from pipetui.core.money import to_major_string
from pipetui.store import LOST, OPEN, WON, database_proxy
from pipetui.store.database import is_postgres

COLUMNS = ["id", "external_id", "title", "stage", "status", "value", "currency", "probability",
           "owner", "organization", "contact", "expected_close", "created_at", "closed_at",
           "lost_reason", "pipeline"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATUSES = {"open": [OPEN], "won": [WON], "lost": [LOST], "all": [OPEN, WON, LOST]}


def escape_cell(text: str) -> str:
    """A cell a spreadsheet will show as text, never run. A cell that
    begins with ``'`` gets one more, so that the import can tell them apart."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def unescape_cell(text: str) -> str:
    """The import's inverse of :func:`escape_cell`."""
    if text.startswith("'") and text[1:].startswith((*FORMULA_STARTS, "'")):
        return text[1:]
    return text


def deal_rows(status: str = "all") -> Iterator[dict[str, str | int | None]]:
    """Every live deal with ``status`` as plain values, in id order, streamed
    (:func:`pipetui.core.rows.deal_rows`) so that a large pipeline is never
    all in memory."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    from pipetui.core.lookup import pipelines

    pipeline_names = {p.id: p.name for p in pipelines(include_archived=True)}
    for d in rows.deal_rows(status=status, order="id"):
        yield {
            "id": d.id,
            "external_id": d.external_id,
            "title": d.title,
            "stage": d.stage,
            "status": d.status,
            "value": to_major_string(d.value, d.currency),
            "currency": d.currency,
            "probability": d.probability,
            "owner": d.owner,
            "organization": d.organization,
            "contact": d.contact,
            "expected_close": _iso(d.expected_close),
            "created_at": _iso(d.created_at),
            "closed_at": _iso(d.closed_at),
            "lost_reason": d.lost_reason,
            "pipeline": pipeline_names.get(d.pipeline_id),
        }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export(path: Path, *, fmt: str = "csv", status: str = "all") -> int:
    """Write the deals to ``path`` (written whole or not at all, readable by
    its owner only: :mod:`pipetui.core.files`); the count."""
    if fmt not in ("csv", "json"):
        raise InvalidInput(f"format must be csv or json, not {fmt!r}")
    refuse_database_files(path)
    count = 0
    try:
        with private_file(path) as out:
            if fmt == "csv":
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                for row in deal_rows(status):
                    writer.writerow(["" if row[c] is None else escape_cell(str(row[c])) for c in COLUMNS])
                    count += 1
            else:
                out.write("[")
                for row in deal_rows(status):
                    out.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
                    count += 1
                out.write("\n]\n")
    except OSError as exc:
        raise PipetuiError(f"cannot write {path}: {exc.strerror or exc}") from None
    return count


def backup(path: Path) -> None:
    """A consistent copy of the SQLite database, made with SQLite's online
    backup while others keep working in it, private from its first byte."""
    db = database_proxy.obj
    if is_postgres(db):
        raise InvalidInput("for PostgreSQL, pg_dump is the tool: pg_dump -Fc DBNAME > pipeline.dump")
    refuse_database_files(path)
    if path.exists():
        raise InvalidInput(f"{path} exists already; give a new file")
    try:
        with private_path(path) as partial:
            target = sqlite3.connect(partial)
            try:
                db.connection().backup(target)
            finally:
                target.close()
    except OSError as exc:
        raise PipetuiError(f"cannot back up to {path}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise PipetuiError(f"cannot back up to {path}: {exc}") from None
