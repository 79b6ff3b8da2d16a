"""The cached demo databases the scale benchmarks run on."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit, urlunsplit

from benchmarks.scale import CACHE, PG_SERVER

# Every cached database is generated as of this moment, so that runs compare.
AS_OF = dt.datetime(2026, 11, 27, 9, 0)
SEED = 1


def _pg_url(size: int) -> str:
    parts = urlsplit(PG_SERVER)
    return urlunsplit(parts._replace(path=f"/pipetui_bench_{size}"))


def _create_pg_database(url: str) -> None:
    import psycopg2

    name = urlsplit(url).path.lstrip("/")
    server = psycopg2.connect(PG_SERVER)
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


def _deal_count(url: str) -> int:
    from pipetui.store import Deal, database_proxy, open_database

    open_database(url)
    try:
        return Deal.select().count()
    finally:
        database_proxy.close()


def ensure(size: int, backend: str) -> str:
    """The URL of the demo database of ``size`` deals on ``backend``, generated
    (as of :data:`AS_OF`, seed :data:`SEED`) when it is missing or partial."""
    from pipetui.core import clock, demo
    from pipetui.store import database_proxy, open_database

    if backend == "sqlite":
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"scale-{size}.db"
        url = f"sqlite:///{path}"
        if path.exists():
            return url
        partial = path.with_name(path.name + ".building")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        target = f"sqlite:///{partial}"
    else:
        url = target = _pg_url(size)
        _create_pg_database(url)
        if _deal_count(url) == size:
            return url
    print(f"  building the {size:,}-deal demo database on {backend} …", flush=True)
    open_database(target)
    start = time.perf_counter()
    with clock.frozen(AS_OF):
        demo.generate(size, seed=SEED, force=True)
    print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
    if backend == "sqlite":
        database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database_proxy.close()
    if backend == "sqlite":
        partial.rename(path)
    return url
