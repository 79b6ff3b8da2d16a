"""Undo and redo of the changes made from one front door.

Each entry knows how to take its change back and how to make it again, with
the deal services (so that undoing a move is itself a move in the history).
Moves taken back or made again fire no automation rules: the deal is not
entering the stage anew.
An entry that meets a deal someone else has changed since refuses, through
the usual version check, instead of overwriting their change.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipetui.core import deals
from pipetui.core.errors import InvalidInput
from pipetui.core.rows import DealRow, RepRef
from pipetui.store import Stage


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
        self._undone: list[Change] = []
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
        """Take back the latest change; returns it with the deal as it is now."""
        if not self._done:
            raise InvalidInput("nothing to undo")
        change = self._done[-1]
        deal = _revert(change, self._versions.get(change.deal_id, change.version), actor)
        self._undone.append(self._done.pop())
        self._versions[deal.id] = deal.version
        return change, deal

    def redo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        if not self._undone:
            raise InvalidInput("nothing to redo")
        change = self._undone[-1]
        deal = _apply(change, self._versions.get(change.deal_id, change.version), actor)
        self._done.append(self._undone.pop())
        self._versions[deal.id] = deal.version
        return change, deal


def _revert(change: Change, version: int, actor: RepRef | None) -> DealRow:
    if change.kind == "move":
        return deals.move_deal(change.deal_id, Stage.get_by_id(change.before_stage_id),
                               expected_version=version, actor=actor)
    if change.kind in ("win", "lose"):
        return deals.reopen_deal(change.deal_id, expected_version=version, actor=actor)
    if change.kind == "create":
        return deals.delete_deal(change.deal_id, expected_version=version)
    raise ValueError(change.kind)


def _apply(change: Change, version: int, actor: RepRef | None) -> DealRow:
    if change.kind == "move":
        return deals.move_deal(change.deal_id, Stage.get_by_id(change.after_stage_id),
                               expected_version=version, actor=actor)
    if change.kind == "win":
        return deals.win_deal(change.deal_id, expected_version=version, actor=actor)
    if change.kind == "lose":
        return deals.lose_deal(change.deal_id, change.lost_reason or "", expected_version=version,
                               actor=actor)
    if change.kind == "create":
        return deals.restore_deal(change.deal_id, expected_version=version)
    raise ValueError(change.kind)
