"""Screens of the app: the board and its dialogs.

Screens decide and delegate: every database call runs in a thread worker
and comes back as a message; the rules live in ``pipetui.core``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import board as board_data
from pipetui.core import clock, deals, people
from pipetui.core.board import BoardFilter, Card, Column
from pipetui.core.connection import on_own_connection
from pipetui.core.errors import user_message
from pipetui.core.undo import Change, UndoLog
from pipetui.tui.board import WINDOW, BoardView, printable
from pipetui.tui.keybar import KeyBar
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.typing import type_into


@dataclass(frozen=True)
class Owner:
    """An owner filter choice: everybody, or one rep."""

    label: str
    rep_id: int | None


class BoardScreen(LiveScreen):
    """The pipeline as a kanban board."""

    BINDINGS = [
        Binding("H,shift+left", "move(-1)", "Back", show=False, tooltip="Move the deal back a stage", id="board.move_back"),
        Binding("L,shift+right", "move(1)", "Next", show=False, tooltip="Move the deal to the next stage", id="board.move_on"),
        Binding("w", "win", "Win", tooltip="Mark the deal won", id="board.win"),
        Binding("x", "lose", "Lose", tooltip="Mark the deal lost, with a reason", id="board.lose"),
        Binding("enter", "edit", "Edit", tooltip="Open the deal editor", id="board.edit"),
        Binding("n", "new", "New", tooltip="New deal in this column", id="board.new"),
        Binding("u", "undo", "Undo", tooltip="Undo the last change", id="board.undo"),
        Binding("ctrl+r", "redo", "Redo", tooltip="Redo what was undone", id="board.redo", show=False),
        Binding("slash", "filter", "Filter", tooltip="Filter by title, organization or owner", id="board.filter"),
        Binding("o", "owner", "Owner", show=False, tooltip="Show all deals, mine or one rep's", id="board.owner"),
        Binding("t", "triage", "Triage", tooltip="The deals that need attention now", id="board.triage"),
        Binding("c", "customers", "Customers", show=False, tooltip="People and companies",
                id="board.customers"),
        Binding("m", "metrics", "Metrics", tooltip="Quota, forecast, funnel and health", id="board.metrics"),
        Binding("question_mark", "help", "Keys", tooltip="This list of keys", id="board.help"),
        Binding("escape", "clear_filter", "Clear", tooltip="Clear the filter", id="board.clear_filter", show=False),
    ]

    class ColumnsLoaded(Message):
        def __init__(self, generation: int, columns: list[Column], place: tuple[int, int] | None,
                     today: dt.date, cards: dict[tuple[int, int], list[Card]],
                     stale: set[int] | None) -> None:
            super().__init__()
            self.generation = generation
            self.columns = columns
            self.place = place
            self.today = today
            self.cards = cards
            self.stale = stale

    class ChoicesLoaded(Message):
        def __init__(self, reasons: list[str], owners: list[Owner]) -> None:
            super().__init__()
            self.reasons = reasons
            self.owners = owners

    class CardsLoaded(Message):
        def __init__(self, generation: int, stage_id: int, offset: int, cards: list[Card]) -> None:
            super().__init__()
            self.generation = generation
            self.stage_id = stage_id
            self.offset = offset
            self.cards = cards

    class Changed(Message):
        """A write succeeded: say so, remember it for undo, reload on that deal."""

        def __init__(self, text: str, deal_id: int, change: Change | None,
                     stale: set[int] | None, loaded: BoardScreen.ColumnsLoaded | None) -> None:
            super().__init__()
            self.text = text
            self.deal_id = deal_id
            self.change = change
            self.stale = stale
            self.loaded = loaded

    class Failed(Message):
        def __init__(self, text: str, *, write: bool = False) -> None:
            super().__init__()
            self.text = text
            self.write = write  # a refused change: show the board as it now is

    def __init__(self, *, actor=None, keymap: dict[str, str] | None = None,
                 currency: str = "USD") -> None:
        super().__init__()
        self.actor = actor
        self._currency = currency
        self._filter_keys = set((keymap or {}).get("board.filter", "slash").split(","))
        self.filter = BoardFilter()
        self.undo_log = UndoLog()
        self.reasons: list[str] = []
        self.owners: list[Owner] = []
        self._generation = 0
        self._busy = False
        self._typing_filter = False
        self._message: tuple[str, bool] = ("", False)
        self._status_shown: Text | None = None
        self._cursor_target: int | None = None  # a deal a pending reload puts the cursor on

    def compose(self) -> ComposeResult:
        yield BoardView(id="board")
        # One docked group: widgets docked to the same edge would overlap.
        with Vertical(id="bottom"):
            yield Input(placeholder="filter by title, organization or owner (Enter keeps, Esc clears)",
                        id="filter")
            yield Static(id="status")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(BoardView).focus()
        self._load_choices()
        self._load_first_board()

    def _load_first_board(self) -> None:
        """Read the board before the first frame rather than in a worker: the
        read takes a few milliseconds, and an empty board drawn first and the
        full one after would cost a frame and make the screen jump."""
        self._generation += 1
        try:
            loaded = self._read_board(self._generation, self.filter, None, None, {})
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self._show_status(user_message(exc) or f"could not load: {exc}", error=True)
            return
        self.on_board_screen_columns_loaded(loaded)

    @property
    def board(self) -> BoardView:
        return self.query_one(BoardView)

    # --- loading -----------------------------------------------------------

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
        self._load_columns(self._generation, self.filter, on_deal, stale, self.board.window_offsets())

    @work(thread=True, exclusive=True, group="columns", exit_on_error=False)
    def _load_columns(self, generation: int, flt: BoardFilter, on_deal: int | None,
                      stale: set[int] | None, offsets: dict[int, int]) -> None:
        try:
            loaded = on_own_connection(lambda: self._read_board(generation, flt, on_deal, stale, offsets))
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(self.Failed(user_message(exc) or f"could not load: {exc}"))
            return
        self.post_message(loaded)

    @staticmethod
    def _read_board(generation: int, flt: BoardFilter, on_deal: int | None, stale: set[int] | None,
                    offsets: dict[int, int]) -> ColumnsLoaded:
        """Totals, the cursor's place and the visible cards of the stale
        columns, in one go: the board then draws once, complete."""
        columns = board_data.columns(flt)
        place = board_data.index_of(on_deal, flt) if on_deal is not None else None
        wanted = {(c.stage_id, offsets.get(c.stage_id, 0)) for c in columns
                  if c.count and (stale is None or c.stage_id in stale)}
        if place is not None:
            wanted.add((place[0], place[1] // WINDOW * WINDOW))
        cards = {key: board_data.cards(key[0], offset=key[1], limit=WINDOW, flt=flt) for key in wanted}
        return BoardScreen.ColumnsLoaded(generation, columns, place, clock.today(), cards, stale)

    def on_board_screen_columns_loaded(self, message: ColumnsLoaded) -> None:
        if message.generation != self._generation:
            return
        self._cursor_target = None
        self.board.set_columns(message.columns, today=message.today, cards=message.cards,
                               stale=message.stale, place=message.place)
        self._show_status()

    @work(thread=True, exclusive=True, group="choices", exit_on_error=False)
    def _load_choices(self) -> None:
        """The lost reasons and the reps, for the dialogs."""

        def load():
            return deals.lost_reasons(), [Owner(r.name, r.id) for r in people.list_reps()]

        try:
            reasons, owners = on_own_connection(load)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Failed(user_message(exc) or f"could not load: {exc}"))
            return
        self.post_message(self.ChoicesLoaded(reasons, owners))

    def on_board_screen_choices_loaded(self, message: ChoicesLoaded) -> None:
        self.reasons, self.owners = message.reasons, message.owners

    def on_data_changed(self) -> None:
        """Someone committed: read the board again; the cursor stays on its deal."""
        if not self._busy:  # a write of ours reloads the board itself
            self.reload()

    @on(BoardView.WindowNeeded)
    def _window_needed(self, message: BoardView.WindowNeeded) -> None:
        self._load_cards(self._generation, message.stage_id, message.offset, self.filter)

    @work(thread=True, exit_on_error=False)
    def _load_cards(self, generation: int, stage_id: int, offset: int, flt: BoardFilter) -> None:
        try:
            cards = on_own_connection(
                lambda: board_data.cards(stage_id, offset=offset, limit=WINDOW, flt=flt))
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Failed(user_message(exc) or f"could not load cards: {exc}"))
            return
        self.post_message(self.CardsLoaded(generation, stage_id, offset, cards))

    def on_board_screen_cards_loaded(self, message: CardsLoaded) -> None:
        if message.generation == self._generation:
            self.board.set_cards(message.stage_id, message.offset, message.cards)

    # --- writing -----------------------------------------------------------

    def _write(self, work: Callable[[], tuple[str, int, Change]], *, record: bool = True) -> None:
        """Run a change in a worker; ``record`` keeps it for undo."""
        if self._busy:
            return  # one write at a time keeps undo in order
        self._busy = True
        self._run_write(work, record)

    def _run_write(self, work: Callable[[], tuple[str, int, Change]], record: bool) -> None:
        self._generation += 1
        self._write_worker(work, record, self._generation, self.filter, self.board.window_offsets())

    @work(thread=True, exit_on_error=False)
    def _write_worker(self, work: Callable[[], tuple[str, int, Change]], record: bool,
                      generation: int, flt: BoardFilter, offsets: dict[int, int]) -> None:
        """The change, then the board as it now is, read on the same connection:
        one trip to a thread and one redraw per key."""

        def write_then_read():
            text, deal_id, change = work()
            stale = {change.before_stage_id, change.after_stage_id}
            try:
                loaded = self._read_board(generation, flt, deal_id, stale, offsets)
            except Exception:  # noqa: BLE001 - the change is made; reload the usual way
                loaded = None
            return text, deal_id, change, stale, loaded

        try:
            text, deal_id, change, stale, loaded = on_own_connection(write_then_read)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line
            self.post_message(self.Failed(user_message(exc) or f"{type(exc).__name__}: {exc}",
                                          write=True))
            return
        self.post_message(self.Changed(text, deal_id, change if record else None, stale, loaded))

    def on_board_screen_changed(self, message: Changed) -> None:
        self._busy = False
        if message.change is not None:
            self.undo_log.record(message.change)
        self._show_status(message.text)
        if message.loaded is not None and message.loaded.generation == self._generation:
            self.on_board_screen_columns_loaded(message.loaded)
        else:
            self.reload(on_deal=message.deal_id, stale=message.stale)

    def on_board_screen_failed(self, message: Failed) -> None:
        self._busy = False
        self._show_status(message.text, error=True)
        if message.write:
            self.reload()

    def action_move(self, steps: int) -> None:
        card = self.board.current_card
        if card is None:
            return
        actor = self.actor

        def work():
            moved = deals.step_deal(card.id, steps, expected_version=card.version, actor=actor)
            change = Change(f"move to {moved.stage.name}", card.id, "move", card.stage_id,
                            moved.stage_id, moved.version)
            return f"Moved {printable(moved.title)} to {moved.stage.name}", card.id, change

        self._write(work)

    def action_win(self) -> None:
        card = self.board.current_card
        if card is None:
            return
        actor = self.actor

        def work():
            won = deals.win_deal(card.id, expected_version=card.version, actor=actor)
            change = Change("win", card.id, "win", card.stage_id, card.stage_id, won.version)
            return f"Won {printable(won.title)}", card.id, change

        self._write(work)

    def action_lose(self) -> None:
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

    def go_to_deal(self, deal_id: int) -> None:
        """Show every deal again and put the cursor on this one (the palette's jump)."""
        field = self.query_one("#filter", Input)
        with self.prevent(Input.Changed):
            field.value = ""
        field.display = False
        self.filter = BoardFilter()
        self.reload(on_deal=deal_id)

    def action_edit(self) -> None:
        # Imported here: the editor's widgets would add to the time to open.
        from pipetui.tui.editor import DealEditor

        card = self.board.current_card
        if card is not None:
            self._open_editor(DealEditor(card.id, currency=self._currency, actor=self.actor,
                                         **self._choices()))

    def action_new(self) -> None:
        from pipetui.tui.editor import DealEditor

        column = self.board.current_column
        stage = column.name if column is not None else None
        self._open_editor(DealEditor(None, stage=stage, currency=self._currency, actor=self.actor,
                                     **self._choices()))

    def _choices(self) -> dict[str, list[str]]:
        return {"stages": [c.name for c in self.board.columns],
                "reps": [o.label for o in self.owners]}

    def _open_editor(self, editor) -> None:
        creating = editor.deal_id is None

        def closed(saved: tuple[int, int, int] | None) -> None:
            if saved is None:
                return
            deal_id, stage_id, version = saved
            if creating:
                # Undo of a new deal deletes it again.
                self.undo_log.record(Change("add", deal_id, "create", stage_id, stage_id, version))
            self._show_status("Deal added." if creating else "Saved.")
            self.reload(on_deal=deal_id)

        self.app.push_screen(editor, closed)

    def action_undo(self) -> None:
        if not self.undo_log.can_undo:
            self._show_status("Nothing to undo")
            return
        log, actor = self.undo_log, self.actor

        def work():
            change, deal = log.undo(actor)
            return f"Undid {change.label} of {printable(deal.title)}", deal.id, change

        self._write(work, record=False)

    def action_redo(self) -> None:
        if not self.undo_log.can_redo:
            self._show_status("Nothing to redo")
            return
        log, actor = self.undo_log, self.actor

        def work():
            change, deal = log.redo(actor)
            return f"Redid {change.label} of {printable(deal.title)}", deal.id, change

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
        self._typing_filter = on
        self.board.keys_enabled = not on

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self._typing_filter or action == "clear_filter"

    def on_key(self, event) -> None:
        """Open the filter at once, and give it the keys typed right after.

        Bindings run only once a key has bubbled up to the app, after the keys
        typed behind it have already been dispatched to the board; so the
        filter key is acted on here, and the keys that follow it reach the
        filter even before it has focus (the input itself consumes the rest).
        """
        if not self._typing_filter:
            if event.key in self._filter_keys:
                event.stop()
                self.action_filter()
            return
        field = self.query_one("#filter", Input)
        if event.key == "escape":
            event.stop()
            self.action_clear_filter()
        elif event.key == "enter":
            event.stop()
            self._filter_kept()
        else:
            type_into(field, event)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.filter = BoardFilter(event.value, self.filter.owner_id)
        self.reload()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = bool(field.value)
        self._typing(False)
        self.board.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        had_text = bool(self.filter.text)
        field.value = ""
        field.display = False
        self._typing(False)
        self.board.focus()
        if had_text:
            self.filter = BoardFilter("", self.filter.owner_id)
            self.reload()

    def action_owner(self) -> None:
        choices = [Owner("All deals", None)]
        if self.actor is not None:
            choices.append(Owner(f"Mine ({self.actor.name})", self.actor.id))
        choices += [o for o in self.owners if self.actor is None or o.rep_id != self.actor.id]

        def chosen(owner: Owner | None) -> None:
            if owner is not None:
                self.filter = BoardFilter(self.filter.text, owner.rep_id)
                self.reload()

        self.app.push_screen(OwnerDialog(choices), chosen)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_customers(self) -> None:
        from pipetui.tui.customers import CustomersScreen

        self.app.push_screen(CustomersScreen())

    def action_triage(self) -> None:
        from pipetui.tui.triage import TriageScreen

        self.app.push_screen(TriageScreen(actor=self.actor, currency=self._currency, reasons=self.reasons))

    def action_metrics(self) -> None:
        from pipetui.tui.metrics import MetricsScreen  # plotext costs time at start-up

        settings = getattr(self.app, "settings", None)
        rates = settings.rates if settings is not None else {}
        self.app.push_screen(MetricsScreen(currency=self._currency, rates=rates))

    # --- status line -------------------------------------------------------

    def _show_status(self, text: str | None = None, *, error: bool = False) -> None:
        """Filters in force and the latest message (kept until the next one)."""
        if text is not None:
            self._message = (text, error)
        text, error = self._message
        parts = []
        if self.filter.text:
            parts.append(f"filter: {self.filter.text}")
        if self.filter.owner_id is not None:
            name = next((o.label for o in self.owners if o.rep_id == self.filter.owner_id), "?")
            parts.append(f"owner: {name}")
        line = Text(" · ".join(printable(p) for p in parts), style="dim")
        if text:
            if parts:
                line.append("   ")
            line.append(printable(text), style="bold red" if error else "")
        if line != self._status_shown:  # a reload that changed nothing sends nothing
            self._status_shown = line
            self.query_one("#status", Static).update(line, layout=False)  # always one line


class LoseDialog(ModalScreen[str | None]):
    """Pick why a deal was lost, or type a reason."""

    CSS_PATH = sheet("dialogs.tcss")  # read when first shown, not at start-up

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="lose.cancel")]

    def __init__(self, title: str, reasons: list[str]) -> None:
        super().__init__()
        self.deal_title = title
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Why was {printable(self.deal_title)} lost?"), id="dialog-title")
            yield OptionList(*[Option(Text(printable(r)), id=str(i)) for i, r in enumerate(self.reasons)],
                             id="reasons")
            yield Input(placeholder="or type a reason and press Enter", id="reason")

    @on(OptionList.OptionSelected, "#reasons")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.reasons[int(event.option.id)])

    @on(Input.Submitted, "#reason")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class OwnerDialog(ModalScreen[Owner | None]):
    """Show everybody's deals, mine, or one rep's."""

    CSS_PATH = sheet("dialogs.tcss")  # read when first shown, not at start-up

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="owner.cancel")]

    def __init__(self, choices: list[Owner]) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Whose deals?", id="dialog-title")
            yield OptionList(*[Option(Text(printable(c.label)), id=str(i))
                               for i, c in enumerate(self.choices)], id="owners")

    @on(OptionList.OptionSelected, "#owners")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the board, from the bindings themselves."""

    CSS_PATH = sheet("dialogs.tcss")  # read when first shown, not at start-up

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        keymap = self.app.keymap if hasattr(self.app, "keymap") else {}
        rows = Text()
        palette = Binding("ctrl+p", "command_palette", "Palette",
                          tooltip="Command palette: go to a deal by name")
        for binding in [*BoardView.BINDINGS, *BoardScreen.BINDINGS, palette, *self.app.BINDINGS]:
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            shown = ", ".join(self.app.get_key_display(Binding(k, "")) for k in keys.split(","))
            rows.append(f"{shown:<22}", style="bold")
            rows.append(f"{binding.tooltip or binding.description}\n")
        with Vertical(id="dialog"):
            yield Label("Keys (arrows scroll)", id="dialog-title")
            with VerticalScroll(id="keys-scroll"):
                yield Static(rows, id="keys")

    def action_close(self) -> None:
        self.dismiss(None)
