"""The command line: every command is a thin shell over ``pipetui.core``.

Bad input prints one line on stderr and exits with status 2; any other
expected failure prints one line and exits with status 1. No traceback
reaches a user (set ``PIPETUI_DEBUG=1`` to see one).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from pipetui import __version__

STATUS_CHOICES = ["open", "won", "lost", "all"]


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
    location: Any = None
    rule_problems: list[str] = field(default_factory=list)
    quiet_rules: bool = False  # the app shows them itself

    @property
    def settings(self):
        if self._settings is None:
            from pipetui.config import load_settings

            self._settings = load_settings()
        return self._settings

    def open(self, run_migrations: bool = True):
        if self._db is None:
            from pipetui.config import resolve_location
            from pipetui.store import open_database

            self.location, is_default = resolve_location(self.db_option, self.settings, demo=self.demo)
            self._db = open_database(self.location, create_dirs=is_default,
                                     run_migrations=run_migrations)
            if run_migrations:
                self.install_rules()
        return self._db

    def install_rules(self) -> None:
        """The config's automation rules, for every service this run calls;
        a broken rule is reported (with its line) and left out."""
        from pipetui.core import rules

        problems = self.settings.rule_problems + [
            f"{self.settings.path}: {p}"
            for p in rules.install(self.settings.rules, self.settings.rotting_days)]
        self.rule_problems = problems
        if not self.quiet_rules:
            for problem in problems:
                click.echo(f"pipetui: warning: {problem} (the rule is left out)", err=True)

    def actor(self):
        """The rep this invocation acts as (``--as``, ``me`` in the config, login name)."""
        if not self._actor_resolved:
            from pipetui.core.lookup import resolve_actor

            self.open()
            self._actor = resolve_actor(self.as_option, self.settings.me)
            self._actor_resolved = True
        return self._actor


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        session = ctx.ensure_object(Session)
        setattr(session, {"db": "db_option", "as_": "as_option"}[param.name], value)
    return value


def common_options(command):
    """``--db`` and ``--as`` on every command, before or after its name."""
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
            click.echo(f"pipetui: {exc.format_message()}{hint}", err=True)
            code = exc.exit_code
        except click.Abort:
            click.echo("pipetui: aborted", err=True)
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
            code, message = _describe(exc)
            click.echo(f"pipetui: {message}", err=True)
            ctx.exit(code)


def _describe(exc: Exception) -> tuple[int, str]:
    from pipetui.core.errors import PipetuiError, user_message
    from pipetui.store import DatabaseOpenError

    if isinstance(exc, PipetuiError):
        return exc.exit_code, str(exc)
    if isinstance(exc, DatabaseOpenError):
        return 1, str(exc)
    message = user_message(exc)
    if message is not None:
        return 1, message
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    return 1, f"unexpected error: {type(exc).__name__}: {exc} (run with PIPETUI_DEBUG=1 for details)"


@click.group(cls=FriendlyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--demo", is_flag=True,
              help="Open a demo pipeline (its own file, filled on first use) instead of your data.")
@click.version_option(__version__, "--version", prog_name="pipetui")
@click.pass_context
def cli(ctx: click.Context, demo: bool) -> None:
    """pipetui: a keyboard-driven sales pipeline in your terminal.

    Without a command, opens the app.
    """
    state = ctx.ensure_object(Session)
    state.demo = demo
    if ctx.invoked_subcommand is None:
        run_app(state)


def run_app(state: Session, start: str = "board") -> None:
    from pipetui.core import demo as demo_data

    state.quiet_rules = True
    db = state.open()
    if state.demo and not demo_data.existing_deals():
        demo_data.generate(300, seed=1)
    from pipetui.config import state_path
    from pipetui.tui.app import PipetuiApp

    PipetuiApp(db=db, location=state.location.display(), actor=state.actor(),
               settings=state.settings, state_file=state_path(), start=start,
               warnings=state.rule_problems).run()


@cli.command()
@common_options
def triage() -> None:
    """Open the app on the triage queue: the deals that need attention now."""
    run_app(session(), start="triage")


# --- demo ------------------------------------------------------------------


@cli.command()
@common_options
@click.option("--deals", "count", type=int, default=300, show_default=True, help="How many deals.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same pipeline.")
@click.option("--force", is_flag=True, help="Replace the deals already in the database.")
def demo(count: int, seed: int, force: bool) -> None:
    """Fill the database with a realistic demo pipeline."""
    from pipetui.core import demo as demo_data

    state = session()
    state.open()
    with _progress("Generating deals", minimum=5_000) as progress:
        summary = demo_data.generate(count, seed=seed, force=force, progress=progress)
    click.echo(
        f"Created {summary.deals:,} deals ({summary.open:,} open, {summary.won:,} won, "
        f"{summary.lost:,} lost) for {summary.reps} reps in {state.location.display()}"
    )


# --- deals -----------------------------------------------------------------


@cli.command()
@common_options
@click.argument("title")
@click.option("--value", "-v", required=True, help="Amount: 12500, 12.5k, $3,000, EUR 900 …")
@click.option("--stage", "-s", help="Stage name or unique prefix (default: the first stage).")
@click.option("--owner", "-o", help="Owning rep (default: you).")
@click.option("--org", help="Organization (created if new).")
@click.option("--contact", help="Contact person (created if new).")
@click.option("--close", help="Expected close date: 2026-12-01, +2w, eom, fri …")
@click.option("--currency", help="ISO currency code (default from the config, else USD).")
@click.option("--probability", help="Win probability 0-100, instead of the stage's default.")
def add(title: str, value: str, stage, owner, org, contact, close, currency, probability) -> None:
    """Add a deal."""
    from pipetui.core.deals import add_deal

    state = session()
    state.open()
    deal = add_deal(title, value, default_currency=state.settings.currency, stage=stage, owner=owner,
                    organization=org, contact=contact, expected_close=close, currency=currency,
                    probability=probability, actor=state.actor())
    click.echo(f"Added #{deal.id} {deal.title} in {deal.stage.name}")


@cli.command()
@common_options
@click.argument("deal")
@click.argument("stage")
def move(deal: str, stage: str) -> None:
    """Move DEAL (id or title prefix) to STAGE (name or prefix)."""
    from pipetui.core import deals, lookup

    state = session()
    state.open()
    target = lookup.resolve_stage(stage)
    found = lookup.resolve_deal(deal)
    moved = deals.move_deal(found.id, target, actor=state.actor())
    click.echo(f"Moved #{moved.id} {moved.title} to {target.name}")


@cli.command()
@common_options
@click.argument("deal")
def win(deal: str) -> None:
    """Mark DEAL won."""
    from pipetui.core import deals, lookup

    state = session()
    state.open()
    won = deals.win_deal(lookup.resolve_deal(deal).id, actor=state.actor())
    click.echo(f"Won #{won.id} {won.title}")


@cli.command()
@common_options
@click.argument("deal")
@click.option("--reason", "-r", required=True, help="Why it was lost: a listed reason or free text.")
def lose(deal: str, reason: str) -> None:
    """Mark DEAL lost, with a reason."""
    from pipetui.core import deals, lookup

    state = session()
    state.open()
    lost = deals.lose_deal(lookup.resolve_deal(deal).id, reason, actor=state.actor())
    click.echo(f"Lost #{lost.id} {lost.title} ({lost.lost_reason})")


@cli.command()
@common_options
@click.argument("deal")
@click.option("--stage", "-s", help="Reopen in this stage (default: the stage it closed in).")
def reopen(deal: str, stage: str | None) -> None:
    """Reopen a won or lost DEAL."""
    from pipetui.core import deals, lookup

    state = session()
    state.open()
    target = lookup.resolve_stage(stage) if stage else None
    reopened = deals.reopen_deal(lookup.resolve_deal(deal, include_deleted=False).id, target,
                                 actor=state.actor())
    click.echo(f"Reopened #{reopened.id} {reopened.title} in {reopened.stage.name}")


@cli.command()
@common_options
@click.argument("deal")
def delete(deal: str) -> None:
    """Delete DEAL (it leaves every list and figure; its history is kept)."""
    from pipetui.core import deals, lookup

    session().open()
    gone = deals.delete_deal(lookup.resolve_deal(deal).id)
    click.echo(f"Deleted #{gone.id} {gone.title}")


@cli.command(name="deals")
@common_options
@click.option("--stage", "-s", help="Only this stage.")
@click.option("--owner", "-o", help="Only this rep's deals.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="open", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many deals.")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per deal, value in minor units.")
def list_deals(stage, owner, status, limit, as_json: bool) -> None:
    """List deals."""
    from pipetui.core import lookup, pipeline
    from pipetui.core.deals import win_probability
    from pipetui.core.money import format_money

    session().open()
    rows = pipeline.list_deals(
        status=None if status == "all" else status,
        stage=lookup.resolve_stage(stage) if stage else None,
        owner=lookup.resolve_rep(owner) if owner else None,
        limit=limit,
    )
    if as_json:
        click.echo(json.dumps([deal_json(d) for d in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No deals.")
        return
    for d in rows:
        close = d.expected_close.isoformat() if d.expected_close else "-"
        owner_name = d.owner.name if d.owner_id else "-"
        click.echo(
            f"#{d.id:<6} {d.stage.name:<12} {d.status:<4} {format_money(d.value, d.currency):>16} "
            f"{win_probability(d):>3}%  {close:<10}  {owner_name:<16} {d.title}"
        )


def deal_json(d) -> dict[str, Any]:
    from pipetui.core.deals import win_probability

    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "id": d.id,
        "title": d.title,
        "stage": d.stage.name,
        "status": d.status,
        "value": d.value,
        "currency": d.currency,
        "probability": d.probability,
        "win_probability": win_probability(d),
        "owner": d.owner.name if d.owner_id else None,
        "organization": d.organization.name if d.organization_id else None,
        "contact": d.contact.name if d.contact_id else None,
        "expected_close": iso(d.expected_close),
        "lost_reason": d.lost_reason,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "closed_at": iso(d.closed_at),
        "stage_entered_at": iso(d.stage_entered_at),
        "last_activity_at": iso(d.last_activity_at),
        "version": d.version,
        "external_id": d.external_id,
    }


@cli.command()
@common_options
def stages() -> None:
    """List the stages with their default win probability and rotting days."""
    from pipetui.core import lookup

    session().open()
    for stage in lookup.stages():
        rot = f"rots after {stage.rotting_days} days" if stage.rotting_days else "never rots"
        click.echo(f"{stage.position + 1}. {stage.name:<12} {stage.probability:>3}%  {rot}")


# --- export and backup ------------------------------------------------------------


@cli.command(name="export")
@common_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]),
              help="Default: from the file's suffix, else csv.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="all", show_default=True)
def export_command(file: Path, fmt: str | None, status: str) -> None:
    """Write the deals to a CSV or JSON file (the columns the import reads)."""
    from pipetui.core.export import export

    session().open()
    fmt = fmt or ("json" if file.suffix.lower() == ".json" else "csv")
    count = export(file, fmt=fmt, status=status)
    click.echo(f"Exported {count:,} deals to {file}")


IMPORT_FIELDS = ("source_id title stage status value currency probability owner organization contact "
                 "product created expected_close close_date closed lost_reason note is_won is_closed")


@cli.command(name="import", epilog=f"Fields for --map: {IMPORT_FIELDS}, or ignore. See the README for "
                                   "what each means and how the import reads dates, amounts and stages.")
@common_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(["pipedrive", "hubspot", "salesforce", "generic", "pipetui"]),
              help="Whose export this is (default: recognised from the header, else generic).")
@click.option("--map", "column_map", multiple=True, metavar="COLUMN=FIELD",
              help="Read COLUMN as FIELD (or 'ignore'); repeatable.")
@click.option("--stage-map", multiple=True, metavar="SOURCE=STAGE",
              help="Put deals in SOURCE stage into STAGE (or won, lost); repeatable.")
@click.option("--create-stages", is_flag=True, help="Add the file's unknown stages to the pipeline.")
@click.option("--date-format", metavar="FMT", help="Date order when the file leaves it open: %d/%m/%Y, MM/DD/YY …")
@click.option("--currency", help="Currency of values that name none (default from the config, else USD).")
@click.option("--encoding", help="The file's text encoding when it is not UTF-8 (e.g. cp1252).")
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option("--skip-bad", metavar="REJECTS.csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Import the good rows; write the bad ones here with their reasons.")
def import_command(file: Path, preset, column_map, stage_map, create_stages, date_format, currency,
                   encoding, dry_run, skip_bad) -> None:
    """Import deals from a CSV file (Pipedrive, HubSpot, Salesforce, pipetui or any other),
    or from pipetui's JSON export."""
    from pipetui.core import imports
    from pipetui.core.imports.mapping import parse_pairs
    from pipetui.core.money import validate_currency

    state = session()
    state.open()
    database_file = state.location.sqlite_path
    if skip_bad is not None and database_file is not None and skip_bad.resolve() == Path(database_file).resolve():
        raise click.BadParameter("that is the database itself; name another file", param_hint="--skip-bad")
    options = imports.Options(
        preset=preset, column_map=parse_pairs(list(column_map), "--map"),
        stage_map=parse_pairs(list(stage_map), "--stage-map"), create_stages=create_stages,
        date_format=date_format, currency=validate_currency(currency or state.settings.currency),
        encoding=encoding, skip_bad=skip_bad is not None,
    )
    with _progress("Checking rows") as progress:
        plan = imports.check(file, options, progress)
    _print_plan(file, plan)
    if plan.bad:
        for bad in plan.bad:
            if not bad.unknown_stage:
                click.echo(f"line {bad.line}: {bad.reason}", err=True)
        if plan.unknown_stages:
            stage_list = ", ".join(plan.stage_names.values())
            click.echo("stages the pipeline does not have:", err=True)
            for hint in imports.stage_map_hint(plan):
                click.echo(f"  {hint}", err=True)
            click.echo(f"  map each with --stage-map SOURCE=STAGE (the stages: {stage_list}; or won, lost), "
                       f"or add --create-stages", err=True)
        if not options.skip_bad:
            raise imports.ImportRefused(plan)
    if plan.to_update:
        changes = ", ".join(f"{name} {n:,}" for name, n in plan.change_counts().most_common())
        click.echo(f"Updates change: {changes}")
    if dry_run:
        left_out = f"; {_count(len(plan.bad), 'bad row')} left out" if plan.bad else ""
        click.echo("Dry run, nothing written. " + _import_counts(plan, None) + left_out)
        return
    with _progress("Writing deals") as progress:
        outcome = imports.commit(plan, rejects=skip_bad, progress=progress)
    click.echo(_import_counts(plan, outcome.written))
    if outcome.rejects is not None:
        click.echo(f"{_count(len(plan.bad), 'bad row')} left out, listed with their reasons in {outcome.rejects}")


