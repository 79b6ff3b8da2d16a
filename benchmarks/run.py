"""Benchmarks of pipetui: one command runs them all.

    python benchmarks/run.py                  # 10k, 100k and 1M deals
    python benchmarks/run.py --sizes 10000    # a quick look
    python benchmarks/run.py --sizes 100000 --only-rows   # deals --json and the editor's reads

Each query the board and the metrics need runs through pipetui (Peewee) and,
as the baseline in the same run, as the same SQL through the bare sqlite3
module; the table prints medians and their ratio. The app is timed headless
(benchmarks/app.py) against a bare Textual app showing one Static, and
against its own figures with 1,000 deals, and with two custom fields on
its cards against none. ``pipetui deals --json`` and the
deal editor's reads run against a copy of main's way before the read models
(benchmarks/rows.py), up to 100k deals (the old way takes some 20 s per 100k).
Demo databases are cached in
benchmarks/.cache (delete it to rebuild). Numbers are medians of many runs
because the machine is shared; compare ratios, not absolute times, between
machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipetui.core import clock, demo, pipeline
from pipetui.core.dates import add_months, quarter_period
from pipetui.store import OPEN, WON, Deal, open_database
from pipetui.store.bulk import fetch_rows

CACHE = Path(__file__).resolve().parent / ".cache"
# Every cached database is generated as of this moment, so that runs compare.
AS_OF = dt.datetime(2026, 11, 27, 9, 0)
# deals --json runs against main's old way (a query per deal) up to this size.
ROWS_MAX_SIZE = 100_000


@dataclass
class Case:
    name: str
    run: Callable[[], int]  # returns the number of rows
    sql: tuple[str, tuple]  # the same query for the raw baseline
    limit_ms: float | None = None  # target at 1M deals
    ratio_limit: float | None = None  # target for queries of more than 1,000 rows


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm the caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def demo_database(size: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"demo-{size}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        print(f"  generating {size:,} demo deals into {path.name} …", flush=True)
        open_database(partial)
        start = time.perf_counter()
        with clock.frozen(AS_OF):
            demo.generate(size, seed=1)
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
        from pipetui.store import database_proxy

        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database_proxy.close()
        partial.rename(path)
    return path


def fields_database(size: int) -> Path:
    """The demo database of ``size`` deals with two custom fields shown on
    cards (a choice and a money field), each set on two deals in three."""
    path = CACHE / f"demo-{size}-fields.db"
    if not path.exists():
        import shutil

        from pipetui.core import fields
        from pipetui.store import CustomValue, database_proxy

        partial = path.with_suffix(".partial")
        shutil.copy(demo_database(size), partial)
        open_database(partial)
        with database_proxy.atomic():
            source = fields.add_field("Source", "choice", choices="Web,Referral,Event", on_card=True)
            budget = fields.add_field("Budget", "money", on_card=True)
            ids = [deal_id for (deal_id,) in Deal.select(Deal.id).tuples()]
            rows = [(source.id, i, ("Web", "Referral", "Event")[i % 3]) for i in ids if i % 3] + [
                (budget.id, i, f"{(i % 90 + 10) * 1000}.00 USD") for i in ids if i % 3 != 1]
            for start in range(0, len(rows), 5000):
                CustomValue.insert_many(rows[start:start + 5000], fields=[
                    CustomValue.field, CustomValue.entity_id, CustomValue.value]).execute()
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database_proxy.close()
        partial.rename(path)
    return path


def cases() -> list[Case]:
    busiest = max(pipeline.stage_totals(), key=lambda t: t.count).stage
    today = AS_OF.date()
    year_ahead = (today.replace(day=1), add_months(today.replace(day=1), 12))
    quarter = quarter_period(today)
    last_quarter = quarter_period(add_months(quarter.start, -3))
    won_query = (
        Deal.select(Deal.id, Deal.owner, Deal.value, Deal.currency, Deal.created_at, Deal.closed_at)
        .where(Deal.status == WON, Deal.deleted_at.is_null(),
               Deal.closed_at.between(dt.datetime.combine(last_quarter.start, dt.time()),
                                      dt.datetime.combine(last_quarter.end, dt.time.max)))
    )
    stage_rows = (
        Deal.select(Deal.id, Deal.title, Deal.value, Deal.currency, Deal.owner, Deal.expected_close)
        .where(Deal.status == OPEN, Deal.stage == busiest, Deal.deleted_at.is_null())
        .order_by(Deal.value.desc(), Deal.id)
    )
    return [
        Case("stage totals", lambda: len(pipeline.stage_totals()),
             pipeline.stage_totals_query().sql(), limit_ms=100),
        Case(f"top 50 of {busiest.name}", lambda: len(pipeline.top_deals(busiest.id)),
             pipeline.top_deals_query(busiest.id).sql(), limit_ms=5),
        Case("forecast by month (12 months)", lambda: len(pipeline.forecast_by_month(*year_ahead)),
             pipeline.forecast_query(*year_ahead).sql()),
        Case(f"all open deals of {busiest.name}", lambda: len(fetch_rows(stage_rows)), stage_rows.sql(),
             ratio_limit=1.5),
        Case(f"deals won in {last_quarter.label}", lambda: len(fetch_rows(won_query)), won_query.sql(),
             ratio_limit=1.5),
    ]


def raw_runner(path: Path, sql: str, params: tuple) -> Callable[[], int]:
    connection = sqlite3.connect(path)

    def run() -> int:
        return len(connection.execute(sql, params).fetchall())

    return run


def bench_queries(size: int, repeat: int) -> list[str]:
    path = demo_database(size)
    open_database(path)
    failures = []
    print(f"\n{size:,} deals ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"  {'query':<34}{'rows':>8}{'pipetui ms':>12}{'raw ms':>10}{'ratio':>8}  target")
    for case in cases():
        case.run()
        ours = median_ms(case.run, repeat)
        raw_fn = raw_runner(path, *case.sql)
        raw_rows = raw_fn()
        raw = median_ms(raw_fn, repeat)
        ratio = ours / raw if raw else float("inf")
        verdicts = []
        if case.limit_ms is not None and size >= 1_000_000:
            ok = ours < case.limit_ms
            verdicts.append(f"< {case.limit_ms:g} ms {'ok' if ok else 'MISSED'}")
            if not ok:
                failures.append(f"{size:,} {case.name}: {ours:.2f} ms, target {case.limit_ms} ms")
        if case.ratio_limit is not None and raw_rows > 1000:
            ok = ratio <= case.ratio_limit
            verdicts.append(f"ratio <= {case.ratio_limit} {'ok' if ok else 'MISSED'}")
            if not ok:
                failures.append(f"{size:,} {case.name}: ratio {ratio:.2f}, target {case.ratio_limit}")
        print(f"  {case.name:<34}{raw_rows:>8,}{ours:>12.2f}{raw:>10.2f}{ratio:>8.2f}  {', '.join(verdicts)}")
    from pipetui.store import database_proxy

    database_proxy.close()
    return failures


def bench_metrics(sizes: list[int], repeat: int) -> list[str]:
    """The metrics screen's figures for this quarter and the team, at each
    size; the baseline is the same report on the smallest database, so the
    ratio shows how the cost grows with the deals (no target is set)."""
    from pipetui.core import metrics
    from pipetui.store import database_proxy

    period = quarter_period(AS_OF.date())
    money = metrics.Converter("USD", {})
    parts = {
        "whole report": lambda: metrics.report(period, currency="USD"),
        "  health (one period)": lambda: metrics.health(period, None, money),
        "  funnel": lambda: metrics.funnel(period, None),
        "  quotas": lambda: metrics.quotas(period, None, money),
        "  chance (10,000 draws)": lambda: metrics.simulate(period, None, money, won=0, quota=1),
    }
    results: dict[int, dict[str, float]] = {}
    with clock.frozen(AS_OF):
        for size in sizes:
            open_database(demo_database(size))
            results[size] = {name: median_ms(fn, max(3, repeat // 4)) for name, fn in parts.items()}
            database_proxy.close()
    base = sizes[0]
    print(f"\nmetrics, 2026-Q4, team: ms (ratio to {base:,} deals)")
    print(f"  {'part':<30}" + "".join(f"{size:>18,}" for size in sizes))
    for name in parts:
        cells = "".join(f"{results[size][name]:>10.1f} ({results[size][name] / results[base][name]:>4.1f}x)"
                        for size in sizes)
        print(f"  {name:<30}{cells}")
    return []


def bench_demo(size: int) -> list[str]:
    """Generating the demo: pipetui's generator against the target of 10 s for 100k."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        open_database(Path(folder) / "demo.db")
        start = time.perf_counter()
        with clock.frozen(AS_OF):
            summary = demo.generate(size, seed=1)
        seconds = time.perf_counter() - start
        from pipetui.store import database_proxy

        database_proxy.close()
    ok = seconds < 10
    print(f"\ndemo --deals {size:,}: {seconds:.1f} s ({summary.stage_changes:,} stage changes, "
          f"{summary.activities:,} activities); target < 10 s {'ok' if ok else 'MISSED'}")
    return [] if ok else [f"demo {size:,}: {seconds:.1f} s, target 10 s"]


