"""Many writers on one database at once, then a check that nothing was lost.

    python benchmarks/stress.py DB [--processes 8] [--operations 500] [--seed N]

DB is a SQLite file or a postgresql:// URL. Each process opens the database
and does random operations (create, move, win, lose, edit, note) on random
open deals, each with the version it read, as people at their keyboards would.
Afterwards:

- every operation a process reports as done is in the database exactly once:
  the numbers of deals, notes and stage changes, and each deal's version
  (one more per change), are what the processes' own logs add up to;
- no process saw an error except refused stale edits (ConflictError);
- every deal's stage history leads exactly to its stage and status.

The summary lists every problem found and the seed of the run; the seed
(``--seed``, or ``$PIPETUI_STRESS_SEED``) replays each writer's choices,
though not the order in which the operating system interleaves them.

``tests/test_stress.py`` runs it small on both backends; run it large here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue as queues
import random
import sys
import time
from collections import Counter

SEED_DEALS = 20
# A writer works on one of the newest open deals, so that writers meet on
# the same deals often enough to refuse each other's stale edits.
NEWEST_DEALS = 41
# Seconds the writers may take in all before the run counts as hung.
WRITERS_TIMEOUT = 600
SEED_VARIABLE = "PIPETUI_STRESS_SEED"


def seed_from_environment() -> int:
    """The seed in ``$PIPETUI_STRESS_SEED`` (to replay a failed run), else a new one."""
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if text:
        return int(text)
    return random.SystemRandom().randrange(10**9)


def writer_random(seed: int, index: int) -> random.Random:
    """Writer ``index``'s own stream of choices in the run with ``seed``."""
    return random.Random(f"{seed}/{index}")


def worker(url: str, index: int, operations: int, seed: int, queue) -> None:
    """Do ``operations`` random steps, then report them; whatever stops the
    writer early (even failing to open the database) is in its report too."""
    log = empty_log(index)
    try:
        work(url, index, operations, writer_random(seed, index), log)
    except BaseException as exc:  # noqa: BLE001 - the run reports it as a problem
        log["errors"].append(f"writer {index} stopped: {type(exc).__name__}: {exc}")
    queue.put({**log, "done": dict(log["done"]), "bumps": dict(log["bumps"])})


def empty_log(index: int) -> dict:
    """What writer ``index`` did: steps done by kind, changes per deal id,
    steps that found no open deal, and every error it saw."""
    return {"index": index, "done": Counter(), "bumps": Counter(), "idle": 0, "errors": []}


def work(url: str, index: int, operations: int, rng: random.Random, log: dict) -> None:
    """Writer ``index``'s steps, each recorded in ``log`` (see :func:`empty_log`)."""
    from pipetui.core import activities, deals, lookup
    from pipetui.core.errors import ConflictError
    from pipetui.core.money import Money
    from pipetui.store import OPEN, Deal, open_database

    db = open_database(url)
    stages = lookup.stages()
    done, bumps, errors = log["done"], log["bumps"], log["errors"]
    for step in range(operations):
        kind = rng.choices(["create", "move", "win", "lose", "edit", "note"], [3, 5, 1, 1, 2, 2])[0]
        try:
            if kind == "create":
                deals.create_deal(f"P{index} deal {step}", Money(rng.randint(1, 10**6), "USD"))
                done[kind] += 1
                continue
            newest = list(Deal.select(Deal.id, Deal.version, Deal.stage)
                          .where(Deal.status == OPEN, Deal.deleted_at.is_null())
                          .order_by(Deal.id.desc()).limit(NEWEST_DEALS))
            if not newest:
                log["idle"] += 1
                continue
            row = rng.choice(newest)
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
        except Exception as exc:  # noqa: BLE001 - every other error is a failure of the run
            errors.append(f"writer {index} step {step} {kind}: {type(exc).__name__}: {exc}")
    db.close()


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


def run(url: str, processes: int, operations: int, seed: int | None = None) -> dict:
    """Run the writers, check the database; the summary lists every problem found."""
    from pipetui.core.integrity import deals_with_inconsistent_history
    from pipetui.store import Deal, Note, StageChange, open_database

    if seed is None:
        seed = seed_from_environment()
    before = prepare(url)
    context = multiprocessing.get_context("spawn")  # no connection crosses a fork
    queue = context.Queue()
    started = time.perf_counter()
    children = [context.Process(target=worker, args=(url, i, operations, seed, queue))
                for i in range(processes)]
    for child in children:
        child.start()
    logs, problems = _collect(children, queue, started + WRITERS_TIMEOUT)
    seconds = time.perf_counter() - started

    done: Counter = Counter()
    bumps: Counter = Counter()
    for log in logs:
        done.update(log["done"])
        bumps.update({int(k): v for k, v in log["bumps"].items()})
    problems += [e for log in logs for e in log["errors"]]
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
        problems.append(f"history does not lead to the present for deals {broken}")
    db.close()
    total = processes * operations
    return {"seed": seed, "seconds": seconds, "operations": total, "per_second": total / seconds,
            "done": dict(done), "idle": sum(log["idle"] for log in logs), "problems": problems}


def _collect(children, queue, deadline: float) -> tuple[list[dict], list[str]]:
    """The writers' reports, and a problem for each writer that sent none or failed."""
    logs, problems = [], []
    while len(logs) < len(children):
        try:
            logs.append(queue.get(timeout=max(0.0, deadline - time.perf_counter())))
        except queues.Empty:
            break
    for child in children:
        child.join(timeout=max(1.0, deadline - time.perf_counter()))
        if child.is_alive():
            child.kill()
            child.join()
    reported = {log["index"] for log in logs}
    for index, child in enumerate(children):
        if index not in reported:
            problems.append(f"writer {index} sent no report (exit code {child.exitcode})")
        elif child.exitcode != 0:
            problems.append(f"writer {index} ended with exit code {child.exitcode}")
    return logs, problems


def describe(summary: dict) -> str:
    """The problems of a run, one a line, and how to replay it."""
    seed = summary["seed"]
    lines = [f"{len(summary['problems'])} problem(s) in the run with seed {seed} "
             f"(replay its choices with {SEED_VARIABLE}={seed}):"]
    return "\n".join(lines + [f"- {problem}" for problem in summary["problems"]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="a SQLite file (it is emptied) or a postgresql:// URL")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--operations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=None,
                        help=f"replay a run's choices (default: ${SEED_VARIABLE}, else a new seed)")
    args = parser.parse_args()
    summary = run(args.db, args.processes, args.operations, args.seed)
    print(json.dumps(summary, indent=2))
    if summary["problems"]:
        print(describe(summary), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
