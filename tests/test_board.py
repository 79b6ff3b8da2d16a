"""The board, driven by keys, checked against the database and the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len

from pipetui.core import clock, deals, lookup, people
from pipetui.core.money import Money
from pipetui.store import LOST, OPEN, WON, Deal, StageChange
from pipetui.tui.app import PipetuiApp
from pipetui.tui.dialogs import ConfirmDialog, HelpDialog, LoseDialog, PickDialog
from pipetui.tui.screens.board import BoardScreen
from pipetui.tui.screens.editor import DealEditor
from pipetui.tui.widgets.board import BoardView

NOW = dt.datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def pipeline(sqlite_db):
    """Three deals in Prospecting, one in Qualified, by two reps."""
    with clock.frozen(NOW - dt.timedelta(days=3)):
        maya = people.add_rep("Maya Patel", username="maya")
        jonas = people.add_rep("Jonas Weber", username="jonas")
        acme = people.find_or_create_organization("Acme GmbH")
        prospecting, qualified = lookup.resolve_stage("Prosp"), lookup.resolve_stage("Qual")
        deals.create_deal("Acme rollout", Money(30_000_00, "USD"), stage=prospecting, owner=maya,
                          organization=acme)
        deals.create_deal("Beta pilot", Money(20_000_00, "USD"), stage=prospecting, owner=jonas)
        deals.create_deal("Gamma renewal", Money(10_000_00, "EUR"), stage=prospecting, owner=maya)
        deals.create_deal("Delta expansion", Money(5_000_00, "USD"), stage=qualified, owner=jonas)
    return {"maya": maya, "jonas": jonas}


async def settle(pilot) -> None:
    """Let every worker finish and every message be handled (loads trigger loads)."""
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def board_of(app) -> BoardView:
    return app.screen.query_one(BoardView)


def status_of(app) -> str:
    """The status line's text, once it is certain nothing covers it."""
    status = app.screen.query_one("#status")
    shown, _ = app.screen.get_widget_at(status.region.x + 1, status.region.y)
    assert shown is status, f"the status line is hidden under {shown}"
    return str(status.render())


def screen_text(app) -> str:
    board = board_of(app)
    return "\n".join(board.render_line(y).text for y in range(board.size.height))


def deal(title: str) -> Deal:
    return Deal.get(Deal.title == title)


@pytest.fixture
def app(sqlite_db, pipeline):
    with clock.frozen(NOW):
        yield PipetuiApp(db=sqlite_db, location="test.db", actor=pipeline["maya"])


