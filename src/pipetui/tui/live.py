"""Live screens: the app looks for other processes' commits a few times a
second (a cheap check, see :func:`pipetui.core.connection.watch_changes`) and tells every
screen, which reloads what it shows and redraws only what differs."""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from pipetui.core.connection import watch_changes
from pipetui.core.text import printable
from pipetui.tui.contrast import ERROR, readable_variables
from pipetui.tui.work import DatabaseWork

POLL_SECONDS = 0.25  # how often to look for other processes' commits


class DataChanged(Message):
    """Someone committed (another process, or one of our workers): every
    screen reloads what it shows, and draws only what differs."""


_frozen = False


def freeze_startup_objects() -> None:
    """Leave the objects made so far (modules, classes, parsed styles) out of
    garbage collection, once per process. They live as long as the process,
    and a full collection scanning them landed in the first frame, adding a
    third to the time the board takes to open."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


# Textual's themes whose own text does not read on their own panels once a
# terminal has 256 colours (tests/test_contrast.py measures every theme).
UNREADABLE_THEMES = ("solarized-dark",)


class LiveScreen(DatabaseWork, Screen):
    """A screen that reloads on :class:`DataChanged`, also when it comes back
    to the front after changes made while it was behind another."""

    behind_on_data = False
    STATUS = ""  # the id of the screen's status line, a Static
    MESSAGE_SECONDS = 6.0  # how long a status message stays
    _message_timer: Timer | None = None

    def _status(self, text: str, *, error: bool = False) -> None:
        """Say ``text`` on the status line (in red for an error) for a few seconds."""
        self.query_one(f"#{self.STATUS}", Static).update(Content.styled(printable(text), ERROR if error else ""))
        if text:
            self.expire_message(lambda: self._status(""))

    def expire_message(self, clear: Callable[[], None]) -> None:
        """Call ``clear`` once the status message has been shown a few
        seconds; a newer message starts the wait again."""
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(self.MESSAGE_SECONDS, clear)

    def on_screen_resume(self) -> None:
        if self.behind_on_data:
            self.behind_on_data = False
            self.post_message(DataChanged())


class LiveApp(DatabaseWork, App):
    """An app that tells its screens when the database changed, and that
    reports an unexpected error in one line, its details in a log file."""

    def __init__(self, *, crash_log: Path | None = None) -> None:
        super().__init__()
        for theme in UNREADABLE_THEMES:
            self.unregister_theme(theme)
        if self.few_colours:
            self.theme = "ansi-dark"
        freeze_startup_objects()
        self.crash_log = crash_log  # None: Textual's own traceback on the terminal

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables, its text colours made readable (see
        :func:`pipetui.tui.contrast.readable_variables`)."""
        variables = super().get_css_variables()
        variables.update(readable_variables(variables, self.ansi_theme))
        self.theme_variables = variables
        return variables

    @property
    def few_colours(self) -> bool:
        """A terminal of 16 colours or fewer: the true-colour themes fall apart
        there (two near colours become one), the ANSI themes are its own."""
        return self.console.color_system in ("standard", "windows")

    crash_report: str | None = None
    """After an unexpected error: the one line to show, naming the log."""

    def _fatal_error(self) -> None:
        """Textual's hook for an unhandled exception: the traceback goes to
        the crash log (private, appended) and the one line to show to
        :attr:`crash_report`, for whoever started the app to print; the app
        exits with status 1. ``PIPETUI_DEBUG=1`` keeps Textual's traceback."""
        if self.crash_log is None or os.environ.get("PIPETUI_DEBUG"):
            super()._fatal_error()
            return
        error = self._exception
        line = f"unexpected error: {type(error).__name__}: {error}"
        try:
            self.crash_log.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.crash_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as log:
                log.write("".join(traceback.format_exception(error)) + "\n")
            line += f" (the details are in {self.crash_log})"
        except OSError as exc:
            line += f" (could not write the details to {self.crash_log}: {exc.strerror or exc})"
        self.crash_report = line
        self.bell()
        self._close_messages_no_wait()

    _watcher = None

    def watch_database(self) -> None:
        try:
            self._watcher = watch_changes()
        except Exception as exc:  # noqa: BLE001 - the app works without it
            self.notify(f"live updates are off: {exc}", severity="warning", markup=False)
            return
        self.set_interval(POLL_SECONDS, self._poll_changes)

    def _poll_changes(self) -> None:
        try:
            changed = self._watcher.changed()
        except Exception:  # noqa: BLE001 - a locked or vanished file: try again next time
            return
        if changed:
            # Only the screen in front is told now: a message to a screen
            # behind it makes Textual lay out the whole terminal again. The
            # others catch up when they come back to the front.
            self.screen.post_message(DataChanged())
            for screen in self.screen_stack[:-1]:
                if isinstance(screen, LiveScreen):
                    screen.behind_on_data = True

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
