"""A deal's fields and their history: edit and history."""

from __future__ import annotations

import json

import click

from pipetui.cli.session import Session, WholeNumber, command, echo, echo_json

# Any status: a won or lost deal's fields can be corrected and its history read.
ANY_STATUS = ("open", "won", "lost")


@command()
@click.argument("deal")
@click.option("--title", help="New title.")
@click.option("--value", "-v", help="Amount: 12500, 12.5k, EUR 900 … (in the deal's currency unless given).")
@click.option("--owner", "-o", help="Owning rep (\"\": nobody).")
@click.option("--org", help="Organization, created if new (\"\": none).")
@click.option("--contact", help="Contact person, created if new (\"\": none).")
@click.option("--close", help="Expected close date: 2026-12-01, +2w, eom, fri … (\"\": none).")
@click.option("--probability", help="Win probability 0-100 (\"\": the stage's default again).")
# Custom fields: `--set FIELD=VALUE` (repeatable) joins here, parsed before
# anything is written and saved in the same transaction as the options above.
@click.option("--expected-version", type=WholeNumber("version", minimum=1),
              help="Refuse the change unless the deal is still at this version (see deals --json).")
def edit(state: Session, deal: str, title, value, owner, org, contact, close, probability,
         expected_version) -> None:
    """Change DEAL's fields (each change is kept in its history)."""
    from pipetui.core import lookup, rows
    from pipetui.core.deals import change_deal, field_texts

    found = lookup.resolve_deal(deal, acting_on=ANY_STATUS)
    before, after = change_deal(found.id, expected_version=expected_version, title=title, value=value,
                                owner=owner, organization=org, contact=contact, expected_close=close,
                                probability=probability, actor=state.actor())
    old, new = field_texts(before), field_texts(after)
    told = [rows.field_entry(after.updated_at, name, old[name], new[name], None, False).what
            for name in old if old[name] != new[name]]
    if not told:
        echo(f"Nothing changed on #{after.id} {after.title}")
        return
    echo(f"Edited #{after.id} {after.title}: " + "; ".join(told))


@command()
@click.argument("deal")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per change, oldest first.")
def history(state: Session, deal: str, as_json: bool) -> None:
    """DEAL's changes, oldest first: its stages and status, and every field
    (a deleted deal's too: its history is kept)."""
    from pipetui.core import lookup, rows

    found = lookup.resolve_deal(deal, acting_on=ANY_STATUS, include_deleted=True)
    entries = rows.narrated_history(found)
    if as_json:
        echo_json(json.dumps([e.as_json() for e in entries], indent=2, ensure_ascii=False))
        return
    for entry in entries:
        who = entry.who if entry.who is not None else rows.NO_REP
        stay = "" if entry.undone or entry.is_field else f", {entry.days}d"
        echo(f"{entry.when:%Y-%m-%d %H:%M}  {entry.what}  {who}{stay}")
