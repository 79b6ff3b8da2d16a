"""The deal editor: every field checked as it is typed, history, activities, notes.

Fields are checked by the core's rules (:func:`pipetui.core.deals.check_field`,
the CLI's parsers; custom fields by :func:`pipetui.core.fields.parse_value`,
shown after the built-in ones); what the editor shows comes in one read model
(:func:`pipetui.core.rows.deal_sheet`), the history already told in words.
Saving runs in a thread worker through the core, which refuses a deal
someone else changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.content import Content
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from pipetui.core import activities, deals, fields, lookup, products, rows
from pipetui.core.errors import InvalidInput
from pipetui.core.money import format_money
from pipetui.core.text import printable
from pipetui.core.undo import Change, add_note, edit_change, schedule_activity
from pipetui.tui.contrast import ERROR, MUTED, WARNING
from pipetui.tui.dialogs import ConfirmDialog
from pipetui.tui.styles import sheet
from pipetui.tui.work import DatabaseWork, Failure

# Field id -> label, and the check run on every keystroke (None: no check).
FIELDS: list[tuple[str, str]] = [
    ("title", "Title"),
    ("value", "Value"),
    ("stage", "Stage"),
    ("owner", "Owner"),
    ("organization", "Organization"),
    ("contact", "Contact"),
    ("expected_close", "Expected close"),
    ("probability", "Win chance %"),
]


@dataclass(frozen=True)
class Edited:
    """What the editor did, for the screen that opened it to show and to undo."""

    saved: tuple[int, int, int] | None  # (deal id, stage id, version) when saved
    changes: tuple[Change, ...] = ()  # oldest first: notes and activities added, then the save
    created: bool = False  # the save made a new deal


@dataclass
class Form:
    """What the editor shows, read in a worker."""

    values: dict[str, str]  # built-in fields by name, custom ones by "custom-<id>"
    version: int | None
    history: Content = field(default_factory=Content)
    activities: Content = field(default_factory=Content)
    notes: Content = field(default_factory=Content)
    items: Content | None = None  # None: the deal has no line items, and the section is hidden
    custom: tuple[fields.FieldDef, ...] = ()  # the custom fields of the deal's pipeline, in order


def custom_id(field: fields.FieldDef) -> str:
    """The id of a custom field's input (and, with ``-error``, of its message)."""
    return f"custom-{field.id}"


def _custom_text(field: fields.FieldDef, canonical: str | None) -> str:
    """A custom value as the editor shows it: as read, money without
    thousands separators (as the built-in value)."""
    shown = fields.display_text(field, canonical) or ""
    return printable(shown.replace(",", "") if field.type == "money" else shown)


def _read_form(deal_id: int | None, stage: str | None, owner: str | None, pipeline_id: int | None = None) -> Form:
    if deal_id is None:
        # A new deal goes to the pipeline the board shows (None: the first one).
        values = {name: "" for name, _ in FIELDS}
        first = lookup.resolve_stage(stage, pipeline_id) if stage else lookup.stages(pipeline_id)[0]
        values["stage"] = first.name
        values["owner"] = owner or ""  # a new deal is yours unless you say otherwise
        custom = tuple(fields.definitions("deal", pipeline_id=first.pipeline_id))
        values.update({custom_id(f): "" for f in custom})
        return Form(values, None, custom=custom)
    sheet = rows.deal_sheet(deal_id)
    deal = sheet.deal
    held = fields.deal_field_texts(deal)
    values = {
        # Shown, and saved, as printable: an escape sequence another tool
        # stored in a title never reaches the terminal.
        "title": printable(deal.title),
        "value": format_money(deal.value, deal.currency).replace(",", ""),
        "stage": deal.stage,  # the stage and owner pickers show printable labels of these
        "owner": deal.owner or "",
        "organization": printable(deal.organization or ""),
        "contact": printable(deal.contact or ""),
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else "",
        "probability": "" if deal.probability is None else str(deal.probability),
    }
    values.update({custom_id(f): _custom_text(f, canonical) for f, canonical in held})
    return Form(values, deal.version, _history(sheet.history), _activities(sheet.activities),
                _notes(sheet.notes), _items(products.deal_items(deal_id)),
                custom=tuple(f for f, _ in held))


