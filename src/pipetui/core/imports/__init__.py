"""Importing deals from a CSV file another CRM (or pipetui) exported.

:func:`run_import` checks every row first (:mod:`.plan`) and writes only
when all of them are good, or, with ``skip_bad``, the good ones while the
bad ones go to a rejects file with their reasons (:mod:`.writer`). A dry
run checks and counts and writes nothing.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pipetui.core.errors import InvalidInput, PipetuiError
from pipetui.core.files import private_file, refuse_database_files
from pipetui.core.imports.plan import BadRow, Options, Plan, make_plan
from pipetui.core.imports.writer import Written, write

__all__ = ["ImportRefused", "Options", "Outcome", "check", "commit", "run_import"]


class ImportRefused(InvalidInput):
    """Rows are bad and ``skip_bad`` was not asked for; nothing was written."""

    def __init__(self, plan: Plan, message: str | None = None) -> None:
        """``message`` replaces the plain one (a front end naming its own ways to go on)."""
        self.plan = plan
        staged = sum(1 for b in plan.bad if b.unknown_stage)
        other = len(plan.bad) - staged
        piped = sum(plan.unknown_pipelines.values())
        staged -= piped
        parts = []
        if other:
            parts.append(f"{other:,} bad row{'s' if other != 1 else ''}")
        if staged:
            parts.append(f"{staged:,} row{'s' if staged != 1 else ''} in stages the pipeline does not have")
        if piped:
            parts.append(f"{piped:,} row{'s' if piped != 1 else ''} in pipelines the database does not have")
        self.counts = " and ".join(parts)
        fixes = ["fix them"] if other else []
        if staged:
            fixes.append("map the stages or create them")
        if piped:
            fixes.append("add the pipelines first")
        fixes.append("or import the good rows and list the bad ones apart")
        super().__init__(message or f"{self.counts}; nothing was imported ({', '.join(fixes)})")

    @property
    def rows(self) -> list[BadRow]:
        """The bad rows to list one by one (rows with an unknown stage are summed up per stage)."""
        return [b for b in self.plan.bad if not b.unknown_stage]


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    written: Written | None  # None for a dry run
    rejects: Path | None


def check(path: Path, options: Options, progress: Callable[[int, int], None] | None = None) -> Plan:
    """Read and check every row of ``path``; nothing is written."""
    return make_plan(path, options, progress)


def commit(plan: Plan, *, rejects: Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Write a checked plan; with bad rows only under ``skip_bad``, and then
    the bad rows go to ``rejects`` (which appears only if the import commits,
    readable by its owner only: :mod:`pipetui.core.files`)."""
    if plan.bad and not plan.options.skip_bad:
        raise ImportRefused(plan)
    if rejects is not None and plan.path is not None and rejects.resolve() == plan.path.resolve():
        raise InvalidInput("the rejects file would overwrite the file being imported; name another")
    if rejects is not None:
        refuse_database_files(rejects)
    if rejects is None or not plan.bad:
        return Outcome(plan, write(plan, progress), None)
    try:
        with private_file(rejects) as out:
            _write_rejects(plan, out)
            # The deals are written while the rejects wait under their temporary name.
            written = write(plan, progress)
    except OSError as exc:
        raise PipetuiError(f"cannot write {rejects}: {exc.strerror or exc}") from None
    return Outcome(plan, written, rejects)


def run_import(path: Path, options: Options, *, dry_run: bool = False, rejects: Path | None = None) -> Outcome:
    """:func:`check`, then :func:`commit` unless ``dry_run``."""
    plan = check(path, options)
    if plan.bad and not options.skip_bad:
        raise ImportRefused(plan)
    if dry_run:
        return Outcome(plan, None, None)
    return commit(plan, rejects=rejects)


def _write_rejects(plan: Plan, out: TextIO) -> None:
    """The bad rows as they came, with their line and reason."""
    writer = csv.writer(out)
    # Line and reason first: a row with more cells than the header keeps them all.
    writer.writerow(["import line", "import error", *plan.table.header])
    for bad in plan.bad:
        writer.writerow([bad.line, bad.reason, *bad.cells])


def unknown_stage_guesses(plan: Plan) -> list[tuple[str, int, str | None]]:
    """For each unknown stage, most rows first: its spelling, its number of
    rows, and a stage of the pipeline that it likely means (or None)."""
    names = list(plan.stage_names.values())
    guesses = []
    for spelling, count in sorted(plan.unknown_stages.items(), key=lambda item: -item[1]):
        close = difflib.get_close_matches(spelling, names, n=1, cutoff=0.75)
        guesses.append((spelling, count, close[0] if close else None))
    return guesses