class _progress:
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


def _print_plan(file: Path, plan) -> None:
    from pipetui.core.imports.mapping import FIELDS
    from pipetui.core.text import printable

    table, mapping = plan.table, plan.mapping
    click.echo(f"Read {file}: {_count(len(table.rows), 'row')}, {table.layout}, {table.encoding}")
    if mapping.preset == "generic":
        how = "columns guessed from the header" if mapping.detected else "as asked"
    else:
        how = "recognised from the header" if mapping.detected else "as asked"
    click.echo(f"Preset: {mapping.preset} ({how}); columns:")
    width = min(max((len(c.header) for c in mapping.columns), default=0), 40)
    for column in mapping.columns:
        target = FIELDS[column.field] if column.field else "(not imported)"
        origin = {"guessed": "  [guessed]", "--map": "  [--map]"}.get(column.how, "")
        click.echo(f"  {printable(column.header):<{width}}  -> {target}{origin}")
    if plan.dates is not None and plan.dates.evidence:
        line, example = plan.dates.evidence
        click.echo(f"Dates read as {plan.dates.order} (line {line} has {printable(example)})")
    for note in plan.notes:
        click.echo(f"Note: {note}")
    if plan.footer_rows:
        click.echo(f"Note: left out the footer at the end of the file ({_count(plan.footer_rows, 'line')})")
    if plan.left_out_deleted:
        click.echo(f"Note: left out {_count(plan.left_out_deleted, 'deal')} marked deleted")
    if plan.deleted_here:
        click.echo(f"Note: left alone {_count(plan.deleted_here, 'deal')} deleted here since an earlier import")
    if plan.rounded:
        click.echo(f"Note: rounded {_count(plan.rounded, 'value')} to their currency's smallest unit")


