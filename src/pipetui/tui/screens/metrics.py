"""The metrics screen: will we reach quota, what closes this week, which
stage is weakest; the funnel and the quota bars drawn with plotext.

Every figure comes from :func:`pipetui.core.metrics.report`, computed in a
thread worker; the keys keep working while it runs, and only the answer to
the latest request is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static
from textual_plotext import PlotextPlot

from pipetui.core import clock, metrics, people
from pipetui.core.dates import Period, quarter_period, shift_period
from pipetui.core.metrics import HEALTH_METRICS, Metric, Report, change_text, percent, previous_change
from pipetui.core.money import minor_digits
from pipetui.core.text import printable
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.work import Failure


@dataclass(frozen=True)
class Scope:
    label: str
    rep_id: int | None  # None: the team


TEAM = Scope("Team", None)
# The quota bars' parts, as plotext colours; the caption under the charts
# names them (a legend inside the chart would cover the team's bar).
BAR_COLORS = {"green": "won", "orange": "forecast", "gray": "to quota"}


class MetricsScreen(LiveScreen):
    """Health, funnel, quotas and forecast for a period and a scope."""

    CSS_PATH = sheet("metrics.tcss")

    BINDINGS = [
        Binding("b,escape", "back", "Board", tooltip="Back to the board", id="metrics.back"),
        Binding("left_square_bracket", "period(-1)", "Previous", tooltip="The period before",
                id="metrics.previous"),
        Binding("right_square_bracket", "period(1)", "Next", tooltip="The period after",
                id="metrics.next"),
        Binding("r", "scope", "Rep/team", tooltip="Cycle through the team and each rep",
                id="metrics.scope"),
    ]

    period: reactive[Period] = reactive(lambda: quarter_period(clock.today()), init=False)
    """The period shown; a change computes the report again."""
    scope: reactive[Scope] = reactive(TEAM, init=False)
    """The team or one rep; a change computes the report again."""

    def __init__(self, *, period: Period | None = None) -> None:
        super().__init__()
        if period is not None:
            self.set_reactive(MetricsScreen.period, period)
        self.scopes: list[Scope] = [TEAM]
        self._generation = 0
        self._computing = False
        self._again = False  # data changed during a computation
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="metrics-title")
        yield Static(id="answers")
        with Horizontal(id="charts"):
            yield PlotextPlot(id="funnel")
            yield PlotextPlot(id="quota-bars")
        yield Static(self._caption(), id="caption")
        yield Static(id="health")
        yield KeyBar()

    def on_mount(self) -> None:
        self.load()

    @property
    def currency(self) -> str:
        """Money figures are in the context's currency."""
        return self.app.context.currency

    @staticmethod
    def _caption() -> Text:
        caption = Text("Quota bars: ", style="dim")
        for color, meaning in BAR_COLORS.items():
            caption.append("■ ", style={"gray": "grey50", "orange": "dark_orange"}.get(color, color))
            caption.append(f"{meaning}  ", style="dim")
        return caption

    # --- loading -----------------------------------------------------------

    def load(self, *, quietly: bool = False) -> None:
        self._generation += 1
        self._computing, self._again = True, False
        if not quietly:
            self._show_title(loading=True)
        self._compute(self._generation, self.period, self.scope.rep_id)

    def on_data_changed(self) -> None:
        """Someone committed: compute again, without a loading sign. While a
        computation runs, one more follows it (rather than starting over on
        every commit, which on a busy pipeline would never finish)."""
        if self._computing:
            self._again = True
        else:
            self.load(quietly=True)

    def _compute(self, generation: int, period: Period, rep_id: int | None) -> None:
        currency, rates, rules = self.currency, self.app.context.rates, self.app.context.rules

        def run() -> tuple[Report, list[Scope]]:
            reps = people.list_reps()
            rep = next((r for r in reps if r.id == rep_id), None)
            found = metrics.report(period, rep=rep, currency=currency, rates=rates, rules=rules)
            return found, [TEAM, *(Scope(r.name, r.id) for r in reps)]

        def failed(failure: Failure) -> None:
            if self._computed(generation):
                self._show_title(error=failure.text)

        self.run_db(run, lambda found: self._loaded(generation, *found), failed=failed,
                    exclusive=True, group="metrics")

    def _computed(self, generation: int) -> bool:
        """True when this computation is the latest asked for (the period or
        scope may have changed meanwhile); then the next one, if data changed
        during it, starts."""
        if generation != self._generation:
            return False
        self._computing = False
        if self._again:
            self.load(quietly=True)
        return True

    def _loaded(self, generation: int, report: Report, scopes: list[Scope]) -> None:
        if not self._computed(generation):
            return
        self.scopes = scopes
        self.report = report
        self._show_title()
        self._show_answers()
        self._draw_funnel()
        self._draw_quotas()
        self._show_health()

    # --- keys --------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def watch_period(self) -> None:
        self.load()

    def watch_scope(self) -> None:
        self.load()

    def action_period(self, steps: int) -> None:
        self.period = shift_period(self.period, steps)

    def action_scope(self) -> None:
        index = next((i for i, s in enumerate(self.scopes) if s.rep_id == self.scope.rep_id), 0)
        self.scope = self.scopes[(index + 1) % len(self.scopes)]

    # --- drawing -----------------------------------------------------------

    def _show_title(self, *, loading: bool = False, error: str | None = None) -> None:
        p = self.period
        line = Text.assemble(
            ("Metrics · ", "bold"), (printable(self.scope.label), "bold"),
            f" · {p.label} ({p.start}..{p.end}) · money in {self.currency}",
        )
        if loading:
            line.append("  computing…", style="dim italic")
        if error:
            line.append(f"  {printable(error)}", style="bold red")
        self.query_one("#metrics-title", Static).update(line)

    def _show_answers(self) -> None:
        quota, closing, weakest = metrics.answers(self.report)
        text = Text()
        text.append(printable(quota) + "\n", style="bold")
        text.append(printable(closing) + "\n")
        text.append(printable(weakest))
        self.query_one("#answers", Static).update(text)

    def _draw_funnel(self) -> None:
        widget = self.query_one("#funnel", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        rows = list(reversed(self.report.funnel))  # plotext draws the first bar at the bottom
        labels = [f"{printable(r.name)[:11]} {percent(r.conversion)}" for r in rows]
        plt.bar(labels, [r.entered for r in rows], orientation="horizontal", width=0.6)
        plt.title("Funnel: deals in, % on")
        widget.refresh()

    def _draw_quotas(self) -> None:
        widget = self.query_one("#quota-bars", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        unit = 10 ** (3 + minor_digits(self.currency))
        lines = list(reversed(self.report.quotas[:6]))  # the team on top
        labels = [f"{printable(q.name.split()[0])[:8]} {percent(q.forecast_share)}" for q in lines]
        # One bar per line: won, then the rest of the forecast, then what is
        # missing to the quota, so that the bar ends at the quota or beyond it.
        won = [q.won / unit for q in lines]
        expected = [q.weighted_open / unit for q in lines]
        missing = [max((q.quota or 0) - q.forecast, 0) / unit for q in lines]
        plt.stacked_bar(labels, [won, expected, missing], orientation="horizontal", width=0.6,
                        color=list(BAR_COLORS))
        plt.title(f"Quota, k {self.currency}: % forecast")
        widget.refresh()

    def _show_health(self) -> None:
        r = self.report
        h, before = r.health, r.previous

        def cell(metric: Metric) -> Text:
            now = metric.value(h)
            delta = previous_change(now, metric.value(before))
            text = Text(f"{metric.short_label} ", style="dim")
            text.append(metric.text(now, r.currency, compact=True), style="bold")
            if delta is not None:
                text.append(f" {change_text(delta)}", style="green" if delta >= 0 else "red")
            return text

        # The figures the screen has room for: those with a short label. A
        # line breaks only between cells, never inside a label or a value.
        cells = [cell(metric) for metric in HEALTH_METRICS if metric.short_label is not None]
        widget = self.query_one("#health", Static)
        width = widget.content_region.width or max(self.app.size.width - 2, 1)
        text = Text(f"Health against {shift_period(r.period, -1).label}:  ", style="dim")
        line_length = text.cell_len
        for index, piece in enumerate(cells):
            if index and line_length + 5 + piece.cell_len <= width:
                text.append("  ·  ", style="dim")
                line_length += 5
            elif index:
                text.append("\n")
                line_length = 0
            text.append_text(piece)
            line_length += piece.cell_len
        if r.left_out:
            left = ", ".join(f"{n:,} in {code}" for code, n in sorted(r.left_out.items()))
            text.append(f"\nLeft out (no rate to {r.currency}): deals {left}", style="dim italic")
        widget.update(text)
        self._health_width = width

    def on_resize(self) -> None:
        # The health line is laid out for its width: again when that changes.
        if self.report is not None and getattr(self, "_health_width", None) != self._health_room():
            self.call_after_refresh(self._show_health)

    def _health_room(self) -> int:
        return self.query_one("#health", Static).content_region.width
