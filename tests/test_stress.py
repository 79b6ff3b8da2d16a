"""Several processes writing one database at once lose nothing and apply
nothing twice (benchmarks/stress.py, run small; run it large there).

A failure lists every problem found and the seed of the run; set
``PIPETUI_STRESS_SEED`` to that seed to replay the writers' choices."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
PROCESSES, OPERATIONS = 8, 40


@pytest.fixture
def stress():
    sys.path.insert(0, str(BENCHMARKS))  # the spawned writers import it by name too
    try:
        import stress

        yield stress
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_eight_writers_at_once_leave_a_consistent_pipeline(backend_url, db, stress):
    db.close()
    seed = stress.seed_from_environment()
    print(f"stress seed {seed} (replay with {stress.SEED_VARIABLE}={seed})")
    summary = stress.run(backend_url, processes=PROCESSES, operations=OPERATIONS, seed=seed)
    done = summary["done"]
    total = PROCESSES * OPERATIONS
    # A step finds no open deal only when every deal is closed: almost never.
    if sum(done.values()) < total * 0.95:
        summary["problems"].append(f"only {sum(done.values())} of {total} steps were done: {done}")
    for kinds in (["create"], ["move"], ["win", "lose"]):
        if not sum(done.get(kind, 0) for kind in kinds):
            summary["problems"].append(f"no {' or '.join(kinds)} was done: {done}")
    assert summary["problems"] == [], stress.describe(summary)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_writers_find_work_whatever_order_they_run_in(sqlite_db, stress, seed):
    """Writers often run one after another, as each spawned process starts
    later than the one before; the work they find must not depend on it
    (it once did: a run in some orders did too little and failed)."""
    url = sqlite_db.database
    sqlite_db.close()
    stress.prepare(url)
    idle = Counter()
    for index in reversed(range(PROCESSES)):
        log = stress.empty_log(index)
        stress.work(url, index, OPERATIONS, stress.writer_random(seed, index), log)
        assert log["errors"] == []
        idle[index] = log["idle"]
    assert sum(idle.values()) == 0, f"steps that found no open deal, by writer: {dict(idle)}"
