"""What the board shows: its columns and, one window at a time, their cards.

Every query pages or aggregates in the database, so the board costs the same
with a hundred deals as with a hundred thousand.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass, field

from peewee import JOIN, fn

from pipetui.core import clock
from pipetui.core.errors import InvalidInput
from pipetui.core.lookup import resolve_rep, resolve_stage, stages
from pipetui.core.pipeline import stage_totals
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.store import LOST, OPEN, WON, Activity, Deal, Organization, Rep, Stage
from pipetui.store.database import text_contains

LIVE = Deal.deleted_at.is_null()


@dataclass(frozen=True)
class BoardFilter:
    """Which deals the board shows: what was typed after ``/`` (see
    :func:`parse_filter`), and one owner; of which pipeline (None: the
    first one). The pipeline is where the board is, not a filter: ``active``
    does not count it."""

    text: str = ""
    owner_id: int | None = None
    pipeline_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.text.strip()) or self.owner_id is not None


# ``key:value`` terms of a filter; a value with spaces is quoted: stage:"Contact made".
FILTER_KEYS = ("stage", "owner", "status")
_TERM = re.compile(r'(?<!\S)(?P<key>[A-Za-z_]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')
STATUSES = (OPEN, WON, LOST)


@dataclass(frozen=True)
class FilterTerms:
    """A filter as typed: ``stage:``, ``owner:`` and ``status:`` terms (a
    key given twice means either value) and the rest, a text found in title,
    organization or owner (any case)."""

    text: str = ""
    stages: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def parse_filter(typed: str) -> FilterTerms:
    """The one reader of the filter language, for the board's ``/`` and the
    command line's ``--where``: ``stage:Proposal owner:maya acme``. A word
    with another key (``re:invent``) is text."""
    found: dict[str, list[str]] = {key: [] for key in FILTER_KEYS}
    rest = []
    last = 0
    for term in _TERM.finditer(typed):
        key = term["key"].lower()
        if key not in found:
            continue
        rest.append(typed[last:term.start()])
        last = term.end()
        found[key].append(term["quoted"] if term["quoted"] is not None else term["bare"])
    rest.append(typed[last:])
    text = " ".join("".join(rest).split()) if last else typed.strip()
    return FilterTerms(text, tuple(found["stage"]), tuple(found["owner"]), tuple(found["status"]))


def filter_condition(terms: FilterTerms, *, strict: bool = False, pipeline_id: int | None = None):
    """The condition on a query joining Deal, Organization and Rep (as
    :func:`pipetui.core.rows.deal_query` and the board's do) for ``terms``;
    None when it keeps every deal. A stage, owner or status that names
    nothing matches no deal, or with ``strict`` is refused (InvalidInput).
    A stage is one of ``pipeline_id``'s (None: the first pipeline's)."""

    def resolved(resolve, values):
        ids = []
        for value in values:
            try:
                ids.append(resolve(value).id)
            except InvalidInput:
                if strict:
                    raise
        return ids

    conditions = []
    if terms.stages:
        conditions.append(Deal.stage.in_(resolved(lambda name: resolve_stage(name, pipeline_id),
                                                  terms.stages)))  # none: 0 = 1
    if terms.owners:
        nobody = [o for o in terms.owners if o.lower() in ("none", "-")]
        ids = resolved(resolve_rep, [o for o in terms.owners if o not in nobody])
        owned = Deal.owner.in_(ids)
        conditions.append(owned | Deal.owner.is_null() if nobody else owned)
    if terms.statuses:
        wanted = [s.lower() for s in terms.statuses]
        unknown = [s for s in terms.statuses if s.lower() not in STATUSES]
        if unknown and strict:
            raise InvalidInput(f"no status {unknown[0]!r}; the statuses are: {', '.join(STATUSES)}")
        conditions.append(Deal.status.in_(wanted))
    needle = terms.text.lower()
    if needle:
        conditions.append(
            text_contains(fn.lower(Deal.title), needle)
            | text_contains(fn.lower(fn.COALESCE(Organization.name, "")), needle)
            | text_contains(fn.lower(fn.COALESCE(Rep.name, "")), needle)
        )
    if not conditions:
        return None
    return functools.reduce(operator.and_, conditions)


@dataclass(frozen=True)
class Column:
    stage_id: int
    name: str
    probability: int
    rotting_days: int | None
    count: int
    value: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    weighted: dict[str, int] = field(default_factory=dict)


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


def _filtered(query, flt: BoardFilter):
    if flt.owner_id is not None:
        query = query.where(Deal.owner == flt.owner_id)
    if flt.text.strip():
        condition = filter_condition(parse_filter(flt.text), pipeline_id=flt.pipeline_id)
        if condition is not None:
            query = query.where(condition)
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
        return [
            Column(t.stage.id, t.stage.name, t.stage.probability,
                   rules.rotting_days(t.stage.id, t.stage.rotting_days), t.count,
                   t.value, t.weighted)
            for t in stage_totals(flt.pipeline_id, owner_id=flt.owner_id)
        ]
    ordered = stages(flt.pipeline_id)
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
               *found.get(s.id, [0, {}, {}]))
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
    result = []
    for (deal_id, title, org, owner, value, currency, entered, touched, version, rot_days,
         due) in query.tuples():
        if isinstance(due, str):  # a subquery's value comes back untyped on SQLite
            due = dt.date.fromisoformat(due)
        rot_days = rules.rotting_days(stage_id, rot_days)
        rotting = rot_days is not None and (now - touched).days > rot_days
        result.append(Card(deal_id, stage_id, title, org, owner, value, currency,
                           max(0, (now - entered).days), due, rotting, version))
    return result


def index_of(deal_id: int, flt: BoardFilter = BoardFilter()) -> tuple[int, int] | None:
    """Where a deal stands on the board: its stage and its position in the
    column (None when it is not shown: closed, deleted or filtered out)."""
    deal = _filtered(_with_names(Deal.select(Deal.id, Deal.stage_id, Deal.value, Deal.pipeline_id)),
                     flt).where(Deal.id == deal_id, Deal.status == OPEN, LIVE).tuples().first()
    if deal is None or (flt.pipeline_id is not None and deal[3] != flt.pipeline_id):
        return None
    deal = deal[:3]
    _, stage_id, value = deal
    ahead = _filtered(_with_names(Deal.select(fn.COUNT(Deal.id))), flt).where(
        Deal.status == OPEN, LIVE, Deal.stage == stage_id,
        (Deal.value > value) | ((Deal.value == value) & (Deal.id < deal_id)),
    ).scalar()
    return stage_id, ahead
