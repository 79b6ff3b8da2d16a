"""Undo and redo through the core, on both backends."""

from __future__ import annotations

import pytest

from pipetui.core import deals, lookup
from pipetui.core.errors import ConflictError, InvalidInput
from pipetui.core.money import Money
from pipetui.core.undo import Change, UndoLog
from pipetui.store import OPEN, WON, Deal


def test_undo_and_redo_a_move_and_a_win(db):
    log = UndoLog()
    made = deals.create_deal("Acme", Money(100, "USD"))
    moved = deals.move_deal(made.id, lookup.resolve_stage("Meeting"))
    log.record(Change("move", made.id, "move", made.stage_id, moved.stage_id, moved.version))
    won = deals.win_deal(made.id)
    log.record(Change("win", made.id, "win", won.stage_id, won.stage_id, won.version))
    log.undo()
    assert Deal.get_by_id(made.id).status == OPEN
    log.undo()
    assert Deal.get_by_id(made.id).stage.name == "Prospecting"
    with pytest.raises(InvalidInput, match="nothing to undo"):
        log.undo()
    log.redo()
    log.redo()
    final = Deal.get_by_id(made.id)
    assert (final.stage.name, final.status) == ("Meeting", WON)
    assert len(deals.history(made.id)) == 7  # every step, undone or not, is history


def test_undo_refuses_when_someone_else_changed_the_deal(db):
    log = UndoLog()
    made = deals.create_deal("Acme", Money(100, "USD"))
    moved = deals.move_deal(made.id, lookup.resolve_stage("Meeting"))
    log.record(Change("move", made.id, "move", made.stage_id, moved.stage_id, moved.version))
    deals.move_deal(made.id, lookup.resolve_stage("Proposal"))  # someone else, meanwhile
    with pytest.raises(ConflictError):
        log.undo()
    assert Deal.get_by_id(made.id).stage.name == "Proposal"
    assert log.can_undo  # nothing was taken off the stack
