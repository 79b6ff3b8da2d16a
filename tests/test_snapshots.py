"""How the screens look, as SVG snapshots on a seeded demo with a frozen clock.

Review the report (snapshot_report.html) before accepting a change with
``pytest --snapshot-update``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipetui.core import clock, demo
from pipetui.tui.app import PipetuiApp

NOW = dt.datetime(2026, 11, 27, 9, 0)
SIZES = [(80, 24), (160, 48)]


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def demo_app(sqlite_db):
    with clock.frozen(NOW):
        demo.generate(300, seed=1)
        yield PipetuiApp(db=sqlite_db, location="demo.db")


def snapshot(snap_compare, app, size, *keys):
    async def run_before(pilot):
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        # A text field's cursor blinks every half second: where the picture
        # falls in that cycle would decide the snapshot. Stop the blinking.
        from textual.widgets import Input

        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    with clock.frozen(NOW):
        return snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_board(snap_compare, demo_app, size):
    assert snapshot(snap_compare, demo_app, size, "j", "l")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_editor(snap_compare, demo_app, size):
    assert snapshot(snap_compare, demo_app, size, "enter")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, demo_app, size):
    assert snapshot(snap_compare, demo_app, size, "question_mark")


@pytest.mark.parametrize("size", [*SIZES, (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_metrics(snap_compare, demo_app, size):
    assert snapshot(snap_compare, demo_app, size, "m")


@pytest.mark.parametrize("size", [(40, 12), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_monitor(snap_compare, sqlite_db, size, monkeypatch):
    import time

    from pipetui.core.dates import quarter_period
    from pipetui.tui.monitor import MonitorApp

    monkeypatch.setenv("TZ", "UTC")  # the latest changes show local times
    time.tzset()

    with clock.frozen(NOW):
        demo.generate(300, seed=1)
        app = MonitorApp(period=quarter_period(NOW.date()), currency="USD")
    assert snapshot(snap_compare, app, size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_triage(snap_compare, demo_app, size):
    assert snapshot(snap_compare, demo_app, size, "t")


# Every dialog, drawn by the one Dialog rule over the screen that opened it.
DIALOGS = {
    "lose": ("x",),
    "lose-typed": ("x", "N", "o", " ", "b", "u", "d", "g", "e", "t"),
    "owner": ("o",),
    "discard": ("enter", "end", "X", "escape"),
    "snooze": ("t", "s"),
    "customer-form": ("c", "n"),
    "customer-delete": ("c", "D"),
}


@pytest.mark.parametrize("dialog", DIALOGS)
def test_dialog(snap_compare, demo_app, dialog):
    assert snapshot(snap_compare, demo_app, (80, 24), *DIALOGS[dialog])
