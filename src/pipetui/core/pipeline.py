"""Read queries of the pipeline: what the board and the metrics show (lists
of deals come from :func:`pipetui.core.rows.deal_rows`).

All of them aggregate or page in the database over the indexes made by
migration 0002, so their cost does not grow with the number of deals shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, SQL, fn

from pipetui.core.lookup import stages
from pipetui.core.rows import StageRef
from pipetui.store import OPEN, Deal, Organization, Pipeline, Rep, Stage

LIVE = Deal.deleted_at.is_null()


@dataclass
class StageTotal:
    """Open deals of one stage: count, and value and weighted value per currency."""

    stage: StageRef
    count: int = 0
    value: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    weighted: dict[str, int] = field(default_factory=dict)


def stage_totals_query(owner_id: int | None = None):
    """Per stage and currency: count, value, value x own probability (percent
    units), and the value of the deals that use their stage's default."""
    query = (
        Deal.select(
            Deal.stage_id,
            Deal.currency,
            fn.COUNT(SQL("*")),
            fn.SUM(Deal.value),
            fn.SUM(Deal.value * Deal.probability),
            fn.SUM(Deal.value).filter(Deal.probability.is_null()),
        )
        .where(Deal.status == OPEN, LIVE)
        .group_by(Deal.stage_id, Deal.currency)
    )
    if owner_id is not None:
        query = query.where(Deal.owner == owner_id)
    return query


def stage_totals(pipeline: Pipeline | None = None, owner_id: int | None = None) -> list[StageTotal]:
    """Count, total and weighted value of the open deals in each stage.

    Weighted value = value x probability, the deal's own or else the stage's
    default. The database sums over the covering index in one pass; the
    stage default is applied to the per-stage sums afterwards.
    """
    ordered = stages(pipeline)
    totals = {s.id: StageTotal(s) for s in ordered}
    for stage_id, currency, count, value, own_weighted, default_value in (
        stage_totals_query(owner_id).tuples()
    ):
        total = totals.get(stage_id)
        if total is None:  # a stage of another pipeline
            continue
        total.count += count
        total.value[currency] = int(value)
        percent_value = int(own_weighted or 0) + int(default_value or 0) * total.stage.probability
        total.weighted[currency] = percent_value // 100
    return [totals[s.id] for s in ordered]


def top_deals(stage_id: int, *, limit: int = 50, offset: int = 0) -> list:
    """One page of a stage's open deals, largest value first (the board's column).

    Rows are light named tuples with what a card shows, not full models:
    a page is read on every scroll and must stay cheap.
    """
    return list(top_deals_query(stage_id, limit=limit, offset=offset).namedtuples())


def top_deals_query(stage_id: int, *, limit: int = 50, offset: int = 0):
    return (
        Deal.select(
            Deal.id, Deal.title, Deal.value, Deal.currency, Deal.probability, Deal.expected_close,
            Deal.stage_entered_at, Deal.last_activity_at, Deal.version, Deal.owner_id,
            Organization.name.alias("organization"), Rep.name.alias("owner"),
        )
        .join(Organization, JOIN.LEFT_OUTER, on=(Deal.organization == Organization.id))
        .switch(Deal)
        .join(Rep, JOIN.LEFT_OUTER, on=(Deal.owner == Rep.id))
        .where(Deal.status == OPEN, Deal.stage == stage_id, LIVE)
        .order_by(Deal.value.desc(), Deal.id)
        .limit(limit)
        .offset(offset)
    )


@dataclass(frozen=True)
class ForecastRow:
    month: str  # YYYY-MM
    currency: str
    count: int
    value: int
    weighted: int


def forecast_by_month(start: dt.date, end: dt.date, pipeline: Pipeline | None = None) -> list[ForecastRow]:
    """Open deals by month of expected close between ``start`` and ``end``.

    The database groups by day, in the order of the covering index (no sort);
    the days are folded into months here, a few hundred rows at most.
    """
    merged: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, currency, count, total, weighted_percent in forecast_query(start, end).tuples():
        acc = merged[(str(day)[:7], currency)]
        acc[0] += count
        acc[1] += int(total)
        acc[2] += int(weighted_percent)
    return [
        ForecastRow(month, currency, n, total, weighted // 100)
        for (month, currency), (n, total, weighted) in sorted(merged.items())
    ]


def forecast_query(start: dt.date, end: dt.date):
    """Per day and currency: count, value, and value x probability (in percent units)."""
    chance = fn.COALESCE(Deal.probability, Stage.probability)
    return (
        Deal.select(
            Deal.expected_close,
            Deal.currency,
            fn.COUNT(Deal.id),
            fn.SUM(Deal.value),
            fn.SUM(Deal.value * chance),
        )
        .join(Stage, on=(Deal.stage == Stage.id))
        .where(Deal.status == OPEN, LIVE, Deal.expected_close.between(start, end))
        .group_by(Deal.expected_close, Deal.currency)
    )


def count_deals(include_deleted: bool = True) -> int:
    query = Deal.select()
    if not include_deleted:
        query = query.where(LIVE)
    return query.count()
