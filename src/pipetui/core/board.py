"""What the board shows: its columns and, one window at a time, their cards.

Every query pages or aggregates in the database, so the board costs the same
with a hundred deals as with a hundred thousand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN, fn

from pipetui.core import clock
from pipetui.core.fields import card_fields, card_texts, filter_terms
from pipetui.core.lookup import stages
from pipetui.core.pipeline import stage_totals
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.store import OPEN, Activity, Deal, Organization, Rep, Stage
from pipetui.store.database import text_contains

LIVE = Deal.deleted_at.is_null()


@dataclass(frozen=True)
class BoardFilter:
    """Which open deals the board shows: a text found in title, organization
    or owner (any case), and one owner. A word ``field:value`` of the text
    (``source:web``) names a custom field's value instead (see
    :func:`pipetui.core.fields.filter_terms`)."""

    text: str = ""
    owner_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.text.strip()) or self.owner_id is not None


@dataclass(frozen=True)
class Column:
    stage_id: int
    name: str
    probability: int
    rotting_days: int | None
    count: int
    value: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    weighted: dict[str, int] = field(default_factory=dict)
    card_fields: int = 0  # how many custom fields its cards show (a line of them when any)


@dataclass(frozen=True)
class Card:
    id: int
    stage_id: int
    title: str
    organization: str | None
    owner: str | None
    value: int
    currency: str
    days_in_stage: int
    next_activity: dt.date | None
    rotting: bool
    version: int
    fields: tuple[str, ...] = ()  # the values of the fields shown on cards, as read


def _filtered(query, flt: BoardFilter):
    if flt.owner_id is not None:
        query = query.where(Deal.owner == flt.owner_id)
    text, conditions = filter_terms(flt.text)
    if conditions:
        query = query.where(*conditions)
    needle = text.strip().lower()
    if needle:
        query = query.where(
            text_contains(fn.lower(Deal.title), needle)
            | text_contains(fn.lower(fn.COALESCE(Organization.name, "")), needle)
            | text_contains(fn.lower(fn.COALESCE(Rep.name, "")), needle)
        )
    return query


def _with_names(query):
    return (
        query.join(Organization, JOIN.LEFT_OUTER, on=(Deal.organization == Organization.id))
        .switch(Deal)
        .join(Rep, JOIN.LEFT_OUTER, on=(Deal.owner == Rep.id))
        .switch(Deal)
    )


def columns(flt: BoardFilter = BoardFilter(), *, rules: Rulebook = NO_RULES) -> list[Column]:
    """One column per stage, in order, with the count, total and weighted
    value of its open deals per currency (currencies are never added up);
    its rotting days are the ``rules``' for the stage, else its own."""
    if flt.text.strip() == "":
        totals = stage_totals(owner_id=flt.owner_id)
        shown = len(card_fields(totals[0].stage.id)) if totals else 0
        return [
            Column(t.stage.id, t.stage.name, t.stage.probability,
                   rules.rotting_days(t.stage.id, t.stage.rotting_days), t.count,
                   t.value, t.weighted, shown)
            for t in totals
        ]
    ordered = stages()
    shown = len(card_fields(ordered[0].id)) if ordered else 0
    chance = fn.COALESCE(Deal.probability, Stage.probability)
    query = _filtered(
        _with_names(
            Deal.select(Deal.stage_id, Deal.currency, fn.COUNT(Deal.id), fn.SUM(Deal.value),
                        fn.SUM(Deal.value * chance))
        )
        .join(Stage, on=(Deal.stage == Stage.id))
        .where(Deal.status == OPEN, LIVE)
        .group_by(Deal.stage_id, Deal.currency),
        flt,
    )
    found: dict[int, list] = {}
    for stage_id, currency, count, total, weighted in query.tuples():
        entry = found.setdefault(stage_id, [0, {}, {}])
        entry[0] += count
        entry[1][currency] = int(total)
        entry[2][currency] = int(weighted) // 100
    return [
        Column(s.id, s.name, s.probability, rules.rotting_days(s.id, s.rotting_days),
               *found.get(s.id, [0, {}, {}]), shown)
        for s in ordered
    ]


def cards(stage_id: int, *, offset: int = 0, limit: int = 50,
          flt: BoardFilter = BoardFilter(), rules: Rulebook = NO_RULES) -> list[Card]:
    """A window of a column's cards, largest value first."""
    next_due = (
        Activity.select(fn.MIN(Activity.due_date))
        .where(Activity.deal == Deal.id, Activity.done == False)  # noqa: E712
    )
    query = _filtered(
        _with_names(
            Deal.select(
                Deal.id, Deal.title, Organization.name, Rep.name, Deal.value, Deal.currency,
                Deal.stage_entered_at, Deal.last_activity_at, Deal.version, Stage.rotting_days,
                next_due.alias("next_due"),
            )
        )
        .join(Stage, on=(Deal.stage == Stage.id))
        .where(Deal.status == OPEN, Deal.stage == stage_id, LIVE),
        flt,
    ).order_by(Deal.value.desc(), Deal.id).limit(limit).offset(offset)
    now = clock.now()
    rows = list(query.tuples())
    shown = card_fields(stage_id)
    texts = card_texts([row[0] for row in rows], shown) if shown and rows else {}
    result = []
    for (deal_id, title, org, owner, value, currency, entered, touched, version, rot_days,
         due) in rows:
        if isinstance(due, str):  # a subquery's value comes back untyped on SQLite
            due = dt.date.fromisoformat(due)
        rot_days = rules.rotting_days(stage_id, rot_days)
        rotting = rot_days is not None and (now - touched).days > rot_days
        result.append(Card(deal_id, stage_id, title, org, owner, value, currency,
                           max(0, (now - entered).days), due, rotting, version, texts.get(deal_id, ())))
    return result


def index_of(deal_id: int, flt: BoardFilter = BoardFilter()) -> tuple[int, int] | None:
    """Where a deal stands on the board: its stage and its position in the
    column (None when it is not shown: closed, deleted or filtered out)."""
    deal = _filtered(_with_names(Deal.select(Deal.id, Deal.stage_id, Deal.value)),
                     flt).where(Deal.id == deal_id, Deal.status == OPEN, LIVE).tuples().first()
    if deal is None:
        return None
    _, stage_id, value = deal
    ahead = _filtered(_with_names(Deal.select(fn.COUNT(Deal.id))), flt).where(
        Deal.status == OPEN, LIVE, Deal.stage == stage_id,
        (Deal.value > value) | ((Deal.value == value) & (Deal.id < deal_id)),
    ).scalar()
    return stage_id, ahead
