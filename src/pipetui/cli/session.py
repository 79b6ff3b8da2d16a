"""What every command shares: the ``--db`` and ``--as`` options, the session
they choose (settings, database, who is acting), one way to open it, one
place that turns failures into a line and an exit status, and one way to
print (:func:`echo`), so that no stored text reaches a terminal raw.

Bad input prints one line on stderr and exits with status 2; any other
expected failure prints one line and exits with status 1. No traceback
reaches a user (set ``PIPETUI_DEBUG=1`` to see one).
"""

from __future__ import annotations


import csv
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any


import click

from pipetui.core.text import json_escaped, printable

STATUS_CHOICES = ["open", "won", "lost", "all"]


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print for a person: every command's output and errors come here.

    Text from the database or a file may hold what a terminal acts on (an
    escape sequence that sets the window title or the clipboard, a C1
    control, a bidi override); each such character is shown as U+FFFD.
    Newlines and tabs of multi-line output stay."""
    click.echo(printable(message, keep="\n\t"), err=err, nl=nl)


def echo_json(text: str, *, nl: bool = True) -> None:
    """Print JSON text: control characters inside its strings are written
    as ``\\u`` escapes, so the data stays exact and the terminal safe."""
    echo(json_escaped(text), nl=nl)


# --- lists: one way for every list command to print --------------------------

FORMATS = ("text", "json", "csv", "tsv", "ids")


def list_options(function):
    """``--json`` and ``--format text|json|csv|tsv|ids`` on a list command,
    which receives them as one :class:`Listing` (keyword ``listing``)."""

    @functools.wraps(function)
    def run(*args, output_format: str | None, as_json: bool, **kwargs):
        if as_json and output_format not in (None, "json"):
            raise click.UsageError(f"give --json or --format {output_format}, not both")
        return function(*args, listing=Listing("json" if as_json else output_format or "text"), **kwargs)

    run = click.option("--format", "output_format", type=click.Choice(FORMATS),
                       help="text (the default), json, csv or tsv (the JSON keys as columns), "
                            "ids (one per line, for another command's '-').")(run)
    return click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(run)


@dataclass(frozen=True)
class Listing:
    """How a list command prints its items: as text lines, or one object per
    item (``to_json``) as JSON, CSV or TSV, or only each object's ``key``."""

    format: str = "text"

    def emit(self, items: Iterable[Any], *, to_json: Callable[[Any], dict[str, Any]],
             text: Callable[[Any], str], key: str = "id", empty: str | None = None) -> None:
        items = iter(items)
        if self.format == "json":
            for piece in batches(json_array(map(to_json, items))):
                echo_json(piece, nl=False)
            echo()
        elif self.format == "ids":
            for piece in batches(f"{to_json(item)[key]}\n" for item in items):
                echo(piece, nl=False)
        elif self.format in ("csv", "tsv"):
            for piece in batches(_table(map(to_json, items), "\t" if self.format == "tsv" else ","), 1):
                echo(piece, nl=False)
        else:
            first = next(items, None)
            if first is None:
                if empty is not None:
                    echo(empty)
                return
            for piece in batches(text(item) + "\n" for item in _chain_first(first, items)):
                echo(piece, nl=False)


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _table(objects: Iterator[dict[str, Any]], delimiter: str, size: int = 500) -> Iterator[str]:
    """CSV (or TSV) text, a header of the first object's keys, ``size`` rows
    at a time; a cell a spreadsheet would run as a formula is escaped as the
    export escapes it."""
    from pipetui.core.export import escape_cell

    def cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        return escape_cell(value) if isinstance(value, str) else value

    columns = None
    while True:
        chunk = list(islice(objects, size))
        if not chunk:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        if columns is None:
            columns = list(chunk[0])
            writer.writerow(columns)
        writer.writerows([cell(obj.get(c)) for c in columns] for obj in chunk)
        yield buffer.getvalue()


