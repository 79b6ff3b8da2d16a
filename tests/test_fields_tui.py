"""The custom fields screen (f in the pipeline settings), driven by keys and
checked against the database and the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len
from test_board import board_of, settle
from textual.widgets import OptionList

from pipetui.core import clock, deals, fields, lookup, stages
from pipetui.core.money import Money
from pipetui.store import CustomValue
from pipetui.tui.app import PipetuiApp
from pipetui.tui.dialogs import ConfirmDialog, PickDialog
from pipetui.tui.screens.board import BoardScreen
from pipetui.tui.screens.fields import CustomFieldsScreen, field_rows
from pipetui.tui.screens.stages import PipelineSettingsScreen

NOW = dt.datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def app(sqlite_db):
    """A deal in Sales with a source, a Renewals pipeline with a field of its own,
    and a field of organizations and of contacts."""
    with clock.frozen(NOW):
        acme = deals.create_deal("Acme rollout", Money(30_000_00, "USD"), stage=lookup.resolve_stage("Meeting"))
        stages.add_pipeline("Renewals", stages=["Up for renewal", "Renewed"])
        fields.add_field("Source", "choice", choices="Web,Referral,Event", on_card=True)
        fields.add_field("Notice period", "number", pipeline="Renewals")
        fields.add_field("Tier", "choice", entity="organization", choices="Gold,Silver")
        fields.add_field("Birthday", "date", entity="contact", required=True)
        fields.set_values(acme.id, {"Source": "Web"})
        yield PipetuiApp(db=sqlite_db, location="test.db")


async def open_fields(pilot) -> CustomFieldsScreen:
    await settle(pilot)
    await pilot.press("P")
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CustomFieldsScreen)
    return pilot.app.screen


async def answer(pilot, text: str) -> None:
    """Type into the dialog in front and press Enter."""
    assert isinstance(pilot.app.screen, PickDialog)
    await pilot.press(*text, "enter")
    await settle(pilot)


async def pick(pilot, label: str) -> None:
    """Pick the choice whose label starts with ``label`` in the dialog in front."""
    dialog = pilot.app.screen
    assert isinstance(dialog, PickDialog)
    index = next(i for i, (shown, _) in enumerate(dialog.choices) if shown.startswith(label))
    await pilot.press(*["down"] * index, "enter")
    await settle(pilot)


def list_lines(screen) -> list[str]:
    listing = screen.query_one("#fields-list")
    return [listing.render_line(y).text.rstrip() for y in range(listing.size.height)]


def status(screen) -> str:
    return str(screen.query_one("#fields-status").render())


def names() -> list[str]:
    return [f.name for f in fields.definitions(None)]


def select(screen, name: str) -> None:
    screen.query_one("#fields-list").highlighted = [f.name for f in screen.fields].index(name)


async def test_it_lists_the_fields_that_apply_to_the_pipeline_shown(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        assert [f.name for f in screen.fields] == ["Source", "Tier", "Birthday"]  # not Renewals' own
        lines = list_lines(screen)
        source = next(line for line in lines if "Source" in line)
        assert "Deals" in source and "choice: Web, Referral, Event" in source
        assert "all pipelines" in source and "on cards" in source
        assert "Organizations" in next(line for line in lines if "Tier" in line)
        birthday = next(line for line in lines if "Birthday" in line)
        assert "Contacts" in birthday and "required" in birthday
        assert "Sales" in str(screen.query_one("#fields-title").render())
        # In the Renewals pipeline, its own field shows, named by its pipeline.
        await pilot.press("b", "s")
        await settle(pilot)
        await pick(pilot, "Renewals")
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert [f.name for f in screen.fields] == ["Source", "Notice period", "Tier", "Birthday"]
        notice = next(line for line in list_lines(screen) if "Notice period" in line)
        assert "number" in notice and "Renewals" in notice


async def test_a_adds_a_field_through_its_dialogs(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        # A choice field of this pipeline's deals: name, records, type, choices, pipeline.
        await pilot.press("a")
        await answer(pilot, "Lead channel")
        await pick(pilot, "Deals")
        await pick(pilot, "choice")
        await answer(pilot, "Ads, Partner")
        await pick(pilot, "Sales only")
        added = fields.resolve_field("Lead channel")
        assert (added.type, added.choices, added.pipeline) == ("choice", ("Ads", "Partner"), "Sales")
        assert screen.current.name == "Lead channel"  # the new field is selected
        assert "Added deal field Lead channel" in status(screen)
        # An organization's field is asked no pipeline.
        await pilot.press("a")
        await answer(pilot, "Employees")
        await pick(pilot, "Organizations")
        await pick(pilot, "number")
        assert isinstance(app.screen, CustomFieldsScreen)
        employees = fields.resolve_field("Employees", "organization")
        assert (employees.type, employees.pipeline) == ("number", None)
        # Esc at any step adds nothing.
        await pilot.press("a")
        await answer(pilot, "Half made")
        await pilot.press("escape")
        await settle(pilot)
        assert "Half made" not in names()


async def test_a_refuses_a_taken_name_and_a_choice_field_without_choices(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        before = names()
        await pilot.press("a")
        await answer(pilot, "source")
        await pick(pilot, "Deals")
        await pick(pilot, "text")
        await pick(pilot, "Every")
        assert "there is already a deal field 'Source'" in status(screen)
        assert "error" in repr(screen.query_one("#fields-status").render().spans)  # said as an error
        await pilot.press("a")
        await answer(pilot, "Channel")
        await pick(pilot, "Deals")
        await pick(pilot, "multi")
        await answer(pilot, " , ,")
        await pick(pilot, "Every")
        assert "a multi field needs its choices" in status(screen)
        assert names() == before


async def test_r_renames_and_t_changes_the_type(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        select(screen, "Source")
        await pilot.press("r")
        await answer(pilot, "Lead source")
        assert fields.resolve_field("source").name == "Lead source"  # the key stays
        # choice -> multi keeps its choices and its value.
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        assert "(now)" in app.screen.choices[4][0]  # choice, as it is
        await pick(pilot, "multi")
        changed = fields.resolve_field("source")
        assert (changed.type, changed.choices) == ("multi", ("Web", "Referral", "Event"))
        assert "Lead source is now a multi: Web, Referral, Event field" in status(screen)
        # A type its value would not fit: refused with the count, nothing written.
        await pilot.press("t")
        await pick(pilot, "date")
        assert "changing Lead source would lose 1 value" in status(screen)
        assert fields.resolve_field("source").type == "multi"
        assert CustomValue.get().value == "Web"
        # text -> choice asks the choices first.
        select(screen, "Tier")
        await pilot.press("t")
        await pick(pilot, "text")
        assert fields.resolve_field("Tier", "organization").type == "text"
        await pilot.press("t")
        await pick(pilot, "choice")
        await answer(pilot, "Gold, Silver, Bronze")
        assert fields.resolve_field("Tier", "organization").choices == ("Gold", "Silver", "Bronze")


async def test_c_changes_the_choices_of_a_choice_field_only(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        select(screen, "Source")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.query_one("#typed").value == "Web, Referral, Event"  # to be edited
        await answer(pilot, ", Trade fair")
        assert fields.resolve_field("Source").choices == ("Web", "Referral", "Event", "Trade fair")
        # A choice a value holds cannot go.
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#typed").value = ""
        await answer(pilot, "Referral, Event")
        assert "would lose 1 value" in status(screen)
        assert fields.resolve_field("Source").choices == ("Web", "Referral", "Event", "Trade fair")
        # A date field has no choices: said, no dialog.
        select(screen, "Birthday")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen
        assert "Birthday is a date field: only a choice or multi field has choices" in status(screen)


async def test_R_and_v_switch_required_and_on_cards(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        select(screen, "Birthday")
        await pilot.press("R")
        await settle(pilot)
        assert not fields.resolve_field("Birthday", "contact").required
        assert "Birthday is no longer required" in status(screen)
        await pilot.press("v")
        await settle(pilot)
        assert "only deal fields show on cards" in status(screen)
        select(screen, "Source")
        await pilot.press("R")
        await settle(pilot)
        assert fields.resolve_field("Source").required
        await pilot.press("v")
        await settle(pilot)
        assert not fields.resolve_field("Source").on_card
        assert "Source no longer shows on the cards" in status(screen)
        await pilot.press("v")
        await settle(pilot)
        assert fields.resolve_field("Source").on_card
        # Two on the cards at most.
        fields.add_field("Budget", "money", on_card=True)
        fields.add_field("Region", "text")
        await settle(pilot)  # another change: the list reads it on the next one
        screen.reload()
        await settle(pilot)
        select(screen, "Region")
        await pilot.press("v")
        await settle(pilot)
        assert "cards of Sales already show 2 fields" in status(screen)
        assert not fields.resolve_field("Region").on_card


async def test_D_deletes_a_field_and_says_how_many_values_go_with_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        select(screen, "Tier")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "Tier" not in names()
        assert "Deleted field Tier" in status(screen)
        # Source holds a value: the question says so, n keeps it, y deletes it and its value.
        select(screen, "Source")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "its 1 value" in app.screen.dialog_title
        await pilot.press("n")
        await settle(pilot)
        assert "Source" in names() and CustomValue.select().count() == 1
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Source" not in names() and CustomValue.select().count() == 0
        assert "Deleted field Source and its 1 value" in status(screen)


async def test_back_on_the_board_the_cards_show_the_fields_chosen(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert board_of(app).card_lines == 5  # Source is on the cards
        screen = await open_fields(pilot)
        select(screen, "Source")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, PipelineSettingsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert board_of(app).card_lines == 4  # read again: no field on the cards


@pytest.mark.parametrize("size", [(80, 24), (40, 12)])
async def test_rows_fit_the_screen_without_wrapping(app, size):
    fields.add_field("A rather long field name that goes on", "multi",
                     choices="Manufacturing,Retail,Public sector,Healthcare")
    async with app.run_test(size=size) as pilot:
        screen = await open_fields(pilot)
        lines = [line for line in list_lines(screen) if line.strip()]
        found = len(screen.fields)
        narrow = size[0] < 60
        assert len(lines) == found * (2 if narrow else 1)  # no row wraps onto more lines
        assert all(cell_len(line) <= size[0] for line in lines)
        assert screen.query_one("#fields-header").display is not narrow
        if narrow:
            assert lines[0].strip().startswith("Source") and lines[0].endswith("on cards")
            assert lines[1].strip().startswith("deals · all pipelines · choice: W")


async def test_rows_follow_the_screen_s_width(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        assert len([line for line in list_lines(screen) if line.strip()]) == 3
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        assert len([line for line in list_lines(screen) if line.strip()]) == 6


def test_field_rows_cut_long_names_and_choices_to_the_width():
    long = fields.FieldDef(1, "k", "N" * 80, "deal", "choice", tuple(f"Choice {i}" for i in range(30)),
                           True, 7, "P" * 50, 0, True)
    for width in (36, 60, 76, 116):
        header, rows = field_rows([long], width)
        assert all(cell_len(line) <= width for row in rows for line in row.plain.split("\n"))
        assert (header is None) == (width < 76)
        assert rows[0].plain.startswith("NNNNNN") and "…" in rows[0].plain


async def test_user_text_is_shown_escaped(app):
    fields.rename_field("Tier", "Tier [b]x[/b]", entity="organization")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        assert any("Tier [b]x[/b]" in line for line in list_lines(screen))


async def test_a_reload_for_someone_else_s_change_keeps_the_field_a_change_selected(app):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_fields(pilot)
        last = screen.fields[-1]
        screen.reload(select=last.id)
        screen.reload()  # DataChanged: another process wrote; the first read is cancelled
        for _ in range(20):
            await pilot.pause(0.05)
        assert screen.fields[screen.query_one("#fields-list", OptionList).highlighted].id == last.id
