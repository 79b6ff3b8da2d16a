"""The pipeline settings screen (P) and the pipeline switch (p) on the board."""

from __future__ import annotations

import datetime as dt

import pytest
from test_board import board_of, settle, status_of

from pipetui.core import clock, deals, lookup, stages
from pipetui.core.money import Money
from pipetui.store import Deal
from pipetui.tui.app import PipetuiApp
from pipetui.tui.dialogs import ConfirmDialog, PickDialog
from pipetui.tui.screens.board import BoardScreen
from pipetui.tui.screens.stages import PipelineSettingsScreen

NOW = dt.datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def app(sqlite_db):
    with clock.frozen(NOW):
        deals.create_deal("Acme rollout", Money(30_000_00, "USD"), stage=lookup.resolve_stage("Meeting"))
        renewals = stages.add_pipeline("Renewals", stages=["Up for renewal", "Renewed"])
        deals.create_deal("Acme renewal", Money(9_000_00, "USD"), stage=lookup.stages(renewals)[1])
        yield PipetuiApp(db=sqlite_db, location="test.db")


async def type_text(pilot, text: str) -> None:
    for character in text:
        await pilot.press("space" if character == " " else character)


async def test_p_switches_the_board_to_another_pipeline(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert [c.name for c in board_of(app).columns][0] == "Prospecting"
        assert "pipeline: Sales" in status_of(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        board = board_of(app)
        assert [c.name for c in board.columns] == ["Up for renewal", "Renewed"]
        assert [c.count for c in board.columns] == [0, 1]
        assert "pipeline: Renewals" in status_of(app)
        assert app.pipeline_id == lookup.resolve_pipeline("Renewals").id


async def test_the_settings_screen_shapes_the_stages_of_the_board_s_pipeline(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, PipelineSettingsScreen)
        # On Prospecting: add a stage after it.
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Discovery")
        await pilot.press("enter")
        await settle(pilot)
        assert [s.name for s in lookup.stages()][:3] == ["Prospecting", "Discovery", "Contacted"]
        # The new stage is selected: its probability, rotting days, a rename and a move up.
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "15")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "9")
        await pilot.press("enter")
        await settle(pilot)
        discovery = lookup.resolve_stage("Discovery")
        assert (discovery.probability, discovery.rotting_days) == (15, 9)
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "Demo")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert [s.name for s in lookup.stages()][:2] == ["Demo", "Prospecting"]
        # A bad answer is said, and changes nothing.
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "150")
        await pilot.press("enter")
        await settle(pilot)
        assert "probability '150'" in str(app.screen.query_one("#stages-status").render())
        assert lookup.resolve_stage("Demo").probability == 15
        # Delete Meeting, which holds a deal: it goes to the stage picked.
        listing = app.screen.query_one("#stages-list")
        listing.highlighted = [s.name for s in lookup.stages()].index("Meeting")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        picked = [name for name, _ in app.screen.choices].index("Proposal")
        for _ in range(picked):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert "Meeting" not in [s.name for s in lookup.stages()]
        assert Deal.get(Deal.title == "Acme rollout").stage.name == "Proposal"
        # An empty stage asks first.
        listing.highlighted = 0
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "Demo" not in [s.name for s in lookup.stages()]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert "Meeting" not in [c.name for c in board_of(app).columns]


def settings_status(app) -> str:
    return str(app.screen.query_one("#stages-status").render())


def stage_rows(app) -> list[str]:
    listing = app.screen.query_one("#stages-list")
    return [line for line in (listing.render_line(y).text.rstrip() for y in range(listing.size.height)) if line]


async def open_settings(pilot) -> PipelineSettingsScreen:
    await settle(pilot)
    await pilot.press("P")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PipelineSettingsScreen)
    return pilot.app.screen


async def answer(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, PickDialog)
    await pilot.press(*text, "enter")
    await settle(pilot)


async def test_N_adds_a_pipeline_with_its_stages_and_shows_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("N")
        await answer(pilot, "Partners")
        await answer(pilot, "Signed up, Certified,  , Active")
        partners = lookup.resolve_pipeline("Partners")
        assert [s.name for s in lookup.stages(partners)] == ["Signed up", "Certified", "Active"]
        assert screen.pipeline_id == partners.id
        assert "Pipeline Partners: 3 stages" in str(screen.query_one("#stages-title").render())
        assert [row.split(".", 1)[1].split()[0] for row in stage_rows(app)] == ["Signed", "Certified", "Active"]
        # Left empty (Enter on the one choice): one stage, New, shaped at once.
        await pilot.press("N")
        await answer(pilot, "Resellers")
        await pilot.press("enter")
        await settle(pilot)
        resellers = lookup.resolve_pipeline("Resellers")
        assert [s.name for s in lookup.stages(resellers)] == ["New"]
        await pilot.press("r")
        await answer(pilot, "Applied")
        assert [s.name for s in lookup.stages(resellers)] == ["Applied"]
        # A taken name is refused, and nothing is added.
        await pilot.press("N")
        await answer(pilot, "renewals")
        await pilot.press("enter")
        await settle(pilot)
        assert "there is already a pipeline 'Renewals'" in settings_status(app)
        assert len(lookup.pipelines()) == 4 and screen.pipeline_id == resellers.id
        # Esc at the stages adds nothing.
        await pilot.press("N")
        await answer(pilot, "Half made")
        await pilot.press("escape")
        await settle(pilot)
        assert len(lookup.pipelines()) == 4


