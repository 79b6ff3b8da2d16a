"""What the figures read from a deal's history without walking it.

The funnel and the stage stays are defined over each deal's whole history
(see :mod:`pipetui.core.metrics`); at a million deals, walking every
history in the period is seconds. So each StageChange row carries what the
figures need to know about its place in the history, kept exact by the
same transaction that writes the history:

- ``to_position``: the position of the stage it went to, when it was made;
- ``stay_days``: how long (days) the deal had been as it was since its
  previous change not undone (None for its first): the stay this change ended;
- ``previous_entry_at``: for an entry into a stage (a first change, or a
  move from another stage), when the deal last entered that same stage
  before (None: never);
- ``went_on`` (1 or 0): a change at the same time or later, not undone,
  took the deal to a stage further along (by ``to_position``) or won it;

and, kept equal to the deal's own columns by a trigger on the deal (so that
an edit from anywhere, psql included, keeps them), ``deal_owner_id``,
``deal_pipeline_id``, ``deal_won`` and ``deal_live`` (not deleted), 1 or 0.

Undone rows carry None and 0: no figure reads them. :func:`derive`
computes the history columns of one deal's rows and :func:`refresh` stores
them after a change, an undo or a redo; bulk writers (import, demo) write
them with the rows they generate (:data:`COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from pipetui.store import WON, Deal, Stage, StageChange
from pipetui.store import database_proxy as db
from pipetui.store.database import is_postgres


# The columns, in the order bulk writers give them.
COLUMNS = ("to_position", "stay_days", "previous_entry_at", "went_on", "deal_owner_id", "deal_pipeline_id",
           "deal_won", "deal_live")


class Step(NamedTuple):
    """A row of a deal's history, as :func:`derive` reads it."""

    id: int
    changed_at: dt.datetime
    from_stage_id: int | None
    to_stage_id: int
    to_status: str
    to_position: int | None
    undone: bool


class Derived(NamedTuple):
    stay_days: float | None
    previous_entry_at: dt.datetime | None
    went_on: int


UNDONE = Derived(None, None, 0)


def derive(steps: Iterable[Step]) -> dict[int, Derived]:
    """The history columns of each row of one deal's history, by row id."""
    ordered = sorted(steps, key=lambda s: (s.changed_at, s.id))
    live = [s for s in ordered if not s.undone]
    found = {s.id: UNDONE for s in ordered if s.undone}
    # Walking back: the furthest position reached, and whether the deal was
    # won, at each time or after it (rows of the same time see each other).
    furthest: dict[dt.datetime, tuple[int, bool]] = {}
    best, won = -1, False
    for step in reversed(live):
        best = max(best, step.to_position if step.to_position is not None else -1)
        won = won or step.to_status == WON
        furthest[step.changed_at] = (best, won)
    previous_at = None
    entered: dict[int, dt.datetime] = {}
    for step in live:
        entry = step.from_stage_id is None or step.from_stage_id != step.to_stage_id
        previous_entry = entered.get(step.to_stage_id) if entry else None
        if entry:
            entered[step.to_stage_id] = step.changed_at
        later_best, later_won = furthest[step.changed_at]
        position = step.to_position if step.to_position is not None else -1
        stay = (step.changed_at - previous_at).total_seconds() / 86400 if previous_at is not None else None
        found[step.id] = Derived(stay, previous_entry, int(later_won or later_best > position))
        previous_at = step.changed_at
    return found


def refresh(deal_id: int) -> None:
    """Store the history columns of one deal's rows, and its own columns
    (inside the caller's transaction): after any change to its history."""
    rows = list(StageChange.select(
        StageChange.id, StageChange.changed_at, StageChange.from_stage, StageChange.to_stage,
        StageChange.to_status, StageChange.to_position, StageChange.undone_at,
        StageChange.stay_days, StageChange.previous_entry_at, StageChange.went_on,
    ).where(StageChange.deal == deal_id).tuples())
    if not rows:
        return
    derived = derive(Step(r[0], r[1], r[2], r[3], r[4], r[5], r[6] is not None) for r in rows)
    for row in rows:
        wanted = derived[row[0]]
        if (row[7], row[8], row[9]) != tuple(wanted):
            StageChange.update(stay_days=wanted.stay_days, previous_entry_at=wanted.previous_entry_at,
                               went_on=wanted.went_on).where(StageChange.id == row[0]).execute()
    deal = Deal.select(Deal.owner, Deal.pipeline, Deal.status, Deal.deleted_at).where(
        Deal.id == deal_id).tuples().first()
    if deal is not None:  # a few rows: written whether or not they changed
        owner, pipeline, status, deleted_at = deal
        StageChange.update(deal_owner_id=owner, deal_pipeline_id=pipeline, deal_won=int(status == WON),
                           deal_live=int(deleted_at is None)).where(StageChange.deal == deal_id).execute()


def stage_position(stage_id: int) -> int:
    """Where a stage stands in its pipeline now: what a new row records."""
    return Stage.select(Stage.position).where(Stage.id == stage_id).scalar()




def rebuild(first_deal_id: int = 0) -> None:
    """Fill every column above for the rows of the deals from
    ``first_deal_id`` on, set-wise, from the rows themselves (inside the
    caller's transaction): a repair, and the reference the bulk writers
    (import, demo: they write the columns with the rows) are tested against.
    The same statements as migration 0013's, which keeps its own frozen copy."""
    p = db.param
    db.execute_sql(f"""
        UPDATE stage_change SET to_position = (SELECT position FROM stage WHERE stage.id = stage_change.to_stage_id)
        WHERE deal_id >= {p} AND to_position IS NULL""", (first_deal_id,))
    db.execute_sql(f"""
        UPDATE stage_change SET deal_owner_id = d.owner_id, deal_pipeline_id = d.pipeline_id,
                                deal_won = CASE WHEN d.status = '{WON}' THEN 1 ELSE 0 END,
                                deal_live = CASE WHEN d.deleted_at IS NULL THEN 1 ELSE 0 END
        FROM deal AS d WHERE d.id = stage_change.deal_id AND stage_change.deal_id >= {p}""", (first_deal_id,))
    previous = "LAG(changed_at) OVER (PARTITION BY deal_id ORDER BY changed_at, id)"
    db.execute_sql(f"""
        UPDATE stage_change SET stay_days = w.stay_days, previous_entry_at = w.previous_entry_at,
                                went_on = w.went_on
        FROM (
            SELECT id,
                   {days_between('changed_at', previous)} AS stay_days,
                   CASE WHEN from_stage_id IS NULL OR from_stage_id <> to_stage_id THEN
                       LAG(changed_at) OVER (PARTITION BY deal_id, to_stage_id,
                                             (from_stage_id IS NULL OR from_stage_id <> to_stage_id)
                                             ORDER BY changed_at, id)
                   END AS previous_entry_at,
                   CASE WHEN COALESCE(MAX(to_position) OVER later, -1) > COALESCE(to_position, -1)
                          OR MAX(CASE WHEN to_status = '{WON}' THEN 1 ELSE 0 END) OVER later = 1
                        THEN 1 ELSE 0 END AS went_on
            FROM stage_change
            WHERE undone_at IS NULL AND deal_id >= {p}
            WINDOW later AS (PARTITION BY deal_id ORDER BY changed_at DESC)
        ) AS w
        WHERE stage_change.id = w.id""", (first_deal_id,))


def days_between(later: str, earlier: str) -> str:
    """SQL for the days (fractional) between two timestamp expressions."""
    if is_postgres(db):
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"
