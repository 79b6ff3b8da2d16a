"""Deals, one or several at a time, and lists of them: add, move, win, lose,
reopen, delete, assign, deals, stages and the lost reasons."""

from __future__ import annotations


import sys

import click

from pipetui.cli.session import (
    STATUS_CHOICES,
    FriendlyGroup,
    Listing,
    Session,
    WholeNumber,
    command,
    echo,
    json_array,  # noqa: F401 - where the streamed JSON array was first defined
    list_options,
)

# The statuses of the deals a command acts on: a title naming several deals
# means the one of these (see lookup.resolve_deal).
OPEN_ONLY, CLOSED, ANY_STATUS = ("open",), ("won", "lost"), ("open", "won", "lost")


@command()
@click.argument("title")
@click.option("--value", "-v", required=True, help="Amount: 12500, 12.5k, $3,000, EUR 900 …")
@click.option("--stage", "-s", help="Stage name or unique prefix (default: the first stage).")
@click.option("--owner", "-o", help="Owning rep (default: you).")
@click.option("--org", help="Organization (created if new).")
@click.option("--contact", help="Contact person (created if new).")
@click.option("--close", help="Expected close date: 2026-12-01, +2w, eom, fri …")
@click.option("--currency", help="ISO currency code (default from the config, else USD).")
@click.option("--probability", help="Win probability 0-100, instead of the stage's default.")
@click.option("--pipeline", "-P", metavar="PIPELINE", help="The pipeline (default: the first one).")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A custom field's value.")
def add(state: Session, title: str, value: str, stage, owner, org, contact, close, currency, probability,
        pipeline, assignments: tuple[str, ...]) -> None:
    """Add a deal."""
    from pipetui.core.fields import add_deal, parse_assignments
    from pipetui.core.stages import pipeline_of

    deal = add_deal(title, value, default_currency=state.context.currency, stage=stage, owner=owner,
                    organization=org, contact=contact, expected_close=close, currency=currency,
                    probability=probability, pipeline=pipeline_of(pipeline) if pipeline else None,
                    actor=state.actor(), rules=state.context.rules, fields=parse_assignments(assignments))
    echo(f"Added #{deal.id} {deal.title} in {deal.stage}")


def bulk_options(function):
    """Several deals at once: ``-`` among the references reads ids from
    stdin, one a line; ``--where`` adds the deals a filter matches;
    ``--dry-run`` tells what would change and writes nothing."""
    function = click.option("--dry-run", is_flag=True,
                            help="Print what would change; write nothing.")(function)
    return click.option("--where", "-w", metavar="FILTER",
                        help="Also the deals this filter matches: stage:Proposal owner:maya "
                             "status:open text (as / on the board).")(function)


def chosen_deals(references: tuple[str, ...], where: str | None, *, acting_on: tuple[str, ...]):
    """The deals a bulk command acts on, or None when ``-`` or ``--where``
    found none (there is nothing to do; that is not a mistake)."""
    from pipetui.core import bulk
    from pipetui.core.board import parse_filter
    from pipetui.core.errors import InvalidInput

    if not references and where is None:
        raise InvalidInput("no deal given (give ids or titles, '-' to read ids from stdin, or --where FILTER)")
    if references.count("-") > 1:
        raise InvalidInput("'-' reads the ids from stdin once; give it once")
    named = list(references)
    if "-" in named:
        stdin = sys.stdin
        if stdin.isatty():
            raise InvalidInput("'-' reads deal ids from stdin, one a line: pipe them in "
                               "(pipetui deals --format ids --where … | pipetui move - STAGE)")
        at = named.index("-")
        named[at:at + 1] = [line.strip() for line in stdin if line.strip()]
    found = bulk.choose(named, parse_filter(where) if where is not None else None, acting_on=acting_on)
    if not found:
        echo("No deals matched; nothing changed.")
        return None
    return found


def tell(outcomes, done: str, would: str, dry_run: bool) -> None:
    """One line per deal: ``done`` (or ``would``, in a dry run) formatted with
    ``before`` and ``after``."""
    for outcome in outcomes:
        echo((would if dry_run else done).format(before=outcome.before, after=outcome.after))


