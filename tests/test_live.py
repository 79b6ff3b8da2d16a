"""Noticing other processes' commits: the store's watcher, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys

from pipetui.core import deals
from pipetui.core.connection import on_own_connection
from pipetui.core.money import Money
from pipetui.store.changes import ChangeWatcher


def cli(url: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pipetui", "--db", url, *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_commit_in_another_process_is_noticed_once(db, backend_url):
    watcher = ChangeWatcher(db)
    try:
        assert not watcher.changed()
        cli(backend_url, "add", "From elsewhere", "--value", "100")
        assert watcher.wait(5)
        assert not watcher.changed()  # once per batch of commits
        cli(backend_url, "win", "From elsewhere")
        assert watcher.wait(5)
    finally:
        watcher.close()


def test_reads_are_not_changes(db, backend_url):
    deals.create_deal("Quiet", Money(100, "USD"))
    watcher = ChangeWatcher(db)
    try:
        cli(backend_url, "deals")
        cli(backend_url, "report")
        assert not watcher.wait(0.5)
    finally:
        watcher.close()


def test_a_worker_threads_commit_counts_too(db):
    """The app's own writes run on worker connections; the screens reload on
    them like on anyone's (and draw only what differs)."""
    import threading

    watcher = ChangeWatcher(db)
    try:
        thread = threading.Thread(
            target=lambda: on_own_connection(lambda: deals.create_deal("Mine", Money(100, "USD"))))
        thread.start()
        thread.join()
        assert watcher.wait(5)
    finally:
        watcher.close()


# --- the screens follow ------------------------------------------------------


async def wait_until(pilot, condition, seconds: float = 3.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the screen did not follow the change"
        await pilot.pause(0.05)


async def test_the_board_follows_another_process_and_keeps_the_cursor(db, backend_url):
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.widgets.board import BoardView

    deals.create_deal("Small", Money(1_000_00, "USD"))
    deals.create_deal("Medium", Money(5_000_00, "USD"))
    app = PipetuiApp(db=db, location="test")
    async with app.run_test(size=(100, 30)) as pilot:
        board = app.screen.query_one(BoardView)
        await wait_until(pilot, lambda: board.current_card is not None)
        await pilot.press("j")
        await wait_until(pilot, lambda: board.current_card.title == "Small")
        cli(backend_url, "add", "Huge", "--value", "90000")  # sorts above the cursor
        await wait_until(pilot, lambda: board.columns[0].count == 3)
        assert board.current_card.title == "Small" and board.cursor.row == 2
        cli(backend_url, "move", "Small", "Contacted")
        await wait_until(pilot, lambda: board.columns[1].count == 1)
        assert board.columns[0].count == 2


async def test_a_change_that_changes_nothing_on_screen_sends_nothing(db):
    from textual._compositor import CompositorUpdate

    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.widgets.board import BoardView
    from pipetui.tui.live import DataChanged

    deals.create_deal("Steady", Money(1_000_00, "USD"))
    app = PipetuiApp(db=db, location="test")
    frames = []
    display = app._display

    def counting(screen, renderable):
        if isinstance(renderable, CompositorUpdate):
            frames.append(renderable)
        display(screen, renderable)

    app._display = counting
    async with app.run_test(size=(100, 30)) as pilot:
        board = app.screen.query_one(BoardView)
        await wait_until(pilot, lambda: board.current_card is not None)
        await pilot.pause(0.3)
        before = len(frames)
        app.screen.post_message(DataChanged())
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert len(frames) == before


async def test_a_board_behind_a_dialog_catches_up_when_it_returns(db, backend_url):
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.widgets.board import BoardView
    from pipetui.tui.dialogs import HelpDialog
    from pipetui.tui.screens.board import BoardScreen

    deals.create_deal("First", Money(1_000_00, "USD"))
    app = PipetuiApp(db=db, location="test")
    async with app.run_test(size=(100, 30)) as pilot:
        board = app.screen.query_one(BoardView)
        await wait_until(pilot, lambda: board.current_card is not None)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpDialog))
        cli(backend_url, "add", "While you read the help", "--value", "10")
        await pilot.pause(0.8)  # noticed while the help is in front
        assert board.columns[0].count == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BoardScreen))
        await wait_until(pilot, lambda: board.columns[0].count == 2)


def test_the_watcher_opens_a_file_whose_name_has_uri_characters(tmp_path):
    from pipetui.store import open_database

    folder = tmp_path / "sales #1 ?"
    folder.mkdir()
    db = open_database(folder / "pipe%line.db")
    watcher = ChangeWatcher(db)
    try:
        assert not watcher.changed()
        on_own_connection(lambda: deals.create_deal("Odd path", Money(1, "USD")))
        assert watcher.changed()
    finally:
        watcher.close()
        db.close()


def test_commits_to_another_schema_of_the_database_are_not_ours(tmp_path):
    """NOTIFY is database-wide; a pipeline in another schema of the same
    PostgreSQL database must not wake our screens."""
    from conftest import drop_schema, postgres_url

    from pipetui.store import open_database

    ours = postgres_url()
    other_schema = f"pipetui_other_{os.getpid()}"
    other = postgres_url(other_schema)
    db = open_database(ours)
    watcher = ChangeWatcher(db)
    try:
        cli(other, "add", "Elsewhere", "--value", "100")  # migrates and writes the other schema
        assert not watcher.wait(1)
        cli(ours, "add", "Here", "--value", "100")
        assert watcher.wait(5)
    finally:
        watcher.close()
        db.close()
        drop_schema(other_schema)
