"""The numbers of a pipeline's health, its funnel, quotas and forecast.

Every definition is written here once; the TUI and the CLI call
:func:`report`. Aggregates run in the database (GROUP BY over indexed
columns); Python only adds up the few rows that come back, one per stage,
rep or currency.

Money: figures that add deals together are in one currency, ``currency``.
A deal in another currency is converted with ``rates`` (what one unit of it
is worth in ``currency``, from the config file); without a rate it is left
out of money figures and counted in ``left_out``, never added as if it were
the same currency. Counts, win rate and cycle length use every deal.

The period is a calendar month, quarter, week or any range of days; the
scope is one rep or the team (every deal).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from peewee import JOIN, SQL, fn

from pipetui.core import clock
from pipetui.core.history_columns import days_between
from pipetui.core.dates import Period, shift_period, week_period
from pipetui.core.money import format_compact, format_money, minor_digits
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.store import LOST, OPEN, WON, Deal, Quota, Rep, Stage
from pipetui.store import database_proxy as db
from pipetui.store.database import is_postgres

LIVE = Deal.deleted_at.is_null()
MIN_ENTERED_TO_JUDGE = 10  # a stage with fewer entries says nothing about conversion
SIMULATION_DRAWS = 10_000
SIMULATION_SEED = 20261127
EXACT_DEALS = 2_000  # deals simulated one by one; the many small rest as their sum


# --- money in one currency -----------------------------------------------


@dataclass
class Converter:
    """Turns per-currency sums into one currency; remembers what it could not."""

    currency: str
    rates: dict[str, Decimal] = field(default_factory=dict)
    left_out: Counter = field(default_factory=Counter)  # currency -> deals not counted

    def convert(self, amount: int, currency: str) -> int | None:
        if currency == self.currency:
            return amount
        rate = self.rates.get(currency)
        if rate is None:
            return None
        major = Decimal(amount) / (10 ** minor_digits(currency)) * rate
        return int((major * (10 ** minor_digits(self.currency))).to_integral_value())

    def total(self, sums: dict[str, int], counts: dict[str, int]) -> int:
        """Sum of ``sums`` (currency -> minor units) in our currency; the
        deals of a currency without a rate go to ``left_out``."""
        result = 0
        for currency, amount in sums.items():
            converted = self.convert(amount, currency)
            if converted is None:
                self.left_out[currency] += counts.get(currency, 0)
            else:
                result += converted
        return result


# --- results ---------------------------------------------------------------


@dataclass
class Health:
    """The health of the pipeline in a period: one field per figure of
    :data:`HEALTH_METRICS`, which defines each."""

    open_deals: int
    open_value: int
    weighted_value: int
    won_deals: int
    lost_deals: int
    won_value: int
    win_rate: float | None
    average_won: int | None
    cycle_days: float | None
    velocity: float | None


# How a figure is written (see format_value).
COUNT, MONEY, SHARE, DAYS, MONEY_PER_DAY = "count", "money", "share", "days", "money_per_day"
UNITS = (COUNT, MONEY, SHARE, DAYS, MONEY_PER_DAY)


@dataclass(frozen=True)
class Metric:
    """One health figure, defined once: the report's table, the metrics
    screen and ``--json`` are all made from it.

    ``key`` names it in ``pipetui report --json`` (in ``health``,
    ``previous`` and ``change``; documented in the README: scripts depend
    on it); ``label`` is its row in the report's table; ``short_label`` its
    cell on the metrics screen, None where the screen leaves it out;
    ``unit`` says how it is written; ``doc`` defines it; ``attr`` is its
    :class:`Health` field when not named as the key.
    """

    key: str
    label: str
    short_label: str | None
    unit: str
    doc: str
    attr: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.key}: no such unit {self.unit!r}")

    def value(self, health: Health) -> int | float | None:
        return getattr(health, self.attr or self.key)

    def text(self, value: int | float | None, currency: str, *, compact: bool = False) -> str:
        return format_value(self.unit, value, currency, compact=compact)


# In the order the report and the screen show them, and --json lists them.
HEALTH_METRICS: tuple[Metric, ...] = (
    Metric("open_deals", "Open deals", "Open deals", COUNT,
           "The deals open at the end of the period (now, for a period not yet over)."),
    Metric("open_value", "Open value", "Open value", MONEY, "The value of the open deals."),
    Metric("weighted_value", "Weighted value", "Weighted", MONEY,
           "Value x win probability (the deal's own, else its stage's) of the open deals."),
    Metric("won_deals", "Won deals", None, COUNT, "The deals closed as won in the period."),
    Metric("lost_deals", "Lost deals", None, COUNT, "The deals closed as lost in the period."),
    Metric("won_value", "Won value", "Won", MONEY, "The value of the deals won in the period."),
    Metric("win_rate", "Win rate", "Win rate", SHARE,
           "Won / (won + lost) of the deals closed in the period; undefined when none closed."),
    Metric("average_won", "Average won deal", "Avg won deal", MONEY,
           "Won value / won deals (those in a currency with a rate)."),
    Metric("cycle_days", "Sales cycle, days", "Cycle", DAYS,
           "The average days from a won deal's creation to its win, of the deals won."),
    Metric("velocity_per_day", "Sales velocity, per day", "Velocity", MONEY_PER_DAY,
           "Open deals x average won deal x win rate / cycle days, money per day (a cycle "
           "counts as one day at least).", attr="velocity"),
)


@dataclass
class FunnelStage:
    stage_id: int
    name: str
    entered: int  # deals that entered the stage in the period
    advanced: int  # of those, reached a later stage or were won
    won: int  # of those, won (by now)
    average_days: float | None  # average stay of the stays that ended in the period
    rotting: int  # open deals in the stage now, untouched longer than its rotting days

    @property
    def conversion(self) -> float | None:
        return self.advanced / self.entered if self.entered else None

    @property
    def win_share(self) -> float | None:
        return self.won / self.entered if self.entered else None


@dataclass
class QuotaLine:
    """Won, forecast and quota of one rep, or of the team (rep_id None)."""

    rep_id: int | None
    name: str
    quota: int | None
    won: int
    weighted_open: int  # weighted value of open deals expected to close in the period
    open_value: int  # value of those deals, unweighted

    @property
    def forecast(self) -> int:
        """Won so far plus the weighted value expected to close in the period."""
        return self.won + self.weighted_open

    @property
    def attainment(self) -> float | None:
        """Won value / quota."""
        return self.won / self.quota if self.quota else None

    @property
    def forecast_share(self) -> float | None:
        return self.forecast / self.quota if self.quota else None

    @property
    def coverage(self) -> float | None:
        """Open value expected to close in the period / (quota - won); none
        without a quota or once it is reached."""
        if not self.quota or self.won >= self.quota:
            return None
        return self.open_value / (self.quota - self.won)


@dataclass
class Simulation:
    """Monte Carlo of the won value at the end of the period."""

    draws: int
    deals: int  # open deals expected to close in the period
    chance: float | None  # P(won >= quota); None without a quota
    p10: int
    p50: int
    p90: int


@dataclass
class ClosingDeal:
    deal_id: int
    title: str
    owner: str | None
    stage: str
    value: int
    currency: str
    expected_close: dt.date
    probability: int


@dataclass
class Weakest:
    stage: str
    next_stage: str
    conversion: float
    entered: int


@dataclass
class LostByStage:
    stage: str
    reason: str
    deals: int


@dataclass
class Report:
    period: Period
    scope: str  # "team" or the rep's name
    rep_id: int | None
    currency: str
    health: Health
    previous: Health  # the same figures for the period before
    funnel: list[FunnelStage]
    quotas: list[QuotaLine]  # the team first when the scope is the team
    simulation: Simulation
    closing_this_week: list[ClosingDeal]  # the largest, at most CLOSING_LISTED
    closing_week: Period
    closing_totals: dict[str, tuple[int, int]]  # currency -> (deals, value), all of them
    weakest: Weakest | None
    left_out: dict[str, int]  # currency -> deals left out of money figures
    lost_reasons: list[LostByStage] = field(default_factory=list)
    pipeline: str | None = None  # the one pipeline it is about; None: all of them

    @property
    def target(self) -> QuotaLine:
        """The quota line of the scope."""
        return self.quotas[0]


# --- the report ------------------------------------------------------------


def report(period: Period, *, rep: Rep | None = None, currency: str = "USD",
           rates: dict[str, Decimal] | None = None, today: dt.date | None = None,
           rules: Rulebook = NO_RULES, pipeline: Any = None) -> Report:
    """Every figure of the metrics screen and ``pipetui report``, for the
    team (``rep`` None) or one rep; rotting as the ``rules`` say; over one
    ``pipeline`` (a pipeline or its id) or, when None, all of them: counts
    and money add up over the pipelines, and the funnel lists each
    pipeline's stages (see :func:`_funnel_stages`). Quotas are the reps'
    and the team's, not a pipeline's: one pipeline's report measures its
    deals against the whole quota."""
    today = today or clock.today()
    money = Converter(currency, dict(rates or {}))
    rep_id = rep.id if rep is not None else None
    pipeline_id, pipeline_name = _pipeline_scope(pipeline)
    current = health(period, rep_id, money, pipeline_id)
    before = health(shift_period(period, -1), rep_id, Converter(currency, money.rates), pipeline_id)
    funnel_rows = funnel(period, rep_id, rules=rules, pipeline_id=pipeline_id)
    quota_lines = quotas(period, rep_id, money, pipeline_id)
    target = quota_lines[0]
    week = week_period(today)
    scope = rep.name if rep is not None else "team"
    return Report(
        period=period,
        scope=f"{scope}, pipeline {pipeline_name}" if pipeline_name else scope,
        rep_id=rep_id,
        currency=currency,
        health=current,
        previous=before,
        funnel=funnel_rows,
        quotas=quota_lines,
        simulation=simulate(period, rep_id, money, won=target.won, quota=target.quota,
                            pipeline_id=pipeline_id),
        closing_this_week=closing(week, rep_id, pipeline_id=pipeline_id),
        closing_week=week,
        closing_totals=closing_totals(week, rep_id, pipeline_id),
        weakest=weakest_stage(funnel_rows),
        left_out=dict(money.left_out),
        lost_reasons=lost_by_stage(period, rep_id, pipeline_id),
        pipeline=pipeline_name,
    )


def _pipeline_scope(pipeline: Any) -> tuple[int | None, str | None]:
    """The id and name of the pipeline a figure is about (None: all)."""
    if pipeline is None:
        return None, None
    from pipetui.store import Pipeline

    found = Pipeline.get_by_id(pipeline if isinstance(pipeline, int) else pipeline.id)
    return found.id, found.name


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) datetimes."""
    start = dt.datetime.combine(period.start, dt.time.min)
    return start, dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min)


