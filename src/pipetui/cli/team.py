"""The team: reps and quotas."""

from __future__ import annotations


import click

from pipetui.cli.session import FriendlyGroup, Listing, Session, command, echo, list_options


@click.group(cls=FriendlyGroup)
def rep() -> None:
    """Sales reps."""


@command(name="add", parent=rep)
@click.argument("name")
@click.option("--email", help="Email address.")
@click.option("--login", help="Operating-system login that acts as this rep.")
def rep_add(state: Session, name: str, email: str | None, login: str | None) -> None:
    """Add a rep."""
    from pipetui.core import people

    added = people.add_rep(name, email=email, username=login)
    echo(f"Added rep {added.name}")


@command(name="list", parent=rep)
@list_options
def rep_list(state: Session, listing: Listing) -> None:
    """List the reps."""
    from pipetui.core import people

    listing.emit(people.list_reps(), key="name",
                 text=lambda r: f"{r.name:<24} {r.username or '-':<12} {r.email or '-'}",
                 to_json=lambda r: {"id": r.id, "name": r.name, "login": r.username, "email": r.email},
                 empty="No reps yet; add one with 'pipetui rep add NAME'.")


@click.group(cls=FriendlyGroup)
def quota() -> None:
    """Quotas of reps and of the team."""


@command(name="set", context_settings={"ignore_unknown_options": True}, parent=quota)
@click.argument("args", nargs=-1, metavar="(REP | --team) AMOUNT")
@click.option("--team", is_flag=True, help="The team's own quota.")
@click.option("--period", "-p", required=True, help="A month (2026-11) or a quarter (2026-Q4).")
def quota_set(state: Session, args: tuple[str, ...], team: bool, period: str) -> None:
    """Set the quota of REP, or of the team, for a month or a quarter."""
    from pipetui.core import lookup, quotas
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput
    from pipetui.core.money import format_money, parse_money

    expected = 1 if team else 2
    if len(args) != expected:
        usage = "quota set --team AMOUNT --period P" if team else "quota set REP AMOUNT --period P"
        raise InvalidInput(f"expected: pipetui {usage}")
    who = None if team else lookup.resolve_rep(args[0])
    amount = parse_money(args[-1], state.context.currency, what="quota")
    when = parse_period(period)
    quotas.set_quota(who, when, amount)
    name = "the team" if who is None else who.name
    echo(f"Quota of {name} for {when.label}: {format_money(amount.amount, amount.currency)}")


@command(name="list", parent=quota)
@click.option("--period", "-p", help="Only quotas starting in this period.")
@list_options
def quota_list(state: Session, period: str | None, listing: Listing) -> None:
    """List quotas."""
    from pipetui.core import quotas
    from pipetui.core.dates import Period, parse_period
    from pipetui.core.money import format_money

    def label(q) -> str:
        return Period(q.period_start, q.period_start, q.period_kind).label

    def line(q) -> str:
        who = q.rep if q.rep_id is not None else "Team"
        return f"{label(q):<8} {who:<24} {format_money(q.amount, q.currency):>16}"

    listing.emit(quotas.list_quotas(parse_period(period) if period else None), text=line, to_json=lambda q: {
        "id": q.id, "rep": q.rep if q.rep_id is not None else None, "period": label(q),
        "period_kind": q.period_kind, "period_start": q.period_start.isoformat(), "amount": q.amount,
        "currency": q.currency})
