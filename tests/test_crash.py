"""A writer killed with SIGKILL at a random moment leaves a consistent
database: integrity_check says ok, and every deal's history leads to it.

A failure lists every problem found after every kill, and the seed of the
kill moments; set ``PIPETUI_STRESS_SEED`` to that seed to replay them."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from pipetui.core.integrity import deals_with_inconsistent_history
from pipetui.store import Deal, is_postgres, open_database

BENCHMARKS = str(Path(__file__).resolve().parents[1] / "benchmarks")
sys.path.insert(0, BENCHMARKS)
try:
    from stress import SEED_VARIABLE, seed_from_environment  # one seed convention for both
finally:
    sys.path.remove(BENCHMARKS)

KILLS = 20
# Seconds a child may take to say it is ready, or that it finished a batch.
CHILD_TIMEOUT = 120

BURST_OF_MOVES = """
import random, sys
from pipetui.core import deals, lookup
from pipetui.core.money import Money
from pipetui.store import Deal, open_database
open_database(sys.argv[1])
stages = lookup.stages()
rng = random.Random()
print("ready", flush=True)
for n in range(30):
    deals.create_deal(f"Burst {n}", Money(100 + n, "USD"))
while True:
    for deal in Deal.select().where(Deal.status == "open").limit(50):
        deals.move_deal(deal.id, rng.choice([s for s in stages if s.id != deal.stage_id]))
"""

BULK_DEMO = """
import sys
from pipetui.core import demo
from pipetui.store import open_database
open_database(sys.argv[1])
print("ready", flush=True)
while True:
    # Forced: a burst killed after its first deal leaves that deal, and a
    # demo refuses a database that holds deals.
    demo.generate(3000, seed=7, force=True)
"""


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0, start_new_session=True)


def read_line(child: subprocess.Popen) -> str:
    """The child's next line of output; '' when it ended or said nothing for CHILD_TIMEOUT."""
    line = b""
    deadline = time.monotonic() + CHILD_TIMEOUT
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([child.stdout], [], [], max(0.0, deadline - time.monotonic()))
        byte = child.stdout.read(1) if ready else b""
        if not byte:
            return ""
        line += byte
    return line.decode().strip()


def kill(child: subprocess.Popen) -> str | None:
    """Kill the child and its group (the demo's generator too); what went
    wrong if it had already stopped, so that the kill proved nothing."""
    os.killpg(child.pid, signal.SIGKILL)  # an unreaped child still holds its group
    if child.wait() == -signal.SIGKILL:
        return None
    return f"the child had already stopped (exit code {child.returncode}): {child.stderr.read().decode()[-2000:]}"


def check_database(database, kill_number: int, problems: list[str]) -> None:
    """Add what is wrong with the database after a kill to ``problems``."""
    if not is_postgres(database):
        integrity = database.execute_sql("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"after kill {kill_number}: integrity_check says {integrity}")
    broken = deals_with_inconsistent_history()
    if broken:
        problems.append(f"after kill {kill_number}: history does not lead to the present for deals {broken}")


def report(seed: int, problems: list[str]) -> str:
    lines = [f"{len(problems)} problem(s) with seed {seed} (replay the kill moments with {SEED_VARIABLE}={seed}):"]
    return "\n".join(lines + [f"- {problem}" for problem in problems])


def test_killed_writers_leave_a_consistent_database(backend_url, db):
    seed = seed_from_environment()
    print(f"crash seed {seed} (replay with {SEED_VARIABLE}={seed})")
    rng = random.Random(seed)
    problems: list[str] = []
    outcomes: Counter = Counter()  # demo deals found after each kill of the demo
    db.close()
    for number in range(1, KILLS + 1):
        script = BURST_OF_MOVES if number % 2 else BULK_DEMO
        child = start(script, backend_url)
        try:
            if read_line(child) != "ready":
                problems.append(f"kill {number}: the child never got ready: {child.stderr.read().decode()[-2000:]}")
            time.sleep(rng.uniform(0.02, 0.5))
        finally:
            stopped_early = kill(child)
        if stopped_early:
            problems.append(f"kill {number}: {stopped_early}")
        checked = open_database(backend_url)
        check_database(checked, number, problems)
        if script is BULK_DEMO:  # the demo's deals are written in one transaction: all or none
            outcomes[Deal.select().where(~Deal.title.startswith("Burst")).count()] += 1
        checked.close()
    if not set(outcomes) <= {0, 3000}:
        problems.append(f"demo deals found after the demo's kills (all or none expected): {dict(outcomes)}")
    assert problems == [], report(seed, problems)


IMPORTS = """
import sys
from pathlib import Path
from pipetui.core import imports
from pipetui.store import open_database
open_database(sys.argv[1])
folder = Path(sys.argv[2])
print("ready", flush=True)
for batch in range(1000):
    path = folder / f"batch{batch}.csv"
    rows = [f"B{batch}-{i},Deal {i},Rep {i % 7},Org {i % 50},Won,2026-0{1 + i % 9}-11,2026-10-0{1 + i % 9},{i}"
            for i in range(IMPORT_ROWS)]
    path.write_text("id,title,owner,company,stage,created,close date,value\\n" + "\\n".join(rows) + "\\n")
    imports.run_import(path, imports.Options())
    print("imported", batch, flush=True)
""".replace("IMPORT_ROWS", "2000")


def test_a_killed_import_leaves_each_file_all_in_or_all_out(backend_url, db, tmp_path):
    seed = seed_from_environment()
    print(f"crash seed {seed} (replay with {SEED_VARIABLE}={seed})")
    rng = random.Random(seed)
    problems: list[str] = []
    batches: Counter = Counter()
    db.close()
    for number in range(1, 9):
        child = start(IMPORTS, backend_url, str(tmp_path))
        try:
            # Some kills wait for whole files to be imported, so that the
            # kills find imported files however slow the machine is; the
            # others may land in the first file.
            for expected in ["ready"] + [f"imported {n}" for n in range(number % 3)]:
                if read_line(child) != expected:
                    problems.append(f"kill {number}: the child did not say {expected!r}: "
                                    f"{child.stderr.read().decode()[-2000:]}")
                    break
            time.sleep(rng.uniform(0.0, 0.5))
        finally:
            stopped_early = kill(child)
        if stopped_early:
            problems.append(f"kill {number}: {stopped_early}")
        checked = open_database(backend_url)
        check_database(checked, number, problems)
        batches = Counter(external_id.split("-")[0] for (external_id,) in
                          Deal.select(Deal.external_id).where(Deal.external_id.is_null(False)).tuples())
        if not set(batches.values()) <= {2000}:
            problems.append(f"after kill {number}: a file partly imported: deals per file {dict(batches)}")
        checked.close()
    if not batches:
        problems.append("no import finished between the kills: the test proved nothing")
    assert problems == [], report(seed, problems)