def _scoped(query, rep_id: int | None, pipeline_id: int | None = None):
    """Only one rep's deals (``rep_id``), only one pipeline's (``pipeline_id``); None: all."""
    if rep_id is not None:
        query = query.where(Deal.owner == rep_id)
    return query.where(Deal.pipeline == pipeline_id) if pipeline_id is not None else query


def _weighted_sum():
    """value x probability in percent units: the deal's own, else its stage's."""
    return fn.SUM(Deal.value * fn.COALESCE(Deal.probability, Stage.probability))


def health(period: Period, rep_id: int | None, money: Converter, pipeline_id: int | None = None) -> Health:
    """Open deals at the period's end, and the deals closed in the period.

    A period that has not ended is looked at as of now. For a past period,
    a deal counts as open at its end when it had been created and not yet
    closed (its last close: a deal closed, reopened and closed again counts
    by the last).
    """
    start, end = _bounds(period)
    now = clock.now()
    if end > now:
        open_filters = [Deal.status == OPEN]
    else:
        # Not closed yet, or closed after the end: two ranges of one index
        # (as one OR, the database reads the whole index).
        open_filters = [Deal.closed_at.is_null() & (Deal.created_at < end),
                        (Deal.closed_at >= end) & (Deal.created_at < end)]
    counts, values, percents = {}, {}, {}
    for open_filter in open_filters:
        open_query = _scoped(
            Deal.select(Deal.currency, fn.COUNT(SQL("*")), fn.SUM(Deal.value), _weighted_sum())
            .join(Stage, on=(Stage.id == Deal.stage))
            .where(open_filter, LIVE)
            .group_by(Deal.currency),
            rep_id, pipeline_id,
        )
        for code, count, value, percent_value in open_query.tuples():
            counts[code] = counts.get(code, 0) + count
            values[code] = values.get(code, 0) + int(value or 0)
            percents[code] = percents.get(code, 0) + int(percent_value or 0)
    weighted = {code: percent_value // 100 for code, percent_value in percents.items()}
    open_deals = sum(counts.values())
    open_value = money.total(values, counts)
    weighted_value = Converter(money.currency, money.rates).total(weighted, counts)

    cycle = SQL(days_between("closed_at", "created_at"))
    closed_query = _scoped(
        Deal.select(Deal.status, Deal.currency, fn.COUNT(SQL("*")), fn.SUM(Deal.value), fn.SUM(cycle))
        .where(Deal.status.in_([WON, LOST]), Deal.closed_at >= start, Deal.closed_at < end, LIVE)
        .group_by(Deal.status, Deal.currency),
        rep_id, pipeline_id,
    )
    won_counts, won_values, lost, cycle_total = {}, {}, 0, 0.0
    for status, code, count, value, days in closed_query.tuples():
        if status == WON:
            won_counts[code], won_values[code] = count, int(value or 0)
            cycle_total += float(days or 0)
        else:
            lost += count
    won = sum(won_counts.values())
    won_value = money.total(won_values, won_counts)
    known = sum(n for code, n in won_counts.items() if money.convert(0, code) is not None)
    average_won = round(won_value / known) if known else None
    win_rate = won / (won + lost) if won + lost else None
    cycle_days = cycle_total / won if won else None
    velocity = None
    if average_won is not None and win_rate is not None and cycle_days is not None:
        # A deal won the day it was made would divide by nothing: a cycle is a day at least.
        velocity = open_deals * average_won * win_rate / max(cycle_days, 1.0)
    return Health(open_deals, open_value, weighted_value, won, lost, won_value, win_rate,
                  average_won, cycle_days, velocity)


def funnel(period: Period, rep_id: int | None, *, rules: Rulebook = NO_RULES,
           pipeline_id: int | None = None) -> list[FunnelStage]:
    """Per stage, from the stage history: the deals that entered it in the
    period, how many of those went on to a later stage (later as the stages
    were ordered when the deal got there) or were won, and how many are won; the average stay (days) of the stays that ended in the
    period; the open deals rotting in it now.

    Entering is arriving from elsewhere (a new deal, a move); a reopen in
    the same stage is not. A deal that enters twice counts once, from its
    first entry in the period. Like every figure, it ignores undone changes.
    """
    named = _funnel_stages(pipeline_id)
    entered = funnel_entries(period, [stage.id for stage, _ in named], rep_id, pipeline_id)

    stays = average_stays(period, rep_id, pipeline_id)

    now = clock.now()
    result = []
    for stage, name in named:
        counts = entered.get(stage.id, (0, 0, 0))
        rotting = 0
        rot_days = rules.rotting_days(stage.id, stage.rotting_days)
        if rot_days is not None:
            # As on the board: rotting once more than ``rotting_days`` whole days passed.
            cutoff = now - dt.timedelta(days=rot_days + 1)
            rotting = _scoped(
                Deal.select().where(Deal.status == OPEN, Deal.stage == stage.id, LIVE,
                                    Deal.last_activity_at <= cutoff), rep_id).count()
        days = stays.get(stage.id)
        result.append(FunnelStage(stage.id, name, int(counts[0]), int(counts[1] or 0),
                                  int(counts[2] or 0), float(days) if days is not None else None, rotting))
    return result


def funnel_entries(period: Period, stage_ids: list[int], rep_id: int | None = None,
                   pipeline_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    """Per stage of ``stage_ids``: how many deals entered it in the period,
    how many of those went on from there, how many are won; see
    :func:`funnel` for what counts. One pass over the period's entries,
    with what each row knows of its deal's history (core/history_columns.py);
    :func:`funnel_entries_by_definition` says the same from the history
    itself, and the tests hold the two equal."""
    if not stage_ids:
        return {}
    start, end = _bounds(period)
    p = db.param
    stages = ", ".join(p for _ in stage_ids)
    scope, params = _row_scope(rep_id, pipeline_id)
    sql = f"""
        SELECT to_stage_id, COUNT(*), SUM(went_on), SUM(deal_won)
        FROM stage_change
        WHERE to_stage_id IN ({stages}) AND changed_at >= {p} AND changed_at < {p}
          AND undone_at IS NULL AND (from_stage_id IS NULL OR from_stage_id <> to_stage_id)
          AND (previous_entry_at IS NULL OR previous_entry_at < {p})
          AND deal_live = 1{scope}
        GROUP BY to_stage_id
    """
    rows = db.execute_sql(sql, (*stage_ids, start, end, start, *params))
    return {stage: (int(count), int(went or 0), int(won or 0)) for stage, count, went, won in rows}


def funnel_entries_by_definition(period: Period, rep_id: int | None = None,
                                 pipeline_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    """:func:`funnel_entries` as defined, from each deal's history: each
    deal's first entry into a stage in the period, whether a change at that
    time or later (not undone) took it to a stage further along (as the
    stages stood then) or won it, and whether the deal is won now."""
    start, end = _bounds(period)
    p = db.param
    owner, scope = _sql_scope(rep_id, pipeline_id)
    sql = f"""
        SELECT e.stage_id, COUNT(*),
               SUM(CASE WHEN EXISTS (
                       SELECT 1 FROM stage_change l
                       WHERE l.deal_id = e.deal_id AND l.changed_at >= e.entered AND l.undone_at IS NULL
                         AND (l.to_position > (
                                 SELECT f.to_position FROM stage_change f
                                 WHERE f.deal_id = e.deal_id AND f.to_stage_id = e.stage_id
                                   AND f.changed_at = e.entered AND f.undone_at IS NULL
                                 ORDER BY f.id LIMIT 1)
                              OR l.to_status = '{WON}')
                   ) THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = '{WON}' THEN 1 ELSE 0 END)
        FROM (
            SELECT sc.to_stage_id AS stage_id, sc.deal_id AS deal_id, MIN(sc.changed_at) AS entered
            FROM stage_change sc
            WHERE sc.changed_at >= {p} AND sc.changed_at < {p} AND sc.undone_at IS NULL
              AND (sc.from_stage_id IS NULL OR sc.from_stage_id <> sc.to_stage_id)
            GROUP BY sc.to_stage_id, sc.deal_id
        ) e
        JOIN deal d ON d.id = e.deal_id
        WHERE d.deleted_at IS NULL{owner}
        GROUP BY e.stage_id
    """
    return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0))
            for row in db.execute_sql(sql, (start, end, *scope))}


