"""The history of every field: one read model for ``pipetui history`` and the
editor's timeline; ``pipetui edit``; the core on both backends, the CLI
through click, the editor through the Pilot."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_board import app, deal, pipeline, settle, type_into  # noqa: F401 - fixtures
from test_triage import day  # noqa: F401 - the fixture
from test_cli import assert_one_line_failure, dump, isolated_environment, ok, opened, run  # noqa: F401

from pipetui.core import clock, deals, lookup, people, rows, rules
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money
from pipetui.store import Deal, FieldChange, Organization

T0 = dt.datetime(2026, 11, 2, 9, 0)


def at(day: int):
    return clock.frozen(T0 + dt.timedelta(days=day - 2))


def _told(entries):
    return [(e.field, e.old, e.new, e.who, e.undone) for e in entries]


def test_history_merges_stage_and_field_changes_oldest_first(db):
    maya, jonas = people.add_rep("Maya Patel"), people.add_rep("Jonas Weber")
    with at(2):
        made = deals.create_deal("Acme", Money(100_00, "USD"), actor=maya)
    with at(3):
        deals.edit_deal(made.id, title="Acme 2", value=Money(250_00, "EUR"), owner=jonas, actor=jonas)
    with at(4):
        deals.move_deal(made.id, lookup.resolve_stage("Qualified"), actor=maya)
    with at(5):
        deals.edit_deal(made.id, expected_close=dt.date(2026, 12, 24), probability=40)
    with at(6):
        deals.win_deal(made.id, actor=maya)
    with at(9):
        told = rows.narrated_history(deals.get_deal(made.id))
    assert _told(told) == [
        ("stage", None, "Prospecting", "Maya Patel", False),
        ("title", "Acme", "Acme 2", "Jonas Weber", False),
        ("value", "100 USD", "250 EUR", "Jonas Weber", False),
        ("owner", None, "Jonas Weber", "Jonas Weber", False),
        ("stage", "Prospecting", "Qualified", "Maya Patel", False),
        ("expected_close", None, "2026-12-24", None, False),
        ("probability", None, "40%", None, False),
        ("status", "open", "won", "Maya Patel", False),
    ]
    assert [e.what for e in told] == [
        "created in Prospecting", "title: Acme → Acme 2", "value: 100 USD → 250 EUR",
        "owner: (none) → Jonas Weber", "Prospecting → Qualified", "expected close: (none) → 2026-12-24",
        "win chance: (none) → 40%", "won",
    ]
    # Days run from stage change to stage change; a field change stays none.
    assert [e.days for e in told] == [2, 0, 0, 0, 2, 0, 0, 0]
    assert told[1].as_json() == {"changed_at": "2026-11-03T09:00:00", "field": "title", "old": "Acme",
                                 "new": "Acme 2", "what": "title: Acme → Acme 2", "who": "Jonas Weber",
                                 "undone": False}
    # The editor reads the very same entries.
    with at(9):
        assert rows.deal_sheet(made.id).history == tuple(told)


def test_an_undone_field_change_is_told_and_marked(db):
    with at(2):
        made = deals.create_deal("Acme", Money(100_00, "USD"))
    with at(3):
        deals.edit_deal(made.id, title="Acme 2")
    FieldChange.update(undone_at=T0).execute()
    told = rows.narrated_history(deals.get_deal(made.id))
    assert told[1].undone and told[1].what == "title: Acme → Acme 2 (undone)"


def test_change_deal_parses_every_field_before_writing(db):
    people.add_rep("Maya Patel")
    made = deals.create_deal("Acme", Money(100_00, "USD"))
    for bad in ({"value": "-5"}, {"expected_close": "someday"}, {"probability": "150"},
                {"owner": "Nobody"}, {"title": "  "}):
        with pytest.raises(InvalidInput):
            deals.change_deal(made.id, organization="Made Up Inc", **bad)
    with pytest.raises(InvalidInput, match="nothing to change"):
        deals.change_deal(made.id)
    assert deals.get_deal(made.id) == made
    assert Organization.select().count() == 0
    assert FieldChange.select().count() == 0
    before, after = deals.change_deal(made.id, value="2.5k", owner="maya", organization="Globex",
                                      contact="Ann Lee", expected_close="2026-12-24", probability="35")
    assert before == made
    assert (after.value, after.currency, after.owner, after.organization, after.contact) == (
        2_500_00, "USD", "Maya Patel", "Globex", "Ann Lee")
    # Typing what is already there writes nothing: no new version, no history.
    _, same = deals.change_deal(made.id, title="Acme", value="2500 USD", owner="Maya Patel",
                                organization="globex", expected_close="2026-12-24", probability="35%")
    assert same == after and FieldChange.select().count() == 6
    _, cleared = deals.change_deal(made.id, owner="", organization="", expected_close="", probability="")
    assert (cleared.owner, cleared.organization, cleared.expected_close, cleared.probability) == (
        None, None, None, None)


def test_a_rule_points_to_an_edit_command_that_exists(db):
    from pipetui.cli.history import edit

    book, problems = rules.compile([rules.Rule("enter", "Qualified", require=("value", "expected_close"))])
    assert not problems
    made = deals.create_deal("Acme", Money(0, "USD"))
    with pytest.raises(InvalidInput) as refused:
        deals.move_deal(made.id, lookup.resolve_stage("Qualified"), rules=book)
    assert "pipetui edit DEAL --value … --close …" in str(refused.value)
    options = {option for param in edit.params for option in param.opts}
    assert set(rules.EDIT_OPTIONS.values()) <= options


# --- the command line -----------------------------------------------------------


def test_edit_then_history_from_the_command_line(backend_url):
    ok(run(backend_url, "rep", "add", "Maya Patel"))
    ok(run(backend_url, "add", "Acme", "--value", "100"))
    edited = ok(run(backend_url, "--as", "Maya Patel", "edit", "Acme", "--title", "Acme 2",
                    "--value", "EUR 200", "--org", "Globex", "--close", "2026-12-24",
                    "--probability", "40", "--owner", "maya"))
    assert edited.stdout.startswith("Edited #1 Acme 2: title: Acme → Acme 2; value: 100 USD → 200 EUR")
    with opened(backend_url):
        saved = Deal.get_by_id(1)
        assert (saved.title, saved.value, saved.currency, saved.probability) == ("Acme 2", 200_00, "EUR", 40)
        assert (saved.organization.name, saved.owner.name, saved.expected_close) == (
            "Globex", "Maya Patel", dt.date(2026, 12, 24))
    ok(run(backend_url, "move", "1", "Qualified"))
    told = json.loads(ok(run(backend_url, "history", "1", "--json")).stdout)
    assert [(e["field"], e["old"], e["new"], e["who"], e["undone"]) for e in told] == [
        ("stage", None, "Prospecting", None, False),
        ("title", "Acme", "Acme 2", "Maya Patel", False),
        ("value", "100 USD", "200 EUR", "Maya Patel", False),
        ("owner", None, "Maya Patel", "Maya Patel", False),
        ("organization", None, "Globex", "Maya Patel", False),
        ("expected_close", None, "2026-12-24", "Maya Patel", False),
        ("probability", None, "40%", "Maya Patel", False),
        ("stage", "Prospecting", "Qualified", None, False),
    ]
    assert set(told[0]) == {"changed_at", "field", "old", "new", "what", "who", "undone"}
    lines = ok(run(backend_url, "history", "Acme 2")).stdout.splitlines()
    assert len(lines) == 8
    assert lines[0].endswith("created in Prospecting  (no rep), 0d")
    assert lines[1].endswith("title: Acme → Acme 2  Maya Patel")
    unchanged = ok(run(backend_url, "edit", "1", "--title", "Acme 2"))
    assert unchanged.stdout.startswith("Nothing changed on #1")
    ok(run(backend_url, "delete", "1"))
    # A deleted deal's history is kept, and can be read.
    assert ok(run(backend_url, "history", "1", "--json")).stdout.count('"field"') == 8


@pytest.mark.parametrize(("args", "said"), [
    (["edit", "1", "--probability", "150"], "out of range"),
    (["edit", "1", "--value", "-5"], "negative"),
    (["edit", "1", "--close", "someday", "--title", "Other"], "someday"),
    (["edit", "1", "--owner", "Nobody"], "no rep"),
    (["edit", "1", "--title", ""], "title"),
    (["edit", "1"], "nothing to change"),
    (["edit", "99", "--title", "x"], "no deal"),
    (["edit", "1", "--title", "x", "--expected-version", "zero"], "version"),
    (["history", "99"], "no deal"),
])
def test_bad_edits_say_one_line_exit_2_and_change_nothing(backend_url, args, said):
    ok(run(backend_url, "add", "Acme", "--value", "100"))
    before = dump(backend_url)
    line = assert_one_line_failure(run(backend_url, *args), 2)
    assert said in line and "No such command" not in line
    assert dump(backend_url) == before


def test_edit_refuses_a_stale_expected_version(backend_url):
    ok(run(backend_url, "add", "Acme", "--value", "100"))
    ok(run(backend_url, "edit", "1", "--title", "Theirs", "--expected-version", "1"))
    before = dump(backend_url)
    line = assert_one_line_failure(run(backend_url, "edit", "1", "--title", "Mine",
                                       "--expected-version", "1"), 1)
    assert "changed by someone else" in line
    assert dump(backend_url) == before


# --- the editor's timeline ------------------------------------------------------------


async def test_the_editor_timeline_shows_field_changes_and_board_undo_takes_a_save_back(app, pipeline):  # noqa: F811
    acme = deal("Acme rollout")
    deals.edit_deal(acme.id, title="Acme 2", actor=pipeline["jonas"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        history = str(app.screen.query_one("#history").render())
        assert "title: Acme rollout → Acme 2  Jonas Weber" in history
        await type_into(pilot, "#title", "Acme 3")
        await type_into(pilot, "#value", "45k")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (deal("Acme 3").value, deal("Acme 3").version) == (45_000_00, 3)
        await pilot.press("u")
        await settle(pilot)
        restored = Deal.get_by_id(acme.id)
        assert (restored.title, restored.value) == ("Acme 2", 30_000_00)
        rows_ = list(FieldChange.select().where(FieldChange.deal == acme.id).order_by(FieldChange.id))
        assert [(r.field, r.undone_at is None) for r in rows_] == [
            ("title", True), ("title", False), ("value", False)]  # kept, marked
        await pilot.press("enter")
        await settle(pilot)
        history = str(app.screen.query_one("#history").render())
        assert "title: Acme 2 → Acme 3 (undone)" in history
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert Deal.get_by_id(acme.id).title == "Acme 3"
        assert FieldChange.select().where(FieldChange.undone_at.is_null(False)).count() == 0


async def test_board_undo_removes_a_note_added_in_the_editor_and_brings_a_deleted_deal_back(app):  # noqa: F811
    from pipetui.tui.dialogs import ConfirmDialog

    acme = deal("Acme rollout")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#new-note", "Budget approved")
        await pilot.press("enter")
        await settle(pilot)
        assert [n.body for n in deal("Acme rollout").notes] == ["Budget approved"]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert deal("Acme rollout").notes.count() == 0
        assert Deal.get_by_id(acme.id).last_activity_at == acme.last_activity_at
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert Deal.get_by_id(acme.id).deleted_at is not None
        await pilot.press("u")
        await settle(pilot)
        assert Deal.get_by_id(acme.id).deleted_at is None


async def test_triage_undo_marks_a_close_date_change_undone_and_takes_back_editor_notes(day, db):
    from test_triage import NOW as TRIAGE_NOW

    from pipetui.store import Activity, Note
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.screens.editor import DealEditor
    from pipetui.tui.screens.triage import TriageScreen

    with clock.frozen(TRIAGE_NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            assert isinstance(app.screen, TriageScreen)
            target = Deal.get(Deal.title == app.screen.current.title)
            await pilot.press("c", *"+2w", "enter")
            await settle(pilot)
            assert Deal.get_by_id(target.id).expected_close != target.expected_close
            await pilot.press("u")
            await settle(pilot)
            undone = Deal.get_by_id(target.id)
            assert (undone.expected_close, undone.last_activity_at) == (target.expected_close,
                                                                        target.last_activity_at)
            # The change is kept and marked, not answered by a reverse change.
            changes = list(FieldChange.select().where(FieldChange.deal == target.id))
            assert [(c.field, c.undone_at is not None) for c in changes] == [("expected_close", True)]
            await pilot.press("a", *"email fri recap", "enter")
            await settle(pilot)
            assert Deal.get_by_id(target.id).last_activity_at != target.last_activity_at
            await pilot.press("u")
            await settle(pilot)
            assert Activity.get_or_none(Activity.subject == "recap") is None
            assert Deal.get_by_id(target.id).last_activity_at == target.last_activity_at
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DealEditor)
            await type_into(pilot, "#new-note", "Called back")
            await pilot.press("enter")
            await settle(pilot)
            assert Note.select().where(Note.body == "Called back").count() == 1
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, TriageScreen)
            await pilot.press("u")
            await settle(pilot)
            assert Note.select().where(Note.body == "Called back").count() == 0
