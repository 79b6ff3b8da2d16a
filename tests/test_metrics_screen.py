"""The metrics screen, driven by keys, on the hand-made story of test_metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from test_metrics import NOW, story  # noqa: F401 - the fixture

from pipetui.core import clock
from pipetui.tui.app import PipetuiApp
from pipetui.tui.screens.metrics import MetricsScreen
from pipetui.tui.screens.board import BoardScreen


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def shown(app, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id).render())


async def test_m_opens_the_metrics_and_keys_change_period_and_scope(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, MetricsScreen)
            assert "Team" in shown(app, "#metrics-title") and "2026-Q4" in shown(app, "#metrics-title")
            answers = shown(app, "#answers").splitlines()
            # Q4: won 37k (I in October, A and B in November); E, G and H (December)
            # weigh 9k + 40k + 1.2k; the quarter's quota is Ann's November one, 40k:
            # 87.2k / 40k = 218 %.
            assert answers[0].startswith("Team: 218% of 2026-Q4 quota forecast, ")
            assert answers[1] == "2 deals (80,000 USD) expected to close this week"
            assert "Open deals 3" in shown(app, "#health")
            await pilot.press("right_square_bracket")
            await settle(pilot)
            assert "2027-Q1" in shown(app, "#metrics-title")
            await pilot.press("left_square_bracket", "left_square_bracket")
            await settle(pilot)
            assert "2026-Q3" in shown(app, "#metrics-title")
            assert shown(app, "#answers").startswith("Team: no quota for 2026-Q3")
            await pilot.press("r")
            await settle(pilot)
            assert "Ann Lee" in shown(app, "#metrics-title")
            assert shown(app, "#answers").startswith("Ann Lee: ")
            await pilot.press("r", "r")  # Bob Roy, then the team again
            await settle(pilot)
            assert "Team" in shown(app, "#metrics-title")
            await pilot.press("b")
            await settle(pilot)
            assert isinstance(app.screen, BoardScreen)


async def test_only_the_latest_request_is_shown(story, db):  # noqa: F811
    """Keys pressed faster than the figures come keep working; the screen
    ends on the period asked for last."""
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("m", *["right_square_bracket"] * 5)
            await settle(pilot)
            assert "2028-Q1" in shown(app, "#metrics-title")
            assert "computing" not in shown(app, "#metrics-title")
            assert shown(app, "#answers").startswith("Team: no quota for 2028-Q1")


async def test_health_line_is_unchanged_on_the_demo(sqlite_db):
    """The health line's words and styles, as recorded in
    tests/data/golden/metrics_screen_health.txt, in a period under way, one
    over and one not begun (nothing closed: n/a), for the team and a rep."""
    from golden import assert_golden
    from test_metrics import DEMO_NOW
    from textual.widgets import Static

    from pipetui.core import demo, metrics

    with clock.frozen(DEMO_NOW):
        demo.generate(300, seed=1)
        app = PipetuiApp(db=sqlite_db, location="demo.db")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            seen, first_health = [], None
            for keys in [("m",), ("r",), ("left_square_bracket",),
                         ("right_square_bracket", "right_square_bracket")]:
                await pilot.press(*keys)
                await settle(pilot)
                title = str(app.screen.query_one("#metrics-title").render())
                health = app.screen.query_one('#health', Static).content
                first_health = first_health or health.plain
                seen.append(f"{title}\n{health.markup}\n")
    assert_golden("metrics_screen_health.txt", "\n".join(seen))
    # The cells are the metrics with a short label, in their order, and no others.
    # The line breaks only between cells, so its lines joined are the cells.
    health = first_health.splitlines()
    first_line = "  ·  ".join(line for line in health if line and not line.startswith("Left out"))
    cells = first_line.split(":  ", 1)[1].split("  ·  ")
    shown = [m for m in metrics.HEALTH_METRICS if m.short_label is not None]
    assert len(cells) == len(shown) < len(metrics.HEALTH_METRICS)
    assert all(cell.startswith(f"{m.short_label} ") for cell, m in zip(cells, shown))


async def test_the_health_line_breaks_only_between_cells_at_80x24(story, db):  # noqa: F811
    import re

    from pipetui.core.metrics import HEALTH_METRICS

    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            health = app.screen.query_one("#health")
            lines = ["".join(segment.text for segment in health.render_line(y)).strip()
                     for y in range(health.size.height)]
            assert len(lines) > 2  # it does wrap at 80 columns
            for metric in HEALTH_METRICS:
                if metric.short_label is not None:  # label and value on one line
                    assert any(re.search(re.escape(metric.short_label) + r" \S", line) for line in lines), (
                        metric.short_label, lines)
            assert not any(line.startswith("·") or line.endswith("·") for line in lines), lines


# --- the charts (issue: quota mark, glyphs, whole-number axis, empty periods, small screens)


def screen_lines(app) -> list[str]:
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def chart_lines(app, widget_id: str) -> list[str]:
    widget = app.screen.query_one(widget_id)
    return ["".join(segment.text for segment in widget.render_line(y)) for y in range(widget.size.height)]


@pytest.fixture
def two_reps_past_quota(sqlite_db):
    """Ann has won 102 % of her quota, Bob 148 %: nothing open."""
    from pipetui.core import deals, people, quotas
    from pipetui.core.dates import quarter_period
    from pipetui.core.money import Money

    quarter = quarter_period(NOW.date())
    with clock.frozen(NOW - dt.timedelta(days=20)):
        for name, won in (("Ann Lee", 102_000_00), ("Bob Roy", 148_000_00)):
            rep = people.add_rep(name)
            quotas.set_quota(rep, quarter, Money(100_000_00, "USD"))
            deal = deals.create_deal(f"{name} deal", Money(won, "USD"), owner=rep)
            deals.win_deal(deal.id)
        quotas.set_quota(None, quarter, Money(200_000_00, "USD"))


async def test_quota_bars_are_a_share_of_each_quota_marked_at_100_percent(two_reps_past_quota, sqlite_db):
    with clock.frozen(NOW):
        app = PipetuiApp(db=sqlite_db, location="test.db")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            lines = chart_lines(app, "#quota-bars")
            ann = next(line for line in lines if "Ann 102%" in line)
            bob = next(line for line in lines if "Bob 148%" in line)
            team = next(line for line in lines if "Team 125%" in line)
            # Won is drawn with its own glyph, so the bars read without colour.
            assert ann.count("█") < team.count("█") < bob.count("█")
            assert abs(bob.count("█") / ann.count("█") - 148 / 102) < 0.15
            # The axis is in percent of quota, with a tick at 100 %, and the
            # quota line stands at 100 % between the bars.
            axis = lines[-1]
            assert "100%" in axis and "0%" in axis and "." not in axis
            column = axis.index("100%") + 1  # plotext centres the label on its tick
            assert any(len(line) > column and line[column - 1:column + 2].count("│") for line in lines
                       if "█" not in line)
            # The caption names the glyphs in the colours the bars are drawn in.
            caption = app.screen.query_one("#caption")
            caption_colour = next(s.style.color for s in caption.render_line(0) if s.text == "█")
            bar_colour = next(s.style.color for y in range(app.screen.query_one("#quota-bars").size.height)
                              for s in app.screen.query_one("#quota-bars").render_line(y) if "█" in s.text)
            assert caption_colour.get_truecolor() == bar_colour.get_truecolor()


async def test_the_funnel_counts_in_whole_numbers(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            axis = chart_lines(app, "#funnel")[-1].split()
            assert axis and all(tick.replace(",", "").isdigit() for tick in axis), axis


async def test_a_period_with_nothing_yet_says_so_instead_of_an_empty_axis(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m", "right_square_bracket", "right_square_bracket")
            await settle(pilot)
            assert "2027-Q2" in shown(app, "#metrics-title")
            text = "\n".join(screen_lines(app))
            assert "Funnel: no deal entered a stage in 2027-Q2." in text
            assert "Quota: none set for 2027-Q2." in text
            assert "-1.00" not in text and "n/a/day" not in text
            assert "Velocity n/a" in shown(app, "#health")


async def test_below_the_size_the_charts_need_their_figures_are_text(story, db):  # noqa: F811
    with clock.frozen(NOW):
        app = PipetuiApp(db=db, location="test.db")
        async with app.run_test(size=(40, 12)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            assert not app.screen.query_one("#funnel").display
            assert not app.screen.query_one("#quota-bars").display
            figures = shown(app, "#funnel-text") + "\n" + shown(app, "#quota-text")
            assert figures.startswith("The charts need 72x18; their figures:")
            assert "Qualified" in figures and "Ann" in figures and "218%" in figures
            await pilot.resize_terminal(120, 40)
            await settle(pilot)
            assert app.screen.query_one("#funnel").display and app.screen.query_one("#quota-bars").display


def test_ticks_are_round_numbers():
    from pipetui.tui.screens.metrics import count_ticks, share_ticks

    assert count_ticks(92) == [0, 50, 100]
    assert count_ticks(3) == [0, 1, 2, 3]
    assert count_ticks(0) == [0, 1]
    assert share_ticks(100) == [0, 50, 100]
    assert share_ticks(183) == [0, 50, 100, 150, 200]
    assert 100 in share_ticks(1234)
