"""The metrics screen, driven by keys, on the hand-made story of test_metrics."""

from __future__ import annotations

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

    from rich.text import Text

    from pipetui.core import demo, metrics

    with clock.frozen(DEMO_NOW):
        demo.generate(300, seed=1)
        app = PipetuiApp(db=sqlite_db, location="demo.db")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            seen = []
            for keys in [("m",), ("r",), ("left_square_bracket",),
                         ("right_square_bracket", "right_square_bracket")]:
                await pilot.press(*keys)
                await settle(pilot)
                title = str(app.screen.query_one("#metrics-title").render())
                seen.append(f"{title}\n{app.screen.query_one('#health', Static).content.markup}\n")
    assert_golden("metrics_screen_health.txt", "\n".join(seen))
    # The cells are the metrics with a short label, in their order, and no others.
    # The line breaks only between cells, so its lines joined are the cells.
    health = Text.from_markup(seen[0].split("\n", 1)[1]).plain.splitlines()
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
