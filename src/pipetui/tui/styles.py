"""Where the app's style sheets are: ``styles/`` ships inside the package."""

from __future__ import annotations

from pathlib import Path


def styles_path() -> Path:
    """``styles/`` ships inside the package; a source checkout keeps it at the top."""
    packaged = Path(__file__).resolve().parent.parent / "styles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "styles"


def sheet(name: str) -> str:
    """The path of one style sheet, for a ``CSS_PATH``."""
    return str(styles_path() / name)