async def test_s_switches_the_pipeline_and_R_renames_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_settings(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        assert [label.split()[0] for label, _ in app.screen.choices] == ["Sales", "Renewals"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.pipeline_id == lookup.resolve_pipeline("Renewals").id
        assert len(stage_rows(app)) == 2 and "Up for renewal" in stage_rows(app)[0]
        await pilot.press("R")
        await answer(pilot, "Renewals 2027")
        assert [p.name for p in lookup.pipelines()] == ["Sales", "Renewals 2027"]
        assert "Pipeline Renewals 2027" in str(screen.query_one("#stages-title").render())
        await pilot.press("R")
        await answer(pilot, "sales")
        assert "there is already a pipeline 'Sales'" in settings_status(app)
        assert [p.name for p in lookup.pipelines()] == ["Sales", "Renewals 2027"]


async def test_A_archives_a_pipeline_unless_core_refuses(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_settings(pilot)
        # Renewals holds an open deal: refused, said, nothing changes.
        await pilot.press("s", "down", "enter")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "pipeline 'Renewals' has 1 open deal" in settings_status(app)
        assert len(lookup.pipelines()) == 2
        # An empty one goes, and the screen shows another.
        await pilot.press("N")
        await answer(pilot, "Trial")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert len(lookup.pipelines()) == 3
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [p.name for p in lookup.pipelines()] == ["Sales", "Renewals"]
        assert screen.pipeline_id == lookup.resolve_pipeline("Sales").id
        assert "Archived pipeline Trial; showing Sales" in settings_status(app)


async def test_A_refuses_the_only_pipeline(sqlite_db):
    app = PipetuiApp(db=sqlite_db, location="test.db")
    async with app.run_test(size=(120, 30)) as pilot:
        await open_settings(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "'Sales' is the only pipeline in use" in settings_status(app)
        await pilot.press("s")
        await settle(pilot)
        assert "There is one pipeline; N adds another" in settings_status(app)


async def test_the_board_shows_the_pipeline_the_settings_showed_last(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("l", "l", "l", "L")  # Acme rollout to Proposal: a change the board could undo
        await settle(pilot)
        board = app.screen
        assert board.undo_log.can_undo
        await open_settings(pilot)
        await pilot.press("N")
        await answer(pilot, "Partners")
        await answer(pilot, "Signed up, Active")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        partners = lookup.resolve_pipeline("Partners")
        assert app.pipeline_id == partners.id and board.filter.pipeline_id == partners.id
        assert [c.name for c in board_of(app).columns] == ["Signed up", "Active"]
        assert "pipeline: Partners" in status_of(app)
        assert not board.undo_log.can_undo  # its changes were made on another board
        # Switching alone (no change) is followed too.
        await open_settings(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")  # Sales, the first
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert [c.name for c in board_of(app).columns][0] == "Prospecting"
        assert app.pipeline_id == lookup.resolve_pipeline("Sales").id


async def test_the_board_keeps_its_pipeline_and_undo_when_the_settings_changed_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("l", "l", "l", "L")
        await settle(pilot)
        board = app.screen
        await open_settings(pilot)
        await pilot.press("a")
        await answer(pilot, "Discovery")
        await pilot.press("escape")
        await settle(pilot)
        assert board.undo_log.can_undo
        assert "Discovery" in [c.name for c in board_of(app).columns]


@pytest.mark.parametrize("size", [(40, 12), (80, 24), (100, 30)])
async def test_stage_rows_take_one_line_at_any_width(app, size):
    stages.rename_stage("Negotiation", "Negotiations started")
    async with app.run_test(size=size) as pilot:
        await open_settings(pilot)
        rows = stage_rows(app)
        assert len(rows) == 7  # one line each: none wraps
        assert all(len(row) <= size[0] for row in rows)
        meeting = next(row for row in rows if "Meeting" in row)
        if size[0] >= 80:
            assert "rots after 14 days" in meeting and "1 open deal" in meeting
        else:
            assert meeting.split()[-2:] == ["1", "open"]
        await pilot.press("question_mark")
        await settle(pilot)
        assert "HelpDialog" in type(app.screen).__name__


async def test_n_on_another_pipeline_s_board_adds_a_deal_there_with_its_fields(app):
    from pipetui.core import fields
    from pipetui.tui.screens.editor import DealEditor

    fields.add_field("Notice period", "number", pipeline="Renewals")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p", "down", "enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, DealEditor)
        assert editor.form is not None, str(editor.query_one("#editor-status").render())
        assert [f.name for f in editor.form.custom] == ["Notice period"]
        await pilot.press(*"Globex renewal", "tab", *"5000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
    globex = Deal.get(Deal.title == "Globex renewal")
    assert (globex.pipeline.name, globex.stage.name) == ("Renewals", "Up for renewal")


async def test_stage_rows_follow_the_screen_s_width(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await open_settings(pilot)
        assert "rots after 14 days" in stage_rows(app)[0]
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        rows = stage_rows(app)
        assert len(rows) == 7 and "rot 14d" in rows[0] and all(len(row) <= 40 for row in rows)


async def test_a_reload_for_someone_else_s_change_keeps_the_stage_a_change_selected(app):
    """A change selects the stage it changed once the list is read again; a
    reload for another change that arrives meanwhile (and replaces that
    read) must not lose the selection: the next keys would act on another
    stage."""
    from textual.widgets import OptionList

    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_settings(pilot)
        last = lookup.stages()[-1]
        screen.reload(select=last.id)
        screen.reload()  # DataChanged: another process wrote; the first read is cancelled
        for _ in range(20):
            await pilot.pause(0.05)
        assert screen.query_one("#stages-list", OptionList).highlighted == len(lookup.stages()) - 1