def average_stays(period: Period, rep_id: int | None = None, pipeline_id: int | None = None) -> dict[int, float]:
    """Per stage, the average days a deal stayed in it, over the stays that
    ended in the period (a stay ends with a move, a win or a loss). One pass
    over the period's changes: each knows when the stay it ended began;
    :func:`average_stays_by_definition` says the same from the history."""
    start, end = _bounds(period)
    p = db.param
    stage_ids = [stage_id for (stage_id,) in Stage.select(Stage.id).tuples()]
    if not stage_ids:
        return {}
    stages = ", ".join(p for _ in stage_ids)
    scope, params = _row_scope(rep_id, pipeline_id)
    sql = f"""
        SELECT from_stage_id, AVG(stay_days)
        FROM stage_change
        WHERE from_stage_id IN ({stages}) AND changed_at >= {p} AND changed_at < {p}
          AND undone_at IS NULL AND from_status = '{OPEN}' AND deal_live = 1{scope}
        GROUP BY from_stage_id
    """
    return {stage: float(days) for stage, days in db.execute_sql(sql, (*stage_ids, start, end, *params))
            if days is not None}


def average_stays_by_definition(period: Period, rep_id: int | None = None,
                                pipeline_id: int | None = None) -> dict[int, float]:
    """:func:`average_stays` as defined: each change not undone, the stay
    in its stage lasting until the deal's next change."""
    start, end = _bounds(period)
    p = db.param
    owner, scope = _sql_scope(rep_id, pipeline_id)
    sql = f"""
        SELECT s.to_stage_id, AVG({days_between('s.left_at', 's.changed_at')})
        FROM (
            SELECT sc.deal_id, sc.to_stage_id, sc.to_status, sc.changed_at,
                   LEAD(sc.changed_at) OVER (PARTITION BY sc.deal_id ORDER BY sc.changed_at, sc.id) AS left_at
            FROM stage_change sc
            WHERE sc.undone_at IS NULL
              AND sc.deal_id IN (SELECT deal_id FROM stage_change
                                 WHERE changed_at >= {p} AND changed_at < {p} AND undone_at IS NULL)
        ) s
        JOIN deal d ON d.id = s.deal_id
        WHERE s.to_status = '{OPEN}' AND s.left_at >= {p} AND s.left_at < {p}
          AND d.deleted_at IS NULL{owner}
        GROUP BY s.to_stage_id
    """
    return {stage: float(days) for stage, days in db.execute_sql(sql, (start, end, start, end, *scope))
            if days is not None}


