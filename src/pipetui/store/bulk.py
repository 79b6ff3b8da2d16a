"""Bulk writes for generated or imported data: many rows, one statement plan.

Peewee's ``insert_many`` builds one SQL string per batch in Python; for
hundreds of thousands of rows the driver's own ways are several times
faster: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Callers pass rows
as tuples in column order, dates and times as ISO strings (which both
SQLite and PostgreSQL accept).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import peewee
from peewee import Database, Model, fn

from pipetui.store.database import is_postgres


def insert_rows(db: Database, model: type[Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert ``rows`` into ``model``'s table; call inside a transaction."""
    table = model._meta.table_name
    names = ", ".join(f'"{c}"' for c in columns)
    with peewee.__exception_wrapper__:  # driver errors as Peewee's, like every other query
        cursor = db.cursor()
        if is_postgres(db):
            # COPY takes the rows as one CSV stream: several times faster than
            # INSERT statements. Strings are quoted, so an unquoted empty cell
            # is NULL and a quoted one an empty string.
            buffer = io.StringIO("".join(",".join(map(_copy_cell, row)) + "\n" for row in rows))
            cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT csv)', buffer)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def _copy_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def update_rows(db: Database, model: type[Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Set ``columns`` of the rows whose id is each tuple's last value; call
    inside a transaction."""
    table = model._meta.table_name
    with peewee.__exception_wrapper__:
        cursor = db.cursor()
        if is_postgres(db):
            from psycopg2.extras import execute_batch

            sets = ", ".join(f'"{c}" = %s' for c in columns)
            execute_batch(cursor, f'UPDATE "{table}" SET {sets} WHERE id = %s', rows, page_size=1000)
        else:
            sets = ", ".join(f'"{c}" = ?' for c in columns)
            cursor.executemany(f'UPDATE "{table}" SET {sets} WHERE id = ?', rows)


def reserve_ids(db: Database, model: type[Model], count: int) -> list[int]:
    """``count`` ids no other writer will use, for rows inserted with explicit
    ids; call inside the transaction that inserts them. On SQLite the
    transaction's write lock keeps others out; PostgreSQL's sequence hands
    them out, so no sync is needed after."""
    if count <= 0:
        return []
    if is_postgres(db):
        table = model._meta.table_name
        rows = db.execute_sql(
            f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) FROM generate_series(1, %s)",
            (count,),
        ).fetchall()
        return [row[0] for row in rows]
    first = next_id(model)
    return list(range(first, first + count))


def next_id(model: type[Model]) -> int:
    """The id after the largest one in use, for rows that carry explicit ids."""
    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


def sync_id_sequence(db: Database, model: type[Model]) -> None:
    """After explicit ids, move PostgreSQL's sequence past them (SQLite needs nothing)."""
    if is_postgres(db):
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


@contextmanager
def indexes_deferred(db: Database, models: Sequence[type[Model]]) -> Iterator[None]:
    """Drop the secondary indexes of ``models`` for the block and rebuild them after.

    Building an index once over sorted data is several times cheaper than
    updating it row by row. Use inside the transaction that writes the rows,
    so that a failure restores the indexes with everything else.
    """
    tables = [model._meta.table_name for model in models]
    if is_postgres(db):
        rows = db.execute_sql(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (tables,),
        ).fetchall()
    else:
        marks = ", ".join("?" for _ in tables)
        rows = db.execute_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
    unique = [(name, sql) for name, sql in rows if "UNIQUE" in sql.upper()]
    deferred = [(name, sql) for name, sql in rows if (name, sql) not in unique]
    for name, _sql in deferred:
        db.execute_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in deferred:
        db.execute_sql(sql)


def fetch_rows(query) -> list[tuple]:
    """All rows of a Peewee query as the driver returns them.

    Peewee converts every value of every row in Python, which costs several
    times the query itself on large results (exports, metric inputs); this
    keeps Peewee for building the SQL and lets the driver fetch. Dates and
    times come back as ISO text on SQLite and as date objects on PostgreSQL.
    """
    return query.model._meta.database.execute(query).fetchall()