def _import_counts(plan, written) -> str:
    if written is None:  # a dry run: what the plan would write
        reps, organizations, contacts = map(len, plan.new_names())
        created, updated = len(plan.to_create), len(plan.to_update)
    else:
        reps, organizations, contacts = written.reps, written.organizations, written.contacts
        created, updated = written.created, written.updated
    people = ", ".join(_count(n, word) for n, word in
                       ((reps, "rep"), (organizations, "organization"), (contacts, "contact")))
    stages = ""
    if plan.new_stages:
        stages = "; stages " + ", ".join(f"{name} ({p} %)" for _ref, name, p in plan.new_stages)
    if written is None:
        return (f"Would create {_count(created, 'deal')}, update {updated:,}, leave {plan.unchanged:,} "
                f"unchanged; new: {people}{stages}")
    return (f"Imported: {_count(created, 'deal')} created, {updated:,} updated, "
            f"{plan.unchanged:,} unchanged; new: {people}{stages}")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@cli.command()
@common_options
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """A consistent copy of the SQLite database, safe while the app runs."""
    from pipetui.core.export import backup as make_backup

    session().open()
    make_backup(path)
    click.echo(f"Backed up to {path}")


# --- lost reasons --------------------------------------------------------------


@cli.group(cls=FriendlyGroup, invoke_without_command=True)
@click.pass_context
def reasons(ctx: click.Context) -> None:
    """The reasons offered when a deal is lost (free text is allowed too)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(reasons_list)


@reasons.command(name="list")
@common_options
def reasons_list() -> None:
    """List the lost reasons."""
    from pipetui.core import deals

    session().open()
    for name in deals.lost_reasons():
        click.echo(name)


@reasons.command(name="add")
@common_options
@click.argument("name")
def reasons_add(name: str) -> None:
    """Offer a new lost reason."""
    from pipetui.core import deals

    session().open()
    click.echo(f"Added lost reason {deals.add_lost_reason(name)}")


@reasons.command(name="remove")
@common_options
@click.argument("name")
def reasons_remove(name: str) -> None:
    """Stop offering a lost reason (deals lost for it keep it)."""
    from pipetui.core import deals

    session().open()
    click.echo(f"Removed lost reason {deals.remove_lost_reason(name)}")


# --- metrics -------------------------------------------------------------------


@cli.command()
@common_options
@click.option("--period", "-p", default="this-quarter", show_default=True,
              help="2026-11, 2026-Q4, this-month, this-quarter, this-week or FROM..TO.")
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep's figures.")
@click.option("--team", is_flag=True, help="The whole team's figures (the default).")
@click.option("--json", "as_json", is_flag=True, help="Every figure as JSON (keys in the README).")
def report(period: str, rep_name: str | None, team: bool, as_json: bool) -> None:
    """Pipeline health, funnel, quotas and forecast for a period."""
    from pipetui.core import lookup, metrics
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput

    if rep_name and team:
        raise InvalidInput("give --rep or --team, not both")
    state = session()
    state.open()
    chosen = parse_period(period)
    rep = lookup.resolve_rep(rep_name) if rep_name else None
    result = metrics.report(chosen, rep=rep, currency=state.settings.currency, rates=state.settings.rates)
    if as_json:
        click.echo(json.dumps(metrics.as_json(result), indent=2, ensure_ascii=False))
        return
    for line in report_lines(result):
        click.echo(line)


@cli.command()
@common_options
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep's (default: yours, when you are a rep).")
@click.option("--all", "everyone", is_flag=True, help="Everyone's.")
@click.option("--json", "as_json", is_flag=True, help="One object per activity.")
def today(rep_name: str | None, everyone: bool, as_json: bool) -> None:
    """Today's and overdue activities, oldest first."""
    from pipetui.core import clock, lookup, triage
    from pipetui.core.errors import InvalidInput

    if rep_name and everyone:
        raise InvalidInput("give --rep or --all, not both")
    state = session()
    state.open()
    rep = lookup.resolve_rep(rep_name) if rep_name else (None if everyone else state.actor())
    items = triage.agenda(rep.id if rep is not None else None)
    if as_json:
        click.echo(json.dumps([
            {"id": a.activity_id, "kind": a.kind, "subject": a.subject, "due_date": a.due_date.isoformat(),
             "due_time": a.due_time.strftime("%H:%M") if a.due_time else None, "overdue_days": a.overdue_days,
             "deal_id": a.deal_id, "deal": a.deal_title, "owner": a.owner}
            for a in items], indent=2, ensure_ascii=False))
        return
    if not items:
        click.echo(f"Nothing due today ({clock.today()}).")
        return
    for a in items:
        when = "today" if a.overdue_days == 0 else f"{a.overdue_days}d late"
        at = a.due_time.strftime("%H:%M") if a.due_time else "     "
        deal = f"#{a.deal_id} {a.deal_title}" if a.deal_id else "-"
        click.echo(f"{when:>9} {at} {a.kind:<7} {a.subject[:40]:<40} {a.owner or '-':<16} {deal}")