def _row_scope(rep_id: int | None, pipeline_id: int | None) -> tuple[str, tuple]:
    """The conditions on a stage change's copy of its deal's owner and
    pipeline (see core/history_columns.py), and their parameters."""
    p = db.param
    sql, params = "", ()
    if rep_id is not None:
        sql, params = sql + f" AND deal_owner_id = {p}", params + (rep_id,)
    if pipeline_id is not None:
        sql, params = sql + f" AND deal_pipeline_id = {p}", params + (pipeline_id,)
    return sql, params


def _funnel_stages(pipeline_id: int | None) -> list[tuple]:
    """The stages of the funnel with the names it shows: one pipeline's; or,
    for all of them, every pipeline's in turn, named ``Pipeline: Stage``
    when there is more than one (their stages differ, so each keeps its own
    rows rather than summing stages of the same name)."""
    from pipetui.core.lookup import all_stages, pipelines, stages

    if pipeline_id is not None:
        return [(s, s.name) for s in stages(pipeline_id)]
    names = {p.id: p.name for p in pipelines()}
    if len(names) <= 1:
        return [(s, s.name) for s in stages()]
    return [(s, f"{names[s.pipeline_id]}: {s.name}") for s in all_stages()]


def _sql_scope(rep_id: int | None, pipeline_id: int | None) -> tuple[str, tuple]:
    """The conditions on ``d`` (the deal) of a rep's or a pipeline's figures, and their parameters."""
    p = db.param
    sql, params = "", ()
    if rep_id is not None:
        sql, params = sql + f" AND d.owner_id = {p}", params + (rep_id,)
    if pipeline_id is not None:
        sql, params = sql + f" AND d.pipeline_id = {p}", params + (pipeline_id,)
    return sql, params


