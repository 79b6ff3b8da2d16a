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
