"""The team: reps and quotas."""

from __future__ import annotations


import click

from pipetui.cli.session import FriendlyGroup, Session, command, echo


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
def rep_list(state: Session) -> None:
    """List the reps."""
    from pipetui.core import people

    reps = people.list_reps()
    if not reps:
        echo("No reps yet; add one with 'pipetui rep add NAME'.")
    for r in reps:
        echo(f"{r.name:<24} {r.username or '-':<12} {r.email or '-'}")


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
def quota_list(state: Session, period: str | None) -> None:
    """List quotas."""
    from pipetui.core import quotas
    from pipetui.core.dates import Period, parse_period
    from pipetui.core.money import format_money

    for q in quotas.list_quotas(parse_period(period) if period else None):
        label = Period(q.period_start, q.period_start, q.period_kind).label
        who = q.rep if q.rep_id is not None else "Team"
        echo(f"{label:<8} {who:<24} {format_money(q.amount, q.currency):>16}")