async def test_board_shows_stages_totals_and_cards(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        board = board_of(app)
        assert [c.name for c in board.columns][:3] == ["Prospecting", "Contacted", "Qualified"]
        assert [c.count for c in board.columns][:3] == [3, 0, 1]
        text = screen_text(app)
        assert "Prospecting" in text and "$50k + €10k" in text  # currencies never added up
        assert "Acme rollout" in text and "Maya Patel" in text and "3d" in text
        assert "no deals" in text  # the empty Contacted column says so
        assert board.current_card.title == "Acme rollout"


async def test_cursor_keys_vim_and_arrows(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        board = board_of(app)
        await pilot.press("j")
        assert board.current_card.title == "Beta pilot"
        await pilot.press("down", "down")  # stops at the last card
        assert board.current_card.title == "Gamma renewal"
        await pilot.press("g")
        assert board.current_card.title == "Acme rollout"
        await pilot.press("G")
        assert board.current_card.title == "Gamma renewal"
        await pilot.press("k")
        assert board.current_card.title == "Beta pilot"
        await pilot.press("l")
        assert board.current_column.name == "Contacted" and board.current_card is None
        await pilot.press("right")
        await settle(pilot)
        assert board.current_card.title == "Delta expansion"
        await pilot.press("h", "left")
        await settle(pilot)
        assert board.current_column.name == "Prospecting"


async def test_moving_a_deal_records_history_and_the_cursor_follows_it(app, pipeline):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "L")
        await settle(pilot)
        moved = deal("Beta pilot")
        assert moved.stage.name == "Contacted" and moved.version == 2
        last = StageChange.select().where(StageChange.deal == moved).order_by(StageChange.id.desc()).first()
        assert last.changed_by_id == pipeline["maya"].id
        board = board_of(app)
        assert board.current_column.name == "Contacted"
        assert board.current_card.title == "Beta pilot"
        assert "Moved Beta pilot to Contacted" in status_of(app)
        await pilot.press("shift+right", "H")  # Qualified, then back to Contacted
        await settle(pilot)
        assert deal("Beta pilot").stage.name == "Contacted"
        assert StageChange.select().where(StageChange.deal == moved).count() == 4


async def test_win_undo_and_redo(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert deal("Acme rollout").status == WON
        board = board_of(app)
        assert board.columns[0].count == 2 and board.current_card.title == "Beta pilot"
        await pilot.press("u")
        await settle(pilot)
        assert deal("Acme rollout").status == OPEN
        assert board.current_card.title == "Acme rollout"  # the cursor is back on it
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert deal("Acme rollout").status == WON
        await pilot.press("u", "u")
        await settle(pilot)
        assert "Nothing to undo" in status_of(app)


async def test_lose_with_a_listed_or_a_typed_reason(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, LoseDialog)
        await pilot.press("down", "enter")  # the second reason on the list
        await settle(pilot)
        lost = deal("Acme rollout")
        assert (lost.status, lost.lost_reason) == (LOST, deals.lost_reasons()[1])
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("tab", *"Went [dark]", "enter")
        await settle(pilot)
        assert deal("Beta pilot").lost_reason == "Went [dark]"
        await pilot.press("x", "escape")  # cancelled: nothing changes
        await settle(pilot)
        assert deal("Gamma renewal").status == OPEN


async def test_a_reason_typed_without_tab_is_the_one_saved(app):
    """Typing while the list of reasons has focus goes to the reason field;
    Enter saves what was typed, not the highlighted reason."""
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"Went with in-house tool", "enter")
        await settle(pilot)
        lost = deal("Acme rollout")
        assert (lost.status, lost.lost_reason) == (LOST, "Went with in-house tool")


async def test_filter_as_you_type_then_clear(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"JONAS")
        await settle(pilot)
        board = board_of(app)
        assert [c.count for c in board.columns][:3] == [1, 0, 1]
        assert board.current_card.title == "Beta pilot"
        await pilot.press("enter", "j")  # Enter keeps the filter; keys move again
        assert "filter: JONAS" in status_of(app)
        await pilot.press("escape")
        await settle(pilot)
        assert [c.count for c in board.columns][:3] == [3, 0, 1]


async def test_owner_filter_mine_all_or_one_rep(app, pipeline):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, PickDialog)
        await pilot.press("down", "enter")  # "Mine (Maya Patel)"
        await settle(pilot)
        board = board_of(app)
        assert [c.count for c in board.columns][:3] == [2, 0, 0]
        assert "owner: Maya Patel" in status_of(app)
        await pilot.press("o", "enter")  # "All deals"
        await settle(pilot)
        assert [c.count for c in board.columns][:3] == [3, 0, 1]


