"""pipetui report: every period and scope at the largest size, beside the raw SQL it runs.

The report is timed through the core (``metrics.report``, as ``pipetui
report`` calls it) for this quarter, last quarter, this month and a past
year's quarter, for the team, one rep and one pipeline. The baseline is the
same SQL statements the report ran, captured as it ran them and executed
again through the bare driver (sqlite3 or psycopg2) with their rows fetched:
the ratio is what pipetui adds to the database's own work. Target: under
1 s, at most 2x the raw SQL.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from benchmarks.scale import Figure, database_url, median
from benchmarks.scale.build import AS_OF

REPEAT = 5


def _capture(run) -> list[tuple[str, tuple]]:
    """The statements ``run`` sends to the database, with their parameters."""
    from pipetui.store import database_proxy

    database = database_proxy.obj
    seen: list[tuple[str, tuple]] = []
    original = database.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = recording
    try:
        run()
    finally:
        database.execute_sql = original
    return seen


def _raw_runner(url: str, statements: list[tuple[str, tuple]]):
    if url.startswith("sqlite"):
        connection = sqlite3.connect(urlsplit(url).path)
    else:
        import psycopg2

        connection = psycopg2.connect(url)

    def run() -> None:
        cursor = connection.cursor()
        for sql, params in statements:
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()
        if not url.startswith("sqlite"):
            connection.rollback()

    return run, connection


def figures(sizes: list[int], backends: list[str]) -> list[Figure]:
    from pipetui.core import clock, metrics
    from pipetui.core.dates import month_period, quarter_period, shift_period
    from pipetui.store import Pipeline, Rep, database_proxy, open_database

    size = max(sizes)
    found = []
    for backend in backends:
        url = database_url(size, backend)
        open_database(url)
        with clock.frozen(AS_OF):
            today = AS_OF.date()
            quarter = quarter_period(today)
            rep = Rep.select().order_by(Rep.id).first()
            pipeline = Pipeline.select().order_by(Pipeline.id).first()
            cases = [
                ("this quarter, team", quarter, None, None),
                ("last quarter, team", shift_period(quarter, -1), None, None),
                ("this month, team", month_period(today), None, None),
                ("a quarter 2 years ago, team", shift_period(quarter, -8), None, None),
                ("this quarter, one rep", quarter, rep, None),
                ("this quarter, one pipeline", quarter, None, pipeline),
            ]
            for label, period, who, scope in cases:
                def run(period=period, who=who, scope=scope):
                    return metrics.report(period, rep=who, currency="USD", today=today, pipeline=scope)

                run()  # warm: the first run reads the pages from disk
                statements = _capture(run)
                took = median(run, REPEAT)
                raw, connection = _raw_runner(url, statements)
                raw()
                baseline = median(raw, REPEAT)
                connection.close()
                found.append(Figure(f"report, {label} ({size:,}, {backend})", took, "ms", baseline,
                                    "raw SQL", limit=1000, ratio_limit=2.0))
        database_proxy.close()
    return found
