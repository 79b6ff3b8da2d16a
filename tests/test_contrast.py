"""Every colour pair a screen draws stays legible: in every theme the app
offers, in truecolor and 256 colours (and 16 for the ANSI themes, the ones
a 16-colour terminal gets), the contrast of each piece of text against the
background it is drawn on is measured (WCAG's formula).

The screens are drawn as the terminal receives them: through the app's own
line filters (which turn ANSI colours and ``dim`` into true colours), then
reduced to each colour depth the way Rich reduces them for a terminal.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rich.color import Color, ColorTriplet
from rich.style import Style

from pipetui.core import activities, clock, deals, demo, lookup, people
from pipetui.core.money import Money
from pipetui.tui.app import PipetuiApp
from pipetui.tui.contrast import READABLE, worst_ratio

NOW = dt.datetime(2026, 11, 27, 9, 0)

# The states to look at: keys from the board, after the cursor is put on an
# overdue, rotting card (the case where the date once vanished).
VISITS = {
    "board": (),
    "board-filter": ("slash",),
    "editor": ("enter",),
    "triage": ("t",),
    "metrics": ("m",),
    "customers": ("c",),
    "help": ("question_mark",),
    "lose": ("x",),
    "pick": ("o",),
}

def drawn_pairs(app) -> dict[tuple, str]:
    """Each (foreground, background, dim) with visible text on the screen in
    front, after the app's filters, with an example of the text drawn in it.
    Behind a dialog the screen is dimmed on purpose: only the dialog counts."""
    screen = app.screen
    region = screen.children[0].region if screen.is_modal else screen.region
    background = screen.styles.background
    pairs: dict[tuple, str] = {}
    for y, strip in enumerate(screen._compositor.render_strips()):
        if not region.y <= y < region.bottom:
            continue
        strip = strip.crop(region.x, region.right)
        for line_filter in app.get_line_filters():
            strip = strip.apply_filter(line_filter, background)
        for segment in strip:
            text, style = segment.text.strip(), segment.style or Style()
            if not text or set(text) <= BORDERS:
                continue
            fg, bg = resolved(style.color, app, foreground=True), resolved(style.bgcolor, app, foreground=False)
            if style.reverse:
                fg, bg = bg, fg
            if fg is None or bg is None:
                continue  # the terminal's own default pair
            pairs.setdefault((fg, bg, bool(style.dim)), text[:30])
    return pairs


def resolved(color: Color | None, app, *, foreground: bool) -> Color | None:
    """A terminal's default colour as the colour it stands for (which
    matters once reverse video swaps the two)."""
    if color is None or not color.is_default:
        return color
    return Color.from_triplet(ColorTriplet(*color.get_truecolor(app.ansi_theme, foreground=foreground)))


# Rules, borders and scroll bars: drawn to separate, not to be read.
BORDERS = set("─│┌┐└┘├┤┬┴┼▔▏▕╭╮╰╯▎▊▐▌━┃▁▂▃▄▅▆▇")


def weak_pairs(app) -> list[str]:
    weak = []
    for (fg, bg, dim), example in drawn_pairs(app).items():
        worst = worst_ratio(fg, bg, app.ansi_theme, dim=dim, ansi=app.native_ansi_color)
        if worst < READABLE:
            weak.append(f"{app.theme}: {example!r} {fg.name} on {bg.name} = {worst:.2f}")
    return weak


@pytest.fixture
def overdue_rotting_deal(sqlite_db):
    with clock.frozen(NOW - dt.timedelta(days=40)):
        demo.generate(40, seed=3)
        maya = people.add_rep("Maya Contrast", username="mayac")
        deal = deals.create_deal("Acme GmbH - late and rotting", Money(9_000_00, "USD"),
                                 stage=lookup.resolve_stage("Prosp"), owner=maya)
        activities.add_activity("call", "Call back", deal=deal, due_date=(NOW - dt.timedelta(days=6)).date())
    return deal


def weak_in_every_theme(app, size: tuple[int, int], keys=(), prepare=None) -> list[str]:
    """The weak pairs of ``app``'s screen after ``prepare(app)`` and ``keys``,
    in each theme it offers."""

    async def check() -> list[str]:
        weak: list[str] = []
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            if prepare is not None:
                prepare(app)
                await settle(pilot)
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            for theme in sorted(app.available_themes):
                app.theme = theme
                await settle(pilot)
                weak.extend(weak_pairs(app))
        return weak

    with clock.frozen(NOW):
        return asyncio.run(check())


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("visit", list(VISITS))
def test_every_pair_a_screen_draws_is_legible_in_every_theme_and_depth(sqlite_db, overdue_rotting_deal, visit):
    app = PipetuiApp(db=sqlite_db, location="t")
    weak = weak_in_every_theme(app, (120, 40), VISITS[visit],
                               prepare=lambda app: app.screen.go_to_deal(overdue_rotting_deal.id))
    assert weak == [], "\n".join(weak)


def test_the_monitor_is_legible_in_every_theme_and_depth(sqlite_db, overdue_rotting_deal):
    from pipetui.core.dates import quarter_period
    from pipetui.tui.monitor import MonitorApp

    weak = weak_in_every_theme(MonitorApp(period=quarter_period(NOW.date())), (60, 20))
    assert weak == [], "\n".join(weak)


def test_a_terminal_of_16_colours_gets_the_terminals_own_palette(sqlite_db, monkeypatch):
    """The true-colour themes' near colours become one in 16 colours."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    app = PipetuiApp(db=sqlite_db, location="t")
    assert app.few_colours and app.theme == "ansi-dark"
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    assert not PipetuiApp(db=sqlite_db, location="t").few_colours