def _items(found: products.DealItems) -> Content | None:
    """The line items, read-only (``pipetui item`` changes them), and their sum."""
    if not found.items:
        return None
    parts: list[tuple[str, str] | str] = []
    for item in found.items:
        parts.append(printable(item.describe()))
        parts.append((f"  {format_money(item.total, item.currency)}\n", MUTED))
    total = format_money(found.total, found.currency)
    parts.append((f"total {total}" if found.total == found.deal_value or found.currency != found.deal_currency
                  else f"total {total} (the value differs)", MUTED))
    return Content.assemble(*parts)


def _history(history: tuple[rows.HistoryEntry, ...]) -> Content:
    """Every change, oldest first: a stage or status change with the days the
    deal then stayed so, a field's (``title: Acme → Acme 2``) with who alone."""
    parts: list[tuple[str, str]] = []
    for entry in history:
        who = printable(entry.who) if entry.who is not None else rows.NO_REP
        parts.append((f"{entry.when:%Y-%m-%d} ", MUTED))
        parts.append((printable(entry.what), MUTED if entry.undone else ""))
        told = entry.undone or entry.is_field
        parts.append((f"  {who}\n" if told else f"  {who}, {entry.days}d\n", MUTED))
    return Content.assemble(*parts)


def _activities(found: tuple[rows.ActivityRow, ...] | list[rows.ActivityRow]) -> Content:
    parts: list[tuple[str, str] | str] = []
    for activity in found:
        mark = "✓" if activity.done else "○"
        when = activity.due_date.isoformat() if activity.due_date else "no date"
        if activity.due_time:
            when += f" {activity.due_time:%H:%M}"
        parts.append((f"{mark} {when} ", WARNING if activity.late else MUTED))
        parts.append(printable(f"{activity.kind}: {activity.subject}") + "\n")
    return Content.assemble(*parts) if parts else Content.styled("no activities", MUTED)


def _notes(found: tuple[rows.NoteRow, ...] | list[rows.NoteRow]) -> Content:
    parts: list[tuple[str, str] | str] = []
    for note in found:
        who = printable(note.author) if note.author is not None else ""
        parts.append((f"{note.created_at:%Y-%m-%d} {who}\n", MUTED))
        parts.append(printable(note.body.replace("\n", " ")) + "\n")
    return Content.assemble(*parts) if parts else Content.styled("no notes", MUTED)


