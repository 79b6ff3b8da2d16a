"""A writer killed with SIGKILL at a random moment leaves a consistent
database: integrity_check says ok, and every deal's history leads to it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from pipetui.core.integrity import deals_with_inconsistent_history
from pipetui.store import Deal, is_postgres, open_database

KILLS = 20

BURST_OF_MOVES = """
import random, sys
from pipetui.core import deals, lookup
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
    demo.clear_demo_data()
    demo.generate(3000, seed=7)
"""


def kill_at_random(url: str, script: str, rng: random.Random) -> None:
    child = subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0.02, 0.5))
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the demo's generator process too
        child.wait()


def test_killed_writers_leave_a_consistent_database(backend_url, db):
    rng = random.Random(2026)
    outcomes: Counter = Counter()  # demo deals found after each kill of the demo
    db.close()
    for kill in range(KILLS):
        kill_at_random(backend_url, BULK_DEMO if kill % 2 else BURST_OF_MOVES, rng)
        checked = open_database(backend_url)
        if not is_postgres(checked):
            assert checked.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert deals_with_inconsistent_history() == [], f"after kill {kill + 1}"
        if kill % 2:  # the demo's deals are written in one transaction: all or none
            outcomes[Deal.select().where(~Deal.title.startswith("Burst")).count()] += 1
        checked.close()
    assert set(outcomes) <= {0, 3000}, outcomes


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
""".replace("IMPORT_ROWS", "2000")


def test_a_killed_import_leaves_each_file_all_in_or_all_out(backend_url, db, tmp_path):
    rng = random.Random(6)
    db.close()
    for kill in range(8):
        child = subprocess.Popen([sys.executable, "-c", IMPORTS, backend_url, str(tmp_path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
            time.sleep(rng.uniform(0.1, 1.5))
            assert child.poll() is None, child.stderr.read()  # still importing when killed
        finally:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        checked = open_database(backend_url)
        if not is_postgres(checked):
            assert checked.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert deals_with_inconsistent_history() == [], f"after kill {kill + 1}"
        batches = Counter(external_id.split("-")[0] for (external_id,) in
                          Deal.select(Deal.external_id).where(Deal.external_id.is_null(False)).tuples())
        assert set(batches.values()) <= {2000}, batches
        checked.close()
    assert batches, "no import finished between the kills: the test proved nothing"
