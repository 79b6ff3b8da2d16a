"""The pipetui application.

Until the board lands this shows the pipeline's stage totals; the app is
given its database and settings by whoever starts it.
"""

from __future__ import annotations

from pathlib import Path

from peewee import Database
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from pipetui.core import pipeline
from pipetui.core.money import format_money


def styles_path() -> Path:
    """``styles/`` ships inside the package; a source checkout keeps it at the top."""
    packaged = Path(__file__).resolve().parent.parent / "styles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "styles"


class PipetuiApp(App):
    """A keyboard-driven sales pipeline."""

    CSS_PATH = str(styles_path() / "app.tcss")
    TITLE = "pipetui"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
    ]

    class TotalsLoaded(Message):
        def __init__(self, lines: list[Text]) -> None:
            super().__init__()
            self.lines = lines

    def __init__(self, *, db: Database, location: str, actor=None, settings=None) -> None:
        super().__init__()
        self.db = db
        self.location = location
        self.actor = actor
        self.settings = settings
        self.sub_title = location

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading the pipeline…"), id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.load_totals()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_totals(self) -> None:
        lines = []
        for total in pipeline.stage_totals():
            value = ", ".join(format_money(v, c, cents=False) for c, v in sorted(total.value.items()))
            lines.append(Text(f"{total.stage.name:<14}{total.count:>7} deals   {value or '-'}"))
        self.post_message(self.TotalsLoaded(lines))

    def on_pipetui_app_totals_loaded(self, message: TotalsLoaded) -> None:
        body = Text("Open deals by stage\n\n", style="bold")
        body.append(Text("\n").join(message.lines))
        body.append("\n\nThe kanban board arrives with the next release. Press q to quit.", style="dim")
        self.query_one("#summary", Static).update(body)
