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
