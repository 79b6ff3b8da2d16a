"""The monitor: its figures, its bars, and following another process."""

from __future__ import annotations

import subprocess
import sys
import time

from test_metrics import NOVEMBER, NOW, story  # noqa: F401 - the fixture

from pipetui.core import clock
from pipetui.core.metrics import QuotaLine
from pipetui.tui.monitor import MonitorApp, quota_bar


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def settle(pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_quota_bar_marks_won_forecast_and_quota_without_colour():
    line = QuotaLine(None, "Team", quota=100, won=25, weighted_open=25, open_value=60)
    assert quota_bar(line, 20).plain == "█████▒▒▒▒▒         │"
    beyond = QuotaLine(None, "Team", quota=50, won=60, weighted_open=40, open_value=60)
    assert quota_bar(beyond, 10).plain == "████│█▒▒▒▒"  # quota passed: the mark sits inside
    none = QuotaLine(None, "Team", quota=None, won=0, weighted_open=0, open_value=0)
    assert quota_bar(none, 5).plain == "     "


async def test_the_monitor_at_40x12(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = MonitorApp(period=NOVEMBER, currency="USD")
        async with app.run_test(size=(40, 12)) as pilot:
            await settle(pilot)
            assert text_of(app, "#mon-title").startswith("Team 2026-11")
            assert text_of(app, "#mon-title").endswith("chance")
            quota = [line.rstrip() for line in text_of(app, "#mon-quota").splitlines()]
            assert quota[0].startswith("Team    ") and "│" in quota[0]
            assert quota[1] == "won $30k · forecast $79k · quota $40k"
            closing = [line.rstrip() for line in text_of(app, "#mon-closing").splitlines()]
            assert closing[0] == "This week: 2 to close, $80k"
            recent = text_of(app, "#mon-recent").splitlines()
            assert recent[0] == "Latest" and "F" in recent[1] and "won" in recent[1]  # F won Nov 25
            screen_lines = sum(len(text_of(app, s).splitlines())
                               for s in ("#mon-title", "#mon-quota", "#mon-closing", "#mon-recent"))
            assert screen_lines <= 12


async def test_the_monitor_follows_another_process(story, db, backend_url):  # noqa: F811
    with clock.frozen(NOW):
        app = MonitorApp(period=NOVEMBER, currency="USD")
        async with app.run_test(size=(40, 12)) as pilot:
            await settle(pilot)
            assert text_of(app, "#mon-closing").startswith("This week: 2 to close")
            done = subprocess.run(
                [sys.executable, "-m", "pipetui", "--db", backend_url, "add", "Rush order",
                 "--value", "1000", "--close", "2026-11-28"], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            deadline = time.monotonic() + 3
            while not text_of(app, "#mon-closing").startswith("This week: 3 to close"):
                assert time.monotonic() < deadline, text_of(app, "#mon-closing")
                await pilot.pause(0.05)
            assert "Rush" in text_of(app, "#mon-recent")  # "(no rep)" leaves no room for all of it at 40 columns


def test_monitor_refuses_bad_input_in_one_line(story, backend_url):  # noqa: F811
    from test_cli import assert_one_line_failure, run

    assert "not both" in assert_one_line_failure(run(backend_url, "monitor", "--rep", "Ann", "--team"), 2)
    assert "no rep" in assert_one_line_failure(run(backend_url, "monitor", "--rep", "Zed"), 2)
    assert "not a period" in assert_one_line_failure(run(backend_url, "monitor", "-p", "later"), 2)


async def test_the_monitor_lays_itself_out_again_on_every_resize(story, db):  # noqa: F811
    def bars(app) -> list[str]:
        return [line for line in text_of(app, "#mon-quota").splitlines() if not line.startswith("won ")]

    with clock.frozen(NOW):
        app = MonitorApp(period=NOVEMBER, currency="USD")
        async with app.run_test(size=(40, 12)) as pilot:
            await settle(pilot)
            small = bars(app)
            assert all(len(line.rstrip()) <= 40 for line in small)
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            big = bars(app)
            assert len(big) > len(small), text_of(app, "#mon-quota")  # room for the reps' bars
            assert max(len(line.rstrip()) for line in big) > 40  # and wider bars
            assert len(text_of(app, "#mon-closing").splitlines()) > 1
            await pilot.resize_terminal(40, 12)
            await settle(pilot)
            assert bars(app) == small  # no bar wrapped into fragments
            screen_lines = sum(len(text_of(app, s).splitlines())
                               for s in ("#mon-title", "#mon-quota", "#mon-closing", "#mon-recent"))
            assert screen_lines <= 12


async def test_a_change_made_by_no_rep_reads_as_no_rep(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = MonitorApp(period=NOVEMBER, currency="USD")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            recent = text_of(app, "#mon-recent").splitlines()[1:]
            assert recent and all(line.split()[1] != "-" for line in recent), recent
            assert any(line.split()[1:3] == ["(no", "rep)"] for line in recent), recent


async def test_the_figures_abbreviate_forecast_only_when_the_pane_is_too_narrow(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = MonitorApp(period=NOVEMBER, currency="USD")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert text_of(app, "#mon-quota").splitlines()[1].rstrip() == "won $30k · forecast $79k · quota $40k"
            await pilot.resize_terminal(34, 12)
            await settle(pilot)
            assert text_of(app, "#mon-quota").splitlines()[1].rstrip() == "won $30k · fc. $79k · quota $40k"
