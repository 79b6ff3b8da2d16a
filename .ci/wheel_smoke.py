"""Run inside a virtual environment where only the built wheel is installed:
the styles must come from the package, and the app must open on the board."""

import asyncio
import sys
import tempfile
from pathlib import Path

from pipetui.store import open_database
from pipetui.tui.app import PipetuiApp
from pipetui.tui.widgets.board import BoardView
from pipetui.tui.styles import styles_path

styles = styles_path()
assert "site-packages" in str(styles), f"styles were not taken from the wheel: {styles}"
for name in ("app.tcss", "dialogs.tcss", "editor.tcss", "metrics.tcss", "triage.tcss", "customers.tcss",
             "stages.tcss", "fields.tcss"):
    assert (styles / name).is_file(), f"no {name} in {styles}"


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "pipeline.db")
        from pipetui.core import demo

        demo.generate(50, seed=1)
        app = PipetuiApp(db=db, location="smoke")
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(6):
                await app.workers.wait_for_complete()
                await pilot.pause()
            board = app.screen.query_one(BoardView)
            assert board.current_card is not None, "the board shows no card"
            assert board.styles.background is not None
            # The editor and the metrics screen read their own sheets when opened.
            for keys, screen_name in ((["enter"], "DealEditor"), (["escape", "m"], "MetricsScreen")):
                await pilot.press(*keys)
                for _ in range(6):
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                assert type(app.screen).__name__ == screen_name, app.screen
    print(f"wheel smoke test: ok (styles from {styles})")


asyncio.run(main())
sys.exit(0)
