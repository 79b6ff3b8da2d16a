"""The customers screen (``c`` from the board): people and companies with
incremental search; for the one selected, their deals (open and closed, with
totals), activities and notes. Add, edit and delete, validated by
:mod:`pipetui.core.customers`."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import customers
from pipetui.core.connection import on_own_connection
from pipetui.core.errors import user_message
from pipetui.core.money import format_money
from pipetui.tui.board import printable
from pipetui.tui.keybar import KeyBar
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.typing import type_into


def _totals(found: customers.Profile, status: str) -> str:
    totals = found.totals(status)
    if not totals:
        return "none"
    count = sum(n for n, _ in totals.values())
    money = " + ".join(format_money(v, c, cents=False) for c, (_, v) in sorted(totals.items()))
    return f"{count} ({money})"


class CustomersScreen(LiveScreen):
    """People and companies."""

    CSS_PATH = sheet("customers.tcss")
    BINDINGS = [
        Binding("n", "new('organization')", "New company", id="customers.new_organization"),
        Binding("p", "new('person')", "New person", id="customers.new_person"),
        Binding("e", "edit", "Edit", id="customers.edit"),
        Binding("D", "delete", "Delete", id="customers.delete"),
        Binding("slash", "search", "Search", id="customers.search"),
        Binding("b,escape", "back", "Board", id="customers.back"),
    ]

    class Found(Message):
        def __init__(self, rows: list[customers.Customer], error: str | None = None) -> None:
            super().__init__()
            self.rows = rows
            self.error = error

    class Shown(Message):
        def __init__(self, found: customers.Profile | None, error: str | None = None) -> None:
            super().__init__()
            self.found = found
            self.error = error

    class Done(Message):
        def __init__(self, text: str, error: bool = False) -> None:
            super().__init__()
            self.text = text
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[customers.Customer] = []
        self._typing = False  # the search takes the keys

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search people and companies", id="customer-search")
        with Horizontal(id="customer-panes"):
            yield OptionList(id="customer-list")
            yield Static(id="customer-profile")
        yield Static(id="customer-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#customer-list", OptionList).focus()
        self._search("")

    def on_data_changed(self) -> None:
        self._search(self.query_one("#customer-search", Input).value)

    # --- reading -----------------------------------------------------------

    @work(thread=True, exclusive=True, group="customer-search", exit_on_error=False)
    def _search(self, text: str) -> None:
        try:
            rows = on_own_connection(lambda: customers.search(text))
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(self.Found([], user_message(exc) or str(exc)))
            return
        self.post_message(self.Found(rows))

    def on_customers_screen_found(self, message: Found) -> None:
        if message.error:
            self._status(message.error, error=True)
            return
        listing = self.query_one("#customer-list", OptionList)
        keep = listing.highlighted or 0
        self.rows = message.rows
        listing.set_options([Option(self._label(c), id=f"{c.kind}:{c.id}") for c in self.rows])
        if self.rows:
            listing.highlighted = min(keep, len(self.rows) - 1)
            self._show()
        else:
            self.query_one("#customer-profile", Static).update(Text("No one matches.", style="dim"))

    @staticmethod
    def _label(c: customers.Customer) -> Text:
        label = Text("▣ " if c.kind == customers.ORGANIZATION else "● ", style="dim")
        label.append(printable(c.name), style="bold")
        if c.detail:
            label.append(f"  {printable(c.detail)}", style="dim")
        return label

    @property
    def current(self) -> customers.Customer | None:
        index = self.query_one("#customer-list", OptionList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    @on(OptionList.OptionHighlighted, "#customer-list")
    def _highlighted(self) -> None:
        self._show()

    def _show(self) -> None:
        chosen = self.current
        if chosen is not None:
            self._profile(chosen.kind, chosen.id)

    @work(thread=True, exclusive=True, group="customer-profile", exit_on_error=False)
    def _profile(self, kind: str, customer_id: int) -> None:
        try:
            found = on_own_connection(lambda: customers.profile(kind, customer_id))
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Shown(None, user_message(exc) or str(exc)))
            return
        self.post_message(self.Shown(found))

    def on_customers_screen_shown(self, message: Shown) -> None:
        if message.found is None:
            self._status(message.error or "", error=True)
            return
        found = message.found
        text = Text(printable(found.customer.name) + "\n", style="bold")
        for label, value in (("Organization", found.organization), ("Email", found.email),
                             ("Phone", found.phone), ("Website", found.website)):
            if value:
                text.append(f"{label}: ", style="dim")
                text.append(printable(value) + "\n")
        if found.people:
            text.append("People: ", style="dim")
            text.append(printable(", ".join(found.people)) + "\n")
        text.append("\nDeals  ", style="bold")
        text.append(f"open {_totals(found, 'open')} · won {_totals(found, 'won')} · "
                    f"lost {_totals(found, 'lost')}\n", style="dim")
        for deal in found.deals[:8]:
            text.append(f"  {deal.status:<4} {format_money(deal.value, deal.currency, cents=False):>14}  ")
            text.append(printable(f"{deal.title} ({deal.stage})") + "\n")
        text.append("\nActivities\n", style="bold")
        for due, kind, subject, done in found.activities[:5]:
            text.append(f"  {'✓' if done else '·'} {due or '-'} {printable(kind)}: {printable(subject)}\n")
        if not found.activities:
            text.append("  none\n", style="dim")
        text.append("\nNotes\n", style="bold")
        for created, body in found.notes:
            first = printable(body.splitlines()[0] if body else "")
            text.append(f"  {created:%Y-%m-%d} {first}\n")
        if not found.notes:
            text.append("  none\n", style="dim")
        self.query_one("#customer-profile", Static).update(text)

    # --- keys --------------------------------------------------------------

    @on(Input.Changed, "#customer-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#customer-search")
    def _searched(self) -> None:
        self._typing = False
        self.query_one("#customer-list", OptionList).focus()

    def action_search(self) -> None:
        self._typing = True
        self.query_one("#customer-search", Input).focus()

    def on_key(self, event) -> None:
        """``/`` opens the search on key press, and what is typed right after
        it goes there even before the field has focus (a binding would run
        only after those keys were taken as commands: ``b`` would go back)."""
        field = self.query_one("#customer-search", Input)
        if not self._typing:
            if event.key == "slash":
                event.stop()
                self.action_search()
            return
        if self.focused is field:
            return  # the field has the keys now
        if event.key in ("enter", "escape"):
            event.stop()
            self._typing = False
            self.query_one("#customer-list", OptionList).focus()
        else:
            type_into(field, event)

    def action_back(self) -> None:
        if self.focused is self.query_one("#customer-search", Input):
            self._typing = False
            self.query_one("#customer-list", OptionList).focus()
        else:
            self.app.pop_screen()

    def action_new(self, kind: str) -> None:
        self.app.push_screen(CustomerForm(kind), self._saved)

    def action_edit(self) -> None:
        chosen = self.current
        if chosen is None:
            return

        def opened(found: customers.Profile) -> None:
            self.app.push_screen(CustomerForm(chosen.kind, found), self._saved)

        self._with_profile(chosen, opened)

    def _with_profile(self, chosen: customers.Customer, then: Callable[[customers.Profile], None]) -> None:
        try:
            found = on_own_connection(lambda: customers.profile(chosen.kind, chosen.id))
        except Exception as exc:  # noqa: BLE001
            self._status(user_message(exc) or str(exc), error=True)
            return
        then(found)

    def _saved(self, text: str | None) -> None:
        if text:
            self._status(text)
            self.on_data_changed()

    def action_delete(self) -> None:
        chosen = self.current
        if chosen is None:
            return
        count = on_own_connection(lambda: customers.deals_of(chosen.kind, chosen.id))
        question = f"Delete {chosen.name}?"
        if count:
            question += f" {count} deal{'s' * (count != 1)} will stay, without {'it' if chosen.kind == 'organization' else 'them'}."

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(chosen)

        self.app.push_screen(ConfirmDelete(question), answered)

    @work(thread=True, exit_on_error=False)
    def _delete(self, chosen: customers.Customer) -> None:
        try:
            on_own_connection(lambda: customers.delete_customer(chosen.kind, chosen.id, confirmed=True))
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Done(user_message(exc) or str(exc), error=True))
            return
        self.post_message(self.Done(f"Deleted {printable(chosen.name)}"))

    def on_customers_screen_done(self, message: Done) -> None:
        self._status(message.text, error=message.error)
        self.on_data_changed()

    def _status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#customer-status", Static).update(
            Text(printable(text), style="bold red" if error else ""))


class CustomerForm(ModalScreen[str | None]):
    """Add or edit a company or a person; errors show next to the form and
    nothing is saved until every field is right."""

    CSS_PATH = sheet("dialogs.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="customer_form.cancel"),
                Binding("ctrl+s", "save", "Save", id="customer_form.save")]

    def __init__(self, kind: str, found: customers.Profile | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.found = found

    def compose(self) -> ComposeResult:
        what = "company" if self.kind == customers.ORGANIZATION else "person"
        found = self.found
        with Vertical(id="dialog"):
            yield Label(("Edit " if found else "New ") + what + " (Enter or Ctrl+S saves)", id="dialog-title")
            yield Input(found.customer.name if found else "", placeholder="name", id="name")
            if self.kind == customers.ORGANIZATION:
                yield Input((found.website or "") if found else "", placeholder="website", id="website")
            else:
                yield Input((found.email or "") if found else "", placeholder="email", id="email")
                yield Input((found.phone or "") if found else "", placeholder="phone", id="phone")
                yield Input((found.organization or "") if found else "", placeholder="organization",
                            id="organization")
            yield Static(id="form-error")

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    @on(Input.Submitted)
    def action_save(self) -> None:
        existing = self.found.customer.id if self.found else None
        try:
            if self.kind == customers.ORGANIZATION:
                saved = on_own_connection(lambda: customers.save_organization(
                    self._value("name"), self._value("website"), organization_id=existing))
            else:
                saved = on_own_connection(lambda: customers.save_contact(
                    self._value("name"), email=self._value("email"), phone=self._value("phone"),
                    organization=self._value("organization"), contact_id=existing))
        except Exception as exc:  # noqa: BLE001 - shown in the form; nothing was saved
            self.query_one("#form-error", Static).update(
                Text(printable(user_message(exc) or str(exc)), style="bold red"))
            return
        self.dismiss(f"Saved {printable(saved.name)}")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDelete(ModalScreen[bool]):
    CSS_PATH = sheet("dialogs.tcss")
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm_delete.yes"),
                Binding("n,escape", "answer(False)", "No", id="confirm_delete.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(printable(self.question)), id="dialog-title")
            yield Label("y deletes, n or Esc keeps")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
