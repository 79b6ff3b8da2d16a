"""Importing a large CSV export: the target is 100,000 rows in under 20 s.

    python benchmarks/imports.py                 # 100k rows into SQLite
    python benchmarks/imports.py --rows 20000 --pg postgresql://postgres@127.0.0.1/test

The file imitates a messy generic export: US dates with times, amounts with
currency symbols and thousands separators, one stage column holding both
stages and outcomes, quoted notes with newlines, 300 owners and 20,000
companies. Each import runs the real command line in a fresh process, as a
user would. The baseline, in the same run, is the least any import must do:
csv.reader over the same file and executemany of its raw cells into a
table of as many text columns, in one transaction.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 20.0
HEADER = ["Opportunity ID", "Deal Name", "Sales Rep", "Company", "Contact", "Deal Stage", "Amount",
          "Currency", "Created Date", "Close Date", "Lost Reason", "Description"]
STAGES = ["Prospecting", "Contacted", "Qualified", "Meeting", "Proposal", "Negotiation", "Closing"]
OUTCOMES = ["Won", "Closed Won", "Lost", "Closed Lost"]


def write_export(path: Path, rows: int, seed: int = 7) -> None:
    """A deterministic export of ``rows`` deals, as of 2026-11-01."""
    rng = random.Random(seed)
    end = dt.datetime(2026, 11, 1)
    owners = [f"Rep {i:03d}" for i in range(300)]
    companies = [f"Company {i:05d} Ltd" for i in range(20_000)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            created = end - dt.timedelta(days=rng.uniform(1, 720))
            stage = rng.choice(STAGES + OUTCOMES) if created < end - dt.timedelta(days=30) else rng.choice(STAGES)
            closed = created + dt.timedelta(days=rng.uniform(0, 200))
            closing = stage in OUTCOMES
            if closing and closed > end:
                closed = end - dt.timedelta(hours=rng.uniform(1, 24))
            close_date = closed if closing else end + dt.timedelta(days=rng.uniform(1, 120))
            amount = rng.randint(500, 250_000) + rng.choice([0, 0.5, 0.99])
            company = rng.choice(companies)
            writer.writerow([
                f"OPP-{n:07d}", f"{company} – {rng.choice(['renewal', 'expansion', 'new logo'])}",
                rng.choice(owners), company, f"Contact {rng.randint(0, 40_000):05d}", stage,
                f"${amount:,.2f}", "USD", f"{created:%-m/%-d/%Y %-I:%M %p}", f"{close_date:%-m/%-d/%Y}",
                rng.choice(["Price", "Timing", "Competitor"]) if "Lost" in stage else "",
                "Met at the fair.\nFollow up in spring." if n % 10 == 0 else "",
            ])


def baseline_seconds(path: Path) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        conn = sqlite3.connect(Path(folder) / "raw.db")
        conn.execute(f"CREATE TABLE raw ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
        with path.open(newline="", encoding="utf-8") as source:
            reader = csv.reader(source)
            next(reader)
            with conn:
                conn.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(HEADER))})", reader)
        conn.close()
        return time.perf_counter() - start


def pipetui(db: str, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipetui", "--db", db, *args], check=False,
                            capture_output=True, text=True, env={**os.environ, "PIPETUI_CONFIG": os.devnull})
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"import failed ({result.returncode}): {result.stderr.strip()}")
    return seconds, result.stdout.strip().splitlines()[-1]


def _fresh_pg(url: str) -> str:
    import psycopg2

    schema = f"pipetui_bench_{os.getpid()}"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
    conn.close()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-c%20search_path%3D{schema}"


def bench(rows: int, runs: int, pg: str | None) -> list[str]:
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.csv"
        write_export(export, rows)
        size = export.stat().st_size / 1e6
        base = statistics.median(baseline_seconds(export) for _ in range(runs))
        print(f"\nimport of {rows:,} rows ({size:.1f} MB); baseline (csv.reader + executemany): {base:.2f} s")
        backends = [("SQLite", lambda n: str(Path(folder) / f"run{n}.db"))]
        if pg:
            backends.append(("PostgreSQL", lambda n: _fresh_pg(pg)))
        for name, fresh in backends:
            first, again = [], []
            for n in range(runs):
                db = fresh(n)
                seconds, summary = pipetui(db, "import", str(export))
                first.append(seconds)
                seconds, again_summary = pipetui(db, "import", str(export))
                again.append(seconds)
            new, same = statistics.median(first), statistics.median(again)
            ok = new < TARGET_SECONDS * rows / 100_000
            print(f"  {name:<10} new {new:6.2f} s ({new / base:4.1f}x baseline)   "
                  f"again {same:6.2f} s ({same / base:4.1f}x)   target < {TARGET_SECONDS * rows / 100_000:.0f} s "
                  f"{'ok' if ok else 'MISSED'}")
            print(f"             {summary}\n             {again_summary}")
            if not ok:
                failures.append(f"import {rows:,} rows on {name}: {new:.1f} s")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default: %(default)s)")
    parser.add_argument("--pg", metavar="URL", help="also import into this PostgreSQL database (own schema)")
    args = parser.parse_args(argv)
    failures = bench(args.rows, args.runs, args.pg)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
