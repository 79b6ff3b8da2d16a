"""Automation rules from the config file, fired the same from the core, the
CLI and the TUI."""

from __future__ import annotations

import datetime as dt

import pytest

from pipetui.core import clock, deals, lookup, rules
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money
from pipetui.store import Activity, Deal, StageChange

NOW = dt.datetime(2026, 11, 27, 9, 0)

CONFIG = """\
currency = "USD"

[[rules]]
on = "enter"
stage = "Proposal"
require = "value"
probability = 55
activity = "task Send proposal"
due_in_days = 2

[[rules]]
on = "won"
activity = "call Kick-off call"
due_in_days = 3

[[rules]]
on = "enter"
stage = "Propsal"
probability = 10
"""


def test_each_problem_names_its_line():
    text = 'x = 1\n\n[[rules]]\non = "enter"\nstage = "A"\nprobability = 500\n\n[[ rules ]]\non = "lost"\n'
    import tomllib

    found, problems = rules.parse(tomllib.loads(text)["rules"], text)
    assert found == []
    assert problems == ["line 3: 'probability' is a whole number from 0 to 100",
                        "line 8: 'on' must be \"enter\" or \"won\", not 'lost'"]


def test_a_rule_naming_an_unknown_stage_is_left_out_with_its_line(db):
    import tomllib

    found, problems = rules.parse(tomllib.loads(CONFIG)["rules"], CONFIG)
    assert problems == [] and len(found) == 3
    book, problems = rules.compile(found)
    assert problems == ["line 16: no stage 'Propsal' in the pipeline"]
    assert len(book.rules) == 2


def rulebook(text: str = CONFIG) -> rules.Rulebook:
    import tomllib

    return rules.compile(rules.parse(tomllib.loads(text)["rules"], text)[0])[0]


@pytest.fixture
def ruled(db):
    with clock.frozen(NOW):
        yield {s.name: s for s in lookup.stages()}


@pytest.fixture
def book(db) -> rules.Rulebook:
    return rulebook()


def test_no_rule_fires_unless_a_front_door_hands_it_over(ruled):
    """Rules are not process-wide: a service called without them fires none."""
    empty = deals.create_deal("No value yet", Money(0, "USD"))
    moved = deals.move_deal(empty.id, ruled["Proposal"])
    assert moved.probability is None and Activity.select().count() == 0


def test_entering_a_stage_requires_sets_and_schedules(ruled, book):
    empty = deals.create_deal("No value yet", Money(0, "USD"), rules=book)
    with pytest.raises(InvalidInput, match="Proposal needs a value first"):
        deals.move_deal(empty.id, ruled["Proposal"], rules=book)
    assert Deal.get_by_id(empty.id).stage_id == ruled["Prospecting"].id  # nothing changed
    assert StageChange.select().where(StageChange.deal == empty.id).count() == 1
    priced = deals.create_deal("Priced", Money(5_000_00, "USD"), rules=book)
    moved = deals.move_deal(priced.id, ruled["Proposal"], rules=book)
    assert moved.probability == 55
    task = Activity.get(Activity.deal == priced.id)
    assert (task.kind, task.subject, task.due_date) == ("task", "Send proposal", dt.date(2026, 11, 29))


def test_creating_a_deal_in_the_stage_is_entering_it(ruled, book):
    with pytest.raises(InvalidInput, match="needs a value"):
        deals.create_deal("Straight to proposal", Money(0, "USD"), stage=ruled["Proposal"], rules=book)
    assert Deal.select().count() == 0
    made = deals.create_deal("Straight to proposal", Money(100, "USD"), stage=ruled["Proposal"], rules=book)
    assert made.probability == 55 and Activity.select().count() == 1


def test_winning_schedules_the_kick_off(ruled, book):
    deal = deals.create_deal("Signed", Money(100, "USD"))
    deals.win_deal(deal.id, rules=book)
    kick_off = Activity.get(Activity.deal == deal.id)
    assert (kick_off.kind, kick_off.subject, kick_off.due_date) == ("call", "Kick-off call", dt.date(2026, 11, 30))


def test_the_cli_fires_the_rules_and_reports_a_broken_one(db, backend_url, tmp_path, monkeypatch):
    from test_cli import run

    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("PIPETUI_CONFIG", str(config))
    with clock.frozen(NOW):
        deals.create_deal("Empty", Money(0, "USD"))
        refused = run(backend_url, "move", "Empty", "Proposal")
        assert refused.exit_code == 2 and "Traceback" not in refused.stderr
        warning, error = refused.stderr.splitlines()  # the broken rule, then the refusal
        assert "line 16" in warning and "Proposal needs a value first" in error
        added = run(backend_url, "add", "Signed", "--value", "100")
        assert added.exit_code == 0
        assert f"{config}: line 16: no stage 'Propsal'" in added.stderr  # a warning, not a failure
        ok_win = run(backend_url, "win", "Signed")
        assert ok_win.exit_code == 0
    assert Activity.get(Activity.subject == "Kick-off call").due_date == dt.date(2026, 11, 30)