CLOSING_SHOWN = 10


@cli.command()
@common_options
@click.option("--period", "-p", default="this-quarter", show_default=True,
              help="2026-11, 2026-Q4, this-month, this-quarter, this-week or FROM..TO.")
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep (default: you, when you are a rep).")
@click.option("--team", is_flag=True, help="The whole team.")
def monitor(period: str, rep_name: str | None, team: bool) -> None:
    """A compact live view for a tmux pane: quota, this week, latest changes."""
    from pipetui.core import lookup
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput

    if rep_name and team:
        raise InvalidInput("give --rep or --team, not both")
    state = session()
    state.open()
    chosen = parse_period(period)
    if rep_name:
        rep = lookup.resolve_rep(rep_name)
    elif team:
        rep = None
    else:
        rep = state.actor()  # you, when your login or `me` names a rep; else the team
    from pipetui.tui.monitor import run_monitor

    run_monitor(period=chosen, rep=rep, currency=state.settings.currency, rates=state.settings.rates)



def report_lines(r) -> list[str]:
    """The report as text for a terminal or a mail."""
    from pipetui.core.metrics import percent, previous_change
    from pipetui.core.money import format_money

    def money(amount):
        return "n/a" if amount is None else format_money(round(amount), r.currency, cents=False)

    def days(value):
        return "n/a" if value is None else f"{value:.1f}"

    def change(now, before):
        delta = previous_change(now, before)
        return "" if delta is None else f"{delta * 100:+.0f}%"

    h, p = r.health, r.previous
    lines = [f"Pipeline report: {r.scope}, {r.period.label} "
             f"({r.period.start}..{r.period.end}), money in {r.currency}", ""]
    lines += metrics_answers(r) + [""]
    lines.append(f"{'Health':<26}{r.period.label:>16}{'before':>16}{'change':>8}")
    for name, now, before, shown in [
        ("Open deals", h.open_deals, p.open_deals, str),
        ("Open value", h.open_value, p.open_value, money),
        ("Weighted value", h.weighted_value, p.weighted_value, money),
        ("Won deals", h.won_deals, p.won_deals, str),
        ("Lost deals", h.lost_deals, p.lost_deals, str),
        ("Won value", h.won_value, p.won_value, money),
        ("Win rate", h.win_rate, p.win_rate, percent),
        ("Average won deal", h.average_won, p.average_won, money),
        ("Sales cycle, days", h.cycle_days, p.cycle_days, days),
        ("Sales velocity, per day", h.velocity, p.velocity, money),
    ]:
        # A space before each column keeps even billions apart.
        lines.append(f"  {name:<24} {shown(now):>15} {shown(before):>15} {change(now, before):>7}")
    lines += ["", f"{'Funnel':<16}{'entered':>9}{'went on':>9}{'convert':>9}{'won':>6}"
                  f"{'avg days':>10}{'rotting':>9}"]
    for f in r.funnel:
        lines.append(f"  {f.name[:14]:<14}{f.entered:>9}{f.advanced:>9}{percent(f.conversion):>9}"
                     f"{f.won:>6}{days(f.average_days):>10}{f.rotting:>9}")
    lines += ["", f"{'Quota':<22}{'quota':>16}{'won':>16}{'forecast':>16}{'attained':>10}{'coverage':>10}"]
    for q in r.quotas:
        coverage = "n/a" if q.coverage is None else f"{q.coverage:.1f}x"
        lines.append(f"  {q.name[:20]:<20} {money(q.quota):>15} {money(q.won):>15} {money(q.forecast):>15}"
                     f"{percent(q.attainment):>10}{coverage:>10}")
    sim = r.simulation
    lines += ["", f"Chance to reach quota: {percent(sim.chance)} ({sim.draws:,} draws over "
                  f"{sim.deals:,} open deals expected to close); won value at the end: "
                  f"{money(sim.p10)} (p10), {money(sim.p50)} (p50), {money(sim.p90)} (p90)"]
    lines += ["", f"Expected to close this week ({r.closing_week.start}..{r.closing_week.end}):"]
    if not r.closing_this_week:
        lines.append("  none")
    shown = r.closing_this_week[:CLOSING_SHOWN]
    for d in shown:
        lines.append(f"  #{d.deal_id:<6} {d.expected_close}  {format_money(d.value, d.currency):>16} "
                     f"{d.probability:>3}%  {d.stage:<12} {d.owner or '-':<16} {d.title}")
    more = sum(n for n, _ in r.closing_totals.values()) - len(shown)
    if more > 0:
        lines.append(f"  … and {more:,} more (--json lists the largest {len(r.closing_this_week)})")
    lines += ["", "Lost, by stage and reason:"]
    if not r.lost_reasons:
        lines.append("  none")
    for row in r.lost_reasons:
        lines.append(f"  {row.stage[:14]:<14} {row.deals:>6}  {row.reason}")
    if r.left_out:
        left = ", ".join(f"{n} in {code}" for code, n in sorted(r.left_out.items()))
        lines += ["", f"Left out of money figures (no rate to {r.currency} under [rates] in the "
                      f"config file): deals {left}"]
    return lines


