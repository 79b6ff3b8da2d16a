"""The app opens on the given database and shows the pipeline by stage."""

from __future__ import annotations

from pipetui.core import deals
from pipetui.core.money import Money
from pipetui.tui.app import PipetuiApp


async def test_app_shows_open_deals_by_stage_and_quits_with_q(sqlite_db, tmp_path):
    deals.create_deal("[bold]Acme[/", Money(12_500_00, "USD"))
    app = PipetuiApp(db=sqlite_db, location=str(tmp_path / "pipeline.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.query_one("#summary").render())
        assert "Prospecting" in text and "1 deals" in text and "12,500 USD" in text
        assert "Closing" in text
        await pilot.press("q")
    assert app.return_code == 0
