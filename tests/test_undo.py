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
    # Undo and redo write no change of their own: created, moved, won, none undone.
    assert [c.undone_at for c in deals.history(made.id)] == [None, None, None]


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


# --- undo restores the state before a change (issue: undo wrote a reverse move) ---

import datetime as dt  # noqa: E402

from pipetui.core import board, clock, integrity, metrics, rows, rules  # noqa: E402
from pipetui.core.dates import quarter_period  # noqa: E402
from pipetui.store import LOST, Activity, Stage, StageChange  # noqa: E402

NOW = dt.datetime(2026, 11, 27, 9, 30)
LONG_AGO = NOW - dt.timedelta(days=33)


def _rotting_deal():
    """A deal 33 days in Prospecting, untouched since, with rotting days 30."""
    Stage.update(rotting_days=30).where(Stage.name == "Prospecting").execute()
    with clock.frozen(LONG_AGO):
        return deals.create_deal("Rotting", Money(100, "USD"))


def _figures(stage_names=("Prospecting", "Contacted")):
    found = {f.name: f for f in metrics.funnel(quarter_period(NOW.date()), None)}
    return {name: (found[name].entered, found[name].advanced) for name in stage_names}


def _card(deal_id, stage_name):
    stage = lookup.resolve_stage(stage_name)
    return next(c for c in board.cards(stage.id) if c.id == deal_id)


def _restorable(deal_id):
    d = Deal.get_by_id(deal_id)
    return (d.stage_id, d.status, d.stage_entered_at, d.last_activity_at, d.probability,
            d.closed_at, d.lost_reason)


def test_undo_of_a_move_restores_the_deal_and_counts_nothing(db):
    made = _rotting_deal()
    with clock.frozen(NOW):
        before, figures = _restorable(made.id), _figures()
        assert _card(made.id, "Prospecting").rotting
        assert _card(made.id, "Prospecting").days_in_stage == 33
        log = UndoLog()
        moved = deals.step_deal(made.id, 1, expected_version=made.version)
        log.record(Change("move", made.id, "move", made.stage_id, moved.stage_id, moved.version))
        after, moved_figures = _restorable(made.id), _figures()
        assert moved_figures == {"Prospecting": (1, 1), "Contacted": (1, 0)}

        log.undo()
        assert _restorable(made.id) == before
        card = _card(made.id, "Prospecting")
        assert card.rotting and card.days_in_stage == 33
        assert _figures() == figures
        assert metrics.average_stays(quarter_period(NOW.date())) == {}
        changes = deals.history(made.id)
        assert len(changes) == 2  # no reverse move was written
        assert changes[0].undone_at is None and changes[1].undone_at is not None
        told = rows.narrated_history(deal=deals.get_deal(made.id))
        assert [e.undone for e in told] == [False, True]
        assert "(undone)" in told[1].what
        assert [r.to_stage for r in metrics.recent_changes()] == ["Prospecting"]
        assert integrity.deals_with_inconsistent_history() == []

        log.redo()
        assert _restorable(made.id) == after
        assert _figures() == moved_figures
        assert [c.undone_at for c in deals.history(made.id)] == [None, None]
        assert not _card(made.id, "Contacted").rotting
        assert integrity.deals_with_inconsistent_history() == []


def test_undo_and_redo_of_a_win_and_a_loss_restore_status_and_probability(db):
    made = _rotting_deal()
    book, problems = rules.compile([rules.Rule("enter", "Contacted", probability=70,
                                               activity=("task", "Call them"))])
    assert not problems
    with clock.frozen(NOW - dt.timedelta(days=2)):
        moved = deals.move_deal(made.id, lookup.resolve_stage("Contacted"), rules=book)
    assert Deal.get_by_id(made.id).probability == 70
    for kind in ("win", "lose"):
        with clock.frozen(NOW):
            before = _restorable(made.id)
            version = Deal.get_by_id(made.id).version
            log = UndoLog()
            if kind == "win":
                done = deals.win_deal(made.id, expected_version=version)
            else:
                done = deals.lose_deal(made.id, "No budget", expected_version=version)
            log.record(Change(kind, made.id, kind, moved.stage_id, moved.stage_id, done.version,
                              done.lost_reason))
            after = _restorable(made.id)
            health = metrics.health(quarter_period(NOW.date()), None, metrics.Converter("USD", {}))
            assert (health.won_deals, health.lost_deals) == ((1, 0) if kind == "win" else (0, 1))
            log.undo()
            assert _restorable(made.id) == before
            assert before[1] == OPEN and before[4] == 70 and before[5] is None
            health = metrics.health(quarter_period(NOW.date()), None, metrics.Converter("USD", {}))
            assert (health.won_deals, health.lost_deals, health.win_rate, health.velocity) == (0, 0, None, None)
            log.redo()
            assert _restorable(made.id) == after
            assert after[1] == (WON if kind == "win" else LOST)
            log.undo()
            assert _restorable(made.id) == before
    assert Activity.select().where(Activity.deal == made.id).count() == 1  # no rule fired again
    assert StageChange.select().where(StageChange.deal == made.id,
                                      StageChange.undone_at.is_null()).count() == 2


