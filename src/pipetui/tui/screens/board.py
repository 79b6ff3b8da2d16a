"""The board screen: the kanban board, its filter and status line, and the
keys that act on the selected deal.

Screens decide and delegate: every database call runs through
:meth:`~pipetui.tui.work.DatabaseWork.run_db`; the rules live in
``pipetui.core``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Input, Static

from pipetui.core import board as board_data
from pipetui.core import bulk, clock, deals, people, stages, undo
from pipetui.core.board import BoardFilter, Card, Column
from pipetui.core.rows import RepRef
from pipetui.core.rules import Rulebook
from pipetui.core.text import printable
from pipetui.core.undo import Change, Changes, UndoLog, changes_of, edits_of, stages_touched
from pipetui.tui.contrast import ERROR, MUTED
from pipetui.tui.dialogs import ConfirmDialog, HelpDialog, LoseDialog, PickDialog, ask_field_value
from pipetui.tui.keys import TypeAhead
from pipetui.tui.live import LiveScreen
from pipetui.tui.text import marked_deals
from pipetui.tui.widgets.board import WINDOW, BoardView
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.work import Failure, failure_text


@dataclass(frozen=True)
class Owner:
    """An owner filter choice: everybody, or one rep."""

    label: str
    rep_id: int | None


@dataclass(frozen=True)
class BoardRead:
    """Everything one board read found: the column totals, the cursor's
    place, and the visible cards of the columns read again."""

    generation: int
    columns: list[Column]
    place: tuple[int, int] | None
    today: dt.date
    cards: dict[tuple[int, int], list[Card]]
    stale: set[int] | None


@dataclass(frozen=True)
class Written:
    """A change that succeeded, and the board as it is after it."""

    text: str
    deal_id: int
    change: Change | Changes | None  # kept for undo; None for an undo or a redo
    stale: set[int]
    board: BoardRead | None
    bulk: bool = False  # an action on the marked cards: done, the marks go


class BoardScreen(LiveScreen):
    """The pipeline as a kanban board."""

    BINDINGS = [
        Binding("H,shift+left", "move(-1)", "Back", show=False, tooltip="Move the deal back a stage", id="board.move_back"),
        Binding("L,shift+right", "move(1)", "Next", show=False, tooltip="Move the deal to the next stage", id="board.move_on"),
        Binding("w", "win", "Win", tooltip="Mark the deal won", id="board.win"),
        Binding("x", "lose", "Lose", tooltip="Mark the deal lost, with a reason", id="board.lose"),
        Binding("a", "assign", "Assign", show=False, tooltip="Give the deal, or the marked deals, to a rep",
                id="board.assign"),
        Binding("enter", "edit", "Edit", tooltip="Open the deal editor", id="board.edit"),
        Binding("n", "new", "New", tooltip="New deal in this column", id="board.new"),
        Binding("F", "set_field", "Set field", show=False,
                tooltip="Set a custom field (of marked deals too)", id="board.set_field"),
        Binding("D", "delete", "Delete", show=False, tooltip="Delete the deal, after asking",
                id="board.delete"),
        Binding("u", "undo", "Undo", tooltip="Undo the last change", id="board.undo"),
        Binding("ctrl+r", "redo", "Redo", tooltip="Redo what was undone", id="board.redo", show=False),
        Binding("slash", "filter", "Filter", tooltip="Filter by title, organization or owner", id="board.filter"),
        Binding("o", "owner", "Owner", show=False, tooltip="Show all deals, mine or one rep's", id="board.owner"),
        Binding("t", "triage", "Triage", tooltip="The deals that need attention now", id="board.triage"),
        Binding("c", "customers", "Customers", show=False, tooltip="People and companies",
                id="board.customers"),
        Binding("m", "metrics", "Metrics", tooltip="Quota, forecast, funnel and health", id="board.metrics"),
        Binding("p", "pipeline", "Pipeline", show=False, tooltip="Show another pipeline", id="board.pipeline"),
        Binding("P", "pipeline_settings", "Stages", show=False,
                tooltip="Pipeline settings: add, rename, reorder and delete stages", id="board.pipeline_settings"),
        # After the screens' keys: a narrow key bar drops it first (help lists it).
        Binding("space", "mark", "Mark", tooltip="Mark the deal (again: unmark) for H L w x a F",
                id="board.mark"),
        Binding("question_mark", "help", "Keys", tooltip="This list of keys", id="board.help"),
        Binding("escape", "clear_filter", "Clear", tooltip="Clear the marks, else the filter",
                id="board.clear_filter", show=False),
    ]

    filter: reactive[BoardFilter] = reactive(BoardFilter, init=False)
    """What the board shows: a text and an owner; a change reads it again."""

    def __init__(self, *, actor=None) -> None:
        super().__init__()
        self.actor = actor
        self.undo_log = UndoLog()
        self.reasons: list[str] = []
        self.owners: list[Owner] = []
        self.reps: list[RepRef] = []
        self._generation = 0
        self._busy = False
        self._message: tuple[str, bool] = ("", False)
        self._status_shown: Content | None = None
        self._cursor_target: int | None = None  # a deal a pending reload puts the cursor on
        self.pipelines: list = []  # core.stages.PipelineRef, for the switch and the status line
        self.filter_typing = TypeAhead(self, lambda: self.query_one("#filter", Input),
                                       {"board.filter": self.action_filter},
                                       submit=self._filter_kept, cancel=self.action_clear_filter)

    def compose(self) -> ComposeResult:
        yield BoardView(id="board")
        # One docked group: widgets docked to the same edge would overlap.
        with Vertical(id="bottom"):
            yield Input(placeholder="filter by title, organization, owner or field:value (Enter keeps, Esc clears)",
                        id="filter", select_on_focus=False)
            yield Static(id="status")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(BoardView).focus()
        self.run_db(lambda: (deals.lost_reasons(), people.list_reps(), stages.pipeline_list()),
                    self._choices_loaded, group="choices")
        pipeline_id = getattr(self.app, "pipeline_id", None)
        if pipeline_id is not None:
            self.set_reactive(BoardScreen.filter, BoardFilter(pipeline_id=pipeline_id))
        self._load_first_board()

    def _load_first_board(self) -> None:
        """Read the board before the first frame rather than in a worker: the
        read takes a few milliseconds, and an empty board drawn first and the
        full one after would cost a frame and make the screen jump."""
        self._generation += 1
        try:
            loaded = self._read_board(self._generation, self.filter, None, None, {}, self.app.context.rules)
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self._show_status(failure_text(exc), error=True)
            return
        self._board_read(loaded)

    @property
    def board(self) -> BoardView:
        return self.query_one(BoardView)

    def work_failed(self, failure: Failure) -> None:
        self._show_status(failure.text, error=True)

    # --- loading -----------------------------------------------------------

    def watch_filter(self) -> None:
        self.reload()

    def reload(self, on_deal: int | None = None, stale: set[int] | None = None) -> None:
        """Reload the column totals and the cards of the ``stale`` columns (all
        when None); the cursor follows ``on_deal`` (else the current card)."""
        if on_deal is not None:
            self._cursor_target = on_deal  # until the board shows it, later reloads aim there too
        elif self._cursor_target is not None:
            on_deal = self._cursor_target
        elif self.board.current_card is not None:
            on_deal = self.board.current_card.id
        self._generation += 1
        generation, flt, offsets = self._generation, self.filter, self.board.window_offsets()
        rules = self.app.context.rules
        self.run_db(lambda: self._read_board(generation, flt, on_deal, stale, offsets, rules),
                    self._board_read, exclusive=True, group="columns")

    @staticmethod
    def _read_board(generation: int, flt: BoardFilter, on_deal: int | None, stale: set[int] | None,
                    offsets: dict[int, int], rules: Rulebook) -> BoardRead:
        """Totals, the cursor's place and the visible cards of the stale
        columns, in one go: the board then draws once, complete."""
        columns = board_data.columns(flt, rules=rules)
        place = board_data.index_of(on_deal, flt) if on_deal is not None else None
        wanted = {(c.stage_id, offsets.get(c.stage_id, 0)) for c in columns
                  if c.count and (stale is None or c.stage_id in stale)}
        if place is not None:
            wanted.add((place[0], place[1] // WINDOW * WINDOW))
        cards = {key: board_data.cards(key[0], offset=key[1], limit=WINDOW, flt=flt, rules=rules)
                 for key in wanted}
        return BoardRead(generation, columns, place, clock.today(), cards, stale)

    def _board_read(self, read: BoardRead) -> None:
        if read.generation != self._generation:
            return
        self._cursor_target = None
        filtered = bool(self.filter.text) or self.filter.owner_id is not None
        self.board.set_columns(read.columns, today=read.today, cards=read.cards,
                               stale=read.stale, place=read.place, filtered=filtered)
        self._show_status()

    def _choices_loaded(self, choices: tuple[list[str], list[RepRef], list]) -> None:
        """The lost reasons, the reps and the pipelines, for the dialogs."""
        self.reasons, self.reps, self.pipelines = choices
        self.owners = [Owner(r.name, r.id) for r in self.reps]
        self._show_status()

    def on_data_changed(self) -> None:
        """Someone committed: read the board again; the cursor stays on its deal."""
        if not self._busy:  # a write of ours reloads the board itself
            self.reload()

    @on(BoardView.WindowNeeded)
    def _window_needed(self, message: BoardView.WindowNeeded) -> None:
        generation, flt, stage_id, offset = self._generation, self.filter, message.stage_id, message.offset
        rules = self.app.context.rules

        def shown(cards: list[Card]) -> None:
            if generation == self._generation:
                self.board.set_cards(stage_id, offset, cards)

        self.run_db(lambda: board_data.cards(stage_id, offset=offset, limit=WINDOW, flt=flt, rules=rules),
                    shown)

    # --- writing -----------------------------------------------------------

    def _write(self, work: Callable[[], tuple[str, int, Change | Changes | None]], *, record: bool = True,
               marked: bool = False) -> None:
        """Run a change, then read the board as it now is on the same
        connection: one trip to a thread and one redraw per key. ``record``
        keeps the change for undo; ``marked``: it acted on the marked cards,
        which are unmarked once it succeeded (kept when it failed)."""
        if self._busy:
            return  # one write at a time keeps undo in order
        self._busy = True
        self._generation += 1
        generation, flt, offsets = self._generation, self.filter, self.board.window_offsets()
        rules = self.app.context.rules

        def write_then_read() -> Written:
            text, deal_id, change = work()
            stale = stages_touched(change) if change is not None else None
            try:
                board = self._read_board(generation, flt, deal_id, stale, offsets, rules)
            except Exception:  # noqa: BLE001 - the change is made; reload the usual way
                board = None
            return Written(text, deal_id, change if record else None, stale, board, marked)

        self.run_db(write_then_read, self._written, failed=self._write_failed)

    def _written(self, written: Written) -> None:
        self._busy = False
        if written.change is not None:
            self.undo_log.record(written.change)
        if written.bulk:
            self.board.clear_marks()
        self._show_status(written.text)
        if written.board is not None and written.board.generation == self._generation:
            self._board_read(written.board)
        else:
            self.reload(on_deal=written.deal_id, stale=written.stale)

    def _write_failed(self, failure: Failure) -> None:
        """A refused change: say why, and show the board as it now is."""
        self._busy = False
        self._show_status(failure.text, error=True)
        self.reload()

    # --- on the marked cards -------------------------------------------------

    def action_mark(self) -> None:
        if self.board.toggle_mark():
            self._show_status()

    def _marked(self) -> list[bulk.DealRef]:
        return [bulk.DealRef(c.id, c.title, c.version, c.stage_id) for c in self.board.marked.values()]

    def _write_marked(self, act: Callable[[list[bulk.DealRef]], list[bulk.Outcome]], kind: str,
                      said: str, label: str) -> None:
        """``act`` on every marked deal in one transaction (all or none),
        recorded as one undo step of ``kind`` ("edit": each deal is read
        first, for undo to put its fields back); the cursor stays on its
        deal. ``said`` is the message, its ``{many}`` replaced by the count."""
        marked = self._marked()
        current = self.board.current_card
        on_deal = current.id if current is not None else marked[0].id
        many = f"{len(marked)} deal{'s' * (len(marked) != 1)}"

        def work():
            if kind == "edit":
                # As the user saw them: the action checks the same versions again.
                outcomes = act([deals.current_deal(d.id, expected_version=d.version) for d in marked])
                change = edits_of(f"{label} of {many}", outcomes)
            else:
                change = changes_of(kind, f"{label} of {many}", act(marked))
            return said.replace("{many}", many), on_deal, change

        self._write(work, marked=True)

    def action_move(self, steps: int) -> None:
        if self.board.marked:
            actor, rules = self.actor, self.app.context.rules
            self._write_marked(lambda refs: bulk.step(refs, steps, actor=actor, rules=rules), "move",
                               "Moved {many} " + ("on" if steps > 0 else "back") + " a stage", "move")
            return
        card = self.board.current_card
        if card is None:
            return
        actor, rules = self.actor, self.app.context.rules

        def work():
            moved = deals.step_deal(card.id, steps, expected_version=card.version, actor=actor, rules=rules)
            change = Change(f"move to {moved.stage}", card.id, "move", card.stage_id,
                            moved.stage_id, moved.version)
            return f"Moved {printable(moved.title)} to {moved.stage}", card.id, change

        self._write(work)

    def action_win(self) -> None:
        if self.board.marked:
            actor, rules = self.actor, self.app.context.rules
            self._write_marked(lambda refs: bulk.win(refs, actor=actor, rules=rules), "win", "Won {many}", "win")
            return
        card = self.board.current_card
        if card is None:
            return
        actor, rules = self.actor, self.app.context.rules

        def work():
            won = deals.win_deal(card.id, expected_version=card.version, actor=actor, rules=rules)
            change = Change("win", card.id, "win", card.stage_id, card.stage_id, won.version)
            return f"Won {printable(won.title)}", card.id, change

        self._write(work)

    def action_lose(self) -> None:
        if self.board.marked:
            count = len(self.board.marked)

            def reason_for_all(reason: str | None) -> None:
                if reason:
                    actor = self.actor
                    self._write_marked(lambda refs: bulk.lose(refs, reason, actor=actor), "lose",
                                       "Lost {many} (" + printable(reason) + ")", "lose")

            self.app.push_screen(LoseDialog(marked_deals(count), self.reasons), reason_for_all)
            return
        card = self.board.current_card
        if card is None:
            return

        def chosen(reason: str | None) -> None:
            if not reason:
                return
            actor = self.actor

            def work():
                lost = deals.lose_deal(card.id, reason, expected_version=card.version, actor=actor)
                change = Change("lose", card.id, "lose", card.stage_id, card.stage_id,
                                lost.version, lost.lost_reason)
                return f"Lost {printable(lost.title)} ({printable(lost.lost_reason)})", card.id, change

            self._write(work)

        self.app.push_screen(LoseDialog(card.title, self.reasons), chosen)

    def action_assign(self) -> None:
        """Give the marked deals, else the deal under the cursor, to a rep."""
        card = self.board.current_card
        if not self.board.marked and card is None:
            return

        def chosen(rep: RepRef | None) -> None:
            if rep is None:
                return
            actor = self.actor
            if self.board.marked:
                self._write_marked(lambda rows: bulk.assign(rows, rep, actor=actor), "edit",
                                   "Gave {many} to " + printable(rep.name), "reassignment")
                return

            def work():
                before = deals.current_deal(card.id, expected_version=card.version)
                given = deals.edit_deal(card.id, expected_version=card.version, owner=rep, actor=actor)
                change = undo.edit_change(f"reassignment to {given.owner}", before, given)
                return f"Gave {printable(card.title)} to {printable(rep.name)}", card.id, change

            self._write(work)

        whose = marked_deals(len(self.board.marked)) if self.board.marked else card.title
        self.app.push_screen(PickDialog(f"Give {whose} to", [(r.name, r) for r in self.reps]), chosen)

    def action_set_field(self) -> None:
        """Set one custom field of the marked deals, else the deal under the cursor."""
        card = self.board.current_card
        if not self.board.marked and card is None:
            return
        whose = marked_deals(len(self.board.marked)) if self.board.marked else card.title

        def write(name: str, text: str) -> None:
            actor, values = self.actor, {name: text}
            if self.board.marked:
                self._write_marked(lambda rows: bulk.set_fields(rows, values, actor=actor), "edit",
                                   f"Set {printable(name)} on {{many}}", f"{name} set")
                return

            def work():
                before = deals.current_deal(card.id, expected_version=card.version)
                change = edits_of(f"{name} set", bulk.set_fields([before], values, actor=actor))
                return f"Set {printable(name)} on {printable(card.title)}", card.id, change

            self._write(work)

        shown = self.filter.pipeline_id or next((p.id for p in self.pipelines), None)
        ask_field_value(self, shown, whose, write, say=self._show_status)

    def action_delete(self) -> None:
        card = self.board.current_card
        if card is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def work():
                gone, change = undo.delete_deal(card.id, expected_version=card.version)
                return f"Deleted {printable(gone.title)} (u brings it back)", card.id, change

            self._write(work)

        self.app.push_screen(ConfirmDialog(f"Delete {printable(card.title)}?", yes="delete it",
                                           no="keep it"), answered)

    def go_to_deal(self, deal_id: int) -> None:
        """Show every deal again and put the cursor on this one (the palette's jump)."""
        field = self.query_one("#filter", Input)
        with self.prevent(Input.Changed):
            field.value = ""
        field.display = False
        self.set_reactive(BoardScreen.filter, BoardFilter(pipeline_id=self.filter.pipeline_id))
        self.reload(on_deal=deal_id)

    def action_edit(self) -> None:
        from pipetui.tui.screens.editor import DealEditor

        card = self.board.current_card
        if card is not None:
            self._open_editor(DealEditor(card.id, currency=self.app.currency, actor=self.actor,
                                         **self._choices()))

    def action_new(self) -> None:
        from pipetui.tui.screens.editor import DealEditor

        column = self.board.current_column
        stage = column.name if column is not None else None
        self._open_editor(DealEditor(None, stage=stage, currency=self.app.currency, actor=self.actor,
                                     **self._choices()))

    def _choices(self) -> dict[str, list[str]]:
        return {"stages": [c.name for c in self.board.columns],
                "reps": [o.label for o in self.owners]}

    def _open_editor(self, editor) -> None:
        def closed(edited) -> None:
            # Each change made in the editor is one undo step: the notes and
            # activities added, then the save (undo of a new deal deletes it).
            for change in edited.changes:
                self.undo_log.record(change)
            if edited.saved is None:
                if edited.changes:
                    self.reload()  # an activity added changes the card's next step
                return
            deal_id, stage_id, version = edited.saved
            if edited.created:
                self.undo_log.record(Change("add", deal_id, "create", stage_id, stage_id, version))
            self._show_status("Deal added." if edited.created else "Saved.")
            self.reload(on_deal=deal_id)

        self.app.push_screen(editor, closed)

    def action_undo(self) -> None:
        self._replay(undo=True)

    def action_redo(self) -> None:
        self._replay(undo=False)

    def _replay(self, *, undo: bool) -> None:
        """Take the last change back, or make the last undone one again."""
        log, actor = self.undo_log, self.actor
        if not (log.can_undo if undo else log.can_redo):
            self._show_status("Nothing to undo" if undo else "Nothing to redo")
            return
        step, done = (log.undo, "Undid") if undo else (log.redo, "Redid")

        def work():
            change, deal = step(actor)
            if isinstance(change, Changes):
                return f"{done} {change.label}", deal.id, change
            return f"{done} {change.label} of {printable(deal.title)}", deal.id, change

        self._write(work, record=False)

    # --- filters -----------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = self.filter.text
        field.cursor_position = len(field.value)
        self._typing(True)
        field.focus()

    def _typing(self, on: bool) -> None:
        """While the filter takes text, letters are text, not board keys."""
        self.filter_typing.typing = on
        self.board.keys_enabled = not on

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.filter_typing.typing or action == "clear_filter"

    def on_key(self, event) -> None:
        """The filter opens on key press and takes the keys typed right after."""
        self.filter_typing.key(event)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.filter = BoardFilter(event.value, self.filter.owner_id, self.filter.pipeline_id)

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = bool(field.value)
        self._typing(False)
        self.board.focus()

    def action_clear_filter(self) -> None:
        if self.board.marked and not self.filter_typing.typing:
            self.board.clear_marks()
            self._show_status()
            return
        field = self.query_one("#filter", Input)
        with self.prevent(Input.Changed):
            field.value = ""
        field.display = False
        self._typing(False)
        self.board.focus()
        self.filter = BoardFilter("", self.filter.owner_id, self.filter.pipeline_id)

    def action_owner(self) -> None:
        choices = [Owner("All deals", None)]
        if self.actor is not None:
            choices.append(Owner(f"Mine ({self.actor.name})", self.actor.id))
        choices += [o for o in self.owners if self.actor is None or o.rep_id != self.actor.id]

        def chosen(owner: Owner | None) -> None:
            if owner is not None:
                self.filter = BoardFilter(self.filter.text, owner.rep_id, self.filter.pipeline_id)

        self.app.push_screen(PickDialog("Whose deals?", [(o.label, o) for o in choices]), chosen)

    def action_pipeline(self) -> None:
        """Pick the pipeline the board shows (triage follows it)."""

        def chosen(pipeline_id: int | None) -> None:
            if pipeline_id is not None and pipeline_id != self.filter.pipeline_id:
                self.app.pipeline_id = pipeline_id
                self.undo_log = UndoLog()  # the changes kept were made on another board
                self.filter = BoardFilter(self.filter.text, self.filter.owner_id, pipeline_id)

        def offer(found: list) -> None:
            self.pipelines = found
            if len(found) < 2:
                self._show_status("There is one pipeline; add another in the pipeline settings (P)")
                return
            self.app.push_screen(PickDialog("Which pipeline?", [
                (f"{p.name}  ({p.open_deals:,} open)", p.id) for p in found]), chosen)

        self.run_db(stages.pipeline_list, offer)

    def action_pipeline_settings(self) -> None:
        """The stages of the pipeline shown: add, rename, reorder, set, delete;
        back here, the board shows the pipeline the settings showed last."""
        from pipetui.tui.screens.stages import PipelineSettingsScreen, SettingsClosed

        pipeline_id = self.filter.pipeline_id or next((p.id for p in self.pipelines), None)

        def open_settings(shown_id: int) -> None:
            def closed(result: SettingsClosed | None) -> None:
                if result is None:
                    return
                switched = result.pipeline_id != shown_id
                if result.changed or switched:
                    self.run_db(stages.pipeline_list, self._pipelines_loaded)
                if switched:
                    self.app.pipeline_id = result.pipeline_id
                    self.undo_log = UndoLog()  # the changes kept were made on another board
                    self.filter = BoardFilter(self.filter.text, self.filter.owner_id, result.pipeline_id)
                elif result.changed:
                    self.reload()

            self.app.push_screen(PipelineSettingsScreen(shown_id, actor=self.actor), closed)

        if pipeline_id is not None:
            open_settings(pipeline_id)
        else:
            self.run_db(lambda: stages.pipeline_of(None).id, open_settings)

    def _pipelines_loaded(self, found: list) -> None:
        self.pipelines = found
        self._show_status()

    def action_help(self) -> None:
        palette = Binding("ctrl+p", "command_palette", "Palette",
                          tooltip="Command palette: go to a deal by name")
        self.app.push_screen(HelpDialog([*BoardView.BINDINGS, *self.BINDINGS, palette, *self.app.BINDINGS]))

    # Screens are imported when first opened: their widgets would add to the
    # time the board takes to open.

    def action_customers(self) -> None:
        from pipetui.tui.screens.customers import CustomersScreen

        self.app.push_screen(CustomersScreen())

    def action_triage(self) -> None:
        from pipetui.tui.screens.triage import TriageScreen

        self.app.push_screen(TriageScreen(actor=self.actor, reasons=self.reasons))

    def action_metrics(self) -> None:
        from pipetui.tui.screens.metrics import MetricsScreen  # plotext costs time at start-up

        self.app.push_screen(MetricsScreen())

    # --- status line -------------------------------------------------------

    def _show_status(self, text: str | None = None, *, error: bool = False) -> None:
        """Filters in force and the latest message (kept until the next one)."""
        if text is not None:
            self._message = (text, error)
            if text:
                self.expire_message(lambda: self._show_status(""))
        text, error = self._message
        parts = []
        if len(self.pipelines) > 1:
            shown = self.filter.pipeline_id or self.pipelines[0].id
            parts.append(f"pipeline: {next((p.name for p in self.pipelines if p.id == shown), '?')}")
        if self.filter.text:
            parts.append(f"filter: {self.filter.text}")
        if self.filter.owner_id is not None:
            name = next((o.label for o in self.owners if o.rep_id == self.filter.owner_id), "?")
            parts.append(f"owner: {name}")
        if self.board.marked:
            parts.append(f"{len(self.board.marked)} marked")
        line = Content.styled(" · ".join(printable(p) for p in parts), MUTED)
        if text:
            line = line.append("   " if parts else "").append(Content.styled(printable(text), ERROR if error else ""))
        if line != self._status_shown:  # a reload that changed nothing sends nothing
            self._status_shown = line
            self.query_one("#status", Static).update(line, layout=False)  # always one line
