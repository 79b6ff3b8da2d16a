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

One action on several deals (a bulk move, win or lose from the screens) is
one :class:`Changes`: undo and redo take all its deals back, or forward,
in one transaction; one deal changed by someone else since refuses the
whole step and changes nothing.
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


@dataclass(frozen=True)
class Changes:
    """Several deals changed by one action: one step of undo."""

    label: str  # e.g. "move of 3 deals"
    changes: tuple[Change, ...]


def changes_of(kind: str, label: str, outcomes) -> Changes:
    """The undo step of a bulk action: ``outcomes`` as
    :func:`pipetui.core.bulk.apply` returns them, the deal before (with its
    stage) and after."""
    return Changes(label, tuple(
        Change(label, o.after.id, kind, o.before.stage_id, o.after.stage_id, o.after.version,
               o.after.lost_reason if kind == "lose" else None)
        for o in outcomes))


def stages_touched(change: Change | Changes) -> set[int]:
    """The stages a change took deals out of or put them in."""
    parts = change.changes if isinstance(change, Changes) else (change,)
    return {stage for one in parts for stage in (one.before_stage_id, one.after_stage_id)}


class UndoLog:
    """Two stacks: changes that can be undone, and undone ones that can be redone."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._done: list[Change | Changes] = []
        # Each undone change with the id of its StageChange row (None for a new deal).
        self._undone: list[tuple[Change, int | None]] = []
        # The version each deal had after our latest change to it: anything
        # else means someone else changed it since.
        self._versions: dict[int, int] = {}

    def record(self, change: Change | Changes) -> None:
        self._done.append(change)
        del self._done[: -self.limit]
        self._undone.clear()
        for one in change.changes if isinstance(change, Changes) else (change,):
            self._versions[one.deal_id] = one.version

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
        if isinstance(change, Changes):
            return self._replay_all(change, undo=True)
        deal, row_id = _revert(change, self._versions.get(change.deal_id, change.version))
        self._undone.append((self._done.pop(), row_id))
        self._versions[deal.id] = deal.version
        return change, deal

    def redo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        if not self._undone:
            raise InvalidInput("nothing to redo")
        change, row_id = self._undone[-1]
        if isinstance(change, Changes):
            return self._replay_all(change, undo=False)
        deal = _apply(change, row_id, self._versions.get(change.deal_id, change.version))
        self._undone.pop()
        self._done.append(change)
        self._versions[deal.id] = deal.version
        return change, deal


    def _replay_all(self, group: Changes, *, undo: bool) -> tuple[Changes, DealRow]:
        """Undo (or redo) every change of ``group`` in one transaction: all
        or none. Returns the group with its first deal as it is now."""
        found = []
        with db.atomic():
            if undo:
                for change in reversed(group.changes):
                    found.append(_revert(change, self._versions.get(change.deal_id, change.version)))
                found.reverse()
            else:
                _, marks = self._undone[-1]
                for change, mark in zip(group.changes, marks, strict=True):
                    deal = _apply(change, mark, self._versions.get(change.deal_id, change.version))
                    found.append((deal, mark))
        if undo:
            self._undone.append((self._done.pop(), [mark for _, mark in found]))
        else:
            self._undone.pop()
            self._done.append(group)
        for deal, _ in found:
            self._versions[deal.id] = deal.version
        return group, found[0][0]


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