def test_undo_refuses_a_deal_changed_since_and_changes_nothing(db):
    made = _rotting_deal()
    with clock.frozen(NOW):
        log = UndoLog()
        moved = deals.step_deal(made.id, 1)
        log.record(Change("move", made.id, "move", made.stage_id, moved.stage_id, moved.version))
        deals.edit_deal(made.id, title="Renamed by someone else")
        state = _restorable(made.id)
        with pytest.raises(ConflictError):
            log.undo()
        assert _restorable(made.id) == state
        assert all(c.undone_at is None for c in deals.history(made.id))
        assert log.can_undo and not log.can_redo


def test_undo_of_a_new_deal_deletes_it_and_redo_brings_it_back(db):
    log = UndoLog()
    made = deals.create_deal("New", Money(100, "USD"))
    log.record(Change("add", made.id, "create", made.stage_id, made.stage_id, made.version))
    log.undo()
    assert Deal.get_by_id(made.id).deleted_at is not None
    log.redo()
    assert Deal.get_by_id(made.id).deleted_at is None


# --- undo covers field edits, activities, notes and deletes ---------------------

from pipetui.core import activities, people, triage, undo  # noqa: E402
from pipetui.store import FieldChange, Note  # noqa: E402


def _open_value():
    return metrics.health(quarter_period(NOW.date()), None, metrics.Converter("USD", {})).open_value


def _edited_deal():
    maya, jonas = people.add_rep("Maya Patel"), people.add_rep("Jonas Weber")
    with clock.frozen(LONG_AGO):
        made = deals.create_deal("Acme", Money(100_00, "USD"), owner=maya,
                                 organization=people.find_or_create_organization("Acme GmbH"),
                                 expected_close=dt.date(2026, 12, 1))
    return made, maya, jonas


def test_undo_of_an_edit_restores_the_fields_and_marks_its_history_undone(db):
    made, maya, jonas = _edited_deal()
    with clock.frozen(NOW):
        before, open_value = deals.edited_columns(deals.get_deal(made.id)), _open_value()
        log = UndoLog()
        edited = deals.edit_deal(made.id, expected_version=made.version, title="Acme 2",
                                 value=Money(900_00, "USD"), owner=jonas, organization=None,
                                 expected_close=dt.date(2027, 1, 5), probability=80, actor=jonas)
        log.record(undo.edit_change("edit", made, edited))
        after = deals.edited_columns(edited)
        assert _open_value() != open_value
        assert FieldChange.select().count() == 6

        log.undo()
        assert deals.edited_columns(deals.get_deal(made.id)) == before
        assert _open_value() == open_value  # no figure counts the undone edit
        assert FieldChange.select().count() == 6  # kept, not deleted ...
        assert FieldChange.select().where(FieldChange.undone_at.is_null()).count() == 0  # ... marked
        told = rows.narrated_history(deals.get_deal(made.id))
        assert [e.undone for e in told] == [False] + [True] * 6
        assert "title: Acme → Acme 2 (undone)" in [e.what for e in told]

        log.redo()
        assert deals.edited_columns(deals.get_deal(made.id)) == after
        assert FieldChange.select().where(FieldChange.undone_at.is_null()).count() == 6
        # Undo and redo wrote no change of their own.
        assert FieldChange.select().count() == 6 and len(deals.history(made.id)) == 1


def test_undo_of_an_edit_refuses_a_deal_changed_since(db):
    made, _, _ = _edited_deal()
    log = UndoLog()
    edited = deals.edit_deal(made.id, title="Mine")
    log.record(undo.edit_change("edit", made, edited))
    deals.edit_deal(made.id, value=Money(5_00, "USD"))  # someone else
    with pytest.raises(ConflictError):
        log.undo()
    assert Deal.get_by_id(made.id).title == "Mine"
    assert FieldChange.select().where(FieldChange.undone_at.is_null(False)).count() == 0


def test_an_editor_save_that_moved_the_deal_is_one_undo_step(db):
    made, maya, _ = _edited_deal()
    with clock.frozen(NOW):
        state = _restorable(made.id)
        log = UndoLog()
        saved = deals.update_deal(made.id, made.version, default_currency="USD", title="Acme 2",
                                  value="100", stage="Proposal", owner="Maya Patel",
                                  organization="Acme GmbH", contact="", expected_close="2026-12-01",
                                  probability="", actor=maya)
        log.record(undo.edit_change("edit", made, saved))
        log.undo()
        assert _restorable(made.id) == state and Deal.get_by_id(made.id).title == "Acme"
        assert [c.undone_at is not None for c in deals.history(made.id)] == [False, True]
        log.redo()
        redone = Deal.get_by_id(made.id)
        assert (redone.title, redone.stage.name) == ("Acme 2", "Proposal")
        assert all(c.undone_at is None for c in deals.history(made.id))
        assert integrity.deals_with_inconsistent_history() == []


