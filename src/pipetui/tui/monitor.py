"""``pipetui monitor``: a compact live view for a tmux pane, down to 40x12.

Quota bars (won, forecast, the quota marked), the chance to reach quota,
the deals expected to close this week and the latest changes. It computes
again only when the database changed (see :mod:`pipetui.tui.live`), and each
part is redrawn only when its text changed.
"""

from __future__ import annotations

import datetime as dt

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

from pipetui.core import metrics
from pipetui.core.dates import Period
from pipetui.core.metrics import QuotaLine, Summary, percent
from pipetui.core.money import format_compact
from pipetui.core.rows import NO_REP
from pipetui.core.text import printable
from pipetui.tui.contrast import ERROR, GOOD, MUTED, WARNING
from pipetui.tui.live import LiveApp
from pipetui.tui.styles import sheet
from pipetui.tui.text import fit
from pipetui.tui.work import Failure

WON_GLYPH, FORECAST_GLYPH, QUOTA_GLYPH = "█", "▒", "│"


def quota_bar(line: QuotaLine, width: int) -> Content:
    """Won (█), the rest of the forecast (▒) and the quota (│) on one scale,
    so the bar reads without colour too."""
    width = max(width, 1)
    scale = max(line.forecast, line.quota or 0, 1)
    won = round(line.won / scale * width)
    forecast = max(round(line.forecast / scale * width), won)
    cells = [WON_GLYPH] * won + [FORECAST_GLYPH] * (forecast - won) + [" "] * (width - forecast)
    styles = [GOOD] * won + [WARNING] * (forecast - won) + [""] * (width - forecast)
    if line.quota:
        mark = min(round(line.quota / scale * width), width) - 1
        cells[max(mark, 0)], styles[max(mark, 0)] = QUOTA_GLYPH, ERROR
    return Content.assemble(*zip(cells, styles))