def metrics_answers(r) -> list[str]:
    from pipetui.core.metrics import answers

    return answers(r)


# --- reps and quotas ---------------------------------------------------------


@cli.group(cls=FriendlyGroup)
def rep() -> None:
    """Sales reps."""


@rep.command(name="add")
@common_options
@click.argument("name")
@click.option("--email", help="Email address.")
@click.option("--login", help="Operating-system login that acts as this rep.")
def rep_add(name: str, email: str | None, login: str | None) -> None:
    """Add a rep."""
    from pipetui.core import people

    session().open()
    added = people.add_rep(name, email=email, username=login)
    click.echo(f"Added rep {added.name}")


@rep.command(name="list")
@common_options
def rep_list() -> None:
    """List the reps."""
    from pipetui.core import people

    session().open()
    reps = people.list_reps()
    if not reps:
        click.echo("No reps yet; add one with 'pipetui rep add NAME'.")
    for r in reps:
        click.echo(f"{r.name:<24} {r.username or '-':<12} {r.email or '-'}")


@cli.group(cls=FriendlyGroup)
def quota() -> None:
    """Quotas of reps and of the team."""


@quota.command(name="set", context_settings={"ignore_unknown_options": True})
@common_options
@click.argument("args", nargs=-1, metavar="(REP | --team) AMOUNT")
@click.option("--team", is_flag=True, help="The team's own quota.")
@click.option("--period", "-p", required=True, help="A month (2026-11) or a quarter (2026-Q4).")
def quota_set(args: tuple[str, ...], team: bool, period: str) -> None:
    """Set the quota of REP, or of the team, for a month or a quarter."""
    from pipetui.core import lookup, quotas
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput
    from pipetui.core.money import format_money, parse_money

    expected = 1 if team else 2
    if len(args) != expected:
        usage = "quota set --team AMOUNT --period P" if team else "quota set REP AMOUNT --period P"
        raise InvalidInput(f"expected: pipetui {usage}")
    state = session()
    state.open()
    who = None if team else lookup.resolve_rep(args[0])
    amount = parse_money(args[-1], state.settings.currency)
    when = parse_period(period)
    quotas.set_quota(who, when, amount)
    name = "the team" if who is None else who.name
    click.echo(f"Quota of {name} for {when.label}: {format_money(amount.amount, amount.currency)}")


@quota.command(name="list")
@common_options
@click.option("--period", "-p", help="Only quotas starting in this period.")
def quota_list(period: str | None) -> None:
    """List quotas."""
    from pipetui.core import quotas
    from pipetui.core.dates import Period, parse_period
    from pipetui.core.money import format_money

    session().open()
    for q in quotas.list_quotas(parse_period(period) if period else None):
        label = Period(q.period_start, q.period_start, q.period_kind).label
        who = q.rep.name if q.rep_id else "Team"
        click.echo(f"{label:<8} {who:<24} {format_money(q.amount, q.currency):>16}")


# --- maintenance -------------------------------------------------------------


@cli.command()
@common_options
def migrate() -> None:
    """Bring the database schema up to date (opening it does this too)."""
    from pipetui.store.database import migrate as apply_migrations
    from pipetui.store.database import schema_version

    state = session()
    db = state.open(run_migrations=False)
    applied = apply_migrations(db)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"{state.location.display()}: schema up to date ({schema_version(db)[-1]})")


def main() -> None:
    cli(prog_name="pipetui")