async def test_help_lists_every_key(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpDialog)
        keys = str(app.screen.query_one("#keys").render())
        for words in ("Column to the left", "Move the deal to the next stage", "Mark the deal won",
                      "Undo the last change", "Redo what was undone", "Filter by title", "Quit"):
            assert words in keys
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_a_change_made_elsewhere_is_not_overwritten(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        deals.edit_deal(deal("Acme rollout").id, title="Acme rollout (edited elsewhere)")
        await pilot.press("L")
        await settle(pilot)
        stored = Deal.get_by_id(board_of(app).current_card.id)
        assert stored.stage.name == "Prospecting" and stored.title.endswith("(edited elsewhere)")
        assert "changed by someone else" in status_of(app)


async def test_q_quits(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert app.return_code == 0


HOSTILE = [
    "[bold]x[/",
    "[link=https://example.com]click[/link]",
    "Emoji deal 🚀🔥 launch",
    "漢字のディール 大型案件",
    "W" * 500,
]


async def test_hostile_titles_show_literally_and_do_not_misalign(sqlite_db):
    with clock.frozen(NOW):
        for index, title in enumerate(HOSTILE[:-1]):
            deals.create_deal(title, Money((len(HOSTILE) - index) * 1000_00, "USD"))
    with clock.frozen(NOW - dt.timedelta(days=90)):  # rotting: drawn with its glyph
        deals.create_deal(HOSTILE[-1], Money(1000_00, "USD"))
    with clock.frozen(NOW):
        app = PipetuiApp(db=sqlite_db, location="test.db")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            board = board_of(app)
            text = screen_text(app)
            assert "[bold]x[/" in text
            assert "[link=https://example.c" in text and "…" in text  # cut to the column
            assert "🚀" in text and "漢字" in text
            # Measured from the text drawn, not from the width the strip declares.
            widths = {sum(cell_len(segment.text) for segment in board.render_line(y))
                      for y in range(board.size.height)}
            assert widths == {board.size.width}  # every line exactly as wide as the board
            await pilot.press("j", "j", "j", "j")
            assert board.current_card.title == "W" * 500 and board.current_card.rotting
            assert "⚠ WWW" in screen_text(app)


# --- the deal editor -------------------------------------------------------


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector)
    field.value = ""
    field.focus()
    await pilot.press(*text)


async def test_editor_saves_every_field_and_moves_the_stage(app, pipeline):
    from textual.widgets import Select

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, DealEditor)
        assert editor.query_one("#value").value == "30000 USD"
        assert "created in Prospecting" in str(editor.query_one("#history").render())
        await type_into(pilot, "#title", "Acme [big] rollout")
        await type_into(pilot, "#value", "EUR 45.5k")
        await type_into(pilot, "#expected_close", "2026-12-24")
        await type_into(pilot, "#probability", "35")
        await type_into(pilot, "#contact", "Ann Lee")
        editor.query_one("#stage", Select).value = "Proposal"
        editor.query_one("#owner", Select).value = "Jonas Weber"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        saved = Deal.get_by_id(deal("Acme [big] rollout").id)
        assert (saved.value, saved.currency, saved.probability) == (45_500_00, "EUR", 35)
        assert (saved.stage.name, saved.owner.name, saved.contact.name) == ("Proposal", "Jonas Weber", "Ann Lee")
        assert saved.expected_close == dt.date(2026, 12, 24)
        assert board_of(app).current_card.title == "Acme [big] rollout"


