"""Several processes writing one database at once lose nothing and apply
nothing twice (benchmarks/stress.py, run small; run it large there)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_eight_writers_at_once_leave_a_consistent_pipeline(backend_url, db):
    db.close()
    sys.path.insert(0, str(BENCHMARKS))  # the spawned writers import it by name too
    try:
        import stress

        summary = stress.run(backend_url, processes=8, operations=40)
    finally:
        sys.path.remove(str(BENCHMARKS))
    assert summary["problems"] == []
    done = summary["done"]
    assert sum(done.values()) >= 8 * 40 * 0.75  # most steps found an open deal to work on
    assert done["create"] > 0 and done["move"] > 0 and done["win"] + done["lose"] > 0
