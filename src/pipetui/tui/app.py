"""The pipetui application.

The app is given its database, who is acting and the settings by whoever
starts it (the CLI, or a test); it opens on the board.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from pipetui.config import load_state, save_state
from pipetui.core.context import Context
from pipetui.tui.commands import GoToDeal
from pipetui.tui.live import LiveApp
from pipetui.tui.screens.board import BoardScreen
from pipetui.tui.styles import sheet


class PipetuiApp(LiveApp):
    """A keyboard-driven sales pipeline."""

    CSS_PATH = sheet("app.tcss")
    TITLE = "pipetui"
    COMMANDS = App.COMMANDS | {GoToDeal}

    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="Quit pipetui", id="app.quit"),
    ]

    def __init__(self, *, db: Any, location: str, context: Context | None = None, actor=None,
                 state_file: Path | None = None, start: str = "board", crash_log: Path | None = None,
                 pipeline_id: int | None = None) -> None:
        super().__init__(crash_log=crash_log)
        self.db = db  # the open database; workers open their own connections to it
        self.location = location
        self.context = context or Context()  # settings, rules, rotting days: every screen's
        self.actor = actor
        self.state_file = state_file  # where the theme is remembered; None: nowhere
        self.sub_title = location
        self.start = start  # "board", or "triage" for `pipetui triage`
        # The pipeline the board and triage show (None: the board shows the
        # first one, triage all of them); the board's switch key changes it.
        self.pipeline_id = pipeline_id

    @property
    def currency(self) -> str:
        return self.context.currency

    def on_mount(self) -> None:
        if self.state_file is not None:
            theme = load_state(self.state_file).get("theme")
            if theme in self.available_themes and (theme.startswith("ansi-") or not self.few_colours):
                self.theme = theme
            self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.context.keys:
            self.set_keymap(self.context.keys)
        if self.start == "triage":
            from pipetui.tui.screens.triage import TriageScreen

            self.push_screen(TriageScreen(actor=self.actor, as_root=True))
        else:
            self.show_board()
        self.watch_database()
        for warning in self.context.problems:  # broken rules: shown, not fatal
            self.notify(f"{warning}; the rule is left out", title="Config", severity="warning",
                        timeout=15, markup=False)

    def show_board(self) -> None:
        """The board in place of the screen in front (or as the first one)."""
        board = BoardScreen(actor=self.actor)
        if len(self.screen_stack) > 1:
            self.switch_screen(board)
        else:
            self.push_screen(board)

    def _remember_theme(self, theme) -> None:
        try:
            state = load_state(self.state_file)
            state["theme"] = theme.name
            save_state(self.state_file, state)
        except OSError as exc:
            self.notify(f"could not remember the theme: {exc}", severity="warning", markup=False)
