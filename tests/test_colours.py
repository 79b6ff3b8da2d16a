"""Every screen draws under NO_COLOR (Textual's monochrome filter reads the
style of every segment drawn), at the smallest size and at 80x24."""

from __future__ import annotations

import datetime as dt

import pytest

from pipetui.core import clock, demo
from pipetui.tui.app import PipetuiApp

NOW = dt.datetime(2026, 11, 27, 9, 0)

# Keys from the board to each screen and dialog, and the screen then in front.
VISITS = [
    ((), "BoardScreen"),
    (("j", "l", "G"), "BoardScreen"),
    (("enter",), "DealEditor"),
    (("t",), "TriageScreen"),
    (("t", "b"), "BoardScreen"),
    (("m",), "MetricsScreen"),
    (("c",), "CustomersScreen"),
    (("question_mark",), "HelpDialog"),
    (("x",), "LoseDialog"),
    (("o",), "PickDialog"),
]


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("size", [(40, 12), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_screen_draws_without_colour(sqlite_db, monkeypatch, size):
    with clock.frozen(NOW):
        demo.generate(60, seed=1)
        for keys, screen in VISITS:
            monkeypatch.setenv("NO_COLOR", "1")  # the app reads (and removes) it when made
            app = PipetuiApp(db=sqlite_db, location="t")
            assert app.no_color
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                for key in keys:
                    await pilot.press(key)
                    await settle(pilot)
                assert type(app.screen).__name__ == screen, keys
                await pilot.pause()
            assert app._exception is None, (keys, app._exception)


async def test_an_unexpected_error_is_one_line_and_a_private_log(sqlite_db, tmp_path, monkeypatch):
    """What the user reads is one line naming the log; the log has the traceback."""
    import os
    import stat

    from pipetui.tui.screens.board import BoardScreen

    def broken(self) -> None:
        raise RuntimeError("the board broke")

    monkeypatch.setattr(BoardScreen, "action_help", broken)
    log = tmp_path / "state" / "crash.log"
    app = PipetuiApp(db=sqlite_db, location="t", crash_log=log)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
    assert app.return_code == 1
    assert app.crash_report == f"unexpected error: RuntimeError: the board broke (the details are in {log})"
    details = log.read_text()
    assert "Traceback" in details and "in broken" in details
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
