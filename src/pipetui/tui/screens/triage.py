"""The triage screen: today's activities at the top, then the queue of open
deals that need attention, each saying why; one key per action on the
selected deal, and the queue moves on.

The queue and its reasons come from :mod:`pipetui.core.triage`; every
action is a core call in a thread worker, after which the queue is read
again.
"""

from __future__ import annotations

from collections.abc import Callable

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import activities, bulk, deals, lookup, people, triage, undo
from pipetui.core.dates import parse_date
from pipetui.core.money import format_compact
from pipetui.core.text import printable
from pipetui.core.undo import Change, Changes, UndoLog, changes_of, edits_of
from pipetui.tui.contrast import ERROR, MUTED, WARNING
from pipetui.tui.dialogs import LoseDialog, PickDialog, ask_field_value
from pipetui.tui.keys import TypeAhead
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.text import fit, marked_deals
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.widgets.lists import MovingList
from pipetui.tui.work import Failure

AGENDA_SHOWN = 4
MARK_GLYPH = "✓"  # before a marked row's title: reads without colour
SNOOZES = [("+1 day", 1), ("+3 days", 3), ("+1 week", 7)]


@dataclass(frozen=True)
class Done:
    """An action that succeeded: what to say, and how to take it back (a
    change of the deal, an activity scheduled, goes through the undo log,
    which checks versions; marking an activity done or snoozing it carries
    its own inverse)."""

    text: str
    change: Change | Changes | None = None
    inverse: tuple[str, Callable[[], None]] | None = None
    marked: bool = False  # it acted on the marked rows: done, the marks go


