"""Figures: the report and the day's activities."""

from __future__ import annotations


import json

import click


from pipetui.cli.session import Listing, Session, command, echo, echo_json, list_options

@command()
@click.option("--period", "-p", default="this-quarter", show_default=True,
              help="2026-11, 2026-Q4, this-month, this-quarter, this-week or FROM..TO.")
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep's figures.")
@click.option("--team", is_flag=True, help="The whole team's figures (the default).")
@click.option("--pipeline", "-P", metavar="PIPELINE", help="One pipeline's figures (default: all pipelines).")
@click.option("--json", "as_json", is_flag=True, help="Every figure as JSON (keys in the README).")
def report(state: Session, period: str, rep_name: str | None, team: bool, pipeline: str | None,
           as_json: bool) -> None:
    """Pipeline health, funnel, quotas and forecast for a period."""
    from pipetui.core import lookup, metrics
    from pipetui.core.dates import parse_period
    from pipetui.core.errors import InvalidInput
    from pipetui.core.stages import pipeline_of

    if rep_name and team:
        raise InvalidInput("give --rep or --team, not both")
    chosen = parse_period(period)
    rep = lookup.resolve_rep(rep_name) if rep_name else None
    one = pipeline_of(pipeline, include_archived=True) if pipeline else None
    result = metrics.report(chosen, rep=rep, currency=state.context.currency, rates=state.context.rates,
                            rules=state.context.rules, pipeline=one)
    if as_json:
        echo_json(json.dumps(metrics.as_json(result), indent=2, ensure_ascii=False))
        return
    for line in report_lines(result):
        echo(line)


@command()
@click.option("--rep", "-r", "rep_name", metavar="REP", help="One rep's (default: yours, when you are a rep).")
@click.option("--all", "everyone", is_flag=True, help="Everyone's.")
@click.option("--pipeline", "-P", metavar="PIPELINE", help="Only the activities of this pipeline's deals.")
@list_options
def today(state: Session, rep_name: str | None, everyone: bool, pipeline: str | None, listing: Listing) -> None:
    """Today's and overdue activities, oldest first."""
    from pipetui.core import clock, lookup, triage
    from pipetui.core.errors import InvalidInput

    if rep_name and everyone:
        raise InvalidInput("give --rep or --all, not both")
    from pipetui.core.stages import pipeline_of

    rep = lookup.resolve_rep(rep_name) if rep_name else (None if everyone else state.actor())
    one = pipeline_of(pipeline, include_archived=True) if pipeline else None
    items = triage.agenda(rep.id if rep is not None else None, pipeline_id=one.id if one else None)

    def line(a) -> str:
        when = "today" if a.overdue_days == 0 else f"{a.overdue_days}d late"
        at = a.due_time.strftime("%H:%M") if a.due_time else "     "
        deal = f"#{a.deal_id} {a.deal_title}" if a.deal_id else "-"
        return f"{when:>9} {at} {a.kind:<7} {a.subject[:40]:<40} {a.owner or '-':<16} {deal}"

    listing.emit(items, text=line, empty=f"Nothing due today ({clock.today()}).", to_json=lambda a: {
        "id": a.activity_id, "kind": a.kind, "subject": a.subject, "due_date": a.due_date.isoformat(),
        "due_time": a.due_time.strftime("%H:%M") if a.due_time else None, "overdue_days": a.overdue_days,
        "deal_id": a.deal_id, "deal": a.deal_title, "owner": a.owner})


CLOSING_SHOWN = 10


def report_lines(r) -> list[str]:
    """The report as text for a terminal or a mail."""
    from pipetui.core.metrics import (DAYS, HEALTH_METRICS, MONEY, change_text, format_value, percent,
                                      previous_change)
    from pipetui.core.money import format_money

    def money(amount):
        return format_value(MONEY, amount, r.currency)

    def days(value):
        return format_value(DAYS, value, r.currency)

    h, p = r.health, r.previous
    span = f"{r.period.start}..{r.period.end}"
    named = r.period.label if r.period.label == span else f"{r.period.label} ({span})"
    lines = [f"Pipeline report: {r.scope}, {named}, money in {r.currency}", ""]
    lines += metrics_answers(r) + [""]
    lines.append(f"{'Health':<26}{r.period.label:>16}{'before':>16}{'change':>8}")
    for metric in HEALTH_METRICS:
        now, before = metric.value(h), metric.value(p)
        # A space before each column keeps even billions apart.
        lines.append(f"  {metric.label:<24} {metric.text(now, r.currency):>15} "
                     f"{metric.text(before, r.currency):>15} {change_text(previous_change(now, before)):>7}")
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
    week = f"{r.closing_week.start}..{r.closing_week.end}"
    # The range once: when the week is the report's period, the title named it.
    lines += ["", "Expected to close this week:" if week == span else f"Expected to close this week ({week}):"]
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
