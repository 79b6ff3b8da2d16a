"""The triage screen, key by key, checked against the database."""

from __future__ import annotations

import datetime as dt

from test_triage import NOW, day  # noqa: F401 - the fixture

from pipetui.core import clock
from pipetui.store import LOST, WON, Activity, Deal
from pipetui.tui.app import PipetuiApp
from pipetui.tui.screens.triage import TriageScreen


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def titles(app) -> list[str]:
    return [item.title for item in app.screen.queue]


async def open_triage(pilot, app) -> None:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(app.screen, TriageScreen)


def deal(title: str) -> Deal:
    return Deal.get(Deal.title == title)


async def test_d_marks_the_due_activity_done_and_the_queue_moves_on(day, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            assert titles(app)[:2] == ["O", "P"]
            await pilot.press("d")
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").done
            assert titles(app)[0] == "P"  # O is slow still, but lower now: P comes first
            assert app.screen.current.title == "P"


async def test_c_changes_the_close_date_and_a_schedules_a_next_step(day, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("j")  # P: its close date has passed
            await pilot.press("c", *"+1w", "enter")
            await settle(pilot)
            assert deal("P").expected_close == dt.date(2026, 12, 4)
            assert "P" not in titles(app)
            assert app.screen.current.title == "N"
            await pilot.press("a", *"call mon pricing", "enter")
            await settle(pilot)
            scheduled = Activity.get(Activity.subject == "pricing")
            assert (scheduled.kind, scheduled.due_date, scheduled.deal_id) == ("call", dt.date(2026, 11, 30),
                                                                              deal("N").id)
            assert "N" not in titles(app)


async def test_a_line_typed_in_one_burst_after_a_is_scheduled_whole(day, db):  # noqa: F811
    """Over SSH the keys after ``a`` arrive together, before the prompt has
    focus; the prompt must not select them when it gets focus (the next key
    would replace them)."""
    from textual import events

    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            for key in ["a", *"call mon pr"]:
                app.post_message(events.Key("space" if key == " " else key, key))
            await settle(pilot)  # the prompt has focus now
            await pilot.press(*"icing", "enter")
            await settle(pilot)
            scheduled = Activity.get(Activity.subject == "pricing")
            assert (scheduled.kind, scheduled.due_date) == ("call", dt.date(2026, 11, 30))


async def test_snooze_win_lose_move_and_undo(day, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("s")
            await settle(pilot)
            await pilot.press("down", "enter")  # +3 days
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").due_date == dt.date(2026, 11, 30)
            await pilot.press("w")  # the queue's first deal now
            await settle(pilot)
            won = Deal.get(Deal.status == WON, Deal.title != "W")
            await pilot.press("u")
            await settle(pilot)
            assert Deal.get_by_id(won.id).status == "open"
            first = app.screen.current.title
            await pilot.press("x")
            await settle(pilot)
            await pilot.press("enter")  # the first listed reason
            await settle(pilot)
            assert deal(first).status == LOST
            moving = app.screen.current.title
            stage_before = deal(moving).stage.position
            await pilot.press("L")
            await settle(pilot)
            assert deal(moving).stage.position == stage_before + 1


async def test_escape_closes_the_prompt_and_changes_nothing(day, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("j", "c", *"fri", "escape")
            await settle(pilot)
            assert deal("P").expected_close == dt.date(2026, 11, 20)
            await pilot.press("c", *"someday", "enter")
            await settle(pilot)
            assert "not a date" in str(app.screen.query_one("#triage-status").render())
            assert deal("P").expected_close == dt.date(2026, 11, 20)
            await pilot.press("b")
            await settle(pilot)
            assert not isinstance(app.screen, TriageScreen)


async def test_a_queue_of_ten_is_cleared_in_under_sixty_keys(db):
    """Ten deals, each needing one thing: four overdue calls, three deals
    closing this week with no next step, three whose close date passed."""
    from pipetui.core import activities, deals
    from pipetui.core.money import Money

    with clock.frozen(NOW - dt.timedelta(days=3)):
        for n in range(4):
            overdue = deals.create_deal(f"Overdue {n}", Money(1000 * (n + 1), "USD"))
            activities.add_activity("call", f"Call {n}", deal=overdue, due_date=dt.date(2026, 11, 25))
        for n in range(3):
            deals.create_deal(f"Closing {n}", Money(500 * (n + 1), "USD"), expected_close=dt.date(2026, 11, 28))
        for n in range(3):
            late = deals.create_deal(f"Late {n}", Money(100 * (n + 1), "USD"), expected_close=dt.date(2026, 11, 20))
            activities.add_activity("email", f"Mail {n}", deal=late, due_date=dt.date(2026, 12, 3))
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            assert len(app.screen.queue) == 10
            presses = 0
            while app.screen.queue:
                item = app.screen.current
                if "overdue" in item.reasons:
                    keys = ["d"]
                elif "no_step" in item.reasons:
                    keys = ["a", *"call mon", "enter"]
                else:
                    keys = ["c", *"+2w", "enter"]
                await pilot.press(*keys)
                await settle(pilot)
                presses += len(keys)
                assert presses < 60, f"{presses} keys and {len(app.screen.queue)} deals left"
            assert presses == 4 * 1 + 3 * 10 + 3 * 5  # 49


async def test_u_undoes_done_snooze_schedule_and_close_date_too(day, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("d")
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").done
            await pilot.press("u")
            await settle(pilot)
            assert not Activity.get(Activity.subject == "Ping").done
            await pilot.press("s")
            await settle(pilot)
            await pilot.press("enter")  # +1 day
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").due_date == dt.date(2026, 11, 28)
            await pilot.press("u")
            await settle(pilot)
            assert Activity.get(Activity.subject == "Ping").due_date == dt.date(2026, 11, 25)
            await pilot.press("a", *"email fri recap", "enter")
            await settle(pilot)
            assert Activity.get_or_none(Activity.subject == "recap") is not None
            await pilot.press("u")
            await settle(pilot)
            assert Activity.get_or_none(Activity.subject == "recap") is None
            target = app.screen.current.title
            before = deal(target).expected_close
            await pilot.press("c", *"+2w", "enter")
            await settle(pilot)
            assert deal(target).expected_close != before
            await pilot.press("u")
            await settle(pilot)
            assert deal(target).expected_close == before
            assert "Undid close date change" in str(app.screen.query_one("#triage-status").render())


async def test_h_moves_back_and_enter_opens_the_editor(day, db):  # noqa: F811
    from pipetui.tui.screens.editor import DealEditor

    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("j")  # P, in Contacted
            await pilot.press("H")
            await settle(pilot)
            assert deal("P").stage.name == "Prospecting"
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DealEditor)


async def test_a_status_message_leaves_after_a_few_seconds(day, db, monkeypatch):  # noqa: F811
    monkeypatch.setattr(TriageScreen, "MESSAGE_SECONDS", 0.3)
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="t")
        async with app.run_test(size=(100, 30)) as pilot:
            await open_triage(pilot, app)
            await pilot.press("u")
            await settle(pilot)
            status = app.screen.query_one("#triage-status")
            assert "Nothing to undo" in str(status.render())
            await pilot.pause(0.5)
            assert str(status.render()).strip() == ""
