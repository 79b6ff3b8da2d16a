"""The pipeline settings screen (``P`` from the board): the stages of one
pipeline, with their probability, rotting days and open deals; add, rename,
reorder, set and delete them; add, rename, archive and switch pipelines; and
the custom fields (``f``).

Every change goes through :mod:`pipetui.core.stages`; a refused one is said
on the status line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import lookup, stages
from pipetui.core.rows import StageRef
from pipetui.core.text import printable
from pipetui.tui.dialogs import ConfirmDialog, HelpDialog, PickDialog
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.text import fit
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.widgets.lists import MovingList
from pipetui.tui.work import Failure

# What a row of a list leaves of the screen's width: the list's padding and
# room for its scroll bar (a row must not wrap once the bar appears).
LIST_MARGIN = 4
# A pipeline added with no stages given gets this one, to be renamed.
FIRST_STAGE = "New"


@dataclass(frozen=True)
class SettingsClosed:
    """What the settings screen hands the board when it closes."""

    changed: bool  # stages, pipelines or fields changed: read the board again
    pipeline_id: int  # the pipeline it showed last: the board shows it


class Done(NamedTuple):
    """A change made: what to say, the stage to select, and the pipeline to
    show from then on (None: the same)."""

    text: str
    select: int | None = None
    pipeline_id: int | None = None


def _read(pipeline_id: int) -> tuple[str, list[StageRef], dict[int, int], int]:
    pipeline = stages.pipeline_of(pipeline_id)
    found = lookup.stages(pipeline)
    return pipeline.name, found, stages.open_deal_counts([s.id for s in found]), len(lookup.pipelines())


def stage_lines(found: list[StageRef], counts: dict[int, int], width: int) -> list[str]:
    """The stages as their rows show them, in ``width`` cells: in words when
    they fit (names as wide as the longest, up to 28 cells), else in short
    (``rot 9d``, ``3 open``; the rotting days left out when even that is
    too wide), the names cut to what is left."""
    name_width = min(max((cell_len(printable(s.name)) for s in found), default=4), 28)
    deals = [counts.get(s.id, 0) for s in found]
    rots = [f"rots after {s.rotting_days} days" if s.rotting_days else "never rots" for s in found]
    deal_width = max((len(f"{n:,}") for n in deals), default=1)
    opens = [f"{n:>{deal_width},} open deal{'s' * (n != 1)}" for n in deals]
    tails = [f" {s.probability:>3}%  {rot:<20} {shown}" for s, rot, shown in zip(found, rots, opens)]
    if 4 + name_width + max(map(len, tails), default=0) <= width:
        return [f"{i:>2}. {fit(s.name, name_width)}{tail}" for i, (s, tail) in enumerate(zip(found, tails), 1)]
    rots = [f"rot {s.rotting_days}d" if s.rotting_days else "" for s in found]
    rot_width = max(map(len, rots), default=0)
    tails = [f" {s.probability:>3}% {rot:>{rot_width}} {n:>{deal_width},} open"
             for s, rot, n in zip(found, rots, deals)]
    if rot_width and width - 4 - max(map(len, tails)) < 8:  # too narrow for the rotting days too
        tails = [f" {s.probability:>3}% {n:>{deal_width},} open" for s, n in zip(found, deals)]
    room = max(min(name_width, width - 4 - max(map(len, tails), default=0)), 1)
    return [f"{i:>2}. {fit(s.name, room)}{tail}" for i, (s, tail) in enumerate(zip(found, tails), 1)]


class PipelineSettingsScreen(LiveScreen):
    """The stages of one pipeline, and the keys that shape them."""

    CSS_PATH = sheet("stages.tcss")
    STATUS = "stages-status"
    # The most used first: a narrow key bar drops the last ones (? lists them all).
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a stage after the selected one", id="stages.add"),
        Binding("r", "rename", "Rename", tooltip="Rename the stage", id="stages.rename"),
        Binding("D", "delete", "Delete", tooltip="Delete the stage (its deals move to another)",
                id="stages.delete"),
        Binding("f", "fields", "Fields", tooltip="Custom fields of deals, organizations and contacts",
                id="stages.fields"),
        Binding("N", "new_pipeline", "New pipeline", tooltip="Add a pipeline, with its stages, and shape it",
                id="stages.new_pipeline"),
        Binding("s", "switch_pipeline", "Switch", tooltip="Show the stages of another pipeline",
                id="stages.switch_pipeline"),
        Binding("p", "probability", "Probability", tooltip="Set the default win probability",
                id="stages.probability"),
        Binding("d", "rotting", "Rotting", tooltip="Set the days before a deal rots", id="stages.rotting"),
        Binding("left_square_bracket,shift+up", "move(-1)", "Up", tooltip="Move the stage up", id="stages.move_up"),
        Binding("right_square_bracket,shift+down", "move(1)", "Down", tooltip="Move the stage down", id="stages.move_down"),
        Binding("R", "rename_pipeline", "Rename pipeline", show=False, tooltip="Rename the pipeline",
                id="stages.rename_pipeline"),
        Binding("A", "archive_pipeline", "Archive pipeline", show=False,
                tooltip="Archive the pipeline (it must hold no open deal), then show another",
                id="stages.archive_pipeline"),
        Binding("b,escape", "back", "Board", tooltip="Back to the board (it shows this pipeline)",
                id="stages.back"),
        Binding("question_mark", "help", "Keys", tooltip="This list of keys", id="stages.help"),
    ]

    def __init__(self, pipeline_id: int, *, actor=None) -> None:
        super().__init__()
        self.pipeline_id = pipeline_id
        self.actor = actor
        self.pipeline_name = ""
        self.stages: list[StageRef] = []
        self.counts: dict[int, int] = {}
        self.pipeline_count = 1
        self.changed = False  # the board reads its columns again when this screen closes
        self._select_after_read: int | None = None  # the stage a change asked to select

    def compose(self) -> ComposeResult:
        yield Static(id="stages-title")
        yield MovingList(id="stages-list")
        yield Static(id="stages-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#stages-list", OptionList).focus()
        self.reload()

    def on_data_changed(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        if self.pipeline_name:
            self._show()

    def reload(self, select: int | None = None) -> None:
        """Read the stages again, then select ``select`` (a stage id). A
        newer reload replaces a pending one, and takes over its selection."""
        if select is not None:
            self._select_after_read = select
        pipeline_id = self.pipeline_id
        self.run_db(lambda: _read(pipeline_id), self._loaded, exclusive=True, group="stages-read")

    def _loaded(self, read: tuple[str, list[StageRef], dict[int, int], int]) -> None:
        self.pipeline_name, self.stages, self.counts, self.pipeline_count = read
        select, self._select_after_read = self._select_after_read, None
        self._show(select)

    def _show(self, select: int | None = None) -> None:
        """The title and the rows, as wide as the screen is."""
        width = max(self.size.width - LIST_MARGIN, 20)
        title = f"Pipeline {self.pipeline_name}: {len(self.stages)} stage{'s' * (len(self.stages) != 1)}"
        room = self.size.width - 3  # the title's padding and its first space
        if self.pipeline_count > 1:
            many = f" · {self.pipeline_count} pipelines"
            for more in (f"{many} (s shows another)", many):
                if cell_len(printable(title + more)) <= room:
                    title += more
                    break
        self.query_one("#stages-title", Static).update(Content(" " + fit(title, room).rstrip()))
        listing = self.query_one("#stages-list", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        listing.add_options([Option(Content(line), id=str(stage.id))
                             for stage, line in zip(self.stages, stage_lines(self.stages, self.counts, width))])
        if select is not None:
            keep = next((i for i, s in enumerate(self.stages) if s.id == select), keep)
        if self.stages:
            listing.highlighted = min(keep or 0, len(self.stages) - 1)

    @property
    def current(self) -> StageRef | None:
        index = self.query_one("#stages-list", OptionList).highlighted
        return self.stages[index] if index is not None and 0 <= index < len(self.stages) else None

    # --- changes -------------------------------------------------------------

    def _change(self, work: Callable[[], Done]) -> None:
        """Run a change; say what it did and show the stages as they now are
        (of the pipeline it names, when it names one)."""

        def done(result: Done) -> None:
            self.changed = True
            if result.pipeline_id is not None:
                self.pipeline_id = result.pipeline_id
            self._status(result.text)
            self.reload(result.select)

        def failed(failure: Failure) -> None:
            self._status(failure.text, error=True)

        self.run_db(work, done, failed=failed)

    def _ask(self, question: str, then: Callable[[str], None]) -> None:
        """A line typed in a dialog (Esc: nothing)."""

        def answered(text: str | None) -> None:
            if text:
                then(text)

        self.app.push_screen(PickDialog(question, [], typed="type and press Enter"), answered)

    def action_add(self) -> None:
        after = self.current.name if self.current is not None else None
        pipeline_id = self.pipeline_id

        def add(name: str) -> None:
            def work():
                added = stages.add_stage(name, pipeline=pipeline_id, after=after)
                return Done(f"Added stage {added.name}", added.id)
            self._change(work)

        self._ask("Name of the new stage", add)

    def action_rename(self) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return

        def rename(name: str) -> None:
            def work():
                renamed = stages.rename_stage(stage.name, name, pipeline=pipeline_id)
                return Done(f"Renamed {stage.name} to {renamed.name}", renamed.id)
            self._change(work)

        self._ask(f"New name of {stage.name}", rename)

    def action_move(self, steps: int) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return
        index = self.stages.index(stage) + steps
        if not 0 <= index < len(self.stages):
            return

        def work():
            moved = stages.move_stage(stage.name, pipeline=pipeline_id, position=index + 1)
            return Done(f"Moved {moved.name} to {moved.position + 1}", moved.id)

        self._change(work)

    def action_probability(self) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return

        def chosen(text: str) -> None:
            def work():
                changed = stages.set_stage(stage.name, pipeline=pipeline_id, probability=text)
                return Done(f"{changed.name}: {changed.probability}%", changed.id)
            self._change(work)

        self._ask(f"Win probability of {stage.name} (0-100, now {stage.probability}%)", chosen)

    def action_rotting(self) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return

        def chosen(text: str) -> None:
            def work():
                changed = stages.set_stage(stage.name, pipeline=pipeline_id, rotting_days=text)
                rot = f"rots after {changed.rotting_days} days" if changed.rotting_days else "never rots"
                return Done(f"{changed.name} {rot}", changed.id)
            self._change(work)

        now = stage.rotting_days or "never"
        self._ask(f"Days before a deal in {stage.name} rots (1-365 or never; now {now})", chosen)

    def action_delete(self) -> None:
        stage, pipeline_id, actor = self.current, self.pipeline_id, self.actor
        if stage is None:
            return

        def delete(target: str | None) -> None:
            def work():
                removed, moved = stages.delete_stage(stage.name, pipeline=pipeline_id, to=target, actor=actor)
                where = f"; {moved} deal{'s' * (moved != 1)} moved to {target}" if moved else ""
                return Done(f"Deleted stage {removed.name}{where}")
            self._change(work)

        deals = self.counts.get(stage.id, 0)
        if not deals:
            self.app.push_screen(ConfirmDialog(f"Delete stage {stage.name}?", yes="delete it", no="keep it"),
                                 lambda yes: yes and delete(None))
            return
        others = [(s.name, s.name) for s in self.stages if s.id != stage.id]
        title = f"Delete {stage.name}: move its {deals:,} open deal{'s' * (deals != 1)} (and closed ones) to?"
        self.app.push_screen(PickDialog(title, others), lambda target: target and delete(target))

    # --- pipelines -----------------------------------------------------------

    def action_new_pipeline(self) -> None:
        def named(name: str) -> None:
            def staged(text: str | None) -> None:
                if text is None:
                    return  # Esc: no pipeline
                given = [part.strip() for part in text.split(",") if part.strip()]

                def work():
                    added = stages.add_pipeline(name, stages=given or [FIRST_STAGE])
                    count = len(given) or 1
                    return Done(f"Added pipeline {added.name} with {count} stage{'s' * (count != 1)}",
                                None, added.id)
                self._change(work)

            self.app.push_screen(PickDialog(
                f"Stages of {name}, comma-separated (e.g. Up for renewal, Renewed)",
                [(f"One stage, {FIRST_STAGE} (rename it here)", "")],
                typed="or type them: a, b, c"), staged)

        self._ask("Name of the new pipeline", named)

    def action_rename_pipeline(self) -> None:
        pipeline_id, old = self.pipeline_id, self.pipeline_name

        def rename(name: str) -> None:
            def work():
                renamed = stages.rename_pipeline(pipeline_id, name)
                return Done(f"Renamed pipeline {old} to {renamed.name}")
            self._change(work)

        self._ask(f"New name of pipeline {old}", rename)

    def action_archive_pipeline(self) -> None:
        pipeline_id, name = self.pipeline_id, self.pipeline_name

        def archive(yes: bool | None) -> None:
            if not yes:
                return

            def work():
                archived = stages.archive_pipeline(pipeline_id)
                shown = lookup.default_pipeline()
                return Done(f"Archived pipeline {archived.name}; showing {shown.name}", None, shown.id)
            self._change(work)

        self.app.push_screen(ConfirmDialog(f"Archive pipeline {name}? 'pipetui pipeline restore' brings it back",
                                           yes="archive it", no="keep it"), archive)

    def action_switch_pipeline(self) -> None:
        def chosen(pipeline_id: int | None) -> None:
            if pipeline_id is not None and pipeline_id != self.pipeline_id:
                self.pipeline_id = pipeline_id
                self.reload()

        def offer(found: list[stages.PipelineRef]) -> None:
            if len(found) < 2:
                self._status("There is one pipeline; N adds another")
                return
            self.app.push_screen(PickDialog("Which pipeline?", [
                (f"{p.name}  ({p.stages} stage{'s' * (p.stages != 1)}, {p.open_deals:,} open)", p.id)
                for p in found]), chosen)

        self.run_db(stages.pipeline_list, offer)

    # --- elsewhere -----------------------------------------------------------

    def action_fields(self) -> None:
        from pipetui.tui.screens.fields import CustomFieldsScreen

        def closed(changed: bool | None) -> None:
            if changed:
                self.changed = True  # the cards may show other fields

        self.app.push_screen(CustomFieldsScreen(self.pipeline_id), closed)

    def action_help(self) -> None:
        self.app.push_screen(HelpDialog([*self.BINDINGS, *MovingList.BINDINGS, *self.app.BINDINGS]))

    def action_back(self) -> None:
        self.dismiss(SettingsClosed(self.changed, self.pipeline_id))
