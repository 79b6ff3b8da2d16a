"""The board's ``/`` reads the filter language the command line's
``--where`` reads: ``stage:``, ``owner:`` and ``status:`` terms and text."""

from __future__ import annotations

from test_board import app, board_of, pipeline, settle  # noqa: F401 - app and pipeline are fixtures


async def test_the_board_filters_by_stage_and_owner_terms(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"owner:maya")
        await settle(pilot)
        assert [c.count for c in board_of(app).columns][:3] == [2, 0, 0]
        await pilot.press("escape", "slash", *"stage:qual jonas")
        await settle(pilot)
        assert [c.count for c in board_of(app).columns][:3] == [0, 0, 1]
        await pilot.press("escape", "slash", *"stage:Nowhere")  # names nothing: no deal, no error
        await settle(pilot)
        assert sum(c.count for c in board_of(app).columns) == 0
