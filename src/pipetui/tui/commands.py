"""Command palette (ctrl+p): go to any open deal by name."""

from __future__ import annotations

import asyncio
from functools import partial

from rich.text import Text
from textual.command import Hit, Hits, Provider

from pipetui.core.connection import on_own_connection
from pipetui.core.lookup import search_open_deals
from pipetui.core.text import printable


def _search(text: str) -> list[tuple[int, str, str]]:
    return on_own_connection(lambda: search_open_deals(text))


class GoToDeal(Provider):
    """Finds open deals by title in the database, off the event loop."""

    async def search(self, query: str) -> Hits:
        if len(query.strip()) < 2:
            return
        found = await asyncio.to_thread(_search, query)
        for rank, (deal_id, title, stage) in enumerate(found):
            label = Text(f"Go to {printable(title)}")
            label.append(f"  {stage}", style="dim")
            yield Hit(1.0 - rank / 100, label, partial(self._go, deal_id), text=f"Go to {title}",
                      help=f"deal #{deal_id} in {stage}")

    def _go(self, deal_id: int) -> None:
        go_to = getattr(self.screen, "go_to_deal", None)
        if go_to is not None:
            go_to(deal_id)
