"""Hostile text already in the database never reaches a terminal raw.

pipetui refuses control characters in what is typed into it, but a teammate's
SQL on a shared PostgreSQL, or a script, can store anything. Here such text
(escape sequences that set the window title, clear the screen or write the
clipboard, a C1 CSI, bidi overrides, BEL, DEL, markup) is written straight into
the tables, around the services, and every command and screen that shows it is
checked for raw control characters. JSON output keeps the data exact, with the
controls written as ``\\u`` escapes. A command pipetui suggests is quoted for
the shell, whatever a file's stage names hold.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipetui.cli import cli
from pipetui.core import activities, clock, deals, people, quotas
from pipetui.core.dates import parse_period
from pipetui.core.money import Money
from pipetui.core.text import printable
from pipetui.store import Activity, Contact, Deal, LostReason, Note, Organization, Rep, Stage, database_proxy
from pipetui.store import open_database
from pipetui.tui.app import PipetuiApp
from pipetui.tui.screens.customers import CustomerForm, CustomersScreen
from pipetui.tui.screens.editor import DealEditor

NOW = dt.datetime(2026, 11, 25, 9, 0)  # a Wednesday in 2026-Q4

# What a terminal acts on: set the title (OSC 0), clear the screen, write the
# clipboard (OSC 52), C1 CSI (a device status report), bell, DEL, and bidi
# overrides and isolates that reorder the line; markup a screen must not parse.
EVIL = ("\x1b]0;pwned\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b6n\u202etxt\u2066[bold]x[/]\u2069\x7f\u2028"
        "\x1b\\")
HOSTILE_PIECES = ["\x1b", "\x1b[2J", "\x1b]0;t\x07", "\x1b]52;c;eA==\x07", "\x9b", "\x9d", "\x07", "\x7f",
                  "\u202e", "\u2066", "\u2069", "\u200f", "\u2028", "\ufeff", "\x00", "\r", "[bold]", "[/"]


def raw_controls(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on or that reorder a line;
    newlines and tabs of multi-line output are fine."""
    return [c for c in text if c not in "\n\t" and c != "\u200d"
            and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


def strings_in(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for key, value in data.items() for text in (*strings_in(key), *strings_in(value))]
    if isinstance(data, list):
        return [text for value in data for text in strings_in(value)]
    return []


def run(url: str, *args: str):
    with clock.frozen(NOW):
        result = CliRunner().invoke(cli, ["--db", url, *args])
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()
    return result


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    for name in ("PIPETUI_DB", "PIPETUI_CONFIG", "PIPETUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "nobody-in-particular")


def write_hostile_text(url: str) -> dict[str, object]:
    """A small pipeline made through the services, then every name, title,
    reason, note and subject overwritten with :data:`EVIL` by plain SQL."""
    db = open_database(url)
    try:
        with clock.frozen(NOW - dt.timedelta(days=2)):
            rep = people.add_rep("Rep One", username="rep1")
            people.add_rep("Rep Two")
            org = people.find_or_create_organization("Org One")
            contact = people.find_or_create_contact("Contact One", org)
            stage = Stage.select().order_by(Stage.position).first()
            open_deal = deals.create_deal("Open one", Money(5_000_00, "USD"), stage=stage, owner=rep,
                                          organization=org, contact=contact,
                                          expected_close=NOW.date() + dt.timedelta(days=1))
            lost_deal = deals.create_deal("Lost one", Money(1_000_00, "USD"), owner=rep, organization=org)
            deals.lose_deal(lost_deal.id, "Too pricey")
            spare = deals.create_deal("Spare one", Money(2_000_00, "USD"), owner=rep)
            deals.add_lost_reason("Reason one")
            activities.add_activity("call", "Subject one", deal=open_deal.id, owner=rep,
                                    due_date=NOW.date() - dt.timedelta(days=1))
            activities.add_note("Note one", deal=open_deal.id, author=rep)
            activities.add_note("Org note", organization=org.id, author=rep)
            quotas.set_quota(rep, parse_period("2026-Q4"), Money(10_000_00, "USD"))
        # Written around the services, as a foreign tool might.
        Deal.update(title="Open " + EVIL).where(Deal.id == open_deal.id).execute()
        Deal.update(title="Lost " + EVIL, lost_reason="Why " + EVIL).where(Deal.id == lost_deal.id).execute()
        Deal.update(title="Spare " + EVIL).where(Deal.id == spare.id).execute()
        Rep.update(name="Rep " + EVIL, email="r\x1b[2J@example.com").where(Rep.id == rep.id).execute()
        Organization.update(name="Org " + EVIL, website="https://x\x1b]0;t\x07.example").where(
            Organization.id == org.id).execute()
        Contact.update(name="Contact " + EVIL, phone="+1\x9b2J", email="c\u202e@example.com").where(
            Contact.id == contact.id).execute()
        Stage.update(name="Stage " + EVIL).where(Stage.id == stage.id).execute()
        LostReason.update(name="Reason " + EVIL).where(LostReason.name == "Reason one").execute()
        Activity.update(subject="Subj " + EVIL, kind="\x1b[2J").execute()
        Note.update(body="Body " + EVIL + "\nsecond line").execute()
        return {"open": open_deal.id, "lost": lost_deal.id, "spare": spare.id, "org": org.id,
                "contact": contact.id}
    finally:
        db.close()


@pytest.fixture
def hostile(backend_url):
    return backend_url, write_hostile_text(backend_url)


# --- the CLI --------------------------------------------------------------------

# Every command that prints stored text, and the stored text it must show.
PRINTING_COMMANDS = [
    (["deals", "--status", "all"], ["Open ", "Lost ", "Stage ", "Rep "]),
    (["report"], ["Stage ", "Rep ", "Open ", "Why "]),
    (["report", "--rep", "rep1"], ["Rep ", "Open "]),
    (["today", "--all"], ["Subj ", "Rep ", "Open "]),
    (["rep", "list"], ["Rep ", "r\ufffd[2J@example.com"]),
    (["stages"], ["Stage "]),
    (["reasons", "list"], ["Reason "]),
    (["quota", "list"], ["Rep "]),
]


@pytest.mark.parametrize("args, shown", PRINTING_COMMANDS, ids=[" ".join(a) for a, _ in PRINTING_COMMANDS])
def test_a_command_shows_stored_escape_sequences_harmlessly(hostile, args, shown):
    url, _ = hostile
    result = run(url, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert raw_controls(result.stdout + result.stderr) == []
    for piece in shown:
        assert piece in result.stdout  # the text is there, neutralised, not left out
    assert "\ufffd]0;pwned\ufffd" in result.stdout
    assert "[bold]x[/]" in result.stdout  # markup stays literal text


@pytest.mark.parametrize("args", [["deals", "--owner", "Nobody"], ["deals", "--stage", "Nowhere"],
                                  ["move", "Open", "Nowhere"], ["report", "--rep", "Nobody"]])
def test_an_error_that_lists_stored_names_shows_them_harmlessly(hostile, args):
    url, _ = hostile
    result = run(url, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "are: " in result.stderr and "\ufffd]0;pwned\ufffd" in result.stderr
    assert raw_controls(result.stdout + result.stderr) == []
    assert len(result.stderr.splitlines()) == 1  # a newline-free line even with U+2028 in a name


def test_commands_that_change_a_deal_echo_its_title_harmlessly(hostile):
    url, ids = hostile
    for args in (["move", f"#{ids['open']}", "Qualified"], ["win", f"#{ids['open']}"],
                 ["reopen", f"#{ids['open']}"], ["lose", f"#{ids['spare']}", "--reason", "No budget"],
                 ["delete", f"#{ids['spare']}"], ["rep", "add", "Rep Three"]):
        result = run(url, *args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
        assert raw_controls(result.stdout + result.stderr) == [], args
    assert "Stage \ufffd]0;pwned" in run(url, "reopen", f"#{ids['lost']}").stdout


@pytest.mark.parametrize("args", [["deals", "--json", "--status", "all"], ["report", "--json"],
                                  ["today", "--all", "--json"]])
def test_json_keeps_the_data_exact_with_every_control_escaped(hostile, args):
    url, _ = hostile
    result = run(url, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert raw_controls(result.stdout) == []
    assert any(EVIL in text for text in strings_in(json.loads(result.stdout)))  # exactly what is stored
    assert "\\u009b6n\\u202etxt\\u2066[bold]x[/]\\u2069\\u007f\\u2028" in result.stdout


def test_the_import_lists_the_pipelines_stages_harmlessly(hostile, tmp_path):
    url, _ = hostile
    source = tmp_path / "in.csv"
    source.write_text("title,value,stage\nA,1,Nowhere\n", encoding="utf-8")
    result = run(url, "import", str(source), "--dry-run")
    assert result.exit_code == 2
    assert "Stage \ufffd]0;pwned" in result.stderr
    assert raw_controls(result.stdout + result.stderr) == []


@pytest.mark.parametrize("stage", ['x"; touch pwned; echo "', "a'b", "$(touch pwned)", "`touch pwned`",
                                   "a\\b", "a b & touch pwned", "x\"$(touch pwned)\"", "-rf *", "!!"])
def test_a_suggested_stage_map_is_one_literal_shell_word(sqlite_db, tmp_path, stage):
    """Pasting the hint into a shell runs nothing and passes the name exactly."""
    url = str(sqlite_db.database)
    sqlite_db.close()
    source = tmp_path / "in.csv"
    source.write_text('title,value,stage\nA,1,"' + stage.replace('"', '""') + '"\n', encoding="utf-8")
    result = run(url, "import", str(source), "--dry-run")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    hint = next((re.search(r"\(--stage-map (.*)\)$", line) for line in result.stderr.splitlines()
                 if "(--stage-map " in line), None)
    assert hint is not None, result.stderr
    shell = tmp_path / "shell"
    shell.mkdir()
    pasted = subprocess.run(["sh", "-c", "printf '%s\\n' " + hint[1]], cwd=shell, capture_output=True,
                            text=True, timeout=10)
    assert pasted.stdout == f"{stage}=STAGE\n"  # one word, taken literally
    assert list(shell.iterdir()) == []  # nothing ran


# --- hypothesis: any text at all ----------------------------------------------

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4)), max_size=8).map("".join)


@given(hostile_text)
def test_printable_leaves_no_control_and_keeps_clean_text(text):
    shown = printable(text)
    assert raw_controls(shown) == [] and "\n" not in shown and "\t" not in shown
    assert len(shown) == len(text)  # one cell for one character: columns still line up
    kept = printable(text, keep="\n\t")
    assert raw_controls(kept) == [] and kept.count("\n") == text.count("\n")
    if not raw_controls(text) and "\n" not in text and "\t" not in text:
        assert shown == text


@given(st.recursive(st.none() | st.integers() | hostile_text,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
                    max_leaves=8))
def test_json_escaped_is_the_same_data_and_safe_to_print(data):
    from pipetui.core.text import json_escaped

    for indent in (None, 2):
        text = json.dumps(data, indent=indent, ensure_ascii=False)
        escaped = json_escaped(text)
        assert raw_controls(escaped) == []
        assert json.loads(escaped) == data


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys is read out each time
@given(hostile_text)
def test_echo_prints_nothing_a_terminal_acts_on(capsys, text):
    from pipetui.cli.session import echo

    echo(text)
    echo(text, err=True)
    out, err = capsys.readouterr()
    assert raw_controls(out + err) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=hostile_text, name=hostile_text)
def test_any_stored_title_and_name_print_harmlessly(tmp_path, title, name):
    url = str(tmp_path / "pipeline.db")
    db = open_database(url)
    try:
        if not Deal.select().exists():
            with clock.frozen(NOW):
                rep = people.add_rep("Rep")
                deals.create_deal("Deal", Money(1_00, "USD"), owner=rep)
        Deal.update(title=title or "x").execute()
        Rep.update(name=name or "x").execute()
    finally:
        db.close()
    for args in (["deals"], ["rep", "list"], ["report"], ["deals", "--owner", "Nobody"]):
        result = run(url, *args)
        assert raw_controls(result.stdout + result.stderr) == [], args
    exact = json.loads(run(url, "deals", "--json").stdout)
    assert [d["title"] for d in exact] == [title or "x"]


# --- the screens ------------------------------------------------------------------


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_characters(app) -> str:
    """Every character the screen on top sends to the terminal as text."""
    update = app.screen._compositor.render_full_update()
    return "".join(segment.text for line in update.strips for strip in line for segment in strip
                   if not segment.control)


async def test_the_deal_editor_shows_stored_escape_sequences_harmlessly(hostile):
    url, ids = hostile
    db = open_database(url)
    try:
        with clock.frozen(NOW):
            app = PipetuiApp(db=db, location="t")
            async with app.run_test(size=(140, 50)) as pilot:
                await settle(pilot)
                await pilot.press("enter")
                await settle(pilot)
                editor = app.screen
                assert isinstance(editor, DealEditor) and editor.deal_id == ids["open"]
                shown = screen_characters(app)
                assert raw_controls(shown) == []
                assert "Open \ufffd]0;pwned" in shown and "Contact \ufffd]0;pwned" in shown
                assert "\ufffd[2J: Subj" in shown and "Body" in shown  # (the pwned after them wraps)
                for field in ("#title", "#organization", "#contact"):
                    assert raw_controls(editor.query_one(field).value) == [], field
                assert not editor.changed  # nothing typed: no question on leaving
    finally:
        db.close()


async def test_the_deal_editor_saves_what_it_shows(hostile):
    url, ids = hostile
    db = open_database(url)
    try:
        with clock.frozen(NOW):
            app = PipetuiApp(db=db, location="t")
            async with app.run_test(size=(140, 50)) as pilot:
                await settle(pilot)
                await pilot.press("enter")
                await settle(pilot)
                app.screen.query_one("#value").value = "6000"
                await pilot.press("ctrl+s")
                await settle(pilot)
                assert not isinstance(app.screen, DealEditor)
            saved = Deal.get_by_id(ids["open"])
            assert saved.value == 6_000_00
            assert saved.title == printable("Open " + EVIL) and raw_controls(saved.title) == []
    finally:
        db.close()


async def test_the_customer_form_shows_stored_escape_sequences_harmlessly(hostile):
    url, _ = hostile
    db = open_database(url)
    try:
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(140, 50)) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            assert isinstance(app.screen, CustomersScreen)
            for customer in range(2):  # the contact, then the organization
                assert raw_controls(screen_characters(app)) == []
                await pilot.press("e")
                await settle(pilot)
                form = app.screen
                assert isinstance(form, CustomerForm)
                shown = screen_characters(app)
                assert raw_controls(shown) == []
                assert "\ufffd]0;pwned" in form.query_one("#name").value
                for field in form.query("Input"):
                    assert raw_controls(field.value) == [], field.id
                await pilot.press("escape")
                await settle(pilot)
                await pilot.press("j")
                await settle(pilot)
    finally:
        db.close()


async def test_every_other_screen_shows_stored_escape_sequences_harmlessly(hostile):
    """The board, its owner picker and lose dialog, triage, metrics, the
    customers list and the monitor."""
    from pipetui.tui.monitor import MonitorApp

    url, _ = hostile
    db = open_database(url)
    try:
        with clock.frozen(NOW):
            rep = Rep.get(Rep.username == "rep1")
            app = PipetuiApp(db=db, location="t", actor=people.list_reps()[0])
            async with app.run_test(size=(140, 50)) as pilot:
                await settle(pilot)
                seen = {}
                for keys, back in ((), ()), (("o",), ("escape",)), (("x",), ("escape",)), \
                        (("t",), ("b",)), (("m",), ("escape",)), (("c",), ("escape",)):
                    await pilot.press(*keys)
                    await settle(pilot)
                    shown = screen_characters(app)
                    seen[keys] = shown
                    assert raw_controls(shown) == [], (keys, type(app.screen).__name__)
                    await pilot.press(*back)
                    await settle(pilot)
                assert [keys for keys, shown in seen.items() if "\ufffd]0;" not in shown] == []
            monitor = MonitorApp(period=parse_period("2026-Q4"), rep=rep, currency="USD")
            async with monitor.run_test(size=(60, 20)) as pilot:
                await settle(pilot)
                shown = screen_characters(monitor)
                assert raw_controls(shown) == [] and "\ufffd]0;pwned" in shown
    finally:
        db.close()
