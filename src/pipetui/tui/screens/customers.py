"""The customers screen (``c`` from the board): people and companies with
incremental search; for the one selected, their deals (open and closed, with
totals), activities and notes. Add, edit and delete, validated by
:mod:`pipetui.core.customers`."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import customers
from pipetui.core.money import format_money
from pipetui.core.text import printable
from pipetui.tui.contrast import ERROR, MUTED
from pipetui.tui.dialogs import ConfirmDialog, Dialog
from pipetui.tui.keys import TypeAhead
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.widgets.lists import MovingList
from pipetui.tui.work import DatabaseWork, Failure


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
    STATUS = "customer-status"
    BINDINGS = [
        Binding("n", "new('organization')", "New company", id="customers.new_organization"),
        Binding("p", "new('person')", "New person", id="customers.new_person"),
        Binding("e", "edit", "Edit", id="customers.edit"),
        Binding("D", "delete", "Delete", id="customers.delete"),
        Binding("slash", "search", "Search", id="customers.search"),
        Binding("b,escape", "back", "Board", id="customers.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[customers.Customer] = []
        self.search_typing = TypeAhead(self, lambda: self.query_one("#customer-search", Input),
                                       {"customers.search": self.action_search},
                                       submit=self._searched, cancel=self._searched)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search people and companies", id="customer-search", select_on_focus=False)
        with Horizontal(id="customer-panes"):
            yield MovingList(id="customer-list")
            yield Static(id="customer-profile")
        yield Static(id="customer-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#customer-list", OptionList).focus()
        self._search("")

    def on_data_changed(self) -> None:
        self._search(self.query_one("#customer-search", Input).value)

    # --- reading -----------------------------------------------------------

    def _search(self, text: str) -> None:
        self.run_db(lambda: customers.search(text), self._found, exclusive=True, group="customer-search")

    def work_failed(self, failure: Failure) -> None:
        self._status(failure.text, error=True)

    def _found(self, rows: list[customers.Customer]) -> None:
        listing = self.query_one("#customer-list", OptionList)
        keep = listing.highlighted or 0
        self.rows = rows
        listing.set_options([Option(self._label(c), id=f"{c.kind}:{c.id}") for c in self.rows])
        if self.rows:
            listing.highlighted = min(keep, len(self.rows) - 1)
            self._show()
        else:
            self.query_one("#customer-profile", Static).update(Content.styled("No one matches.", MUTED))

    @staticmethod
    def _label(c: customers.Customer) -> Content:
        mark = "▣ " if c.kind == customers.ORGANIZATION else "● "
        detail = f"  {printable(c.detail)}" if c.detail else ""
        return Content.assemble((mark, MUTED), (printable(c.name), "bold"), (detail, MUTED))

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

    def _profile(self, kind: str, customer_id: int) -> None:
        self.run_db(lambda: customers.profile(kind, customer_id), self._show_profile,
                    exclusive=True, group="customer-profile")

    def _show_profile(self, found: customers.Profile) -> None:
        parts: list[tuple[str, str] | str] = [(printable(found.customer.name) + "\n", "bold")]
        for label, value in (("Organization", found.organization), ("Email", found.email),
                             ("Phone", found.phone), ("Website", found.website)):
            if value:
                parts += [(f"{label}: ", MUTED), printable(value) + "\n"]
        if found.people:
            parts += [("People: ", MUTED), printable(", ".join(found.people)) + "\n"]
        parts.append(("\nDeals  ", "bold"))
        parts.append((f"open {_totals(found, 'open')} · won {_totals(found, 'won')} · "
                      f"lost {_totals(found, 'lost')}\n", MUTED))
        for deal in found.deals[:8]:
            parts.append(f"  {deal.status:<4} {format_money(deal.value, deal.currency, cents=False):>14}  ")
            parts.append(printable(f"{deal.title} ({deal.stage})") + "\n")
        parts.append(("\nActivities\n", "bold"))
        for due, kind, subject, done in found.activities[:5]:
            parts.append(f"  {'✓' if done else '·'} {due or '-'} {printable(kind)}: {printable(subject)}\n")
        if not found.activities:
            parts.append(("  none\n", MUTED))
        parts.append(("\nNotes\n", "bold"))
        for created, body in found.notes:
            first = printable(body.splitlines()[0] if body else "")
            parts.append(f"  {created:%Y-%m-%d} {first}\n")
        if not found.notes:
            parts.append(("  none\n", MUTED))
        self.query_one("#customer-profile", Static).update(Content.assemble(*parts))

    # --- keys --------------------------------------------------------------

    @on(Input.Changed, "#customer-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#customer-search")
    def _searched(self) -> None:
        self.search_typing.typing = False
        self.query_one("#customer-list", OptionList).focus()

    def action_search(self) -> None:
        self.search_typing.typing = True
        self.query_one("#customer-search", Input).focus()

    def on_key(self, event) -> None:
        """The search opens on key press, and what is typed right after goes
        there even before the field has focus (as bindings, those keys would
        be commands: ``b`` would go back)."""
        self.search_typing.key(event)

    def action_back(self) -> None:
        if self.focused is self.query_one("#customer-search", Input):
            self._searched()
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

        self.run_db(lambda: customers.profile(chosen.kind, chosen.id), opened)

    def _saved(self, text: str | None) -> None:
        if text:
            self._status(text)
            self.on_data_changed()

    def action_delete(self) -> None:
        chosen = self.current
        if chosen is None:
            return

        def ask(count: int) -> None:
            question = f"Delete {chosen.name}?"
            if count:
                question += (f" {count} deal{'s' * (count != 1)} will stay, without "
                             f"{'it' if chosen.kind == customers.ORGANIZATION else 'them'}.")
            self.app.push_screen(ConfirmDialog(question, yes="delete", no="keep"), answered)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_db(lambda: customers.delete_customer(chosen.kind, chosen.id, confirmed=True),
                            lambda _: self._saved(f"Deleted {printable(chosen.name)}"))

        self.run_db(lambda: customers.deals_of(chosen.kind, chosen.id), ask)


class CustomerForm(DatabaseWork, Dialog[str | None]):
    """Add or edit a company or a person; errors show next to the form and
    nothing is saved until every field is right."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="customer_form.cancel"),
                Binding("ctrl+s", "save", "Save", id="customer_form.save")]

    def __init__(self, kind: str, found: customers.Profile | None = None) -> None:
        what = "company" if kind == customers.ORGANIZATION else "person"
        super().__init__(("Edit " if found else "New ") + what + " (Enter or Ctrl+S saves)")
        self.kind = kind
        self.found = found

    def body(self) -> ComposeResult:
        found = self.found
        stored = {} if found is None else {
            "name": found.customer.name, "website": found.website, "email": found.email,
            "phone": found.phone, "organization": found.organization}
        fields = ("name", "website") if self.kind == customers.ORGANIZATION else (
            "name", "email", "phone", "organization")
        for key in fields:
            # Printable, as everywhere: text another tool stored with an escape
            # sequence in it is shown, and saved, harmless.
            yield Input(printable(stored.get(key) or ""), placeholder=key, id=key)
        yield Static(id="form-error")

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    @on(Input.Submitted)
    def action_save(self) -> None:
        existing = self.found.customer.id if self.found else None
        if self.kind == customers.ORGANIZATION:
            name, website = self._value("name"), self._value("website")

            def save():
                return customers.save_organization(name, website, organization_id=existing)
        else:
            values = {key: self._value(key) for key in ("name", "email", "phone", "organization")}

            def save():
                return customers.save_contact(values["name"], email=values["email"], phone=values["phone"],
                                              organization=values["organization"], contact_id=existing)

        self.run_db(save, lambda saved: self.dismiss(f"Saved {printable(saved.name)}"))

    def work_failed(self, failure: Failure) -> None:
        """Shown in the form; nothing was saved."""
        self.query_one("#form-error", Static).update(Content.styled(printable(failure.text), ERROR))