def _scenario(name: str, db_path: Path | None) -> dict:
    """One run of benchmarks/app.py in a fresh process, on a copy of the database
    (the card moves write to it)."""
    import json
    import os
    import shutil
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        args = [sys.executable, str(Path(__file__).with_name("app.py")), name]
        if db_path is not None:
            copy = Path(folder) / "pipeline.db"
            shutil.copy(db_path, copy)
            args.append(str(copy))
        # An installed package has its bytecode compiled; a checkout run with
        # PYTHONDONTWRITEBYTECODE would compile pipetui on every start.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PIPETUI_BENCH_LAUNCHED"] = repr(time.time())
        out = subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_app(runs: int) -> list[str]:
    """The board app at 120x40, headless, frames rendered as for a truecolor terminal."""
    import compileall

    import pipetui

    compileall.compile_dir(Path(pipetui.__file__).parent, quiet=1)
    big, small = demo_database(100_000), demo_database(1_000)
    with_fields = fields_database(100_000)
    board, board_fields, board_small, bare = [], [], [], []
    for _ in range(runs):  # interleaved: a busy moment on the shared machine hits all alike
        board.append(_scenario("board", big))
        board_fields.append(_scenario("board", with_fields))
        board_small.append(_scenario("board", small))
        bare.append(_scenario("bare", None))

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    rows = [
        ("launch to first full frame, 100k", med(board, "launch_s") * 1000, "ms",
         med(bare, "launch_s") * 1000, "bare app", 1.5),
        ("  of which Python's start", med(board, "boot_s") * 1000, "ms",
         med(bare, "boot_s") * 1000, "bare app", None),
        ("  of which imports", med(board, "imports_s") * 1000, "ms",
         med(bare, "imports_s") * 1000, "bare app", None),
        ("  of which app start to full frame", med(board, "open_s") * 1000, "ms",
         med(bare, "open_s") * 1000, "bare app", None),
        ("cursor move to settled frame", med(board, "cursor_ms"), "ms", 15, "target", 1.0),
        ("card move incl. database write", med(board, "card_ms"), "ms", 60, "target", 1.0),
        ("bytes sent per cursor move", med(board, "cursor_bytes"), "B", 2048, "target", 1.0),
        ("bytes sent per card move", med(board, "card_bytes"), "B", 16384, "target", 1.0),
        ("peak memory, 100k deals", med(board, "peak_rss_mb"), "MB",
         med(board_small, "peak_rss_mb"), "1k deals", 1.5),
        ("2 fields on cards: first frame", med(board_fields, "launch_s") * 1000, "ms",
         med(board, "launch_s") * 1000, "no fields", 1.1),
        ("2 fields on cards: cursor move", med(board_fields, "cursor_ms"), "ms",
         med(board, "cursor_ms"), "no fields", 1.1),
        ("2 fields on cards: card move", med(board_fields, "card_ms"), "ms",
         med(board, "card_ms"), "no fields", 1.1),
    ]
    print(f"\napp at 120x40, medians of {runs} runs")
    print(f"  {'measure':<36}{'value':>12}{'baseline':>12}  {'ratio':>6}  target")
    failures = []
    for name, value, unit, base, base_name, limit in rows:
        ratio = value / base if base else float("inf")
        if limit is None:
            print(f"  {name:<36}{value:>10.1f} {unit:<2}{base:>10.1f} {unit:<2}{ratio:>6.2f}")
            continue
        ok = ratio <= limit if base_name != "target" else value < base
        verdict = f"{'ok' if ok else 'MISSED'}"
        target = f"<= {limit}x {base_name}" if base_name != "target" else f"< {base:g} {unit}"
        print(f"  {name:<36}{value:>10.1f} {unit:<2}{base:>10.1f} {unit:<2}{ratio:>6.2f}  {target} {verdict}")
        if not ok:
            failures.append(f"app {name}: {value:.1f} {unit} ({target})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated numbers of demo deals (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=21, help="timed runs per query (default: %(default)s)")
    parser.add_argument("--skip-demo", action="store_true", help="do not time demo generation")
    parser.add_argument("--skip-app", action="store_true", help="do not time the app")
    parser.add_argument("--skip-metrics", action="store_true", help="do not time the metrics")
    parser.add_argument("--only-app", action="store_true", help="time only the app")
    parser.add_argument("--app-runs", type=int, default=3, help="runs per app scenario (default: %(default)s)")
    parser.add_argument("--skip-import", action="store_true", help="do not time the 100k-row import")
    parser.add_argument("--skip-rows", action="store_true",
                        help="do not time deals --json and the editor's reads against main's old way")
    parser.add_argument("--only-rows", action="store_true",
                        help="time only deals --json and the editor's reads")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    print(f"pipetui benchmarks: medians of {args.repeat} runs; baseline = the same SQL through sqlite3")
    failures = []
    if args.only_app:
        args.skip_demo, sizes = True, []
    if args.only_rows:
        from rows import bench as bench_rows  # benchmarks/rows.py

        failures = bench_rows([s for s in sizes if s <= ROWS_MAX_SIZE])
        print("\nMissed targets:\n  " + "\n  ".join(failures) if failures else "\nAll targets met.")
        return 1 if failures else 0
    if not args.skip_demo:
        failures += bench_demo(100_000)
    for size in sizes:
        failures += bench_queries(size, args.repeat)
    if sizes and not args.skip_metrics:
        failures += bench_metrics(sizes, args.repeat)
    if not args.skip_rows and not args.only_app:
        from rows import bench as bench_rows  # benchmarks/rows.py

        failures += bench_rows([s for s in sizes if s <= ROWS_MAX_SIZE])
    if not args.skip_import and not args.only_app:
        from imports import bench as bench_import  # benchmarks/imports.py

        failures += bench_import(100_000, runs=3, pg=None)
    if not args.skip_app:
        failures += bench_app(args.app_runs)
    if failures:
        print("\nMissed targets:\n  " + "\n  ".join(failures))
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
