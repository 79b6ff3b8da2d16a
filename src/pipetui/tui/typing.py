"""Keys typed into a field that has been shown but does not have focus yet.

A key that opens a text field acts on key press; focus moves a moment later,
and the keys typed meanwhile must land in the field, not act as commands.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


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
