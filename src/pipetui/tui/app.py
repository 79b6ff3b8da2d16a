"""The pipetui application.

The app is given its database, who is acting and the settings by whoever
starts it (the CLI, or a test); it opens on the board.
"""

from __future__ import annotations

import gc
from pathlib import Path

from peewee import Database
from textual.app import App
from textual.binding import Binding

from pipetui.config import load_state, save_state
from pipetui.tui.commands import GoToDeal
from pipetui.tui.live import LiveApp
from pipetui.tui.screens import BoardScreen
from pipetui.tui.styles import sheet

_frozen = False


def _freeze_startup_objects() -> None:
    """Leave the objects made so far (modules, classes, parsed styles) out of
    garbage collection, once per process. They live as long as the process,
    and a full collection scanning them landed in the first frame, adding a
    third to the time the board takes to open."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


class PipetuiApp(LiveApp):
    """A keyboard-driven sales pipeline."""

    CSS_PATH = sheet("app.tcss")
    TITLE = "pipetui"
    COMMANDS = App.COMMANDS | {GoToDeal}

    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Quit pipetui", id="app.quit"),
    ]

    def __init__(self, *, db: Database, location: str, actor=None, settings=None,
                 state_file: Path | None = None, start: str = "board",
                 warnings: list[str] | None = None) -> None:
        super().__init__()
        _freeze_startup_objects()
        self.db = db
        self.location = location
        self.actor = actor
        self.settings = settings
        self.state_file = state_file  # where the theme is remembered; None: nowhere
        self.sub_title = location
        self.start = start  # "board", or "triage" for `pipetui triage`
        self.warnings = warnings or []  # e.g. broken automation rules: shown, not fatal

    def on_mount(self) -> None:
        if self.state_file is not None:
            theme = load_state(self.state_file).get("theme")
            if theme in self.available_themes:
                self.theme = theme
            self.theme_changed_signal.subscribe(self, self._remember_theme)
        keymap = self.settings.keys if self.settings is not None else {}
        if keymap:
            self.set_keymap(keymap)
        currency = self.settings.currency if self.settings is not None else "USD"
        if self.start == "triage":
            from pipetui.tui.triage import TriageScreen

            self.push_screen(TriageScreen(actor=self.actor, currency=currency, as_root=True))
        else:
            self.push_screen(BoardScreen(actor=self.actor, keymap=keymap, currency=currency))
        self.watch_database()
        for warning in self.warnings:
            self.notify(f"{warning}; the rule is left out", title="Config", severity="warning",
                        timeout=15, markup=False)

    def _remember_theme(self, theme) -> None:
        try:
            state = load_state(self.state_file)
            state["theme"] = theme.name
            save_state(self.state_file, state)
        except OSError as exc:
            self.notify(f"could not remember the theme: {exc}", severity="warning", markup=False)
