"""The custom fields screen (``f`` in the pipeline settings): the fields of
deals that apply to the settings' pipeline (its own and every pipeline's),
of organizations and of contacts, with their type, scope, whether they are
required and shown on cards; add, rename, retype, set their choices, make
them required or not, show them on cards or not, and delete them.

Every change goes through :mod:`pipetui.core.fields`; a refused one is said
on the status line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import fields, stages
from pipetui.core.fields import CHOICE_TYPES, FieldDef
from pipetui.core.text import printable
from pipetui.tui.contrast import MUTED
from pipetui.tui.dialogs import ConfirmDialog, HelpDialog, PickDialog
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.text import fit
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.widgets.lists import MovingList
from pipetui.tui.work import Failure

# The kinds of records with fields, as the list and the dialogs name them, in the list's order.
RECORDS = {"deal": "Deals", "organization": "Organizations", "contact": "Contacts"}
# The types, each with what it holds, in the order the type dialog offers them.
TYPES = [
    ("text", "text"),
    ("number", "number: 12, 4.5, 1,200"),
    ("money", "money: EUR 900, 12.5k"),
    ("date", "date: 2026-12-01, +2w"),
    ("choice", "choice: one of a list"),
    ("multi", "multi: several of a list"),
    ("checkbox", "checkbox: yes or no"),
]
# What a row leaves of the screen's width: the list's padding and its scroll bar.
LIST_MARGIN = 4
GAP = 2  # between the columns of a wide row
# A wide row needs at least these for the names and the types, else rows take two lines.
NARROW_NAME = 10
NARROW_TYPE = 12


@dataclass(frozen=True)
class FieldsRead:
    """What the screen shows, read in a worker."""

    pipeline: str
    fields: list[FieldDef]  # deals' (that apply to the pipeline), organizations', contacts'
    counts: dict[int, int]  # values held, by field id (none: left out)


def _read(pipeline_id: int) -> FieldsRead:
    pipeline = stages.pipeline_of(pipeline_id)
    found = [*fields.definitions("deal", pipeline_id=pipeline.id), *fields.definitions("organization"),
             *fields.definitions("contact")]
    return FieldsRead(pipeline.name, found, fields.value_counts(f.id for f in found))


def type_text(field: FieldDef) -> str:
    """``choice: Web, Referral, Event``; the type alone when it has no choices."""
    return f"{field.type}: {', '.join(field.choices)}" if field.choices else field.type


def scope_text(field: FieldDef) -> str:
    """The deals a deal field is for: one pipeline's (its name) or every pipeline's."""
    if field.entity != "deal":
        return ""
    if field.pipeline_id is None:
        return "all pipelines"
    return field.pipeline or "one pipeline"


def flags_text(field: FieldDef) -> list[str]:
    return [word for word, on in (("required", field.required), ("on cards", field.on_card)) if on]


def _width(texts: list[str], least: int, most: int) -> int:
    return max(least, min(most, max((cell_len(printable(t)) for t in texts), default=least)))


def field_rows(found: list[FieldDef], width: int) -> tuple[Content | None, list[Content]]:
    """A header and one line per field when ``width`` cells have room for
    the columns; else no header and two lines per field (its name and
    flags, then its records, scope and type), every line cut to ``width``."""
    names = wanted = _width([f.name for f in found], 4, 24)
    records = _width([RECORDS[f.entity] for f in found], len("Records"), 13)
    scopes = _width([scope_text(f) for f in found], len("Pipeline"), 18)
    flags = max((len(" · ".join(flags_text(f))) for f in found), default=0)
    room = width - records - scopes - flags - 4 * GAP  # for the names and the types
    # The types give way first, then the names (the cut ones end in "…").
    types = min(_width([type_text(f) for f in found], len("Type"), 60), max(NARROW_TYPE, room - names))
    names = min(names, room - types)
    if names >= min(wanted, NARROW_NAME):
        gap = " " * GAP
        header = gap.join((fit("Name", names), fit("Records", records), fit("Type", types),
                           fit("Pipeline", scopes)))
        rows = [Content(gap.join((fit(f.name, names), fit(RECORDS[f.entity], records),
                                  fit(type_text(f), types), fit(scope_text(f), scopes),
                                  " · ".join(flags_text(f)))).rstrip())
                for f in found]
        return Content.styled(header.rstrip(), MUTED), rows
    rows = []
    for field in found:
        marks = " · ".join(flags_text(field))
        first = fit(field.name, max(width - len(marks) - 1, 1)) + " " + marks if marks else fit(field.name, width)
        second = " · ".join(part for part in (RECORDS[field.entity].lower(), scope_text(field), type_text(field))
                            if part)
        rows.append(Content(first.rstrip() + "\n" + fit("  " + second, width).rstrip()))
    return None, rows


class CustomFieldsScreen(LiveScreen):
    """The custom fields, and the keys that define them."""

    CSS_PATH = sheet("fields.tcss")
    STATUS = "fields-status"
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a field: its name, records, type (choices) and pipeline",
                id="fields.add"),
        Binding("r", "rename", "Rename", tooltip="Rename the field (its values and history stay)",
                id="fields.rename"),
        Binding("t", "type", "Type", tooltip="Change the field's type (refused when a value would not fit)",
                id="fields.type"),
        Binding("c", "choices", "Choices", tooltip="Change the choices of a choice or multi field",
                id="fields.choices"),
        Binding("R", "required", "Required", tooltip="Required or not: a deal cannot be saved without it",
                id="fields.required"),
        Binding("v", "on_card", "On cards", tooltip="Show the field on the board's cards, or not (two at most)",
                id="fields.on_card"),
        Binding("D", "delete", "Delete", tooltip="Delete the field (asks first; its values go with it)",
                id="fields.delete"),
        Binding("b,escape", "back", "Back", tooltip="Back to the pipeline settings", id="fields.back"),
        Binding("question_mark", "help", "Keys", tooltip="This list of keys", id="fields.help"),
    ]

    def __init__(self, pipeline_id: int) -> None:
        super().__init__()
        self.pipeline_id = pipeline_id
        self.read: FieldsRead | None = None
        self.changed = False  # the board reads its cards again when the settings close
        self._select_after_read: int | None = None  # the field a change asked to select

    def compose(self) -> ComposeResult:
        yield Static(id="fields-title")
        yield Static(id="fields-header")
        yield MovingList(id="fields-list")
        yield Static(id="fields-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#fields-list", OptionList).focus()
        self.reload()

    def on_data_changed(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        if self.read is not None:
            self._show()

    def reload(self, select: int | None = None) -> None:
        """Read the fields again, then select ``select`` (a field id). A
        newer reload replaces a pending one, and takes over its selection."""
        if select is not None:
            self._select_after_read = select
        pipeline_id = self.pipeline_id
        self.run_db(lambda: _read(pipeline_id), self._loaded, exclusive=True, group="fields-read")

    def _loaded(self, read: FieldsRead) -> None:
        self.read = read
        select, self._select_after_read = self._select_after_read, None
        self._show(select)

    @property
    def fields(self) -> list[FieldDef]:
        return self.read.fields if self.read is not None else []

    def _show(self, select: int | None = None) -> None:
        """The title, the header and the rows, as wide as the screen is."""
        read = self.read
        count = len(read.fields)
        room = self.size.width - 3  # the title's padding and its first space
        if not count:
            title = f"No custom fields of deals in {read.pipeline}, organizations or contacts yet: a adds one"
        else:
            title = (f"Custom fields: {count} · deals of {read.pipeline} (its own and every pipeline's), "
                     "organizations and contacts")
            if cell_len(printable(title)) > room:
                title = f"Custom fields: {count} · deals of {read.pipeline}"
        self.query_one("#fields-title", Static).update(Content(" " + fit(title, room).rstrip()))
        header, rows = field_rows(read.fields, max(self.size.width - LIST_MARGIN, 20))
        shown = self.query_one("#fields-header", Static)
        shown.display = header is not None and bool(rows)
        shown.update(header or "")
        listing = self.query_one("#fields-list", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        listing.add_options([Option(row, id=str(f.id)) for f, row in zip(read.fields, rows)])
        if select is not None:
            keep = next((i for i, f in enumerate(read.fields) if f.id == select), keep)
        if rows:
            listing.highlighted = min(keep or 0, len(rows) - 1)

    @property
    def current(self) -> FieldDef | None:
        index = self.query_one("#fields-list", OptionList).highlighted
        found = self.fields
        return found[index] if index is not None and 0 <= index < len(found) else None

    # --- changes -------------------------------------------------------------

    def _change(self, work: Callable[[], tuple[str, int | None]]) -> None:
        """Run a change; say what it did and show the fields as they now are."""

        def done(result: tuple[str, int | None]) -> None:
            text, select = result
            self.changed = True
            self._status(text)
            self.reload(select)

        def failed(failure: Failure) -> None:
            self._status(failure.text, error=True)

        self.run_db(work, done, failed=failed)

    def _ask(self, question: str, then: Callable[[str], None], *, value: str = "") -> None:
        """A line typed in a dialog (Esc: nothing)."""

        def answered(text: str | None) -> None:
            if text:
                then(text)

        self.app.push_screen(PickDialog(question, [], typed="type and press Enter", value=value), answered)

    def _pick(self, question: str, choices: list[tuple[str, str]], then: Callable[[str], None]) -> None:
        """One of ``choices`` (Esc: nothing)."""
        self.app.push_screen(PickDialog(question, choices), lambda picked: picked is not None and then(picked))

    def _ask_choices(self, name: str, type_: str, then: Callable[[str], None], *, now: tuple[str, ...] = ()) -> None:
        several = " (several per record)" if type_ == "multi" else ""
        self._ask(f"Choices of {name} (a, b, c){several}", then, value=", ".join(now))

    def action_add(self) -> None:
        pipeline_id = self.pipeline_id
        pipeline = self.read.pipeline if self.read is not None else "this pipeline"

        def add(name: str, entity: str, type_: str, choices: str | None, scope: str | None) -> None:
            def work():
                added = fields.add_field(name, type_, entity=entity, choices=choices,
                                         pipeline=pipeline_id if scope == "this" else None)
                where = f", {scope_text(added)}" if added.entity == "deal" else ""
                return f"Added {added.entity} field {added.name} ({added.type}{where})", added.id
            self._change(work)

        def scoped(name: str, entity: str, type_: str, choices: str | None) -> None:
            if entity != "deal":
                add(name, entity, type_, choices, None)
                return
            self._pick(f"{name}: for the deals of", [
                ("Every pipeline", "all"), (f"{pipeline} only", "this")],
                lambda scope: add(name, entity, type_, choices, scope))

        def typed(name: str, entity: str, type_: str) -> None:
            if type_ in CHOICE_TYPES:
                self._ask_choices(name, type_, lambda choices: scoped(name, entity, type_, choices))
            else:
                scoped(name, entity, type_, None)

        def named(name: str) -> None:
            self._pick(f"{name}: a field of", [(label, entity) for entity, label in RECORDS.items()],
                       lambda entity: self._pick(f"Type of {name}", [(label, t) for t, label in TYPES],
                                                 lambda type_: typed(name, entity, type_)))

        self._ask("Name of the new field", named)

    def action_rename(self) -> None:
        field = self.current
        if field is None:
            return

        def rename(name: str) -> None:
            def work():
                renamed = fields.rename_field(field.key, name, entity=field.entity)
                return f"Renamed {field.name} to {renamed.name}", renamed.id
            self._change(work)

        self._ask(f"New name of {field.name}", rename)

    def _set(self, field: FieldDef, said: Callable[[FieldDef], str], **changes) -> None:
        """Change ``field`` through core; ``said`` tells what it became."""
        currency = self.app.currency

        def work():
            changed = fields.change_field(field.key, entity=field.entity, default_currency=currency, **changes)
            return said(changed), changed.id

        self._change(work)

    def action_type(self) -> None:
        field = self.current
        if field is None:
            return

        def chosen(type_: str) -> None:
            if type_ == field.type:
                self._status(f"{field.name} is already a {type_} field")
                return
            said = lambda changed: f"{changed.name} is now a {type_text(changed)} field"  # noqa: E731
            if type_ in CHOICE_TYPES and not field.choices:
                self._ask_choices(field.name, type_, lambda choices: self._set(field, said, type_=type_,
                                                                                choices=choices))
            else:
                self._set(field, said, type_=type_)

        choices = [(label + (" (now)" if type_ == field.type else ""), type_) for type_, label in TYPES]
        self._pick(f"Type of {field.name} (now {field.type})", choices, chosen)

    def action_choices(self) -> None:
        field = self.current
        if field is None:
            return
        if field.type not in CHOICE_TYPES:
            self._status(f"{field.name} is a {field.type} field: only a choice or multi field has choices "
                         "(t changes its type)", error=True)
            return
        self._ask_choices(field.name, field.type, lambda choices: self._set(
            field, lambda changed: f"{changed.name}: {', '.join(changed.choices)}", choices=choices),
            now=field.choices)

    def action_required(self) -> None:
        field = self.current
        if field is not None:
            self._set(field, lambda changed: f"{changed.name} is {'now' if changed.required else 'no longer'} "
                      "required", required=not field.required)

    def action_on_card(self) -> None:
        field = self.current
        if field is not None:
            self._set(field, lambda changed: f"{changed.name} {'shows' if changed.on_card else 'no longer shows'} "
                      "on the cards", on_card=not field.on_card)

    def action_delete(self) -> None:
        field = self.current
        if field is None or self.read is None:
            return
        held = self.read.counts.get(field.id, 0)

        def delete(yes: bool | None) -> None:
            if not yes:
                return

            def work():
                gone, went = fields.delete_field(field.key, entity=field.entity, force=bool(held))
                with_values = f" and its {went:,} value{'s' * (went != 1)}" if went else ""
                return f"Deleted field {gone.name}{with_values}", None
            self._change(work)

        if held:
            question = f"Delete field {field.name} and its {held:,} value{'s' * (held != 1)} (their history stays)?"
            self.app.push_screen(ConfirmDialog(question, yes="delete the field and its values", no="keep it"),
                                 delete)
        else:
            self.app.push_screen(ConfirmDialog(f"Delete field {field.name}?", yes="delete it", no="keep it"),
                                 delete)

    def action_help(self) -> None:
        self.app.push_screen(HelpDialog([*self.BINDINGS, *MovingList.BINDINGS, *self.app.BINDINGS]))

    def action_back(self) -> None:
        self.dismiss(self.changed)