def json_array(objects: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The text of ``json.dumps(list(objects), indent=2, ensure_ascii=False)``,
    piece by piece as the objects come, never the whole list in memory."""
    empty = True
    for obj in objects:
        yield ("[\n" if empty else ",\n") + _json_member(obj)
        empty = False
    yield "[]" if empty else "\n]"


# json writes indented text in Python, and without indent in C: an object of
# plain values (a deal's) is written by the C encoder with the line breaks
# and indents as separators, several times faster, in the very same text.
_FLAT = json.JSONEncoder(ensure_ascii=False, separators=(",\n    ", ": ")).encode
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_member(obj: Any) -> str:
    """``obj`` as ``json.dumps(indent=2, ensure_ascii=False)`` writes a member of the top list."""
    if type(obj) is dict and obj and _PLAIN.issuperset(map(type, obj.values())):
        return "  {\n    " + _FLAT(obj)[1:-1] + "\n  }"
    return "  " + json.dumps(obj, indent=2, ensure_ascii=False).replace("\n", "\n  ")


def batches(pieces: Iterable[str], size: int = 500) -> Iterator[str]:
    """Pieces of text joined ``size`` at a time: fewer, larger writes."""
    pieces = iter(pieces)
    while batch := "".join(islice(pieces, size)):
        yield batch


@dataclass
class Session:
    """What the options of this invocation chose; the database opens on first use."""

    db_option: str | None = None
    as_option: str | None = None
    demo: bool = False
    _settings: Any = None
    _db: Any = None
    _actor: Any = field(default=None)
    _actor_resolved: bool = False
    _context: Any = None
    location: Any = None
    quiet_rules: bool = False  # the app shows broken rules itself
    fill_demo: bool = True  # with --demo, an empty demo pipeline is filled when opened

    @property
    def settings(self):
        if self._settings is None:
            from pipetui.config import load_settings

            self._settings = load_settings()
            for warning in self._settings.warnings:
                click.echo(f"pipetui: warning: {warning}", err=True)
        return self._settings

    def open(self, run_migrations: bool = True):
        if self._db is None:
            from pipetui.config import resolve_location
            from pipetui.store import open_database

            self.location, is_default = resolve_location(self.db_option, self.settings, demo=self.demo)
            self._db = open_database(self.location, create_dirs=is_default,
                                     run_migrations=run_migrations)
            if self.demo and self.fill_demo and run_migrations:
                from pipetui.core import demo

                if not demo.existing_deals():  # the demo pipeline is filled on first use
                    demo.generate(300, seed=1)
        return self._db

    @property
    def context(self):
        """Settings, rules and rotting days, built once on the open database;
        a broken rule is reported (with its line) and left out."""
        if self._context is None:
            from pipetui.config import build_context

            self.open()
            self._context = build_context(self.settings)
            if not self.quiet_rules:
                for problem in self._context.problems:
                    echo(f"pipetui: warning: {problem} (the rule is left out)", err=True)
        return self._context

    def actor(self):
        """The rep this invocation acts as (``--as``, ``me`` in the config, login name)."""
        if not self._actor_resolved:
            from pipetui.core.lookup import resolve_actor

            self.open()
            self._actor = resolve_actor(self.as_option, self.context.me)
            self._actor_resolved = True
        return self._actor


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value:
        state = ctx.ensure_object(Session)
        setattr(state, {"db": "db_option", "as_": "as_option", "demo": "demo"}[param.name], value)
    return value


def common_options(command):
    """``--db``, ``--as`` and ``--demo`` on every command, before or after its name."""
    command = click.option(
        "--demo", is_flag=True, callback=_remember, expose_value=False,
        help="Use the demo pipeline (its own file, filled on first use) instead of your data.",
    )(command)
    command = click.option(
        "--as", "as_", metavar="REP", callback=_remember, expose_value=False,
        help="Act as this rep (recorded in history).",
    )(command)
    return click.option(
        "--db", metavar="URL", callback=_remember, expose_value=False,
        help="Database: a file path, sqlite:///path or postgresql://user@host/db.",
    )(command)


def session() -> Session:
    return click.get_current_context().ensure_object(Session)


def command(name: str | None = None, *, opens: bool = True, parent: click.Group | None = None, **attrs):
    """A command taking ``--db`` and ``--as`` that receives the session as
    its first argument, with the database open unless ``opens`` is False;
    ``parent`` is the group it belongs to (else it is added to the root)."""

    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            state = session()
            if opens:
                state.open()
                state.context  # noqa: B018 - built now, so that broken rules are reported first
            return function(state, *args, **kwargs)

        made = click.command(name, **attrs)(common_options(run))
        if parent is not None:
            parent.add_command(made)
        return made

    return wrap


class FriendlyGroup(click.Group):
    """Turns expected failures into one line and an exit status."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Click's usage errors, too, become one line (status 2) instead of a usage block."""
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            echo(f"pipetui: {exc.format_message()}{hint}", err=True)
            code = exc.exit_code
        except click.Abort:
            echo("pipetui: aborted", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (``pipetui deals | head``): stop quietly,
            # and keep Python from complaining when it flushes at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except Exception as exc:
            if os.environ.get("PIPETUI_DEBUG"):
                raise
            code, message = describe(exc)
            echo(f"pipetui: {message}", err=True)
            ctx.exit(code)


class WholeNumber(click.ParamType):
    """An option's whole number, read by the core's one reader of ids and
    counts (ASCII digits, at most 64 bits), refused with its message: status 2."""

    name = "integer"

    def __init__(self, what: str, *, minimum: int = 0) -> None:
        self.what, self.minimum = what, minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from pipetui.core.errors import InvalidInput
        from pipetui.core.text import parse_whole_number

        if isinstance(value, int):
            return value
        try:
            return parse_whole_number(value, self.what, minimum=self.minimum)
        except InvalidInput as exc:
            self.fail(str(exc), param, ctx)


# The option that gives each field or setting a core error may be about.
OPTION_OF_FIELD = {"currency": "--currency", "date_format": "--date-format", "encoding": "--encoding",
                   "column_map": "--map", "stage_map": "--stage-map", "force": "--force"}


def describe(exc: Exception) -> tuple[int, str]:
    """The exit status and the one line for a failure; a core error about a
    field gets the option that sets it as a hint."""
    from pipetui.core.errors import PipetuiError, user_message
    from pipetui.store import DatabaseOpenError

    if isinstance(exc, PipetuiError):
        option = OPTION_OF_FIELD.get(exc.field or "")
        return exc.exit_code, f"{exc} ({option})" if option else str(exc)
    if isinstance(exc, DatabaseOpenError):
        return 1, str(exc)
    message = user_message(exc)
    if message is not None:
        return 1, message
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    return 1, f"unexpected error: {type(exc).__name__}: {exc} (run with PIPETUI_DEBUG=1 for details)"


def count(n: int, word: str) -> str:
    """``1 deal``, ``2,000 deals``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class progress:  # noqa: N801 - used as a function: with progress(...) as step
    """A progress bar on stderr when it is a terminal and the work is long
    (``minimum`` steps at least)."""

    def __init__(self, label: str, minimum: int = 2_000) -> None:
        self.label, self.minimum, self.bar, self.shown = label, minimum, None, 0

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or total < self.minimum:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
