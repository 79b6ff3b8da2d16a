"""The dialogs: one family, drawn by one style rule (``Dialog`` in
``styles/dialogs.tcss``): a framed box in the middle of the screen with a
title. Esc closes every one of them without an answer.

- :class:`ConfirmDialog` asks a yes-or-no question.
- :class:`PickDialog` offers a list, and optionally a field to type another
  answer (an owner, a snooze; :class:`LoseDialog`, a lost reason).
- :class:`HelpDialog` lists the keys of a screen.

:func:`ask_field_value` chains two of them: which custom field, then its value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core.text import printable
from pipetui.tui.keys import type_into
from pipetui.tui.styles import sheet
from pipetui.tui.widgets.lists import MovingList

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A titled box over the screen; subclasses yield its body."""

    CSS_PATH = sheet("dialogs.tcss")  # read when a dialog is first shown, not at start-up

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(printable(self.dialog_title)), id="dialog-title")
            yield from self.body()

    def body(self) -> ComposeResult:
        yield from ()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog[bool]):
    """A question answered with ``y`` (True) or ``n``/Esc (False)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str, no: str) -> None:
        super().__init__(question)
        self.yes, self.no = yes, no

    def body(self) -> ComposeResult:
        yield Label(f"y: {self.yes}    n or Esc: {self.no}", id="dialog-keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PickDialog(Dialog[T], Generic[T]):
    """Pick one of ``choices`` (label, value), or, when ``typed`` names what
    may be typed, type an answer and press Enter: keys typed while the list
    has focus go to the field, which starts with ``value`` (to be edited)."""

    def __init__(self, title: str, choices: Sequence[tuple[str, T]], *, typed: str | None = None,
                 value: str = "") -> None:
        super().__init__(title)
        self.choices = list(choices)
        self.typed = typed
        self.value = value

    def body(self) -> ComposeResult:
        yield MovingList(*[Option(Text(printable(label)), id=str(index))
                           for index, (label, _) in enumerate(self.choices)], id="choices")
        if self.typed is not None:
            yield Input(printable(self.value), placeholder=self.typed, id="typed", select_on_focus=False)

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id)][1])

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def on_key(self, event: events.Key) -> None:
        if self.typed is None:
            return
        field = self.query_one("#typed", Input)
        if self.focused is field:
            return
        if event.key == "enter" and field.value.strip():
            event.stop()
            self.dismiss(field.value.strip())
        elif type_into(field, event):
            field.focus()


class LoseDialog(PickDialog[str]):
    """Why a deal was lost: one of the listed reasons, or one typed."""

    def __init__(self, title: str, reasons: list[str]) -> None:
        super().__init__(f"Why was {title} lost?", [(r, r) for r in reasons],
                         typed="or type a reason and press Enter")


class HelpDialog(Dialog[None]):
    """Every key of a screen, from its bindings as remapped."""

    BINDINGS = [Binding("escape,question_mark,q", "cancel", "Close", id="help.close")]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__("Keys (arrows scroll)")
        self.bindings = list(bindings)

    def body(self) -> ComposeResult:
        keymap = getattr(self.app, "_keymap", {})
        rows = Text()
        for binding in self.bindings:
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            shown = ", ".join(self.app.get_key_display(Binding(k, "")) for k in keys.split(","))
            rows.append(f"{shown:<22}", style="bold")
            rows.append(f"{binding.tooltip or binding.description}\n")
        with VerticalScroll(id="keys-scroll"):
            yield Static(rows, id="keys")


CLEAR = ""  # the value that empties a field


def ask_field_value(screen, pipeline_id: int | None, whose: str, then: Callable[[str, str], None], *,
                    say: Callable[[str], None]) -> None:
    """Ask which custom field of the deals of ``pipeline_id`` to set, then
    its value (a listed choice, yes or no, or typed; "empty" clears it), and
    call ``then(field name, text)``; Esc at either step: nothing. The core
    checks the value when it is written. ``say`` tells the user there is no
    field to set."""
    from pipetui.core import fields

    def value_of(field: fields.FieldDef | None) -> None:
        if field is None:
            return
        if field.type == "checkbox":
            choices = [(fields.YES, fields.YES), (fields.NO, fields.NO)]
        else:
            choices = [(choice, choice) for choice in field.choices]
        choices.append(("(empty)", CLEAR))
        typed = {"choice": None, "checkbox": None, "multi": "or type several, comma-separated"}.get(
            field.type, f"type a {field.type} and press Enter")
        screen.app.push_screen(PickDialog(f"{field.name} of {whose}", choices, typed=typed),
                               lambda text: text is not None and then(field.name, text))

    def offer(found: list[fields.FieldDef]) -> None:
        if not found:
            say("No custom field for these deals: add one in the pipeline settings (P, then f)")
            return
        screen.app.push_screen(PickDialog(f"Set which field of {whose}?",
                                          [(f"{f.name} ({f.type})", f) for f in found]), value_of)

    screen.run_db(lambda: fields.definitions("deal", pipeline_id=pipeline_id), offer)
