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