async def test_editor_refuses_bad_fields_inline_and_saves_nothing(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        await type_into(pilot, "#value", "-5")
        assert "negative" in str(editor.query_one("#value-error").render())
        await type_into(pilot, "#expected_close", "someday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DealEditor)
        assert "not a date" in str(editor.query_one("#expected_close-error").render())
        assert "nothing was saved" in str(editor.query_one("#editor-status").render())
        assert deal("Acme rollout").version == 1


async def test_editor_refuses_to_overwrite_a_change_made_meanwhile(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        deals.edit_deal(deal("Acme rollout").id, title="Acme (theirs)")
        await type_into(pilot, "#title", "Acme (mine)")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "changed by someone else" in str(app.screen.query_one("#editor-status").render())
        assert Deal.select().where(Deal.title == "Acme (theirs)").exists()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.screen.query_one("#title").value == "Acme (theirs)"


async def test_escape_asks_before_throwing_edits_away(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#title", "Changed")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, DealEditor)
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert deal("Acme rollout").version == 1


async def test_notes_and_activities_are_added_from_the_editor(app, pipeline):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#new-note", "Budget [approved]")
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#new-activity", "call 2026-12-01 10:30 pricing")
        await pilot.press("enter")
        await settle(pilot)
        acme = deal("Acme rollout")
        assert [n.body for n in acme.notes] == ["Budget [approved]"]
        call = acme.activities.get()
        assert (call.kind, call.subject, call.due_date, call.due_time) == (
            "call", "pricing", dt.date(2026, 12, 1), dt.time(10, 30))
        assert "Budget [approved]" in str(app.screen.query_one("#notes").render())


async def test_an_activity_line_that_cannot_be_read_keeps_its_text_and_says_why(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#new-activity", "lunch someday")
        await pilot.press("enter")
        await settle(pilot)
        editor = app.screen
        assert editor.query_one("#new-activity").value == "lunch someday"
        assert "kind of activity" in str(editor.query_one("#new-activity-error").render())
        assert deal("Acme rollout").activities.count() == 0
        editor.query_one("#new-activity").value = "call 2026-12-01 pricing"
        await pilot.press("enter")
        await settle(pilot)
        assert editor.query_one("#new-activity").value == ""
        assert str(editor.query_one("#new-activity-error").render()).strip() == ""


async def test_tab_goes_from_field_to_field_and_a_long_title_shows_its_start(sqlite_db, pipeline):
    with clock.frozen(NOW):
        long = deals.create_deal("Acme GmbH - a very long title " + "x" * 80 + " END", Money(1, "USD"))
        app = PipetuiApp(db=sqlite_db, location="test.db")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.screen.go_to_deal(long.id)
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            editor = app.screen
            title = editor.query_one("#title")
            assert title.cursor_position == 0 and "Acme GmbH - a very" in str(title.render_line(0).text)
            stops = []
            for _ in range(12):
                stops.append(editor.focused.id)
                await pilot.press("tab")
            assert stops[:12] == ["title", "value", "stage", "owner", "organization", "contact",
                                  "expected_close", "probability", "new-activity", "new-note", "save", "cancel"]


def test_the_focused_field_stands_out_in_every_theme():
    """The editor's focused field differs from the others by more than a
    shade: the WCAG contrast of the two fields' drawn backgrounds."""
    import asyncio

    from textual.app import App
    from textual.containers import Vertical
    from textual.widgets import Input

    from pipetui.tui.contrast import ratio
    from pipetui.tui.styles import sheet

    class Two(App):
        CSS_PATH = sheet("editor.tcss")

        def compose(self):
            with Vertical(id="editor"):
                yield Input("a", id="one", compact=True)
                yield Input("b", id="two", compact=True)

    def drawn_background(field: Input):
        style = next(s.style for s in field.render_line(0) if s.text.strip())
        color = style.color if style.reverse else style.bgcolor
        return color.get_truecolor()

    async def check() -> list[str]:
        weak = []
        app = Two()
        async with app.run_test() as pilot:
            for theme in sorted(app.available_themes):
                app.theme = theme
                app.query_one("#one").focus()
                await pilot.pause()
                if theme.startswith("ansi-"):  # the terminal's own palette: reverse video is the mark
                    style = next(s.style for s in app.query_one("#one").render_line(0) if s.text.strip())
                    if not style.reverse:
                        weak.append(theme)
                    continue
                if ratio(drawn_background(app.query_one("#one")), drawn_background(app.query_one("#two"))) < 3:
                    weak.append(theme)
        return weak

    assert asyncio.run(check()) == []


async def test_n_adds_a_deal_in_the_current_column_and_u_takes_it_back(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l", "l", "n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, DealEditor) and editor.query_one("#stage").value == "Qualified"
        await type_into(pilot, "#title", "Epsilon deal")
        await type_into(pilot, "#value", "7.5k")
        await pilot.press("ctrl+s")
        await settle(pilot)
        made = deal("Epsilon deal")
        assert (made.stage.name, made.value, made.owner.name) == ("Qualified", 7_500_00, "Maya Patel")
        assert board_of(app).current_card.title == "Epsilon deal"
        await pilot.press("u")
        await settle(pilot)
        assert Deal.get_by_id(made.id).deleted_at is not None


async def test_palette_goes_to_a_deal_by_name(app):
    from textual.command import CommandPalette

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"acme", "enter")  # a filter that hides Delta
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"delta")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        board = board_of(app)
        assert board.current_card.title == "Delta expansion"
        assert board.current_column.name == "Qualified"
        assert "filter" not in status_of(app)


async def test_the_theme_is_remembered(sqlite_db, tmp_path):
    state = tmp_path / "state.json"
    app = PipetuiApp(db=sqlite_db, location="test.db", state_file=state)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
    again = PipetuiApp(db=sqlite_db, location="test.db", state_file=state)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


async def test_bindings_can_be_remapped_from_the_config(sqlite_db, pipeline):
    from pipetui.core.context import Context

    context = Context(keys={"board.card_down": "s", "board.win": "W"})
    app = PipetuiApp(db=sqlite_db, location="test.db", context=context)
    with clock.frozen(NOW):
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            assert board_of(app).current_card.title == "Beta pilot"
            await pilot.press("W")
            await settle(pilot)
            assert deal("Beta pilot").status == WON


async def test_a_title_with_escape_codes_from_elsewhere_is_drawn_harmlessly(sqlite_db):
    with clock.frozen(NOW):
        made = deals.create_deal("Plain", Money(1, "USD"))
    # Written around the services, as a foreign tool might.
    Deal.update(title="\x1b[31mred\x1b[0m\x07 deal").where(Deal.id == made.id).execute()
    app = PipetuiApp(db=sqlite_db, location="test.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "\ufffd[31mred" in text


async def test_a_locked_database_is_reported_and_the_app_keeps_running(app, tmp_path, monkeypatch):
    import sqlite3

    from pipetui.store import database as store_database

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        path = app.db.database
        monkeypatch.setattr(store_database, "BUSY_TIMEOUT_SECONDS", 0.2)
        app.db._pragmas = [(k, v) for k, v in app.db._pragmas if k != "busy_timeout"] + [("busy_timeout", 200)]
        app.db._timeout = 0.2
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("w")
            await settle(pilot)
            assert "locked by another process" in status_of(app)
            assert deal("Acme rollout").status == OPEN
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await pilot.press("w")
        await settle(pilot)
        assert deal("Acme rollout").status == WON


async def test_the_board_status_message_leaves_the_filter_stays(app, monkeypatch):
    monkeypatch.setattr(BoardScreen, "MESSAGE_SECONDS", 0.3)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"acme", "enter", "u")
        await settle(pilot)
        assert "filter: acme" in status_of(app) and "Nothing to undo" in status_of(app)
        await pilot.pause(0.5)
        assert "Nothing to undo" not in status_of(app)
        assert "filter: acme" in status_of(app)


# --- what the board tells at every size --------------------------------------


@pytest.fixture
def demo_app(sqlite_db):
    from pipetui.core import demo

    with clock.frozen(NOW):
        demo.generate(300, seed=1)
        yield PipetuiApp(db=sqlite_db, location="demo.db")


def keybar_text(app) -> str:
    from pipetui.tui.widgets.keybar import KeyBar

    bar = app.screen.query_one(KeyBar)
    return bar.render_line(0).text  # as drawn, cut to the bar's width


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_titles_of_one_organization_show_what_tells_them_apart(sqlite_db, size):
    with clock.frozen(NOW - dt.timedelta(days=3)):
        maya = people.add_rep("Maya Patel", username="maya")
        org = people.find_or_create_organization("Bluewind Consulting Inc.")
        prospecting = lookup.resolve_stage("Prosp")
        for title, value in (("Data migration", 30_000_00), ("Annual support", 20_000_00),
                             ("Training", 10_000_00)):
            deals.create_deal(f"Bluewind Consulting Inc. - {title}", Money(value, "USD"),
                              stage=prospecting, owner=maya, organization=org)
        deals.create_deal("Bluewind Consulting Inc.", Money(5_000_00, "USD"), stage=prospecting,
                          owner=maya, organization=org)
    with clock.frozen(NOW):
        app = PipetuiApp(db=sqlite_db, location="test.db")
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            lines = screen_text(app).splitlines()
            column = [line[:board_of(app)._column_span(0)[1] - 1] for line in lines]
            titles = [line.strip(" ▌") for line in column[5::4]][:4]
            assert titles[:3] == ["Data migration", "Annual support", "Training"]
            assert "Bluewind Consulting Inc.".startswith(titles[3].rstrip("…"))
            # The organization moves to the second line, with the owner.
            second = column[6].strip(" ▌")
            assert second.startswith("Bluewind") and second.endswith(("Maya Patel", "…"))
            assert column[6 + 3 * 4].strip() == "Maya Patel"  # a title that is the organization: once


@pytest.mark.parametrize("size", [(40, 12), (80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_stages_off_screen_are_named_with_their_counts(demo_app, size):
    async with demo_app.run_test(size=size) as pilot:
        await settle(pilot)
        board = board_of(demo_app)
        strip = screen_text(demo_app).splitlines()[0]
        shown = board._visible_columns
        assert shown < len(board.columns)  # some stages are off-screen
        hidden = board.columns[shown:]
        assert strip.rstrip().endswith("›") and "‹" not in strip
        right = strip[strip.index("]") + 1:]
        for column in hidden:  # each one named (in full when it fits) with its count
            name = column.name if size[0] >= 80 else column.name[:1]
            assert f"{name} {column.count}" in right.replace(" · ", " "), (column.name, strip)
        inside = strip[strip.index("[") + 1:strip.index("]")].replace(" · ", " ").split(" ")
        assert inside[1::2] == [str(c.count) for c in board.columns[:shown]]
        await pilot.press(*["l"] * len(board.columns))
        await settle(pilot)
        strip = screen_text(demo_app).splitlines()[0]
        assert strip.startswith("‹ ") and "›" not in strip
        assert f"{board.columns[0].name if size[0] >= 80 else board.columns[0].name[:1]} " \
               f"{board.columns[0].count}" in strip


@pytest.mark.parametrize("size", [(40, 12), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_key_bar_keeps_keys_and_quit_when_narrow(demo_app, size):
    async with demo_app.run_test(size=size) as pilot:
        await settle(pilot)
        bar = keybar_text(demo_app)
        assert " ? Keys " in bar and " q Quit " in bar and "…" not in bar
        assert bar.startswith(" w Win ")  # the first keys stay, the last ones go first


async def test_columns_say_how_many_cards_are_above_and_below(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        board = board_of(demo_app)
        count = board.columns[0].count
        shown = board._visible_cards
        assert count > shown
        lines = screen_text(demo_app).splitlines()
        width = board._column_span(0)[1] - 1
        assert "↑" not in lines[4][:width]
        assert lines[-1][:width].strip() == f"↓ {count - shown} more"
        await pilot.press("G")
        await settle(pilot)
        lines = screen_text(demo_app).splitlines()
        assert f"↑ {count - shown} more" in lines[4][:width]
        assert lines[-1][:width].strip() == ""
        assert board.current_card.title.split(" - ")[-1] in "\n".join(lines)


async def test_a_moved_deal_is_shown_in_its_new_column(demo_app):
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        board = board_of(demo_app)
        await pilot.press("G")  # the smallest deal of Prospecting: it lands low in Contacted
        await settle(pilot)
        moved = board.current_card
        await pilot.press("L")
        await settle(pilot)
        assert board.current_column.name == "Contacted" and board.current_card.id == moved.id
        column = [line[board._column_span(0)[1]:][:board._column_span(1)[1] - 1]
                  for line in screen_text(demo_app).splitlines()]
        assert sum(line.startswith("▌") for line in column) == 3  # the cursor's card, whole
        top = board._scroll[board.current_column.stage_id]
        if top:  # cards above it are hidden: the column says how many
            assert f"↑ {top} more" in column[4]


async def test_an_empty_column_under_a_filter_says_nothing_matches(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "no deals match" not in screen_text(app) and "no deals" in screen_text(app)
        await pilot.press("slash", "B", "e", "t", "a")
        await settle(pilot)
        text = screen_text(app)
        assert "Beta pilot" in text and "no deals match" in text
        await pilot.press("escape")
        await settle(pilot)
        assert "no deals match" not in screen_text(app)