def test_undo_removes_an_activity_or_note_added_and_restores_the_rotting_clock(db):
    made = _rotting_deal()
    with clock.frozen(NOW):
        assert _card(made.id, "Prospecting").rotting
        log = UndoLog()
        call, change = undo.schedule_activity(made.id, "call tomorrow pricing")
        log.record(change)
        note, noted = undo.add_note(made.id, "Budget approved")
        log.record(noted)
        assert not _card(made.id, "Prospecting").rotting
        log.undo()
        log.undo()
        assert Activity.select().count() == 0 and Note.select().count() == 0
        assert _card(made.id, "Prospecting").rotting  # last activity as it was before
        assert Deal.get_by_id(made.id).last_activity_at == LONG_AGO
        assert triage.agenda(None, today=(NOW + dt.timedelta(days=1)).date()) == []
        log.redo()
        log.redo()
        assert Activity.get_by_id(call.id).subject == "pricing"
        assert Note.get_by_id(note.id).body == "Budget approved"
        assert not _card(made.id, "Prospecting").rotting


def test_undo_of_a_delete_restores_the_deal_and_redo_deletes_it_again(db):
    made = deals.create_deal("Acme", Money(100_00, "USD"))
    log = UndoLog()
    gone, change = undo.delete_deal(made.id, expected_version=made.version)
    log.record(change)
    assert [d.id for d in rows.deal_rows()] == []
    log.undo()
    assert [d.id for d in rows.deal_rows()] == [made.id]
    log.redo()
    assert Deal.get_by_id(made.id).deleted_at is not None


def test_a_save_that_changed_nothing_is_no_undo_step_and_keeps_earlier_ones_undoable(db):
    made = deals.create_deal("Acme", Money(100, "USD"))
    log = UndoLog()
    moved = deals.move_deal(made.id, lookup.resolve_stage("Meeting"))
    log.record(Change("move", made.id, "move", made.stage_id, moved.stage_id, moved.version))
    saved = deals.edit_deal(made.id, expected_version=moved.version, title="Acme")  # as it was
    assert saved.version == moved.version + 1
    log.record(undo.edit_change("edit", moved, saved))
    change, _ = log.undo()
    assert change.kind == "move" and Deal.get_by_id(made.id).stage.name == "Prospecting"
    assert not log.can_undo


def test_undo_of_an_editor_save_restores_custom_values_and_redo_sets_them_again(db):
    from pipetui.core import fields

    made, maya, _ = _edited_deal()
    fields.add_field("Source", "choice", choices="Web,Referral")
    fields.add_field("Renewal", "date")
    made = fields.set_values(made.id, {"Source": "Web"})
    log = UndoLog()
    held = fields.held_values(made.id)
    saved = fields.update_deal(made.id, made.version, default_currency="USD", title="Acme 2", value="100",
                               stage=made.stage, owner="Maya Patel", organization="Acme GmbH", contact="",
                               expected_close="", probability="", actor=maya,
                               fields={"Source": "Referral", "Renewal": "2027-03-01"})
    log.record(undo.edit_change("edit", made, saved, values_before=held,
                                values_after=fields.held_values(made.id)))
    assert fields.held_values(made.id) == {"source": "Referral", "renewal": "2027-03-01"}

    log.undo()
    assert fields.held_values(made.id) == {"source": "Web"}
    assert Deal.get_by_id(made.id).title == "Acme"
    custom = FieldChange.select().where(FieldChange.field.in_(["source", "renewal"]))
    assert {(c.field, c.undone_at is not None) for c in custom} == {
        ("source", False), ("source", True), ("renewal", True)}  # the first set stays, the save's are marked

    log.redo()
    assert fields.held_values(made.id) == {"source": "Referral", "renewal": "2027-03-01"}
    assert FieldChange.select().where(FieldChange.undone_at.is_null(False)).count() == 0


def test_a_save_that_changed_only_a_custom_value_is_an_undo_step(db):
    from pipetui.core import fields

    made, _, _ = _edited_deal()
    fields.add_field("Source", "text")
    log = UndoLog()
    saved = fields.set_values(made.id, {"Source": "Web"})
    log.record(undo.edit_change("edit", made, saved, values_before={}, values_after=fields.held_values(made.id)))
    assert log.can_undo
    log.undo()
    assert fields.held_values(made.id) == {}