@command()
@click.argument("deals", nargs=-1, metavar="DEALS...")
@click.argument("stage")
@bulk_options
def move(state: Session, deals: tuple[str, ...], stage: str, where, dry_run: bool) -> None:
    """Move DEALS (ids or title prefixes; - reads ids from stdin) to STAGE (name or prefix) of their pipeline."""
    from pipetui.core import bulk, lookup

    found = chosen_deals(deals, where, acting_on=OPEN_ONLY)
    if found is not None:
        target = lookup.resolve_stage(stage, _pipeline_of_all(found))
        tell(bulk.move(found, target, actor=state.actor(), rules=state.context.rules, dry_run=dry_run),
             "Moved #{after.id} {after.title} to {after.stage}",
             "Would move #{before.id} {before.title} from {before.stage} to {after.stage}", dry_run)


def _pipeline_of_all(found) -> int | None:
    """The pipeline whose stage a bulk command names: the deals' own when
    they share one, else the first (a deal of another is then refused)."""
    pipelines = {d.pipeline_id for d in found}
    return pipelines.pop() if len(pipelines) == 1 else None


@command()
@click.argument("deals", nargs=-1)
@bulk_options
def win(state: Session, deals: tuple[str, ...], where, dry_run: bool) -> None:
    """Mark DEALS won."""
    from pipetui.core import bulk

    found = chosen_deals(deals, where, acting_on=OPEN_ONLY)
    if found is not None:
        tell(bulk.win(found, actor=state.actor(), rules=state.context.rules, dry_run=dry_run),
             "Won #{after.id} {after.title}", "Would win #{before.id} {before.title}", dry_run)


@command()
@click.argument("deals", nargs=-1)
@click.option("--reason", "-r", required=True, help="Why it was lost: a listed reason or free text.")
@bulk_options
def lose(state: Session, deals: tuple[str, ...], reason: str, where, dry_run: bool) -> None:
    """Mark DEALS lost, with a reason."""
    from pipetui.core import bulk

    found = chosen_deals(deals, where, acting_on=OPEN_ONLY)
    if found is not None:
        tell(bulk.lose(found, reason, actor=state.actor(), dry_run=dry_run),
             "Lost #{after.id} {after.title} ({after.lost_reason})",
             "Would lose #{before.id} {before.title} ({after.lost_reason})", dry_run)


@command()
@click.argument("deals", nargs=-1)
@click.option("--stage", "-s", help="Reopen in this stage (default: the stage it closed in).")
@bulk_options
def reopen(state: Session, deals: tuple[str, ...], stage: str | None, where, dry_run: bool) -> None:
    """Reopen won or lost DEALS."""
    from pipetui.core import bulk, lookup

    found = chosen_deals(deals, where, acting_on=CLOSED)
    if found is not None:
        target = lookup.resolve_stage(stage, _pipeline_of_all(found)) if stage else None
        tell(bulk.reopen(found, target, actor=state.actor(), dry_run=dry_run),
             "Reopened #{after.id} {after.title} in {after.stage}",
             "Would reopen #{before.id} {before.title} ({before.status}) in {after.stage}", dry_run)


@command()
@click.argument("deals", nargs=-1)
@bulk_options
def delete(state: Session, deals: tuple[str, ...], where, dry_run: bool) -> None:
    """Delete DEALS (they leave every list and figure; their history is kept)."""
    from pipetui.core import bulk

    found = chosen_deals(deals, where, acting_on=OPEN_ONLY if where is not None else ANY_STATUS)
    if found is not None:
        tell(bulk.delete(found, dry_run=dry_run), "Deleted #{after.id} {after.title}",
             "Would delete #{before.id} {before.title} ({before.status}, {before.stage})", dry_run)


