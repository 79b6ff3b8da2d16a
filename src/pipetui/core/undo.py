"""Undo and redo of the changes made from one front door.

Undo restores the state before a change and marks the change undone; no
figure counts an undone change. It never writes a fake reverse change.

A stage or status change (move, win, lose) keeps on its StageChange row the
deal as it was just before and just after it (see
:func:`pipetui.core.deals.deal_state`). Undo puts the deal back as it was
before (stage, status, time entered in the stage, last activity, so rotting,
own probability, close time, lost reason) and sets the row's ``undone_at``;
redo puts it back as it was just after and clears the mark, so both are
exact, not "now". Both happen in one transaction with the version check: an
entry that meets a deal someone else has changed since refuses with
:class:`ConflictError` and changes nothing. The history keeps the row,
marked undone.

Automation rules never fire on undo or redo (the deal is not entering the
stage anew), and activities a rule created with the change are left alone:
they stay on the deal, to be done or removed like any other.

Undoing a new deal deletes it (softly); redoing it brings it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipetui.core import deals
from pipetui.core.errors import InvalidInput
from pipetui.core.rows import DealRow, RepRef
from pipetui.store import LOST, OPEN, WON, StageChange
from pipetui.store import database_proxy as db

# The status a change of each kind leaves the deal in.
_TO_STATUS = {"move": OPEN, "win": WON, "lose": LOST}


@dataclass(frozen=True)
class Change:
    """A change to a deal: what it was before and after, enough to redo or revert it."""

    label: str  # e.g. "move #12 to Proposal"
    deal_id: int
    kind: str  # "move", "win", "lose", "create"
    before_stage_id: int
    after_stage_id: int
    version: int  # the deal's version right after this change
    lost_reason: str | None = None


class UndoLog:
    """Two stacks: changes that can be undone, and undone ones that can be redone."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._done: list[Change] = []
        # Each undone change with the id of its StageChange row (None for a new deal).
        self._undone: list[tuple[Change, int | None]] = []
        # The version each deal had after our latest change to it: anything
        # else means someone else changed it since.
        self._versions: dict[int, int] = {}

    def record(self, change: Change) -> None:
        self._done.append(change)
        del self._done[: -self.limit]
        self._undone.clear()
        self._versions[change.deal_id] = change.version

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        """Take back the latest change; returns it with the deal as it is now.
        ``actor`` is accepted for symmetry with the deal services: undo
        writes no change of its own to attribute."""
        if not self._done:
            raise InvalidInput("nothing to undo")
        change = self._done[-1]
        deal, row_id = _revert(change, self._versions.get(change.deal_id, change.version))
        self._undone.append((self._done.pop(), row_id))
        self._versions[deal.id] = deal.version
        return change, deal

    def redo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        if not self._undone:
            raise InvalidInput("nothing to redo")
        change, row_id = self._undone[-1]
        deal = _apply(change, row_id, self._versions.get(change.deal_id, change.version))
        self._undone.pop()
        self._done.append(change)
        self._versions[deal.id] = deal.version
        return change, deal


def _revert(change: Change, version: int) -> tuple[DealRow, int | None]:
    if change.kind == "create":
        return deals.delete_deal(change.deal_id, expected_version=version), None
    if change.kind not in _TO_STATUS:
        raise ValueError(change.kind)
    with db.atomic():
        # Refuse a deal changed since first: then its latest change is ours.
        deals.current_deal(change.deal_id, expected_version=version)
        row = _latest_change(change)
        if row is None:
            raise InvalidInput(f"cannot undo the {change.label}: its history is not there")
        deal = deals.restore_state(change.deal_id, row.before_state, expected_version=version)
        StageChange.update(undone_at=deals.change_time()).where(StageChange.id == row.id).execute()
    return deal, row.id


def _latest_change(change: Change) -> StageChange | None:
    """The deal's latest change not undone, if it is the one ``change`` made."""
    row = (StageChange.select()
           .where(StageChange.deal == change.deal_id, StageChange.undone_at.is_null())
           .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
           .first())
    if (row is None or row.before_state is None or row.to_stage_id != change.after_stage_id
            or row.to_status != _TO_STATUS[change.kind]):
        return None
    return row


def _apply(change: Change, row_id: int | None, version: int) -> DealRow:
    if change.kind == "create":
        return deals.restore_deal(change.deal_id, expected_version=version)
    if change.kind not in _TO_STATUS:
        raise ValueError(change.kind)
    with db.atomic():
        row = StageChange.get_or_none(StageChange.id == row_id)
        if row is None or row.undone_at is None or row.after_state is None:
            raise InvalidInput(f"cannot redo the {change.label}: its history is not there")
        deal = deals.restore_state(change.deal_id, row.after_state, expected_version=version)
        StageChange.update(undone_at=None).where(StageChange.id == row.id).execute()
    return deal
