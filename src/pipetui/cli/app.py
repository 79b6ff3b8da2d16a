"""The front doors that open a screen: the app (the root command), triage
and the monitor."""

from __future__ import annotations


import click

from pipetui import __version__
from pipetui.cli.session import FriendlyGroup, Session, command, common_options, echo


@click.group(cls=FriendlyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(__version__, "--version", prog_name="pipetui")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pipetui: a keyboard-driven sales pipeline in your terminal.

    Without a command, opens the app.
    """
    state = ctx.ensure_object(Session)
    if ctx.invoked_subcommand is None:
        run_app(state)


def run_app(state: Session, start: str = "board", pipeline: str | None = None) -> None:
    from pipetui.config import check_keymap, crash_log_path, state_path
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.keymap import keymap_scopes

    for warning in check_keymap(state.settings, keymap_scopes()):
        click.echo(f"pipetui: warning: {warning}", err=True)
    state.quiet_rules = True
    db = state.open()
    from pipetui.core.stages import pipeline_of

    pipeline_id = pipeline_of(pipeline).id if pipeline else None
    app = PipetuiApp(db=db, location=state.location.display(), context=state.context, actor=state.actor(),
                     state_file=state_path(), start=start, crash_log=crash_log_path(), pipeline_id=pipeline_id)
    app.run()
    _exit_after(app)


def _exit_after(app) -> None:
    """An app that ended on an unexpected error: its one line, and status 1."""
    if app.return_code:
        if app.crash_report:
            echo(f"pipetui: {app.crash_report}", err=True)
        click.get_current_context().exit(app.return_code)


@command(opens=False)
@click.option("--pipeline", "-P", metavar="PIPELINE", help="Only this pipeline's deals (default: all).")
def triage(state: Session, pipeline: str | None) -> None:
    """Open the app on the triage queue: the deals that need attention now."""
    run_app(state, start="triage", pipeline=pipeline)


@command()
@click.option("--period", "-p", default="this-quarter", show_default=True,
              help="2026-11, 2026-Q4, this-month, this-quarter, this-week or FROM..TO.")
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep (default: you, when you are a rep).")
@click.option("--team", is_flag=True, help="The whole team.")
@click.option("--pipeline", "-P", metavar="PIPELINE", help="One pipeline's figures (default: all pipelines).")
def monitor(state: Session, period: str, rep_name: str | None, team: bool, pipeline: str | None) -> None:
    """A compact live view for a tmux pane: quota, this week, latest changes."""
    from pipetui.core import lookup
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput

    if rep_name and team:
        raise InvalidInput("give --rep or --team, not both")
    chosen = parse_period(period)
    from pipetui.core.stages import pipeline_of

    one = pipeline_of(pipeline, include_archived=True).id if pipeline else None
    if rep_name:
        rep = lookup.resolve_rep(rep_name)
    elif team:
        rep = None
    else:
        rep = state.actor()  # you, when your login or `me` names a rep; else the team
    from pipetui.tui.monitor import run_monitor

    from pipetui.config import crash_log_path

    _exit_after(run_monitor(period=chosen, rep=rep, currency=state.context.currency,
                            rates=state.context.rates, crash_log=crash_log_path(), pipeline=one))
