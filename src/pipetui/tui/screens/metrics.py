"""The metrics screen: will we reach quota, what closes this week, which
stage is weakest; the funnel and the quota bars drawn with plotext.

Every figure comes from :func:`pipetui.core.metrics.report`, computed in a
thread worker; the keys keep working while it runs, and only the answer to
the latest request is shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static
from textual_plotext import PlotextPlot

from pipetui.core import clock, metrics, people
from pipetui.core.dates import Period, quarter_period, shift_period
from pipetui.core.metrics import HEALTH_METRICS, Metric, Report, change_text, percent, previous_change
from pipetui.core.money import format_compact
from pipetui.core.text import printable
from pipetui.tui.contrast import BAD, ERROR, GOOD, MUTED, WARNING
from pipetui.tui.live import LiveScreen
from pipetui.tui.styles import sheet
from pipetui.tui.widgets.keybar import KeyBar
from pipetui.tui.work import Failure


@dataclass(frozen=True)
class Scope:
    label: str
    rep_id: int | None  # None: the team


TEAM = Scope("Team", None)
# The quota bars' parts: each its own glyph (they read without colour) and
# its own theme colour, the same in the bars and in the caption that names
# them (a legend inside the chart would cover the team's bar).
WON = ("█", GOOD, "text-success")
EXPECTED = ("▒", WARNING, "text-warning")
QUOTA = ("│", ERROR, "text-error")
CAPTION = Content.assemble(
    ("Quota bars, % of quota: ", MUTED),
    (WON[0], WON[1]), (" won  ", MUTED), (EXPECTED[0], EXPECTED[1]), (" forecast  ", MUTED),
    (QUOTA[0], QUOTA[1]), (" quota", MUTED),
)
# Below this room a chart's labels run into its bars: the figures as text.
CHART_MIN_WIDTH = 36
CHART_MIN_HEIGHT = 8
SCREEN_LINES_BESIDE_CHARTS = 10  # title, answers, caption, health, keys


def nice_step(span: float, count: int = 4) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts ``span`` into
    about ``count`` parts."""
    raw = max(span / count, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def count_ticks(maximum: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``maximum`` (a count has no fractions)."""
    step = max(int(nice_step(max(maximum, 1))), 1)
    return list(range(0, max(maximum, 1) + step, step))


def share_ticks(maximum: float) -> list[float]:
    """Percent ticks from 0 to at least ``maximum``, one of them 100."""
    step = nice_step(maximum)
    step = step if 100 % step == 0 else 50.0
    return [i * step for i in range(int(math.ceil(maximum / step)) + 1)]


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
        with VerticalScroll(id="metrics-body"):
            yield Static(id="answers")
            with Horizontal(id="charts"):
                yield PlotextPlot(id="funnel")
                yield Static(id="funnel-text", classes="chart-text")
                yield PlotextPlot(id="quota-bars")
                yield Static(id="quota-text", classes="chart-text")
            yield Static(CAPTION, id="caption")
            yield Static(id="health")
        yield KeyBar()

    def on_mount(self) -> None:
        # The charts take their colours from the theme when drawn.
        self.app.theme_changed_signal.subscribe(self, lambda _: self._draw_charts() if self.report else None)
        self.load()

    @property
    def currency(self) -> str:
        """Money figures are in the context's currency."""
        return self.app.context.currency

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
        self._draw_charts()
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
        parts = [("Metrics · ", "bold"), (printable(self.scope.label), "bold"),
                 f" · {p.label} ({p.start}..{p.end}) · money in {self.currency}"]
        if loading:
            parts.append(("  computing…", f"{MUTED} italic"))
        if error:
            parts.append((f"  {printable(error)}", ERROR))
        self.query_one("#metrics-title", Static).update(Content.assemble(*parts))

    def _show_answers(self) -> None:
        quota, closing, weakest = metrics.answers(self.report)
        text = Content.assemble((printable(quota) + "\n", "bold"), printable(closing) + "\n", printable(weakest))
        self.query_one("#answers", Static).update(text)

    def _draw_charts(self) -> None:
        """Each chart where it has room and something to show; else its
        figures as text, with the reason."""
        # The room is the screen's, not the charts' (which shrink to their
        # text when it is shown): the choice does not feed on itself.
        width, height = self.size
        fits = width >= 2 * CHART_MIN_WIDTH and height >= CHART_MIN_HEIGHT + SCREEN_LINES_BESIDE_CHARTS
        self.query_one("#charts").set_class(not fits, "-as-text")
        small = "" if fits else (f"The charts need {2 * CHART_MIN_WIDTH}x"
                                 f"{CHART_MIN_HEIGHT + SCREEN_LINES_BESIDE_CHARTS}; their figures:\n")
        r = self.report
        funnel = [row for row in r.funnel if row.entered]
        quotas = r.quotas[:6]
        self._show_chart("funnel", fits and bool(funnel), self._plot_funnel,
                         small + (self._funnel_text(funnel) if funnel
                                  else f"Funnel: no deal entered a stage in {r.period.label}."))
        with_quota = any(q.quota for q in quotas)
        self._show_chart("quota", fits and with_quota, self._plot_quotas,
                         self._quota_text(quotas) if with_quota else f"Quota: none set for {r.period.label}.")
        self.query_one("#caption").display = fits and with_quota

    def _show_chart(self, name: str, as_chart: bool, plot: Callable[[PlotextPlot], None], text: str) -> None:
        chart = self.query_one("#funnel" if name == "funnel" else "#quota-bars", PlotextPlot)
        chart.display = as_chart
        shown = self.query_one(f"#{name}-text", Static)
        shown.display = not as_chart
        if as_chart:
            plot(chart)
        else:
            shown.update(Content(text))

    def _plot_color(self, variable: str) -> int | str | tuple[int, int, int]:
        """A theme colour for plotext: the terminal's own for an ANSI theme."""
        color = Color.parse(self.app.theme_variables[variable])
        if color.ansi is None:
            return color.rgb
        return color.ansi if color.ansi >= 0 else "default"

    def _plot_theme(self, widget: PlotextPlot) -> None:
        # Plotext's colours from an ANSI theme's are black on black: its
        # colourless theme leaves the terminal's own.
        widget.theme = "clear" if self.app.native_ansi_color else "auto"

    def _plot_funnel(self, widget: PlotextPlot) -> None:
        self._plot_theme(widget)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        rows = list(reversed([row for row in self.report.funnel if row.entered]))  # plotext draws the first bar at the bottom
        labels = [f"{printable(r.name)[:11]} {percent(r.conversion)}" for r in rows]
        plt.bar(labels, [r.entered for r in rows], orientation="horizontal", width=0.6,
                color=self._plot_color("text-primary"))
        ticks = count_ticks(max(r.entered for r in rows))
        plt.xticks(ticks, [f"{t:,}" for t in ticks])
        plt.xlim(0, ticks[-1])
        plt.title("Funnel: deals in, % on")
        widget.refresh()

    def _plot_quotas(self, widget: PlotextPlot) -> None:
        self._plot_theme(widget)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        lines = list(reversed(self.report.quotas[:6]))  # the team on top
        labels = [f"{printable(q.name.split()[0])[:8]} {percent(q.forecast_share)}" for q in lines]
        # On one scale, a share of each line's own quota: won, then the rest
        # of the forecast; the quota is the line at 100 %.
        won = [q.won / q.quota * 100 if q.quota else 0 for q in lines]
        expected = [q.weighted_open / q.quota * 100 if q.quota else 0 for q in lines]
        plt.stacked_bar(labels, [won, expected], orientation="horizontal", width=0.6,
                        marker=[WON[0], EXPECTED[0]],
                        color=[self._plot_color(WON[2]), self._plot_color(EXPECTED[2])])
        plt.vline(100, self._plot_color(QUOTA[2]))
        ticks = share_ticks(max([100.0, *(w + e for w, e in zip(won, expected))]))
        plt.xticks(ticks, [f"{t:.0f}%" for t in ticks])
        plt.xlim(0, ticks[-1])
        plt.title("Forecast, % of quota")
        widget.refresh()

    def _funnel_text(self, funnel: list) -> str:
        lines = ["Funnel: deals in, % on"]
        lines += [f"{printable(r.name)[:12]:<12} {r.entered:>5,} {percent(r.conversion):>5}" for r in funnel]
        return "\n".join(lines)

    def _quota_text(self, quotas: list) -> str:
        lines = ["Quota: forecast, % of quota"]
        for q in quotas:
            name = printable(q.name.split()[0])[:8]
            quota = format_compact(q.quota, self.currency) if q.quota else "no quota"
            lines.append(f"{name:<8} {percent(q.forecast_share):>5}  won {format_compact(q.won, self.currency)}"
                         f" of {quota}")
        return "\n".join(lines)

    def _show_health(self) -> None:
        r = self.report
        h, before = r.health, r.previous

        def cell(metric: Metric) -> Content:
            now = metric.value(h)
            delta = previous_change(now, metric.value(before))
            parts = [(f"{metric.short_label} ", MUTED), (metric.text(now, r.currency, compact=True), "bold")]
            if delta is not None:
                parts.append((f" {change_text(delta)}", GOOD if delta >= 0 else BAD))
            return Content.assemble(*parts)

        # The figures the screen has room for: those with a short label. A
        # line breaks only between cells, never inside a label or a value.
        cells = [cell(metric) for metric in HEALTH_METRICS if metric.short_label is not None]
        widget = self.query_one("#health", Static)
        width = widget.content_region.width or max(self.app.size.width - 2, 1)
        lead = Content.styled(f"Health against {shift_period(r.period, -1).label}:  ", MUTED)
        parts: list[Content | tuple[str, str] | str] = [lead]
        line_length = lead.cell_length
        for index, piece in enumerate(cells):
            if index and line_length + 5 + piece.cell_length <= width:
                parts.append(("  ·  ", MUTED))
                line_length += 5
            elif index:
                parts.append("\n")
                line_length = 0
            parts.append(piece)
            line_length += piece.cell_length
        if r.left_out:
            left = ", ".join(f"{n:,} in {code}" for code, n in sorted(r.left_out.items()))
            parts.append((f"\nLeft out (no rate to {r.currency}): deals {left}", f"{MUTED} italic"))
        widget.update(Content.assemble(*parts))
        self._health_width = width

    def on_resize(self) -> None:
        # The health line is laid out for its width, the charts for their
        # room (drawn, or their figures as text): again when that changes.
        if self.report is not None:
            self.call_after_refresh(self._draw_charts)
            if getattr(self, "_health_width", None) != self._health_room():
                self.call_after_refresh(self._show_health)

    def _health_room(self) -> int:
        return self.query_one("#health", Static).content_region.width