async def test_the_board_fires_the_rules_and_says_why_a_move_is_refused(db, tmp_path):
    from pipetui.core.context import Context
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.widgets.board import BoardView

    context = Context(rules=rulebook(), problems=("config.toml: line 16: no stage 'Propsal'",))
    with clock.frozen(NOW):
        stages = {s.name: s for s in lookup.stages()}
        empty = deals.create_deal("Empty", Money(0, "USD"), stage=stages["Meeting"])
        app = PipetuiApp(db=db, location="t", context=context)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(6):
                await app.workers.wait_for_complete()
                await pilot.pause()
            board = app.screen.query_one(BoardView)
            await pilot.press("l", "l", "l")  # to Meeting
            assert board.current_card.title == "Empty"
            await pilot.press("L")
            for _ in range(6):
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert "Proposal needs a value first" in str(app.screen.query_one("#status").render())
            assert Deal.get_by_id(empty.id).stage_id == stages["Meeting"].id
            assert any("line 16" in str(n.message) for n in app._notifications)


def test_rotting_days_per_stage_from_the_config(db, tmp_path, monkeypatch):
    from pipetui.config import load_settings
    from pipetui.core import board, triage
    from pipetui.core.board import BoardFilter

    config = tmp_path / "config.toml"
    config.write_text('[rotting_days]\nProspecting = 3\nNowhere = 5\nContacted = 0\n')
    settings = load_settings(config)
    assert settings.rotting_days == {"Prospecting": 3, "Nowhere": 5}
    assert settings.rule_problems == [f"{config}: line 4: rotting days of 'Contacted' must be a whole "
                                      "number from 1 to 365"]
    with clock.frozen(NOW - dt.timedelta(days=5)):
        stale = deals.create_deal("Five days quiet", Money(100, "USD"))
    with clock.frozen(NOW):
        prospecting = lookup.resolve_stage("Prospecting")
        assert not board.cards(prospecting.id)[0].rotting  # the stage's own: 14 days
        book, problems = rules.compile([], settings.rotting_days)
        assert problems == ["[rotting_days]: no stage 'Nowhere' in the pipeline"]
        assert board.cards(prospecting.id, rules=book)[0].rotting
        assert board.columns(BoardFilter(), rules=book)[0].rotting_days == 3
        queue = triage.queue(rules=book)
        assert "rotting" in queue[0].reasons and queue[0].deal_id == stale.id
        assert all("rotting" not in item.reasons for item in triage.queue())  # the stage's own 14


def test_the_cli_move_sets_the_probability_and_schedules(ruled, backend_url, tmp_path, monkeypatch):
    from test_cli import run

    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("PIPETUI_CONFIG", str(config))
    priced = deals.create_deal("Priced", Money(5_000_00, "USD"))
    moved = run(backend_url, "move", "Priced", "Proposal")
    assert moved.exit_code == 0, moved.stderr
    assert Deal.get_by_id(priced.id).probability == 55
    assert Activity.get(Activity.deal == priced.id).subject == "Send proposal"


async def test_a_win_on_the_board_schedules_the_kick_off(ruled, book, db):
    from pipetui.core.context import Context
    from pipetui.tui.app import PipetuiApp

    signed = deals.create_deal("Signed", Money(100, "USD"))
    app = PipetuiApp(db=db, location="t", context=Context(rules=book))
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(6):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("w")
        for _ in range(6):
            await app.workers.wait_for_complete()
            await pilot.pause()
    assert Deal.get_by_id(signed.id).status == "won"
    assert Activity.get(Activity.deal == signed.id).subject == "Kick-off call"


def test_undoing_and_redoing_a_move_fires_no_rule_again(ruled):
    from pipetui.core.undo import Change, UndoLog

    deal = deals.create_deal("Back and forth", Money(0, "USD"), stage=ruled["Meeting"])
    moved = deals.move_deal(deal.id, ruled["Negotiation"])
    log = UndoLog()
    log.record(Change("move", deal.id, "move", ruled["Meeting"].id, ruled["Negotiation"].id, moved.version))
    # Proposal is not involved; a rule on entering Meeting would have refused (no value) or
    # scheduled again: the front door holds one.
    text = '[[rules]]\non = "enter"\nstage = "Meeting"\nrequire = "value"\nactivity = "task Prepare"\n'
    book = rulebook(text)
    _change, back = log.undo()
    assert back.stage_id == ruled["Meeting"].id and Activity.select().count() == 0
    _change, again = log.redo()
    assert again.stage_id == ruled["Negotiation"].id
    with pytest.raises(InvalidInput, match="needs a value"):  # a real move still obeys the rule
        deals.move_deal(deal.id, ruled["Meeting"], rules=book)
