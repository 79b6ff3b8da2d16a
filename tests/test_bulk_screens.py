"""Bulk actions on the screens: marked cards on the board, marked rows in
triage, acted on with one key, in one transaction, taken back in one undo step."""

from __future__ import annotations

import datetime as dt

import pytest
from test_board import NOW, board_of, deal, screen_text, settle, status_of
from test_triage import NOW as TRIAGE_NOW
from test_triage import day  # noqa: F401 - the fixture
from textual.widgets import OptionList

from pipetui.core import bulk, clock, deals, lookup, people
from pipetui.core.money import Money
from pipetui.core.errors import ConflictError
from pipetui.core.undo import UndoLog, changes_of
from pipetui.store import LOST, OPEN, WON, Activity, Deal, StageChange
from pipetui.tui.app import PipetuiApp
from pipetui.tui.dialogs import LoseDialog, PickDialog
from pipetui.tui.screens.triage import MARK_GLYPH as TRIAGE_MARK
from pipetui.tui.screens.triage import TriageScreen
from pipetui.tui.widgets.board import MARK_GLYPH

PROSPECTS = ["Acme rollout", "Beta pilot", "Gamma renewal"]


@pytest.fixture
def pipeline(db):
    """Three deals in Prospecting, one in Qualified, by two reps (as in test_board, on both databases)."""
    with clock.frozen(NOW - dt.timedelta(days=3)):
        maya = people.add_rep("Maya Patel", username="maya")
        jonas = people.add_rep("Jonas Weber", username="jonas")
        prospecting, qualified = lookup.resolve_stage("Prosp"), lookup.resolve_stage("Qual")
        for title, owner in zip(PROSPECTS, (maya, jonas, maya), strict=True):
            deals.create_deal(title, Money(10_000_00, "USD"), stage=prospecting, owner=owner)
        deals.create_deal("Delta expansion", Money(5_000_00, "USD"), stage=qualified, owner=jonas)
    return {"maya": maya, "jonas": jonas}


@pytest.fixture
def app(db, pipeline):
    with clock.frozen(NOW):
        yield PipetuiApp(db=db, location="test.db", actor=pipeline["maya"])


async def mark_the_prospects(pilot) -> None:
    """Space on each of the three cards of Prospecting."""
    await settle(pilot)
    await pilot.press("space", "j", "space", "j", "space")
    await settle(pilot)


def stages_of(titles: list[str]) -> list[str]:
    return [deal(title).stage.name for title in titles]


