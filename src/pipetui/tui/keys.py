"""Keystrokes: which keys a binding has after the user's keymap, and keys
typed into a field that has been shown but does not have focus yet.

A key that opens a text field acts on key press; focus moves a moment later,
and the keys typed meanwhile must land in the field, not act as commands.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.screen import Screen
from textual.widgets import Input


def bound_keys(screen: Screen, binding_id: str) -> set[str]:
    """The keys that run the binding ``binding_id`` on ``screen`` now, as
    remapped by the user's keymap."""
    keys = {key for key, active in screen.active_bindings.items() if active.binding.id == binding_id}
    if keys:
        return keys
    # A binding hidden by check_action is not active; read the declared one.
    keymap = getattr(screen.app, "_keymap", {})
    for binding in type(screen).BINDINGS:
        if getattr(binding, "id", None) == binding_id:
            return {k.strip() for k in keymap.get(binding_id, binding.key).split(",")}
    return set()


def type_into(field: Input, event: events.Key) -> bool:
    """Put a printable key (or a backspace) into ``field``; True when it did,
    and then the key is stopped."""
    if event.key == "backspace":
        field.action_delete_left()
    elif event.is_printable and event.character:
        field.insert_text_at_cursor(event.character)
    else:
        return False
    event.stop()
    return True


class TypeAhead:
    """A text field a screen opens with a key (honouring the keymap) and
    that takes every key typed after that one, even before it has focus.
    The field must not select its text on focus (``select_on_focus=False``):
    the keys typed ahead would be replaced by the next one.

    Bindings run only once a key has bubbled up to the app, after the keys
    typed behind it have already been dispatched; so the opening keys act in
    the screen's ``on_key``, which hands each key to :meth:`key`.
    """

    def __init__(self, screen: Screen, field: Callable[[], Input], openers: dict[str, Callable[[], None]],
                 *, submit: Callable[[], None], cancel: Callable[[], None]) -> None:
        self.screen = screen
        self._field = field
        self.openers = openers  # binding id -> the action that opens the field
        self.submit = submit
        self.cancel = cancel
        self.typing = False
        self._opening: dict[str, Callable[[], None]] | None = None  # key -> action, once known

    def key(self, event: events.Key) -> None:
        """Route one key: open the field, or give it what it is still owed."""
        if not self.typing:
            if self._opening is None:
                # Read once: the keymap is set before any screen, and every
                # key on the board (a cursor move too) passes through here.
                self._opening = {key: action for binding_id, action in self.openers.items()
                                 for key in bound_keys(self.screen, binding_id)}
            action = self._opening.get(event.key)
            if action is not None:
                event.stop()
                action()
            return
        field = self._field()
        if self.screen.focused is field and event.key not in ("escape", "enter"):
            return  # the field has the keys itself now
        if event.key == "escape":
            event.stop()
            self.cancel()
        elif event.key == "enter":
            event.stop()
            self.submit()
        else:
            type_into(field, event)