def lost_by_stage(period: Period, rep_id: int | None = None, pipeline_id: int | None = None) -> list[LostByStage]:
    """Why the deals lost in the period were lost, per stage they were lost
    in (stage order, then most frequent first)."""
    start, end = _bounds(period)
    query = _scoped(
        Deal.select(Stage.name, Deal.lost_reason, fn.COUNT(SQL("*")))
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(Deal.status == LOST, Deal.closed_at >= start, Deal.closed_at < end, LIVE)
        .group_by(Stage.position, Stage.name, Deal.lost_reason)
        .order_by(Stage.position, fn.COUNT(SQL("*")).desc(), Deal.lost_reason),
        rep_id, pipeline_id,
    )
    return [LostByStage(stage, reason or "(none)", count) for stage, reason, count in query.tuples()]


def weakest_stage(rows: list[FunnelStage]) -> Weakest | None:
    """The stage whose deals least often go on, among the stages that at
    least ``MIN_ENTERED_TO_JUDGE`` deals entered in the period."""
    judged = [(i, row) for i, row in enumerate(rows) if row.entered >= MIN_ENTERED_TO_JUDGE]
    if not judged:
        return None
    index, row = min(judged, key=lambda item: (item[1].conversion, item[0]))
    following = rows[index + 1].name if index + 1 < len(rows) else "Won"
    return Weakest(row.name, following, row.conversion, row.entered)


# --- quotas and the forecast ----------------------------------------------


def quota_amount(period: Period, rep_id: int | None, money: Converter) -> int | None:
    """The quota for the period: a month's own quota, else a third of its
    quarter's; a quarter's own, else the sum of its months'. Weeks and other
    ranges have none. The team (``rep_id`` None): its own quota when set,
    else the sum of the reps'. A quota in a currency without a rate is
    unknown rather than wrong."""
    if period.kind not in ("month", "quarter"):
        return None
    rows = _quota_rows(period, rep_id)
    if rows is None and rep_id is None:
        rows = _quota_rows(period, None, every_rep=True)
    if rows is None:
        return None
    amounts = [money.convert(amount, code) for code, amount in rows.items()]
    return None if None in amounts else sum(amounts)


