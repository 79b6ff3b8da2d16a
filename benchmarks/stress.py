"""Many writers on one database at once, then a check that nothing was lost.

    python benchmarks/stress.py DB [--processes 8] [--operations 500]

DB is a SQLite file or a postgresql:// URL. Each process opens the database
and does random operations (create, move, win, lose, edit, note) on random
deals, each with the version it read, as people at their keyboards would.
Afterwards:

- every operation a process reports as done is in the database exactly once:
  the numbers of deals, notes and stage changes, and each deal's version
  (one more per change), are what the processes' own logs add up to;
- no process saw an error except refused stale edits (ConflictError);
- every deal's stage history leads exactly to its stage and status.

``tests/test_stress.py`` runs it small on both backends; run it large here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter

SEED_DEALS = 20


def worker(url: str, index: int, operations: int, queue) -> None:
    from pipetui.core import activities, deals, lookup
    from pipetui.core.errors import ConflictError, NotFound
    from pipetui.core.money import Money
    from pipetui.store import OPEN, Deal, open_database

    db = open_database(url)
    rng = random.Random(index)
    stages = lookup.stages()
    done: Counter = Counter()
    bumps: Counter = Counter()  # deal id -> successful version-bumping changes
    created: list[int] = []
    errors: list[str] = []
    for step in range(operations):
        kind = rng.choices(["create", "move", "win", "lose", "edit", "note"], [3, 5, 1, 1, 2, 2])[0]
        try:
            if kind == "create":
                deal = deals.create_deal(f"P{index} deal {step}", Money(rng.randint(1, 10**6), "USD"))
                created.append(deal.id)
                done[kind] += 1
                continue
            row = (Deal.select(Deal.id, Deal.version, Deal.stage)
                   .where(Deal.status == OPEN, Deal.deleted_at.is_null())
                   .order_by(Deal.id.desc()).offset(rng.randint(0, 40)).limit(1).first())
            if row is None:
                continue
            if kind == "move":
                target = rng.choice([s for s in stages if s.id != row.stage_id])
                deals.move_deal(row.id, target, expected_version=row.version)
            elif kind == "win":
                deals.win_deal(row.id, expected_version=row.version)
            elif kind == "lose":
                deals.lose_deal(row.id, "Price", expected_version=row.version)
            elif kind == "edit":
                deals.edit_deal(row.id, expected_version=row.version,
                                value=Money(rng.randint(1, 10**6), "USD"))
            else:
                activities.add_note_to_deal(row.id, f"note {index}.{step}")
                done[kind] += 1
                continue  # a note does not change the deal's version
            done[kind] += 1
            bumps[row.id] += 1
        except ConflictError:
            done["refused"] += 1  # someone changed the deal since we read it: expected
        except NotFound as exc:
            errors.append(f"{kind}: {exc}")
        except Exception as exc:  # noqa: BLE001 - every other error is a failure of the run
            errors.append(f"{kind}: {type(exc).__name__}: {exc}")
    db.close()
    queue.put({"done": dict(done), "bumps": dict(bumps), "created": created, "errors": errors})


def prepare(url: str) -> dict[int, int]:
    """A fresh pipeline with a few deals; their versions before the run."""
    from pipetui.core import deals, demo
    from pipetui.core.money import Money
    from pipetui.store import Deal, open_database

    db = open_database(url)
    demo.clear_demo_data()
    for n in range(SEED_DEALS):
        deals.create_deal(f"Seed {n}", Money(1000 * (n + 1), "USD"))
    versions = {d.id: d.version for d in Deal.select(Deal.id, Deal.version)}
    db.close()
    return versions


def run(url: str, processes: int, operations: int) -> dict:
    """Run the writers, check the database; the summary says what failed, if anything."""
    from pipetui.core.integrity import deals_with_inconsistent_history
    from pipetui.store import Deal, Note, StageChange, open_database

    before = prepare(url)
    context = multiprocessing.get_context("spawn")  # no connection crosses a fork
    queue = context.Queue()
    started = time.perf_counter()
    children = [context.Process(target=worker, args=(url, i, operations, queue)) for i in range(processes)]
    for child in children:
        child.start()
    logs = [queue.get(timeout=600) for _ in children]
    for child in children:
        child.join(timeout=60)
    seconds = time.perf_counter() - started

    done: Counter = Counter()
    bumps: Counter = Counter()
    for log in logs:
        done.update(log["done"])
        bumps.update({int(k): v for k, v in log["bumps"].items()})
    problems = [e for log in logs for e in log["errors"]]
    db = open_database(url)
    deals_now = {d.id: d.version for d in Deal.select(Deal.id, Deal.version)}
    expected_changes = len(before) + done["create"] + done["move"] + done["win"] + done["lose"]
    if len(deals_now) != len(before) + done["create"]:
        problems.append(f"{len(deals_now)} deals, expected {len(before) + done['create']}")
    if Note.select().count() != done["note"]:
        problems.append(f"{Note.select().count()} notes, expected {done['note']}")
    if StageChange.select().count() != expected_changes:
        problems.append(f"{StageChange.select().count()} stage changes, expected {expected_changes}")
    for deal_id, version in deals_now.items():
        wanted = before.get(deal_id, 1) + bumps.get(deal_id, 0)
        if version != wanted:
            problems.append(f"deal #{deal_id} at version {version}, expected {wanted}")
    broken = deals_with_inconsistent_history()
    if broken:
        problems.append(f"history does not lead to the present for deals {broken[:10]}")
    db.close()
    total = processes * operations
    return {"seconds": seconds, "operations": total, "per_second": total / seconds,
            "done": dict(done), "problems": problems[:20]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="a SQLite file (it is emptied) or a postgresql:// URL")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--operations", type=int, default=500)
    args = parser.parse_args()
    summary = run(args.db, args.processes, args.operations)
    print(json.dumps(summary, indent=2))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
