"""A list that moves with the board's keys as well as the arrows."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList


class MovingList(OptionList):
    """An option list that also takes j/k and g/G (PgUp/PgDn, Home/End and
    the arrows it has already), like the board's columns."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g", "first", "First", show=False, id="list.top"),
        Binding("G", "last", "Last", show=False, id="list.bottom"),
    ]

    def notify_style_update(self) -> None:
        # A row's colours are theme variables, resolved when it is drawn; the
        # rows drawn in the theme before must not be reused (two ANSI themes
        # give the list the same style, so Textual's cache key misses it).
        self._clear_caches()
        super().notify_style_update()