class DealEditor(DatabaseWork, ModalScreen[Edited]):
    """Edit a deal (or make a new one); returns what was saved and the
    changes made (notes and activities added, the save), each to undo."""

    CSS_PATH = sheet("editor.tcss")  # read when first opened, not at start-up

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
        Binding("ctrl+l", "reload", "Reload", id="editor.reload"),
    ]

    def __init__(self, deal_id: int | None, *, stages: list[str], reps: list[str],
                 stage: str | None = None, currency: str = "USD", actor=None) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.stages = stages
        self.reps = reps
        self.stage = stage
        self.currency = currency
        self.actor = actor
        self.form: Form | None = None
        self._saving = False
        self.changes: list[Change] = []  # made here so far, oldest first

    def compose(self) -> ComposeResult:
        heading = "New deal" if self.deal_id is None else f"Deal #{self.deal_id}"
        with Vertical(id="editor"):
            yield Label(heading, id="editor-title")
            with Horizontal():
                with VerticalScroll(id="editor-form") as form:
                    form.can_focus = False  # Tab goes from field to field, not to the panes
                    for name, label in FIELDS:
                        with Horizontal(classes="field"):
                            yield Label(label, classes="field-label")
                            if name == "stage":
                                yield Select([(Text(printable(n)), n) for n in self.stages],
                                             id="stage", allow_blank=False, compact=True)
                            elif name == "owner":
                                yield Select([(Text(printable(n)), n) for n in self.reps],
                                             id="owner", prompt="nobody", compact=True)
                            else:
                                yield Input(id=name, placeholder=_PLACEHOLDERS.get(name, ""),
                                            compact=True)
                        yield Static("", id=f"{name}-error", classes="field-error")
                if self.deal_id is not None:
                    with VerticalScroll(id="editor-side") as side:
                        side.can_focus = False
                        yield Label("Items", id="items-label", classes="section")
                        yield Static(id="items")
                        yield Label("History", classes="section")
                        yield Static(id="history")
                        yield Label("Activities", classes="section")
                        yield Static(id="activities")
                        yield Input(id="new-activity", placeholder="add: call tomorrow 10:00 pricing",
                                    compact=True)
                        yield Static("", id="new-activity-error", classes="side-error")
                        yield Label("Notes", classes="section")
                        yield Static(id="notes")
                        yield Input(id="new-note", placeholder="add a note, Enter saves it",
                                    compact=True)
            yield Static(id="editor-status")
            with Horizontal(id="editor-buttons"):
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._load()

    def _load(self) -> None:
        deal_id, stage, owner = self.deal_id, self.stage, self.actor.name if self.actor else None
        pipeline_id = getattr(self.app, "pipeline_id", None)
        self.run_db(lambda: _read_form(deal_id, stage, owner, pipeline_id), self._loaded,
                    exclusive=True, group="editor-load")

    def _loaded(self, form: Form) -> None:
        self.form = form
        values = form.values
        self.query_one("#stage", Select).value = values["stage"]
        owner = self.query_one("#owner", Select)
        if values["owner"] in self.reps:
            owner.value = values["owner"]
        else:
            owner.clear()
        for name, _ in FIELDS:
            if name not in ("stage", "owner"):
                field = self.query_one(f"#{name}", Input)
                with self.prevent(Input.Changed):
                    field.value = values[name]
                field.cursor_position = 0  # a long title shows its start
            self._show_error(name, "")
        self._show_custom(form)
        if self.deal_id is not None:
            self.query_one("#history", Static).update(form.history)
            self.query_one("#activities", Static).update(form.activities)
            self.query_one("#notes", Static).update(form.notes)
            for widget in self.query("#items-label, #items"):
                widget.display = form.items is not None
            self.query_one("#items", Static).update(form.items or "")
        self.query_one("#title", Input).focus()

    def _show_custom(self, form: Form) -> None:
        """The custom fields of the deal's pipeline, after the built-in ones:
        made on the first load, filled on every one."""
        place = self.query_one("#editor-form", VerticalScroll)
        for custom in form.custom:
            name = custom_id(custom)
            if not self.query(f"#{name}"):
                # A container mounts the widgets it is given later: the input gets its value now.
                label = printable(custom.name) + (" *" if custom.required else "")
                place.mount(Horizontal(Label(Text(label), classes="field-label"),
                                       Input(form.values[name], id=name, compact=True,
                                             placeholder=_custom_placeholder(custom)),
                                       classes="field"))
                error = Static("", id=f"{name}-error", classes="field-error")
                error.display = False
                place.mount(error)
                continue
            field = self.query_one(f"#{name}", Input)
            with self.prevent(Input.Changed):
                field.value = form.values[name]
            field.cursor_position = 0
            self._show_error(name, "")

    # --- checking --------------------------------------------------------

    def _custom_fields(self) -> dict[str, fields.FieldDef]:
        return {custom_id(f): f for f in self.form.custom} if self.form is not None else {}

    def _check(self, name: str, value: str) -> None:
        """Raise InvalidInput when ``value`` is not one of field ``name``'s."""
        custom = self._custom_fields().get(name)
        if custom is None:
            deals.check_field(name, value, self.currency)
            return
        if fields.parse_value(custom, value, self.currency) is None and custom.required:
            raise InvalidInput(f"{custom.name} is required")

    def _current(self) -> dict[str, str]:
        values = {}
        for name, _ in FIELDS:
            if name in ("stage", "owner"):
                chosen = self.query_one(f"#{name}", Select).value
                values[name] = "" if chosen is Select.NULL else str(chosen)
            else:
                values[name] = self.query_one(f"#{name}", Input).value
        for name in self._custom_fields():
            values[name] = self.query_one(f"#{name}", Input).value
        return values

    def _errors(self) -> dict[str, str]:
        errors = {}
        for name, value in self._current().items():
            try:
                self._check(name, value)
            except InvalidInput as exc:
                errors[name] = str(exc)
        return errors

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = event.input.id
        if name not in dict(FIELDS) and name not in self._custom_fields():
            return
        try:
            self._check(name, event.value)
            message = ""
        except InvalidInput as exc:
            message = str(exc)
        self._show_error(name, message)

    def _show_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#{name}-error", Static)
        error.update(Text(printable(message)))
        error.display = bool(message)

    @property
    def changed(self) -> bool:
        return self.form is not None and self._current() != self.form.values

    # --- saving ------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.form is None or self._saving:
            return
        errors = self._errors()
        for name in [name for name, _ in FIELDS] + list(self._custom_fields()):
            self._show_error(name, errors.get(name, ""))
        if errors:
            self._status("Fix the fields marked in red; nothing was saved.", error=True)
            return
        values, version, actor, currency = self._current(), self.form.version, self.actor, self.currency
        rules = self.app.context.rules
        deal_id = self.deal_id
        pipeline_id = getattr(self.app, "pipeline_id", None)  # the board's: a new deal goes there
        custom = {f.key: values[name] for name, f in self._custom_fields().items()
                  if values[name] != self.form.values[name]}

        def save() -> tuple[rows.DealRow, Change | None]:
            common = dict(default_currency=currency, owner=values["owner"] or None,
                          organization=values["organization"], contact=values["contact"],
                          expected_close=values["expected_close"],
                          probability=values["probability"], actor=actor, rules=rules, fields=custom)
            if deal_id is None:
                return fields.add_deal(values["title"], values["value"], stage=values["stage"],
                                       pipeline=pipeline_id, **common), None
            before = deals.current_deal(deal_id, expected_version=version)
            held = fields.held_values(deal_id)
            after = fields.update_deal(deal_id, version, title=values["title"], value=values["value"],
                                       stage=values["stage"], **common)
            return after, edit_change("edit", before, after, values_before=held,
                                      values_after=fields.held_values(deal_id))

        self._saving = True
        self.run_db(save, self._saved, failed=self._save_failed)

    def _saved(self, done: tuple[rows.DealRow, Change | None]) -> None:
        self._saving = False
        saved, change = done
        if change is not None:
            self.changes.append(change)
        self.dismiss(Edited((saved.id, saved.stage_id, saved.version), tuple(self.changes),
                            created=self.deal_id is None))

    def _save_failed(self, failure: Failure) -> None:
        self._saving = False
        hint = ". Press ctrl+l to reload it (your edits are lost)." if failure.conflict else ""
        self._status(failure.text + hint, error=True)

    def work_failed(self, failure: Failure) -> None:
        self._status(failure.text, error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#editor-status", Static).update(
            Content.styled(printable(text), ERROR if error else ""))

    def action_reload(self) -> None:
        if self.deal_id is not None:
            self._status("Reloaded.")
            self._load()

    # --- notes and activities ---------------------------------------------

    @on(Input.Submitted, "#new-note")
    def _add_note(self, event: Input.Submitted) -> None:
        text, deal_id, actor = event.value, self.deal_id, self.actor
        self._side_write(event.input, lambda: add_note(deal_id, text, author=actor)[1], "Note added.")

    @on(Input.Submitted, "#new-activity")
    def _add_activity(self, event: Input.Submitted) -> None:
        text, deal_id, actor = event.value, self.deal_id, self.actor
        self._side_write(event.input, lambda: schedule_activity(deal_id, text, owner=actor)[1],
                         "Activity scheduled.")

    def _side_write(self, field: Input, write, done: str) -> None:
        """Add what ``field`` holds (``write`` returns the change, kept for
        undo); it is emptied once added, and keeps its text (with the reason
        beside it) when it cannot be."""
        deal_id = self.deal_id
        error = self.query_one("#new-activity-error", Static)

        def write_then_read() -> tuple[Content, Content, Change]:
            change = write()
            return (_activities(activities.deal_activities(deal_id)),
                    _notes(activities.deal_notes(deal_id)), change)

        def shown(side: tuple[Content, Content, Change]) -> None:
            self.changes.append(side[2])
            field.value = ""
            error.update("")
            self.query_one("#activities", Static).update(side[0])
            self.query_one("#notes", Static).update(side[1])
            self._status(done)

        def refused(failure: Failure) -> None:
            if field.id == "new-activity":
                error.update(Text(printable(failure.text)))
            else:
                self._status(failure.text, error=True)

        self.run_db(write_then_read, shown, failed=refused)

    # --- leaving -----------------------------------------------------------

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(Edited(None, tuple(self.changes)))
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(Edited(None, tuple(self.changes)))

        self.app.push_screen(ConfirmDialog("Discard your changes?", yes="discard them",
                                           no="keep editing"), answered)


def _custom_placeholder(field: fields.FieldDef) -> str:
    if field.choices:
        return ", ".join(field.choices) + (" (several: a, b)" if field.type == "multi" else "")
    return _CUSTOM_PLACEHOLDERS[field.type]


_CUSTOM_PLACEHOLDERS = {
    "text": "", "number": "12, 4.5 …", "money": "12500, 12.5k, EUR 900 …",
    "date": "2026-12-01, +2w, eom, fri …", "checkbox": "yes or no",
}

_PLACEHOLDERS = {
    "title": "what is being sold, to whom",
    "value": "12500, 12.5k, EUR 900 …",
    "organization": "company (created if new)",
    "contact": "person (created if new)",
    "expected_close": "2026-12-01, +2w, eom, fri …",
    "probability": "0-100, empty: the stage's",
}
