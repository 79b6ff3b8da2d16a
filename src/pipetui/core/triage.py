"""The day's work: the open deals that need attention now, and why; today's
and overdue activities.

A deal is in the triage queue for any of these reasons, each with a weight;
the queue is ordered by the sum of its weights, then by value:

- an activity is overdue (its due date has passed and it is not done);
- its expected close date has passed and it is still open;
- it is expected to close this week and has no next step (no open activity);
- it is rotting: untouched for longer than its stage's rotting days;
- it has been in its stage much longer than usual: more than twice the
  average stay in that stage over the last 180 days (stages with no history
  say nothing).

Each test is one indexed query; only the deals found are read in full.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN

from pipetui.core import clock
from pipetui.core.dates import Period, week_period
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.store import OPEN, Activity, Deal, Rep, Stage

LIVE = Deal.deleted_at.is_null()
SLOW_FACTOR = 2.0  # "much longer than usual": more than twice the average stay
HISTORY_DAYS = 180

OVERDUE, PAST_CLOSE, NO_STEP, ROTTING, SLOW = "overdue", "past_close", "no_step", "rotting", "slow"
WEIGHTS = {OVERDUE: 50, PAST_CLOSE: 40, NO_STEP: 35, ROTTING: 30, SLOW: 20}


@dataclass
class NextActivity:
    activity_id: int
    kind: str
    subject: str
    due_date: dt.date | None
    due_time: dt.time | None


@dataclass
class TriageItem:
    deal_id: int
    title: str
    stage: str
    owner: str | None
    value: int
    currency: str
    version: int
    expected_close: dt.date | None
    next_activity: NextActivity | None
    reasons: dict[str, str] = field(default_factory=dict)  # kind -> why, in words

    @property
    def urgency(self) -> int:
        return sum(WEIGHTS[kind] for kind in self.reasons)


def _scoped(query, rep_id: int | None, pipeline_id: int | None = None):
    """One rep's deals (``rep_id``), one pipeline's (``pipeline_id``); None: all."""
    if rep_id is not None:
        query = query.where(Deal.owner == rep_id)
    return query.where(Deal.pipeline == pipeline_id) if pipeline_id is not None else query


def _short(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "today"
    if abs((day - today).days) < 7:
        return f"{day:%a}"
    return f"{day:%b} {day.day}"


def queue(rep_id: int | None = None, *, today: dt.date | None = None, limit: int = 200,
          rules: Rulebook = NO_RULES, pipeline_id: int | None = None) -> list[TriageItem]:
    """Open deals that need attention now (of one rep, or everyone's; of one
    pipeline, or all), most urgent first, each with the reasons it is there."""
    from pipetui.core.metrics import average_stays

    today = today or clock.today()
    now = clock.now()
    reasons: dict[int, dict[str, str]] = {}

    def flag(deal_id: int, kind: str, why: str) -> None:
        reasons.setdefault(deal_id, {})[kind] = why

    next_due = _next_activities(rep_id, pipeline_id)
    for deal_id, activity in next_due.items():
        if activity.due_date is not None and activity.due_date < today:
            days = (today - activity.due_date).days
            flag(deal_id, OVERDUE, f"{activity.kind} '{activity.subject}' overdue {days} day{'s' * (days != 1)}")

    for deal_id, close in _scoped(
        Deal.select(Deal.id, Deal.expected_close)
        .where(Deal.status == OPEN, LIVE, Deal.expected_close < today), rep_id, pipeline_id,
    ).tuples():
        flag(deal_id, PAST_CLOSE, f"expected to close {_short(close, today)}, still open")

    week = week_period(today)
    for deal_id, close in _scoped(
        Deal.select(Deal.id, Deal.expected_close)
        .where(Deal.status == OPEN, LIVE, Deal.expected_close >= today, Deal.expected_close <= week.end),
        rep_id, pipeline_id,
    ).tuples():
        if deal_id not in next_due:
            flag(deal_id, NO_STEP, f"closes {_short(close, today)} with no next step")

    history = Period(today - dt.timedelta(days=HISTORY_DAYS), today, "range")
    usual = average_stays(history)
    for stage in Stage.select().order_by(Stage.position):
        rot_days = rules.rotting_days(stage.id, stage.rotting_days)
        if rot_days is not None:
            cutoff = now - dt.timedelta(days=rot_days + 1)
            for deal_id, touched in _scoped(
                Deal.select(Deal.id, Deal.last_activity_at)
                .where(Deal.status == OPEN, LIVE, Deal.stage == stage.id, Deal.last_activity_at <= cutoff),
                rep_id, pipeline_id,
            ).tuples():
                flag(deal_id, ROTTING, f"untouched {(now - touched).days} days (rots after {rot_days})")
        average = usual.get(stage.id)
        if average:
            since = now - dt.timedelta(days=max(SLOW_FACTOR * average, 1.0))
            for deal_id, entered in _scoped(
                Deal.select(Deal.id, Deal.stage_entered_at)
                .where(Deal.status == OPEN, LIVE, Deal.stage == stage.id, Deal.stage_entered_at < since),
                rep_id, pipeline_id,
            ).tuples():
                flag(deal_id, SLOW, f"{(now - entered).days} days in {stage.name} (usually {average:.0f})")

    if not reasons:
        return []
    items = []
    for row in (
        Deal.select(Deal.id, Deal.title, Stage.name, Rep.name, Deal.value, Deal.currency, Deal.version,
                    Deal.expected_close)
        .join(Stage, on=(Stage.id == Deal.stage))
        .switch(Deal).join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == Deal.owner))
        .where(Deal.id.in_(list(reasons)))
        .tuples()
    ):
        deal_id = row[0]
        items.append(TriageItem(*row, next_activity=next_due.get(deal_id), reasons=reasons[deal_id]))
    items.sort(key=lambda item: (-item.urgency, -item.value, item.deal_id))
    return items[:limit]


def _next_activities(rep_id: int | None, pipeline_id: int | None = None) -> dict[int, NextActivity]:
    """For each open deal with an open activity, the one due first (undated last)."""
    query = _scoped(
        Activity.select(Activity.id, Activity.deal, Activity.kind, Activity.subject, Activity.due_date,
                        Activity.due_time)
        .join(Deal, on=(Deal.id == Activity.deal))
        .where(Activity.done == False, Deal.status == OPEN, LIVE)
        .order_by(Activity.due_date.asc(nulls="LAST"), Activity.due_time.asc(nulls="LAST"), Activity.id),
        rep_id, pipeline_id,
    )
    found: dict[int, NextActivity] = {}
    for activity_id, deal_id, kind, subject, due_date, due_time in query.tuples():
        if deal_id not in found:
            found[deal_id] = NextActivity(activity_id, kind, subject, due_date, due_time)
    return found


@dataclass
class AgendaItem:
    activity_id: int
    kind: str
    subject: str
    due_date: dt.date
    due_time: dt.time | None
    deal_id: int | None
    deal_title: str | None
    owner: str | None
    overdue_days: int  # 0: due today


def agenda(rep_id: int | None = None, *, today: dt.date | None = None,
           pipeline_id: int | None = None) -> list[AgendaItem]:
    """Activities due today or overdue and not done, oldest first (of one
    rep's, or everyone's; with ``pipeline_id``, only those of that
    pipeline's deals). An activity of a won, lost or deleted deal is not
    due work and is left out (it counts again if the deal is reopened or
    restored); one tied to no deal (a contact's) is listed."""
    today = today or clock.today()
    query = (
        Activity.select(Activity.id, Activity.kind, Activity.subject, Activity.due_date, Activity.due_time,
                        Deal.id, Deal.title, Rep.name)
        .join(Deal, JOIN.LEFT_OUTER, on=(Deal.id == Activity.deal))
        .switch(Activity).join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == Activity.owner))
        .where(Activity.done == False, Activity.due_date <= today,
               Deal.id.is_null() | ((Deal.status == OPEN) & LIVE))
        .order_by(Activity.due_date, Activity.due_time.asc(nulls="LAST"), Activity.id)
    )
    if rep_id is not None:
        query = query.where((Activity.owner == rep_id) | (Activity.owner.is_null() & (Deal.owner == rep_id)))
    if pipeline_id is not None:
        query = query.where(Deal.pipeline == pipeline_id)
    return [AgendaItem(*row[:8], overdue_days=(today - row[3]).days) for row in query.tuples()]