class TriageScreen(LiveScreen):
    """Clear the day's queue from the keyboard."""

    CSS_PATH = sheet("triage.tcss")
    STATUS = "triage-status"

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="triage.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="triage.up"),
        Binding("d", "done", "Done", tooltip="Mark the due activity done", id="triage.done"),
        Binding("s", "snooze", "Snooze", tooltip="Put the due activity off", id="triage.snooze"),
        Binding("a", "schedule", "Next step", tooltip="Schedule the next activity in one line",
                id="triage.schedule"),
        Binding("L", "move(1)", "Next stage", show=False, tooltip="Move the deal to the next stage",
                id="triage.move_on"),
        Binding("H", "move(-1)", "Back", show=False, tooltip="Move the deal back a stage",
                id="triage.move_back"),
        Binding("w", "win", "Win", tooltip="Mark the deal won", id="triage.win"),
        Binding("x", "lose", "Lose", tooltip="Mark the deal lost, with a reason", id="triage.lose"),
        Binding("c", "close_date", "Close date", tooltip="Change the expected close date",
                id="triage.close_date"),
        Binding("enter", "edit", "Edit", show=False, tooltip="Open the deal editor", id="triage.edit"),
        Binding("u", "undo", "Undo", tooltip="Undo the last action", id="triage.undo"),
        Binding("A", "assign", "Assign", show=False, tooltip="Give the deal, or the marked deals, to a rep",
                id="triage.assign"),
        Binding("F", "set_field", "Set field", show=False,
                tooltip="Set a custom field (of marked deals too)", id="triage.set_field"),
        Binding("space", "mark", "Mark", tooltip="Mark the deal (again: unmark) for d s L H w x A F",
                id="triage.mark"),
        Binding("b,escape", "back", "Board", tooltip="Clear the marks, else back to the board", id="triage.back"),
    ]

    def __init__(self, *, actor=None, reasons: list[str] | None = None, as_root: bool = False) -> None:
        super().__init__()
        self.actor = actor
        self.lost_reasons = reasons or []
        self.as_root = as_root  # opened by `pipetui triage`: b shows the board
        self.queue: list[triage.TriageItem] = []
        self.stage_names: list[str] = []
        self.reps: list = []  # RepRefs, for A
        self.undo_log = UndoLog()
        # Newest last: a Change or Changes (undone through the UndoLog, which
        # checks versions), or an activity marked done or snoozed and its inverse.
        self.undo_stack: list[Change | Changes | tuple[str, Callable[[], None]]] = []
        # The rows marked for a bulk action, by deal id, each as last read.
        self.marked: dict[int, triage.TriageItem] = {}
        self._busy = False
        self._prompt: Callable[[str], None] | None = None
        self.prompt_typing = TypeAhead(
            self, lambda: self.query_one("#triage-input", Input),
            {"triage.schedule": self.action_schedule, "triage.close_date": self.action_close_date},
            submit=lambda: self._answer(self.query_one("#triage-input", Input).value),
            cancel=self._cancel_prompt)

    def compose(self) -> ComposeResult:
        yield Static(id="triage-title")
        yield Static(id="agenda")
        yield MovingList(id="queue")
        yield Input(id="triage-input", select_on_focus=False)
        yield Static(id="triage-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#triage-input", Input).display = False
        self.query_one("#queue", OptionList).focus()
        self.reload()
        self._load_choices()

    # --- reading -----------------------------------------------------------

    def reload(self) -> None:
        rep_id = self.actor.id if self.actor is not None else None
        rules = self.app.context.rules
        pipeline_id = getattr(self.app, "pipeline_id", None)
        self.run_db(lambda: (triage.queue(rep_id, rules=rules, pipeline_id=pipeline_id),
                             triage.agenda(rep_id, pipeline_id=pipeline_id)), self._loaded,
                    exclusive=True, group="triage-read")

    def _load_choices(self) -> None:
        """The lost reasons, stages and reps the dialogs and the editor offer;
        without them the lose dialog still takes typed reasons."""

        def chosen(choices: tuple[list[str], list[str], list]) -> None:
            self.lost_reasons, self.stage_names, self.reps = choices

        self.run_db(lambda: (deals.lost_reasons(), [s.name for s in lookup.stages()], people.list_reps()),
                    chosen, failed=lambda _: None, group="triage-choices")

    def work_failed(self, failure: Failure) -> None:
        self._status(failure.text, error=True)

    def on_data_changed(self) -> None:
        if not self._busy:
            self.reload()

    def _loaded(self, found: tuple[list[triage.TriageItem], list[triage.AgendaItem]]) -> None:
        queue, agenda = found
        listing = self.query_one("#queue", OptionList)
        keep = listing.highlighted or 0
        self.queue = queue
        # A marked deal read again is marked as it now is; one that left the queue is not shown, so not acted on.
        self.marked = {item.deal_id: item for item in queue if item.deal_id in self.marked}
        width = self._row_width()
        listing.set_options([Option(self._row(item, width, item.deal_id in self.marked), id=str(item.deal_id))
                             for item in self.queue])
        if self.queue:
            listing.highlighted = min(keep, len(self.queue) - 1)  # the queue moves on
        self._show_title()
        self._show_agenda(agenda)

    def _row_width(self) -> int:
        return max(self.query_one("#queue", OptionList).scrollable_content_region.width - 3, 20)  # padding, scrollbar

    def _show_title(self) -> None:
        who = self.actor.name if self.actor is not None else "everyone"
        count = len(self.queue)
        title = Text.assemble(("Triage · ", "bold"), (printable(who), "bold"),
                              f" · {count} deal{'s' * (count != 1)} need{'s' * (count == 1)} attention")
        if self.marked:
            title.append(f" · {len(self.marked)} marked", "bold")
        self.query_one("#triage-title", Static).update(title)

    def _show_agenda(self, agenda: list[triage.AgendaItem]) -> None:
        width = max(self.query_one("#agenda", Static).content_region.width, 20)
        parts: list[tuple[str, str] | str] = [("Today: ", "bold")]
        if not agenda:
            parts.append(("nothing due", MUTED))
        for index, item in enumerate(agenda[:AGENDA_SHOWN]):
            when = "today" if item.overdue_days == 0 else f"{item.overdue_days}d late"
            at = f" {item.due_time:%H:%M}" if item.due_time else ""
            parts.append("\n" if index else "")
            lead = f"{when}{at} "
            what = f"{item.kind} {item.subject}" + (f" · {item.deal_title}" if item.deal_title else "")
            room = width - (7 if index == 0 else 0) - len(lead)
            parts.append((lead, ERROR if item.overdue_days else "bold"))
            parts.append(fit(what, max(room, 1)))
        if len(agenda) > AGENDA_SHOWN:
            parts.append((f"\n… and {len(agenda) - AGENDA_SHOWN} more (pipetui today)", MUTED))
        self.query_one("#agenda", Static).update(Content.assemble(*parts))

    @staticmethod
    def _row(item: triage.TriageItem, width: int, marked: bool = False) -> Content:
        """Two lines, each cut to the width: the deal (after a mark when
        marked), then why it is here."""
        title = fit(item.title, min(cell_len(printable(item.title)), max(width // 2, 10)))
        if marked:
            title = f"{MARK_GLYPH} {title}"
        facts = f"  {format_compact(item.value, item.currency)} · {item.stage} · {item.owner or '-'}"
        return Content.assemble((title, "bold"), (fit(facts, max(width - cell_len(title), 0)), MUTED),
                                ("\n" + fit("  " + " · ".join(item.reasons.values()), width), WARNING))

    @property
    def current(self) -> triage.TriageItem | None:
        index = self.query_one("#queue", OptionList).highlighted
        if index is None or not 0 <= index < len(self.queue):
            return None
        return self.queue[index]

    # --- acting ------------------------------------------------------------

    def _act(self, work: Callable[[], Done]) -> None:
        if self._busy:
            return
        self._busy = True
        self.run_db(work, self._done, failed=self._act_failed)

    def _done(self, done: Done) -> None:
        self._busy = False
        if done.marked:
            self.marked = {}
            self._show_title()  # the rows lose their marks as the queue is read again
        if done.change is not None:
            self.undo_log.record(done.change)
            self.undo_stack.append(done.change)
        if done.inverse is not None:
            self.undo_stack.append(done.inverse)
        self._status(done.text)
        self.reload()

    def _act_failed(self, failure: Failure) -> None:
        self._busy = False
        self._status(failure.text, error=True)
        self.reload()

    def action_cursor(self, delta: int) -> None:
        listing = self.query_one("#queue", OptionList)
        if self.queue:
            listing.highlighted = max(0, min((listing.highlighted or 0) + delta, len(self.queue) - 1))

    # --- on the marked rows ---------------------------------------------------

    def action_mark(self) -> None:
        item = self.current
        if item is None:
            return
        if self.marked.pop(item.deal_id, None) is None:
            self.marked[item.deal_id] = item
        listing = self.query_one("#queue", OptionList)
        listing.replace_option_prompt_at_index(listing.highlighted,
                                               self._row(item, self._row_width(), item.deal_id in self.marked))
        self._show_title()

    def _clear_marks(self) -> None:
        self.marked = {}
        listing = self.query_one("#queue", OptionList)
        width = self._row_width()
        for index, item in enumerate(self.queue):
            listing.replace_option_prompt_at_index(index, self._row(item, width))
        self._show_title()

    def _act_on_marked(self, act: Callable[[list[bulk.DealRef]], list[bulk.Outcome]], kind: str,
                       said: str, label: str) -> None:
        """``act`` on every marked deal in one transaction (all or none),
        one undo step; ``said``'s ``{many}`` is replaced by the count."""
        items = list(self.marked.values())
        many = f"{len(items)} deal{'s' * (len(items) != 1)}"

        def work():
            if kind == "edit":  # each deal read as the user saw it, for undo to put its fields back
                outcomes = act([deals.current_deal(i.deal_id, expected_version=i.version) for i in items])
                return Done(said.replace("{many}", many), edits_of(f"{label} of {many}", outcomes), marked=True)
            # The version the user saw is checked; the stage is read for undo's record.
            refs = [bulk.DealRef(i.deal_id, i.title, i.version, deals.get_deal(i.deal_id).stage_id)
                    for i in items]
            outcomes = act(refs)
            return Done(said.replace("{many}", many), changes_of(kind, f"{label} of {many}", outcomes),
                        marked=True)

        self._act(work)

    def _marked_activities(self, verb: str) -> list[tuple[bulk.DealRef, int, object]] | None:
        """Each marked deal with its due activity's id and due date; None,
        and a line naming the deal, when one has no activity to ``verb``."""
        found = []
        for item in self.marked.values():
            if item.next_activity is None:
                self._status(f"{printable(item.title)} has no activity to {verb}: nothing changed", error=True)
                return None
            activity = item.next_activity
            found.append((bulk.DealRef(item.deal_id, item.title, item.version), activity.activity_id,
                          activity.due_date))
        return found

    def _act_on_marked_activities(self, verb: str, change: Callable[[int], object],
                                  back: Callable[[int, object], object], said: str) -> None:
        """``change`` each marked deal's due activity in one transaction (all
        or none); undo runs ``back`` on them, in one transaction too."""
        found = self._marked_activities(verb)
        if found is None:
            return
        refs = [ref for ref, _, _ in found]
        ids = {ref.id: (activity_id, due) for ref, activity_id, due in found}
        many = f"{len(refs)} deal{'s' * (len(refs) != 1)}"

        def work():
            bulk.apply(refs, lambda d: change(ids[d.id][0]))
            return Done(said.replace("{many}", many), marked=True,
                        inverse=(f"{verb} of {many}", lambda: bulk.apply(refs, lambda d: back(*ids[d.id]))))

        self._act(work)

    def action_done(self) -> None:
        if self.marked:
            self._act_on_marked_activities("mark done", activities.complete_activity,
                                           lambda activity_id, _: activities.reopen_activity(activity_id),
                                           "Done: the due activities of {many}")
            return
        item = self.current
        if item is None:
            return
        if item.next_activity is None:
            self._status("No activity to mark done: schedule one with a", error=True)
            return
        activity = item.next_activity

        def work():
            activities.complete_activity(activity.activity_id)
            return Done(f"Done: {printable(activity.kind)} {printable(activity.subject)}",
                        inverse=("done", lambda: activities.reopen_activity(activity.activity_id)))

        self._act(work)

    def action_snooze(self) -> None:
        if self.marked:
            if self._marked_activities("snooze") is None:
                return

            def chosen_for_all(days: int | None) -> None:
                if days:
                    said = f"Snoozed the due activities of {{many}} by {days} day{'s' * (days != 1)}"
                    self._act_on_marked_activities(
                        "snooze", lambda activity_id: activities.snooze_activity(activity_id, days),
                        activities.set_activity_due, said)

            self.app.push_screen(PickDialog("Snooze until", SNOOZES), chosen_for_all)
            return
        item = self.current
        if item is None or item.next_activity is None:
            self._status("No activity to snooze", error=True)
            return
        activity = item.next_activity

        def chosen(days: int | None) -> None:
            if days:
                before = activity.due_date

                def work():
                    snoozed = activities.snooze_activity(activity.activity_id, days)
                    return Done(f"Snoozed to {snoozed.due_date}",
                                inverse=("snooze", lambda: activities.set_activity_due(activity.activity_id, before)))

                self._act(work)

        self.app.push_screen(PickDialog("Snooze until", SNOOZES), chosen)

    def action_schedule(self) -> None:
        item = self.current
        if item is None:
            return
        actor = self.actor

        def schedule(line: str) -> None:
            def work():
                activity, change = undo.schedule_activity(item.deal_id, line, owner=actor)
                return Done(f"Scheduled {printable(activity.subject)} on {printable(item.title)}", change)

            self._act(work)

        self._ask("next step, e.g. call tomorrow 10:00 pricing", schedule)

    def action_close_date(self) -> None:
        item = self.current
        if item is None:
            return

        actor = self.actor

        def change(text: str) -> None:
            def work():
                day = parse_date(text)
                before = deals.current_deal(item.deal_id, expected_version=item.version)
                changed = deals.edit_deal(item.deal_id, expected_version=item.version,
                                          expected_close=day, actor=actor)
                return Done(f"{printable(item.title)} now expected to close {day}",
                            undo.edit_change("close date change", before, changed))

            self._act(work)

        self._ask("expected close, e.g. fri, +1w, 2026-12-15", change)

    def action_move(self, steps: int) -> None:
        if self.marked:
            actor, rules = self.actor, self.app.context.rules
            self._act_on_marked(lambda refs: bulk.step(refs, steps, actor=actor, rules=rules), "move",
                                "Moved {many} " + ("on" if steps > 0 else "back") + " a stage", "move")
            return
        item = self.current
        if item is None:
            return
        actor, rules = self.actor, self.app.context.rules

        def work():
            before = deals.get_deal(item.deal_id)
            moved = deals.step_deal(item.deal_id, steps, expected_version=item.version, actor=actor, rules=rules)
            change = Change(f"move to {moved.stage}", item.deal_id, "move", before.stage_id,
                            moved.stage_id, moved.version)
            return Done(f"Moved {printable(moved.title)} to {moved.stage}", change)

        self._act(work)

    def _edit_one_or_marked(self, act: Callable[[list], list[bulk.Outcome]], said: str, label: str) -> None:
        """``act`` (an edit of deals' fields) on the marked deals, else on
        the deal under the cursor: one undo step either way."""
        if self.marked:
            self._act_on_marked(act, "edit", said, label)
            return
        item = self.current
        if item is None:
            return

        def work():
            before = deals.current_deal(item.deal_id, expected_version=item.version)
            change = edits_of(label, act([before]))
            return Done(said.replace("{many}", printable(item.title)), change)

        self._act(work)

    def action_assign(self) -> None:
        """Give the marked deals, else the deal under the cursor, to a rep."""
        if not self.marked and self.current is None:
            return
        whose = marked_deals(len(self.marked)) if self.marked else self.current.title

        def chosen(rep) -> None:
            if rep is not None:
                actor = self.actor
                self._edit_one_or_marked(lambda rows: bulk.assign(rows, rep, actor=actor),
                                         "Gave {many} to " + printable(rep.name), "reassignment")

        self.app.push_screen(PickDialog(f"Give {whose} to", [(r.name, r) for r in self.reps]), chosen)

    def action_set_field(self) -> None:
        """Set one custom field of the marked deals, else the deal under the cursor."""
        if not self.marked and self.current is None:
            return
        whose = marked_deals(len(self.marked)) if self.marked else self.current.title

        def write(name: str, text: str) -> None:
            actor, values = self.actor, {name: text}
            self._edit_one_or_marked(lambda rows: bulk.set_fields(rows, values, actor=actor),
                                     f"Set {printable(name)} on {{many}}", f"{name} set")

        ask_field_value(self, getattr(self.app, "pipeline_id", None), whose, write, say=self._status)

    def action_win(self) -> None:
        if self.marked:
            actor, rules = self.actor, self.app.context.rules
            self._act_on_marked(lambda refs: bulk.win(refs, actor=actor, rules=rules), "win", "Won {many}", "win")
            return
        item = self.current
        if item is None:
            return
        actor, rules = self.actor, self.app.context.rules

        def work():
            won = deals.win_deal(item.deal_id, expected_version=item.version, actor=actor, rules=rules)
            return Done(f"Won {printable(won.title)}",
                        Change("win", won.id, "win", won.stage_id, won.stage_id, won.version))

        self._act(work)

    def action_lose(self) -> None:
        if self.marked:
            actor = self.actor

            def reason_for_all(reason: str | None) -> None:
                if reason:
                    self._act_on_marked(lambda refs: bulk.lose(refs, reason, actor=actor), "lose",
                                        "Lost {many} (" + printable(reason) + ")", "lose")

            self.app.push_screen(LoseDialog(marked_deals(len(self.marked)), self.lost_reasons), reason_for_all)
            return
        item = self.current
        if item is None:
            return
        actor = self.actor

        def chosen(reason: str | None) -> None:
            if not reason:
                return

            def work():
                lost = deals.lose_deal(item.deal_id, reason, expected_version=item.version, actor=actor)
                return Done(f"Lost {printable(lost.title)} ({printable(lost.lost_reason)})",
                            Change("lose", lost.id, "lose", lost.stage_id, lost.stage_id, lost.version,
                                   lost.lost_reason))

            self._act(work)

        self.app.push_screen(LoseDialog(item.title, self.lost_reasons), chosen)

    @on(OptionList.OptionSelected, "#queue")
    def _selected(self) -> None:
        """Enter on the queue (the list takes Enter before the screen's binding)."""
        self.action_edit()

    def action_edit(self) -> None:
        from pipetui.tui.screens.editor import DealEditor

        item = self.current
        if item is not None:
            self.app.push_screen(DealEditor(item.deal_id, currency=self.app.currency, actor=self.actor,
                                            stages=self.stage_names, reps=[r.name for r in self.reps]),
                                 self._edited)

    def _edited(self, edited) -> None:
        """Each change made in the editor is one undo step here too."""
        for change in edited.changes:
            self.undo_log.record(change)
            self.undo_stack.append(change)
        self.reload()

    def action_undo(self) -> None:
        if not self.undo_stack:
            self._status("Nothing to undo")
            return
        last = self.undo_stack.pop()
        if isinstance(last, tuple):
            label, inverse = last

            def undo_activity():
                inverse()
                return Done(f"Undid the {label}")

            self._act(undo_activity)
            return
        log, actor = self.undo_log, self.actor

        def work():
            change, deal = log.undo(actor)
            if isinstance(change, Changes):
                return Done(f"Undid {change.label}")
            return Done(f"Undid {change.label} of {printable(deal.title)}")

        self._act(work)

    def action_back(self) -> None:
        if self.marked:
            self._clear_marks()
            return
        if self.as_root:
            self.app.show_board()
        else:
            self.app.pop_screen()

    # --- the one-line prompt ---------------------------------------------------

    def _ask(self, placeholder: str, then: Callable[[str], None]) -> None:
        field = self.query_one("#triage-input", Input)
        field.placeholder = placeholder
        field.value = ""
        field.display = True
        field.focus()
        self._prompt = then
        self.prompt_typing.typing = True

    @on(Input.Submitted, "#triage-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._answer(event.value)

    def _answer(self, text: str) -> None:
        then, self._prompt = self._prompt, None
        self._close_prompt()
        if then is not None and text.strip():
            then(text.strip())

    def _cancel_prompt(self) -> None:
        self._prompt = None
        self._close_prompt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the prompt takes text, letters are text; Escape closes it.
        return self._prompt is None or action == "back"

    def on_key(self, event) -> None:
        """The keys that open the prompt act on key press, and the keys typed
        right after them are the prompt's, even before it has focus."""
        self.prompt_typing.key(event)

    def _close_prompt(self) -> None:
        self.prompt_typing.typing = False
        field = self.query_one("#triage-input", Input)
        field.display = False
        self.query_one("#queue", OptionList).focus()
