"""Deals one at a time, and lists of them: add, move, win, lose, reopen,
delete, deals, stages and the lost reasons."""

from __future__ import annotations


import json
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import Any


import click

from pipetui.cli.session import STATUS_CHOICES, FriendlyGroup, Session, WholeNumber, command, echo, echo_json

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
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A custom field's value.")
def add(state: Session, title: str, value: str, stage, owner, org, contact, close, currency, probability,
        assignments: tuple[str, ...]) -> None:
    """Add a deal."""
    from pipetui.core.fields import add_deal, parse_assignments

    deal = add_deal(title, value, default_currency=state.context.currency, stage=stage, owner=owner,
                    organization=org, contact=contact, expected_close=close, currency=currency,
                    probability=probability, actor=state.actor(), rules=state.context.rules,
                    fields=parse_assignments(assignments))
    echo(f"Added #{deal.id} {deal.title} in {deal.stage}")


@command()
@click.argument("deal")
@click.argument("stage")
def move(state: Session, deal: str, stage: str) -> None:
    """Move DEAL (id or title prefix) to STAGE (name or prefix)."""
    from pipetui.core import deals, lookup

    target = lookup.resolve_stage(stage)
    found = lookup.resolve_deal(deal, acting_on=OPEN_ONLY)
    moved = deals.move_deal(found.id, target, actor=state.actor(), rules=state.context.rules)
    echo(f"Moved #{moved.id} {moved.title} to {target.name}")


@command()
@click.argument("deal")
def win(state: Session, deal: str) -> None:
    """Mark DEAL won."""
    from pipetui.core import deals, lookup

    won = deals.win_deal(lookup.resolve_deal(deal, acting_on=OPEN_ONLY).id, actor=state.actor(),
                         rules=state.context.rules)
    echo(f"Won #{won.id} {won.title}")


@command()
@click.argument("deal")
@click.option("--reason", "-r", required=True, help="Why it was lost: a listed reason or free text.")
def lose(state: Session, deal: str, reason: str) -> None:
    """Mark DEAL lost, with a reason."""
    from pipetui.core import deals, lookup

    lost = deals.lose_deal(lookup.resolve_deal(deal, acting_on=OPEN_ONLY).id, reason, actor=state.actor())
    echo(f"Lost #{lost.id} {lost.title} ({lost.lost_reason})")


@command()
@click.argument("deal")
@click.option("--stage", "-s", help="Reopen in this stage (default: the stage it closed in).")
def reopen(state: Session, deal: str, stage: str | None) -> None:
    """Reopen a won or lost DEAL."""
    from pipetui.core import deals, lookup

    target = lookup.resolve_stage(stage) if stage else None
    reopened = deals.reopen_deal(lookup.resolve_deal(deal, acting_on=CLOSED).id, target,
                                 actor=state.actor())
    echo(f"Reopened #{reopened.id} {reopened.title} in {reopened.stage}")


@command()
@click.argument("deal")
def delete(state: Session, deal: str) -> None:
    """Delete DEAL (it leaves every list and figure; its history is kept)."""
    from pipetui.core import deals, lookup

    gone = deals.delete_deal(lookup.resolve_deal(deal, acting_on=ANY_STATUS).id)
    echo(f"Deleted #{gone.id} {gone.title}")


@command(name="deals")
@click.option("--stage", "-s", help="Only this stage.")
@click.option("--owner", "-o", help="Only this rep's deals.")
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="open", show_default=True)
@click.option("--limit", type=WholeNumber("limit", minimum=1), help="At most this many deals.")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per deal, value in minor units.")
def list_deals(state: Session, stage, owner, status, limit, as_json: bool) -> None:
    """List deals."""
    from pipetui.core import lookup, rows
    from pipetui.core.money import format_money

    found = rows.deal_rows(
        status=status,
        stage=lookup.resolve_stage(stage) if stage else None,
        owner=lookup.resolve_rep(owner) if owner else None,
        limit=limit,
    )
    if as_json:
        from pipetui.core.fields import with_fields_json

        for piece in _batches(json_array(with_fields_json(found))):
            echo_json(piece, nl=False)
        echo()
        return
    first = next(found, None)
    if first is None:
        echo("No deals.")
        return
    for d in chain([first], found):
        close = d.expected_close.isoformat() if d.expected_close else "-"
        echo(
            f"#{d.id:<6} {d.stage:<12} {d.status:<4} {format_money(d.value, d.currency):>16} "
            f"{d.win_probability:>3}%  {close:<10}  {d.owner or '-':<16} {d.title}"
        )


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


def _batches(pieces: Iterable[str], size: int = 500) -> Iterator[str]:
    """Pieces of text joined ``size`` at a time: fewer, larger writes."""
    pieces = iter(pieces)
    while batch := "".join(islice(pieces, size)):
        yield batch


@command()
def stages(state: Session) -> None:
    """List the stages with their default win probability and rotting days."""
    from pipetui.core import lookup

    for stage in lookup.stages():
        rot = f"rots after {stage.rotting_days} days" if stage.rotting_days else "never rots"
        echo(f"{stage.position + 1}. {stage.name:<12} {stage.probability:>3}%  {rot}")


@click.group(cls=FriendlyGroup, invoke_without_command=True)
@click.pass_context
def reasons(ctx: click.Context) -> None:
    """The reasons offered when a deal is lost (free text is allowed too)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(reasons_list)


@command(name="list", parent=reasons)
def reasons_list(state: Session) -> None:
    """List the lost reasons."""
    from pipetui.core import deals

    for name in deals.lost_reasons():
        echo(name)


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
