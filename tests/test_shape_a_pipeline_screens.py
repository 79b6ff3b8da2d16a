"""Issue 14's acceptance, from the screens alone: on a new database, keys
shape Pipedrive's default pipeline and a "Renewals" pipeline of three
stages, define a choice, a money and a date field, and set them on deals in
the deal editor; the board's cards show the fields chosen for cards, and the
report splits by pipeline. (tests/test_shape_a_pipeline.py does the same
from the command line.)"""

from __future__ import annotations

from test_board import board_of, screen_text, settle, status_of

from pipetui.core import deals, fields, lookup, metrics
from pipetui.core.dates import parse_period
from pipetui.store import Deal
from pipetui.tui.app import PipetuiApp
from pipetui.tui.dialogs import ConfirmDialog, PickDialog
from pipetui.tui.screens.board import BoardScreen
from pipetui.tui.screens.editor import DealEditor
from pipetui.tui.screens.fields import CustomFieldsScreen
from pipetui.tui.screens.stages import PipelineSettingsScreen

PIPEDRIVE = ["Qualified", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"]
RENEWALS = ["Up for renewal", "Renewal proposal", "Renewed"]


async def answer(pilot, text: str) -> None:
    """Type into the dialog in front and press Enter."""
    assert isinstance(pilot.app.screen, PickDialog), pilot.app.screen
    await pilot.press(*text, "enter")
    await settle(pilot)


async def pick(pilot, label: str) -> None:
    """Move to the choice whose label starts with ``label`` and press Enter."""
    dialog = pilot.app.screen
    assert isinstance(dialog, PickDialog), dialog
    index = next(i for i, (shown, _) in enumerate(dialog.choices) if shown.startswith(label))
    await pilot.press(*["down"] * index, "enter")
    await settle(pilot)


async def keys(pilot, *pressed: str) -> None:
    await pilot.press(*pressed)
    await settle(pilot)


async def tab_to(pilot, wanted: str) -> None:
    """Press Tab until the editor's field ``wanted`` (its label) has focus."""
    editor = pilot.app.screen
    assert isinstance(editor, DealEditor)
    ids = {"Title": "title", "Value": "value"}
    ids.update({f.name: f"custom-{f.id}" for f in editor.form.custom})
    for _ in range(40):
        if pilot.app.focused is not None and pilot.app.focused.id == ids[wanted]:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached {wanted}")


async def fill(pilot, values: dict[str, str]) -> None:
    """Type each value into its field of the deal editor (after what it holds)."""
    for label, text in values.items():
        await tab_to(pilot, label)
        await pilot.press(*text)
    await settle(pilot)


async def test_a_new_database_is_shaped_from_the_screens(sqlite_db):
    app = PipetuiApp(db=sqlite_db, location="test.db")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        # Sales: Prospecting, Contacted, Qualified, Meeting, Proposal, Negotiation, Closing.
        await keys(pilot, "P")
        assert isinstance(app.screen, PipelineSettingsScreen)
        await keys(pilot, "D")
        assert isinstance(app.screen, ConfirmDialog)
        await keys(pilot, "y")  # Prospecting
        await keys(pilot, "r")
        await answer(pilot, "Contact made")
        await keys(pilot, "down", "left_square_bracket")  # Qualified first
        await keys(pilot, "down", "down", "r")
        await answer(pilot, "Demo scheduled")
        await keys(pilot, "down", "r")
        await answer(pilot, "Proposal made")
        await keys(pilot, "down", "r")
        await answer(pilot, "Negotiations started")
        await keys(pilot, "down", "D", "y")  # Closing
        assert [s.name for s in lookup.stages()] == PIPEDRIVE

        await keys(pilot, "N")
        await answer(pilot, "Renewals")
        await answer(pilot, ", ".join(RENEWALS))
        assert "Pipeline Renewals: 3 stages" in str(app.screen.query_one("#stages-title").render())

        await keys(pilot, "f")
        assert isinstance(app.screen, CustomFieldsScreen)
        for name, type_, choices, on_cards in (("Source", "choice", "Web,Referral,Event", True),
                                                ("Budget", "money", None, True),
                                                ("Renewal date", "date", None, False)):
            await keys(pilot, "a")
            await answer(pilot, name)
            await pick(pilot, "Deals")
            await pick(pilot, type_)
            if choices:
                await answer(pilot, choices)
            await pick(pilot, "Every pipeline")
            if on_cards:
                await keys(pilot, "v")
        assert [(f.name, f.type, f.on_card) for f in fields.definitions()] == [
            ("Source", "choice", True), ("Budget", "money", True), ("Renewal date", "date", False)]

        # Back to Sales, and to the board.
        await keys(pilot, "b", "s")
        await pick(pilot, "Sales")
        await keys(pilot, "b")
        assert isinstance(app.screen, BoardScreen)
        assert [c.name for c in board_of(app).columns] == PIPEDRIVE
        assert "pipeline: Sales" in status_of(app)

        # A deal in Demo scheduled, then its editor sets the three fields.
        await keys(pilot, "l", "l", "n")
        await fill(pilot, {"Title": "Acme GmbH - rollout", "Value": "12000"})
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        await keys(pilot, "enter")
        assert isinstance(app.screen, DealEditor)
        await fill(pilot, {"Source": "Web", "Budget": "EUR 1,500", "Renewal date": "2027-06-01"})
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        card = board_of(app).current_card
        assert (card.title, card.fields) == ("Acme GmbH - rollout", ("Web", "1,500 EUR"))
        assert "Web · 1,500 EUR" in screen_text(app)

        # A deal in Renewals.
        await keys(pilot, "p")
        await pick(pilot, "Renewals")
        assert [c.name for c in board_of(app).columns] == RENEWALS
        await keys(pilot, "h", "h")  # the cursor kept its column: to the first
        assert board_of(app).current_column.name == "Up for renewal"
        await keys(pilot, "n")
        await fill(pilot, {"Title": "Globex - renewal", "Value": "5000", "Source": "Referral"})
        await keys(pilot, "ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        assert board_of(app).current_card.fields == ("Referral",)
        assert "Referral" in screen_text(app)
        assert [c.count for c in board_of(app).columns] == [1, 0, 0]

    assert [s.name for s in lookup.stages(lookup.resolve_pipeline("Renewals"))] == RENEWALS
    acme = Deal.get(Deal.title == "Acme GmbH - rollout")
    assert acme.stage.name == "Demo scheduled"
    assert {f.name: fields.display_text(f, v) for f, v in fields.deal_field_texts(deals.get_deal(acme.id))} == {
        "Source": "Web", "Budget": "1,500 EUR", "Renewal date": "2027-06-01"}
    period = parse_period("this-quarter")
    both = metrics.as_json(metrics.report(period))
    renewals = lookup.resolve_pipeline("Renewals")
    only_renewals = metrics.as_json(metrics.report(period, pipeline=renewals))
    only_sales = metrics.as_json(metrics.report(period, pipeline=lookup.resolve_pipeline("Sales")))
    assert both["health"]["open_deals"] == 2
    assert only_renewals["health"]["open_deals"] == 1 and only_renewals["pipeline"] == "Renewals"
    assert only_sales["health"]["open_deals"] == 1
