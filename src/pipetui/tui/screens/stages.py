"""The pipeline settings screen (``P`` from the board): the stages of the
pipeline the board shows, with their probability, rotting days and open
deals; add, rename, reorder, set and delete them, and add a pipeline.

Every change goes through :mod:`pipetui.core.stages`; a refused one is said
on the status line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pipetui.core import lookup, stages
from pipetui.core.rows import StageRef
from pipetui.core.text import printable
from pipetui.tui.dialogs import ConfirmDialog, PickDialog
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.widgets.lists import MovingList
from pipetui.tui.work import Failure


def _read(pipeline_id: int) -> tuple[str, list[StageRef], dict[int, int]]:
    pipeline = stages.pipeline_of(pipeline_id)
    found = lookup.stages(pipeline)
    return pipeline.name, found, stages.open_deal_counts([s.id for s in found])


class PipelineSettingsScreen(LiveScreen):
    """The stages of one pipeline, and the keys that shape them."""

    CSS_PATH = sheet("stages.tcss")
    STATUS = "stages-status"
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a stage after the selected one", id="stages.add"),
        Binding("r", "rename", "Rename", tooltip="Rename the stage", id="stages.rename"),
        Binding("left_square_bracket,shift+up", "move(-1)", "Up", tooltip="Move the stage up", id="stages.move_up"),
        Binding("right_square_bracket,shift+down", "move(1)", "Down", tooltip="Move the stage down", id="stages.move_down"),
        Binding("p", "probability", "Probability", tooltip="Set the default win probability",
                id="stages.probability"),
        Binding("d", "rotting", "Rotting", tooltip="Set the days before a deal rots", id="stages.rotting"),
        Binding("D", "delete", "Delete", tooltip="Delete the stage (its deals move to another)",
                id="stages.delete"),
        Binding("N", "new_pipeline", "New pipeline", tooltip="Add a pipeline", id="stages.new_pipeline"),
        Binding("b,escape", "back", "Board", tooltip="Back to the board", id="stages.back"),
    ]

    def __init__(self, pipeline_id: int, *, actor=None) -> None:
        super().__init__()
        self.pipeline_id = pipeline_id
        self.actor = actor
        self.pipeline_name = ""
        self.stages: list[StageRef] = []
        self.counts: dict[int, int] = {}
        self.changed = False  # the board reads its columns again when this screen closes

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

    def reload(self, select: int | None = None) -> None:
        pipeline_id = self.pipeline_id
        self.run_db(lambda: _read(pipeline_id), lambda read: self._loaded(read, select), exclusive=True,
                    group="stages-read")

    def _loaded(self, read: tuple[str, list[StageRef], dict[int, int]], select: int | None) -> None:
        self.pipeline_name, self.stages, self.counts = read
        self.query_one("#stages-title", Static).update(
            Content(f" Pipeline {printable(self.pipeline_name)}: {len(self.stages)} stages"))
        listing = self.query_one("#stages-list", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        for position, stage in enumerate(self.stages, 1):
            rot = f"rots after {stage.rotting_days} days" if stage.rotting_days else "never rots"
            deals = self.counts.get(stage.id, 0)
            listing.add_option(Option(Content(
                f"{position:>2}. {printable(stage.name)[:28]:<28} {stage.probability:>3}%  {rot:<20} "
                f"{deals:,} open deal{'s' * (deals != 1)}"), id=str(stage.id)))
        if select is not None:
            keep = next((i for i, s in enumerate(self.stages) if s.id == select), keep)
        if self.stages:
            listing.highlighted = min(keep or 0, len(self.stages) - 1)

    @property
    def current(self) -> StageRef | None:
        index = self.query_one("#stages-list", OptionList).highlighted
        return self.stages[index] if index is not None and 0 <= index < len(self.stages) else None

    # --- changes -------------------------------------------------------------

    def _change(self, work: Callable[[], tuple[str, int | None]]) -> None:
        """Run a change; say what it did and show the stages as they now are."""

        def done(result: tuple[str, int | None]) -> None:
            text, select = result
            self.changed = True
            self._status(text)
            self.reload(select)

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
                return f"Added stage {added.name}", added.id
            self._change(work)

        self._ask("Name of the new stage", add)

    def action_rename(self) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return

        def rename(name: str) -> None:
            def work():
                renamed = stages.rename_stage(stage.name, name, pipeline=pipeline_id)
                return f"Renamed {stage.name} to {renamed.name}", renamed.id
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
            return f"Moved {moved.name} to {moved.position + 1}", moved.id

        self._change(work)

    def action_probability(self) -> None:
        stage, pipeline_id = self.current, self.pipeline_id
        if stage is None:
            return

        def chosen(text: str) -> None:
            def work():
                changed = stages.set_stage(stage.name, pipeline=pipeline_id, probability=text)
                return f"{changed.name}: {changed.probability}%", changed.id
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
                return f"{changed.name} {rot}", changed.id
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
                return f"Deleted stage {removed.name}{where}", None
            self._change(work)

        deals = self.counts.get(stage.id, 0)
        if not deals:
            self.app.push_screen(ConfirmDialog(f"Delete stage {stage.name}?", yes="delete it", no="keep it"),
                                 lambda yes: yes and delete(None))
            return
        others = [(s.name, s.name) for s in self.stages if s.id != stage.id]
        title = f"Delete {stage.name}: move its {deals:,} open deal{'s' * (deals != 1)} (and closed ones) to?"
        self.app.push_screen(PickDialog(title, others), lambda target: target and delete(target))

    def action_new_pipeline(self) -> None:
        def add(name: str) -> None:
            def work():
                added = stages.add_pipeline(name, stages=["New"])
                return (f"Added pipeline {added.name}; switch to it on the board (p) to shape it", None)
            self._change(work)

        self._ask("Name of the new pipeline", add)

    def action_back(self) -> None:
        self.dismiss(self.changed)
