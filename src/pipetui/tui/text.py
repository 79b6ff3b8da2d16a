"""Text cut to the cells it has on screen."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from pipetui.core.text import printable


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    text = printable(text)
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def marked_deals(count: int) -> str:
    """``3 marked deals``, ``1 marked deal``: what a dialog acting on marks names."""
    return f"{count:,} marked deal{'s' * (count != 1)}"
