"""Golden files: output recorded once, then compared byte for byte.

``PIPETUI_UPDATE_GOLDEN=1`` writes the files anew instead of comparing;
review the diff (git diff tests/data/golden) before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PIPETUI_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.exists(), f"no golden file {path}: make it with PIPETUI_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8"), f"differs from {path}"