async def test_space_marks_cards_visibly_and_escape_clears_the_marks(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await mark_the_prospects(pilot)
        board = board_of(app)
        assert sorted(c.title for c in board.marked.values()) == PROSPECTS
        assert "3 marked" in status_of(app)
        # The mark is a glyph, not only a colour: each marked title begins with it.
        lines = screen_text(app).splitlines()
        assert sum(line.startswith(MARK_GLYPH) for line in lines) == 3
        await pilot.press("space")  # again on the same card: unmarked
        await settle(pilot)
        assert "2 marked" in status_of(app)
        await pilot.press("escape")
        await settle(pilot)
        assert board.marked == {}
        assert "marked" not in status_of(app)
        assert MARK_GLYPH not in screen_text(app)


async def test_marked_cards_move_together_and_one_undo_takes_them_all_back(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await mark_the_prospects(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert stages_of(PROSPECTS) == ["Contacted"] * 3
        assert [deal(t).version for t in PROSPECTS] == [2, 2, 2]
        assert "Moved 3 deals on a stage" in status_of(app)
        board = board_of(app)
        assert board.marked == {}  # done: the marks go
        assert [c.count for c in board.columns][:2] == [0, 3]
        await pilot.press("u")
        await settle(pilot)
        assert stages_of(PROSPECTS) == ["Prospecting"] * 3
        assert "Undid move of 3 deals" in status_of(app)
        assert StageChange.select().where(StageChange.undone_at.is_null(False)).count() == 3
        await pilot.press("u")  # the whole move was one step
        await settle(pilot)
        assert "Nothing to undo" in status_of(app)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert stages_of(PROSPECTS) == ["Contacted"] * 3


async def test_a_deal_changed_elsewhere_stops_the_whole_action_and_keeps_the_marks(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await mark_the_prospects(pilot)
        beta = deal("Beta pilot")
        deals.edit_deal(beta.id, title="Beta pilot (edited elsewhere)")
        await pilot.press("w")
        await settle(pilot)
        assert [d.status for d in Deal.select().order_by(Deal.id)] == [OPEN] * 4  # not one deal won
        assert f"#{beta.id}" in status_of(app) and "changed by someone else" in status_of(app)
        assert len(board_of(app).marked) == 3
        assert "3 marked" in status_of(app)


async def test_marked_cards_are_lost_with_one_reason_and_won_with_one_key(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await mark_the_prospects(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, LoseDialog)
        await pilot.press(*"Budget cut", "enter")
        await settle(pilot)
        assert [(deal(t).status, deal(t).lost_reason) for t in PROSPECTS] == [(LOST, "Budget cut")] * 3
        assert "Lost 3 deals (Budget cut)" in status_of(app)
        await pilot.press("u")
        await settle(pilot)
        assert [(deal(t).status, deal(t).lost_reason) for t in PROSPECTS] == [(OPEN, None)] * 3
        await pilot.press("g", "space", "j", "space", "w")
        await settle(pilot)
        assert [deal(t).status for t in PROSPECTS] == [WON, WON, OPEN]


async def test_marked_cards_are_given_to_a_rep(app, pipeline):  
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space", "j", "j", "space", "a")  # Acme and Gamma, both Maya's
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        await pilot.press("enter")  # Jonas Weber, first by name
        await settle(pilot)
        assert [deal(t).owner_id for t in ("Acme rollout", "Gamma renewal")] == [pipeline["jonas"].id] * 2
        assert "Gave 2 deals to Jonas Weber" in status_of(app)
        assert board_of(app).marked == {}
        await pilot.press("u")  # one step: both deals are Maya's again
        await settle(pilot)
        assert [deal(t).owner_id for t in ("Acme rollout", "Gamma renewal")] == [pipeline["maya"].id] * 2
        assert "Undid reassignment of 2 deals" in status_of(app)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [deal(t).owner_id for t in ("Acme rollout", "Gamma renewal")] == [pipeline["jonas"].id] * 2
        await pilot.press("g", "a")  # no marks: the deal under the cursor
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        await pilot.press("end", "enter")  # Maya Patel, the last of two
        await settle(pilot)
        assert deal("Acme rollout").owner_id == pipeline["maya"].id
        assert "Gave Acme rollout to Maya Patel" in status_of(app)
        await pilot.press("u")
        await settle(pilot)
        assert deal("Acme rollout").owner_id == pipeline["jonas"].id


def test_one_undo_step_is_all_or_nothing(db, pipeline):  
    """Undo of a bulk move meets a deal changed since: no deal goes back."""
    prospects = [Deal.get(Deal.title == t) for t in PROSPECTS]
    refs = [bulk.DealRef(d.id, d.title, d.version, d.stage_id) for d in prospects]
    contacted = lookup.resolve_stage("Contacted")
    log = UndoLog()
    log.record(changes_of("move", "move of 3 deals", bulk.move(refs, contacted)))
    deals.edit_deal(prospects[2].id, title="Gamma renewal (edited elsewhere)")
    with pytest.raises(ConflictError):
        log.undo()
    assert [Deal.get_by_id(d.id).stage.name for d in prospects] == ["Contacted"] * 3
    assert StageChange.select().where(StageChange.undone_at.is_null(False)).count() == 0
    assert log.can_undo and not log.can_redo


def test_a_bulk_step_moves_each_deal_on_from_its_own_stage(db, pipeline):  
    chosen = [Deal.get(Deal.title == t) for t in ("Acme rollout", "Delta expansion")]
    refs = [bulk.DealRef(d.id, d.title, d.version, d.stage_id) for d in chosen]
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        bulk.step(refs, 1)
    assert [Deal.get_by_id(d.id).stage.name for d in chosen] == ["Contacted", "Meeting"]


# --- triage ------------------------------------------------------------------


async def open_triage(pilot, app) -> None:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(app.screen, TriageScreen)


def marked_rows(app) -> list[str]:
    listing = app.screen.query_one("#queue", OptionList)
    rows = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
    return [row.split()[1] for row in rows if row.startswith(TRIAGE_MARK)]


def triage_status(app) -> str:
    return str(app.screen.query_one("#triage-status").render())


async def test_marked_rows_in_triage_are_won_together_and_undone_in_one_step(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "j", "space", "j", "space")
            await settle(pilot)
            assert marked_rows(app) == ["O", "P", "N"]
            assert "3 marked" in str(app.screen.query_one("#triage-title").render())
            await pilot.press("w")
            await settle(pilot)
            assert [deal(t).status for t in ("O", "P", "N")] == [WON] * 3
            assert "Won 3 deals" in triage_status(app)
            assert app.screen.marked == {} and marked_rows(app) == []
            await pilot.press("u")
            await settle(pilot)
            assert [deal(t).status for t in ("O", "P", "N")] == [OPEN] * 3
            assert "Undid win of 3 deals" in triage_status(app)


async def test_marked_rows_move_each_from_its_own_stage(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "j", "space", "L")  # O in Prospecting, P in Contacted
            await settle(pilot)
            assert [deal(t).stage.name for t in ("O", "P")] == ["Contacted", "Qualified"]
            assert "Moved 2 deals on a stage" in triage_status(app)


async def test_a_marked_row_changed_elsewhere_stops_the_loss_of_all(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("j", "space", "j", "j", "space")  # P and R
            await settle(pilot)
            assert marked_rows(app) == ["P", "R"]
            await pilot.press("x")
            await settle(pilot)
            assert isinstance(app.screen, LoseDialog)
            # Changed while the dialog is open: the queue behind it is not read again meanwhile.
            late = deal("R")
            deals.edit_deal(late.id, title="R (edited elsewhere)")
            await pilot.press(*"No budget", "enter")
            await settle(pilot)
            assert [d.status for d in Deal.select().where(Deal.status == LOST)] == []
            assert f"#{late.id}" in triage_status(app) and "changed by someone else" in triage_status(app)
            assert sorted(app.screen.marked) == sorted([deal("P").id, late.id])  # the marks stay


async def test_escape_in_triage_clears_the_marks_before_it_goes_back(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "escape")
            await settle(pilot)
            assert isinstance(app.screen, TriageScreen) and marked_rows(app) == []
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, TriageScreen)


async def test_marked_rows_snooze_their_due_activities_together(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "j", "space", "s")  # O (Ping, overdue) and P (Follow, Dec 1)
            await settle(pilot)
            assert isinstance(app.screen, PickDialog)
            await pilot.press("end", "enter")  # +1 week, the last choice
            await settle(pilot)
            due = {a.subject: a.due_date for a in Activity.select()}
            # Each from its own day: an overdue one from today.
            assert (due["Ping"], due["Follow"]) == (dt.date(2026, 12, 4), dt.date(2026, 12, 8))
            assert "Snoozed the due activities of 2 deals by 7 days" in triage_status(app)
            await pilot.press("u")
            await settle(pilot)
            due = {a.subject: a.due_date for a in Activity.select()}
            assert (due["Ping"], due["Follow"]) == (dt.date(2026, 11, 25), dt.date(2026, 12, 1))


async def test_a_marked_row_without_an_activity_stops_done_for_all(day, db):  # noqa: F811
    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "j", "j", "space", "d")  # O, and N with no next step
            await settle(pilot)
            assert not Activity.get(Activity.subject == "Ping").done
            assert "N has no activity to mark done" in triage_status(app)
            await pilot.press("space", "d")  # N unmarked: O's call is done
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").done


async def test_a_field_is_set_on_marked_cards_in_one_step_and_undone_in_one(app, pipeline):
    from pipetui.core import fields

    fields.add_field("Source", "choice", choices="Web,Referral")
    async with app.run_test(size=(120, 30)) as pilot:
        await mark_the_prospects(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)  # which field
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)  # which value: Web, Referral, (empty)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert [fields.held_values(deal(t).id) for t in PROSPECTS] == [{"source": "Referral"}] * 3
        assert "Set Source on 3 deals" in status_of(app)
        assert board_of(app).marked == {}
        await pilot.press("u")
        await settle(pilot)
        assert [fields.held_values(deal(t).id) for t in PROSPECTS] == [{}] * 3
        assert "Undid Source set of 3 deals" in status_of(app)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert [fields.held_values(deal(t).id) for t in PROSPECTS] == [{"source": "Referral"}] * 3
        # No marks: the deal under the cursor; a typed value that fails its type changes nothing.
        fields.add_field("Budget", "money")
        await pilot.press("g", "F")
        await settle(pilot)
        await pilot.press("end", "enter")  # Budget, the last field
        await settle(pilot)
        await pilot.press(*"lots", "enter")
        await settle(pilot)
        assert "Budget 'lots' is not an amount" in status_of(app)
        assert fields.held_values(deal("Acme rollout").id) == {"source": "Referral"}


async def test_a_board_without_custom_fields_says_where_to_add_one(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert not isinstance(app.screen, PickDialog)
        assert "No custom field" in status_of(app)


async def test_marked_rows_in_triage_are_given_to_a_rep_and_get_a_field(day, db):  # noqa: F811
    from pipetui.core import fields

    fields.add_field("Source", "text")
    with clock.frozen(TRIAGE_NOW):
        jonas = people.add_rep("Jonas Weber")
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("space", "j", "space", "A")
            await settle(pilot)
            assert isinstance(app.screen, PickDialog)
            await pilot.press("end", "enter")  # Jonas Weber, last by name
            await settle(pilot)
            assert [deal(t).owner_id for t in ("O", "P")] == [jonas.id] * 2
            assert "Gave 2 deals to Jonas Weber" in triage_status(app)
            await pilot.press("space", "j", "space")
            await settle(pilot)
            marked = sorted(item.title for item in app.screen.marked.values())
            await pilot.press("F")
            await settle(pilot)
            await pilot.press("enter")  # Source
            await settle(pilot)
            await pilot.press(*"Web", "enter")
            await settle(pilot)
            assert len(marked) == 2
            assert [fields.held_values(deal(t).id) for t in marked] == [{"source": "Web"}] * 2
            await pilot.press("u")
            await settle(pilot)
            assert [fields.held_values(deal(t).id) for t in marked] == [{}] * 2
            assert [deal(t).owner_id for t in ("O", "P")] == [jonas.id] * 2  # only the last step