@command()
@click.argument("deals", nargs=-1, metavar="DEALS...")
@click.argument("rep")
@bulk_options
def assign(state: Session, deals: tuple[str, ...], rep: str, where, dry_run: bool) -> None:
    """Give DEALS to REP (name, prefix or login)."""
    from pipetui.core import bulk, lookup

    owner = lookup.resolve_rep(rep)
    found = chosen_deals(deals, where, acting_on=OPEN_ONLY if where is not None else ANY_STATUS)
    if found is not None:
        tell(bulk.assign(found, owner, actor=state.actor(), dry_run=dry_run),
             "Assigned #{after.id} {after.title} to {after.owner}",
             "Would assign #{before.id} {before.title} to {after.owner} (now {before.owner})", dry_run)


@command(name="deals")
@click.option("--stage", "-s", help="Only this stage.")
@click.option("--owner", "-o", help="Only this rep's deals.")
@click.option("--status", type=click.Choice(STATUS_CHOICES),
              help="open (the default, unless --where has status:), won, lost or all.")
@click.option("--where", "-w", metavar="FILTER",
              help="Only the deals this filter matches: stage:Proposal owner:maya status:won text.")
@click.option("--limit", type=WholeNumber("limit", minimum=1), help="At most this many deals.")
@click.option("--pipeline", "-P", metavar="PIPELINE", help="Only this pipeline's deals (default: every one).")
@list_options
def list_deals(state: Session, stage, owner, status, where, limit, pipeline, listing: Listing) -> None:
    """List deals."""
    from pipetui.core import fields, lookup, rows
    from pipetui.core.board import filter_condition, parse_filter
    from pipetui.core.money import format_money
    from pipetui.core.stages import pipeline_of

    chosen = pipeline_of(pipeline, include_archived=True) if pipeline else None
    terms = parse_filter(where) if where is not None else None
    if status is None:
        status = "all" if terms is not None and terms.statuses else "open"
    found = rows.deal_rows(
        status=status,
        stage=lookup.resolve_stage(stage, chosen) if stage else None,
        owner=lookup.resolve_rep(owner) if owner else None,
        where=filter_condition(terms, strict=True, pipeline_id=chosen.id if chosen else None)
        if terms is not None else None,
        limit=limit,
        pipeline=chosen,
    )

    def line(d) -> str:
        close = d.expected_close.isoformat() if d.expected_close else "-"
        return (f"#{d.id:<6} {d.stage:<12} {d.status:<4} {format_money(d.value, d.currency):>16} "
                f"{d.win_probability:>3}%  {close:<10}  {d.owner or '-':<16} {d.title}")

    listing.emit(fields.with_fields(found), to_json=lambda row: fields.deal_json(*row),
                 text=lambda row: line(row[0]), empty="No deals.")


@command()
@click.option("--pipeline", "-P", metavar="PIPELINE", help="The pipeline (default: the first one).")
@list_options
def stages(state: Session, pipeline: str | None, listing: Listing) -> None:
    """List the stages with their default win probability and rotting days (as 'stage list')."""
    from pipetui.cli.pipelines import show_stages

    show_stages(state, pipeline, listing)


@click.group(cls=FriendlyGroup, invoke_without_command=True)
@click.pass_context
def reasons(ctx: click.Context) -> None:
    """The reasons offered when a deal is lost (free text is allowed too)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(reasons_list)


@command(name="list", parent=reasons)
@list_options
def reasons_list(state: Session, listing: Listing) -> None:
    """List the lost reasons."""
    from pipetui.core import deals

    listing.emit(deals.lost_reasons(), text=str, key="name", to_json=lambda name: {"name": name})


@command(name="add", parent=reasons)
@click.argument("name")
def reasons_add(state: Session, name: str) -> None:
    """Offer a new lost reason."""
    from pipetui.core import deals

    echo(f"Added lost reason {deals.add_lost_reason(name)}")


@command(name="remove", parent=reasons)
@click.argument("name")
def reasons_remove(state: Session, name: str) -> None:
    """Stop offering a lost reason (deals lost for it keep it)."""
    from pipetui.core import deals

    echo(f"Removed lost reason {deals.remove_lost_reason(name)}")