class MonitorApp(LiveApp):
    """The monitor: no keys but ``q``; it follows the database by itself."""

    CSS_PATH = sheet("app.tcss")
    TITLE = "pipetui monitor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("q", "quit", "Quit", id="monitor.quit")]

    def __init__(self, *, period: Period, rep=None, currency: str = "USD", rates=None,
                 crash_log=None, pipeline: int | None = None) -> None:
        super().__init__(crash_log=crash_log)
        self.pipeline = pipeline  # a pipeline's id; None: all of them
        self.period = period
        self.rep = rep
        self.currency = currency
        self.rates = rates or {}
        self.found: Summary | None = None
        self._computing = False
        self._again = False

    def compose(self) -> ComposeResult:
        yield Static(id="mon-title")
        yield Static(id="mon-quota")
        yield Static(id="mon-closing")
        yield Static(id="mon-recent")

    def on_mount(self) -> None:
        self._compute()
        self.watch_database()

    def on_data_changed(self) -> None:
        if self._computing:
            self._again = True
        else:
            self._compute()

    def on_resize(self, event: events.Resize) -> None:
        # The app's own handler (``App._on_resize``) runs after this one and
        # only then updates ``self.size``: lay out for the event's size.
        self._draw(event.size)

    def _compute(self) -> None:
        self._computing, self._again = True, False
        period, rep, currency, rates, pipeline = self.period, self.rep, self.currency, self.rates, self.pipeline
        self.run_db(lambda: metrics.summary(period, rep=rep, currency=currency, rates=rates, pipeline=pipeline),
                    self._computed, exclusive=True, group="monitor")

    def _computed(self, found: Summary) -> None:
        self.found = found
        self._draw()
        self._computed_or_failed()

    def work_failed(self, failure: Failure) -> None:
        self._set("#mon-title", Content.styled(printable(failure.text), ERROR))
        self._computed_or_failed()

    def _computed_or_failed(self) -> None:
        self._computing = False
        if self._again:
            self._compute()

    # --- drawing -----------------------------------------------------------

    def _set(self, selector: str, text: Content) -> None:
        """Update a part only when its text changed: nothing else is redrawn."""
        widget = self.query_one(selector, Static)
        if getattr(widget, "_shown", None) != text.markup:
            widget._shown = text.markup
            widget.update(text)

    def _draw(self, size: Size | None = None) -> None:
        found = self.found
        if found is None:
            return
        width, height = size or self.size
        target = found.quotas[0]
        title = Content.styled(fit(f"{'Team' if found.rep_id is None else found.scope} {found.period.label}",
                                   max(width - 14, 8)), "bold")
        chance = found.simulation.chance
        title = title.append(f" {percent(chance):>4} chance" if chance is not None else "  no quota")
        self._set("#mon-title", title)

        money = self.currency
        reps = found.quotas[1:] if found.rep_id is None else []
        # Rows, top to bottom: title, the scope's bar and figures, reps' bars,
        # this week's deals, the latest changes; a short pane drops from the end.
        rep_rows = min(len(reps), max(0, (height - 7) // 3))
        left = height - 1 - 2 - rep_rows
        closing_rows = min(len(found.closing_this_week), max(0, (left - 2) // 2))
        recent_rows = max(0, left - 2 - closing_rows)

        label_width = 8
        parts: list[tuple[str, str] | str | Content] = []
        for index, line in enumerate([target, *reps[:rep_rows]]):
            name = "Team" if line.rep_id is None else line.name.split()[0]
            parts.append((fit(printable(name), label_width - 1) + " ", "bold" if index == 0 else ""))
            parts.append(quota_bar(line, width - label_width))
            if index == 0:
                won = format_compact(line.won, money)
                forecast = format_compact(line.forecast, money)
                goal = format_compact(line.quota, money) if line.quota else "-"
                figures = f"won {won} · forecast {forecast} · quota {goal}"
                if len(figures) > width:  # a narrow pane: abbreviate rather than cut off
                    figures = f"won {won} · fc. {forecast} · quota {goal}"
                parts.append(("\n" + fit(figures, width), MUTED))
            if index < rep_rows:
                parts.append("\n")
        self._set("#mon-quota", Content.assemble(*parts))

        count = sum(n for n, _ in found.closing_totals.values())
        amounts = " + ".join(format_compact(v, c) for c, (_, v) in sorted(found.closing_totals.items()))
        closing = Content.styled(fit(f"This week: {count} to close" + (f", {amounts}" if count else ""), width),
                                 "bold")
        for deal in found.closing_this_week[:closing_rows]:
            value = format_compact(deal.value, deal.currency)
            closing = closing.append("\n" + fit(f"{deal.expected_close:%a} {value:>7} {printable(deal.title)}",
                                                 width))
        self._set("#mon-closing", closing)

        recent = Content.styled("Latest" if recent_rows else "", "bold")
        for change in found.recent[:recent_rows]:
            if change.to_status != "open":
                what = change.to_status
            elif change.from_status not in (None, "open"):
                what = f"reopened in {change.to_stage}"
            elif change.from_stage is None:
                what = f"new in {change.to_stage}"
            else:
                what = f"to {change.to_stage}"
            who = change.who.split()[0] if change.who else NO_REP
            at = change.changed_at.replace(tzinfo=dt.timezone.utc).astimezone()  # stored in UTC
            recent = recent.append("\n" + fit(printable(f"{at:%H:%M} {who} {what}: {change.title}"), width))
        self._set("#mon-recent", recent)


def run_monitor(*, period: Period, rep, currency: str, rates, crash_log=None, pipeline=None) -> MonitorApp:
    """Run the monitor until ``q`` (over one ``pipeline`` id, or all); the app, to read its exit status from."""
    app = MonitorApp(period=period, rep=rep, currency=currency, rates=rates, crash_log=crash_log,
                     pipeline=pipeline)
    app.run()
    return app