def _quota_rows(period: Period, rep_id: int | None, *, every_rep: bool = False) -> dict[str, int] | None:
    """The quotas that make up the period, summed by currency, or None."""
    who = Quota.rep.is_null(False) if every_rep else (
        Quota.rep.is_null() if rep_id is None else Quota.rep == rep_id)

    def fetch(kind: str, first: dt.date, last: dt.date):
        return list(Quota.select(Quota.amount, Quota.currency)
                    .where(who, Quota.period_kind == kind, Quota.period_start >= first,
                           Quota.period_start <= last).tuples())

    rows = fetch(period.kind, period.start, period.start)
    divisor = 1
    if not rows and period.kind == "quarter":
        rows = fetch("month", period.start, period.end)
    elif not rows and period.kind == "month":
        quarter_start = period.start.replace(month=(period.start.month - 1) // 3 * 3 + 1)
        rows, divisor = fetch("quarter", quarter_start, quarter_start), 3
    if not rows:
        return None
    sums: dict[str, int] = {}
    for amount, code in rows:
        sums[code] = sums.get(code, 0) + amount // divisor
    return sums


def quotas(period: Period, rep_id: int | None, money: Converter, pipeline_id: int | None = None) -> list[QuotaLine]:
    """The scope's line first; for the team, then one line per rep with a
    quota or deals won or expected in the period. (The deals left out for
    want of a rate are counted by :func:`health`, not again here.)"""
    silent = Converter(money.currency, money.rates)
    start, end = _bounds(period)
    won: dict[int | None, dict[str, int]] = {}
    for owner, code, value in _scoped(
        Deal.select(Deal.owner, Deal.currency, fn.SUM(Deal.value))
        .where(Deal.status == WON, Deal.closed_at >= start, Deal.closed_at < end, LIVE)
        .group_by(Deal.owner, Deal.currency), rep_id, pipeline_id,
    ).tuples():
        won.setdefault(owner, {})[code] = int(value or 0)
    expected: dict[int | None, dict[str, int]] = {}
    expected_weighted: dict[int | None, dict[str, int]] = {}
    for owner, code, value, percent_value in _scoped(
        Deal.select(Deal.owner, Deal.currency, fn.SUM(Deal.value), _weighted_sum())
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(Deal.status == OPEN, Deal.expected_close >= period.start,
               Deal.expected_close <= period.end, LIVE)
        .group_by(Deal.owner, Deal.currency), rep_id, pipeline_id,
    ).tuples():
        expected.setdefault(owner, {})[code] = int(value or 0)
        expected_weighted.setdefault(owner, {})[code] = int(percent_value or 0) // 100

    def line(owners: list[int | None], line_rep: int | None, name: str) -> QuotaLine:
        def total(table: dict) -> int:
            return sum(silent.total(table.get(owner, {}), {}) for owner in owners)

        return QuotaLine(line_rep, name, quota_amount(period, line_rep, silent), total(won),
                         total(expected_weighted), total(expected))

    if rep_id is not None:
        return [line([rep_id], rep_id, Rep.get_by_id(rep_id).name)]
    lines = [line(sorted(set(won) | set(expected), key=lambda o: (o is None, o or 0)), None, "Team")]
    for rep in Rep.select().order_by(Rep.name):
        candidate = line([rep.id], rep.id, rep.name)
        if candidate.quota is not None or rep.id in won or rep.id in expected:
            lines.append(candidate)
    return lines


def simulate(period: Period, rep_id: int | None, money: Converter, *, won: int,
             quota: int | None, draws: int = SIMULATION_DRAWS, seed: int = SIMULATION_SEED,
             pipeline_id: int | None = None) -> Simulation:
    """The chance to reach quota, by Monte Carlo: in each of ``draws`` draws
    every open deal expected to close in the period is won with its
    probability; the won value is what is won already plus those deals.

    The ``EXACT_DEALS`` largest deals are drawn one by one, vectorised with
    numpy; the rest, when there are more, are many small independent deals
    whose sum is drawn from the normal law with their mean and variance.
    """
    import numpy as np

    query = _scoped(
        Deal.select(Deal.value, Deal.currency, fn.COALESCE(Deal.probability, Stage.probability))
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(Deal.status == OPEN, Deal.expected_close >= period.start,
               Deal.expected_close <= period.end, LIVE),
        rep_id, pipeline_id,
    )
    values, chances = [], []
    for value, code, probability in query.tuples():
        converted = money.convert(value, code)
        if converted is not None and converted > 0 and probability:
            values.append(converted)
            chances.append(probability / 100)
    rng = np.random.default_rng(seed)
    totals = np.full(draws, float(won))
    if values:
        value_array, chance_array = np.array(values, dtype=float), np.array(chances)
        order = np.argsort(-value_array)
        exact, rest = order[:EXACT_DEALS], order[EXACT_DEALS:]
        for first in range(0, len(exact), 256):
            chunk = exact[first:first + 256]
            wins = rng.random((draws, len(chunk))) < chance_array[chunk]
            totals += wins @ value_array[chunk]
        if len(rest):
            mean = float(np.sum(value_array[rest] * chance_array[rest]))
            variance = float(np.sum(value_array[rest] ** 2 * chance_array[rest] * (1 - chance_array[rest])))
            totals += np.maximum(rng.normal(mean, variance ** 0.5, draws), 0.0)
    p10, p50, p90 = (int(round(x)) for x in np.percentile(totals, [10, 50, 90]))
    chance = float(np.mean(totals >= quota)) if quota else None
    return Simulation(draws, len(values), chance, p10, p50, p90)


def closing_totals(week: Period, rep_id: int | None, pipeline_id: int | None = None) -> dict[str, tuple[int, int]]:
    """Open deals expected to close in ``week``: count and value per currency."""
    query = _scoped(
        Deal.select(Deal.currency, fn.COUNT(SQL("*")), fn.SUM(Deal.value))
        .where(Deal.status == OPEN, Deal.expected_close >= week.start,
               Deal.expected_close <= week.end, LIVE)
        .group_by(Deal.currency),
        rep_id, pipeline_id,
    )
    return {code: (count, int(value or 0)) for code, count, value in query.tuples()}


def closing(week: Period, rep_id: int | None, limit: int = 100, pipeline_id: int | None = None) -> list[ClosingDeal]:
    """Open deals expected to close in ``week``, largest first."""
    query = _scoped(
        Deal.select(Deal.id, Deal.title, Rep.name, Stage.name, Deal.value, Deal.currency,
                    Deal.expected_close, fn.COALESCE(Deal.probability, Stage.probability))
        .join(Stage, on=(Stage.id == Deal.stage))
        .switch(Deal).join(Rep, join_type=JOIN.LEFT_OUTER, on=(Rep.id == Deal.owner))
        .where(Deal.status == OPEN, Deal.expected_close >= week.start,
               Deal.expected_close <= week.end, LIVE)
        .order_by(Deal.value.desc(), Deal.id)
        .limit(limit),
        rep_id, pipeline_id,
    )
    return [ClosingDeal(*row) for row in query.tuples()]


def previous_change(current: float | None, previous: float | None) -> float | None:
    """Relative change against the previous period; none when either is
    unknown or the previous one is zero."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)



# --- the report in words and as data ----------------------------------------


def percent(share: float | None) -> str:
    """``0.861`` -> ``86%``; an undefined share (nothing to divide) is ``n/a``."""
    return "n/a" if share is None else f"{share * 100:.0f}%"


def _count_text(n: int, currency: str, compact: bool) -> str:
    return f"{n:,}" if compact else str(n)


def _money_text(amount: float | None, currency: str, compact: bool) -> str:
    if amount is None:
        return "n/a"
    if compact:
        return format_compact(round(amount), currency)
    return format_money(round(amount), currency, cents=False)


def _share_text(share: float | None, currency: str, compact: bool) -> str:
    return percent(share)


def _days_text(days: float | None, currency: str, compact: bool) -> str:
    if days is None:
        return "n/a"
    return f"{days:.0f} days" if compact else f"{days:.1f}"


def _money_per_day_text(amount: float | None, currency: str, compact: bool) -> str:
    # The report's table says "per day" in the label; the screen's cell after
    # the figure (an undefined one is just "n/a").
    money = _money_text(amount, currency, compact)
    return f"{money}/day" if compact and amount is not None else money


_FORMATS = {COUNT: _count_text, MONEY: _money_text, SHARE: _share_text, DAYS: _days_text,
            MONEY_PER_DAY: _money_per_day_text}


def format_value(unit: str, value: int | float | None, currency: str, *, compact: bool = False) -> str:
    """A figure of ``unit`` as text: in full for the report's table (``12,500
    USD``, ``46.8``), ``compact`` for the metrics screen's cells (``$12.5k``,
    ``47 days``). Money is in minor units of ``currency``; an undefined
    figure is ``n/a``."""
    return _FORMATS[unit](value, currency, compact)


def change_text(delta: float | None) -> str:
    """A relative change (:func:`previous_change`) as ``+32%``; empty when
    there is none to give."""
    return "" if delta is None else f"{delta * 100:+.0f}%"


def answers(r: Report) -> list[str]:
    """The three questions, answered in a sentence each: will we reach quota,
    what closes this week, which stage is weakest."""
    target = r.target
    who = "Team" if r.rep_id is None else r.scope
    if target.quota is None:
        quota = (f"{who}: no quota for {r.period.label}; "
                 f"forecast {format_money(target.forecast, r.currency, cents=False)}")
    elif target.won >= target.quota:
        quota = f"{who}: {r.period.label} quota reached ({percent(target.attainment)} won)"
    else:
        quota = (f"{who}: {percent(target.forecast_share)} of {r.period.label} quota forecast, "
                 f"{percent(r.simulation.chance)} chance to reach it")
    count = sum(n for n, _ in r.closing_totals.values())
    amounts = " + ".join(format_money(v, c, cents=False) for c, (_, v) in sorted(r.closing_totals.items()))
    closing_line = (f"{count:,} deal{'s' if count != 1 else ''} ({amounts}) expected to close this week"
                    if count else "No deal expected to close this week")
    if r.weakest is None:
        weakest = (f"Weakest stage: too few deals to judge (no stage entered by "
                   f"{MIN_ENTERED_TO_JUDGE} or more in {r.period.label})")
    else:
        weakest = (f"Weakest: {r.weakest.stage} to {r.weakest.next_stage} converts "
                   f"{percent(r.weakest.conversion)} ({r.weakest.entered:,} deals entered)")
    return [quota, closing_line, weakest]


def as_json(r: Report) -> dict:
    """Every figure of the report as plain data (keys documented in the
    README: scripts depend on them). Money is in minor units of ``currency``;
    shares are fractions (0.25), or null when undefined."""

    def health_json(h: Health) -> dict:
        return {metric.key: metric.value(h) for metric in HEALTH_METRICS}

    current, before = health_json(r.health), health_json(r.previous)
    return {
        "period": {"label": r.period.label, "kind": r.period.kind,
                   "start": r.period.start.isoformat(), "end": r.period.end.isoformat()},
        "scope": r.scope,
        # Only for one pipeline's report: the all-pipelines report's keys stay as they were.
        **({"pipeline": r.pipeline} if r.pipeline is not None else {}),
        "currency": r.currency,
        "answers": answers(r),
        "health": current,
        "previous": before,
        "change": {key: previous_change(current[key], before[key]) for key in current},
        "funnel": [
            {"stage": f.name, "entered": f.entered, "advanced": f.advanced, "won": f.won,
             "conversion": f.conversion, "win_share": f.win_share, "average_days": f.average_days,
             "rotting": f.rotting}
            for f in r.funnel
        ],
        "quotas": [
            {"rep": q.name if q.rep_id is not None else None, "quota": q.quota, "won": q.won,
             "weighted_open": q.weighted_open, "open_value": q.open_value, "forecast": q.forecast,
             "attainment": q.attainment, "forecast_share": q.forecast_share, "coverage": q.coverage}
            for q in r.quotas
        ],
        "simulation": {"draws": r.simulation.draws, "deals": r.simulation.deals,
                       "chance": r.simulation.chance, "p10": r.simulation.p10,
                       "p50": r.simulation.p50, "p90": r.simulation.p90},
        "closing_this_week": {
            "start": r.closing_week.start.isoformat(), "end": r.closing_week.end.isoformat(),
            "count": sum(n for n, _ in r.closing_totals.values()),
            "value": {code: value for code, (_, value) in sorted(r.closing_totals.items())},
            "deals": [
                {"id": d.deal_id, "title": d.title, "owner": d.owner, "stage": d.stage,
                 "value": d.value, "currency": d.currency,
                 "expected_close": d.expected_close.isoformat(), "probability": d.probability}
                for d in r.closing_this_week
            ],
        },
        "weakest": None if r.weakest is None else {
            "stage": r.weakest.stage, "next_stage": r.weakest.next_stage,
            "conversion": r.weakest.conversion, "entered": r.weakest.entered},
        "left_out": r.left_out,
        "lost_reasons": [{"stage": x.stage, "reason": x.reason, "deals": x.deals} for x in r.lost_reasons],
    }


# --- the monitor's figures ----------------------------------------------------


@dataclass
class RecentChange:
    changed_at: dt.datetime
    who: str | None
    deal_id: int
    title: str
    from_stage: str | None
    to_stage: str
    to_status: str
    from_status: str | None


@dataclass
class Summary:
    """What the monitor shows: the cheap part of the report (no funnel, no
    previous period) and the latest changes."""

    period: Period
    scope: str
    rep_id: int | None
    currency: str
    quotas: list[QuotaLine]
    simulation: Simulation
    closing_this_week: list[ClosingDeal]
    closing_totals: dict[str, tuple[int, int]]
    recent: list[RecentChange]


def summary(period: Period, *, rep: Rep | None = None, currency: str = "USD",
            rates: dict[str, Decimal] | None = None, today: dt.date | None = None,
            closing_limit: int = 5, recent_limit: int = 8, pipeline: Any = None) -> Summary:
    """The monitor's figures, over one ``pipeline`` or (None) all of them."""
    today = today or clock.today()
    money = Converter(currency, dict(rates or {}))
    rep_id = rep.id if rep is not None else None
    pipeline_id, pipeline_name = _pipeline_scope(pipeline)
    lines = quotas(period, rep_id, money, pipeline_id)
    week = week_period(today)
    scope = rep.name if rep is not None else "team"
    return Summary(
        period=period,
        scope=f"{scope}, {pipeline_name}" if pipeline_name else scope,
        rep_id=rep_id,
        currency=currency,
        quotas=lines,
        simulation=simulate(period, rep_id, money, won=lines[0].won, quota=lines[0].quota,
                            pipeline_id=pipeline_id),
        closing_this_week=closing(week, rep_id, limit=closing_limit, pipeline_id=pipeline_id),
        closing_totals=closing_totals(week, rep_id, pipeline_id),
        recent=recent_changes(rep_id, limit=recent_limit, pipeline_id=pipeline_id),
    )


def recent_changes(rep_id: int | None = None, *, limit: int = 8, pipeline_id: int | None = None) -> list[RecentChange]:
    """The latest stage and status changes (who moved what), newest first;
    for a rep, those of their deals."""
    from pipetui.store import StageChange

    to_stage = Stage.alias("to_stage")
    from_stage = Stage.alias("from_stage")
    actor = Rep.alias("actor")
    query = (
        StageChange.select(StageChange.changed_at, actor.name, Deal.id, Deal.title, from_stage.name,
                           to_stage.name, StageChange.to_status, StageChange.from_status)
        .join(Deal, on=(Deal.id == StageChange.deal))
        .switch(StageChange).join(to_stage, on=(to_stage.id == StageChange.to_stage))
        .switch(StageChange).join(from_stage, JOIN.LEFT_OUTER, on=(from_stage.id == StageChange.from_stage))
        .switch(StageChange).join(actor, JOIN.LEFT_OUTER, on=(actor.id == StageChange.changed_by))
        .where(LIVE, StageChange.undone_at.is_null())
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(limit)
    )
    return [RecentChange(*row) for row in _scoped(query, rep_id, pipeline_id).tuples()]
