"""Noticing commits made by other connections, cheaply enough to ask often.

SQLite: ``PRAGMA data_version`` on a connection of our own changes whenever
another connection (another process, or one of our worker threads) has
committed; reading it touches no table. PostgreSQL: triggers (migrations
0005 and 0006) send a NOTIFY naming the schema on every write to the
pipeline's tables, and a listening connection of our own collects them
without a query, keeping those of its own schema.
"""

from __future__ import annotations

import select
import sqlite3
from urllib.parse import quote

from peewee import Database, PostgresqlDatabase

CHANNEL = "pipetui_changes"


class ChangeWatcher:
    """``changed()`` says whether anyone committed since the last call."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._connection = None
        self._last: int | None = None
        if isinstance(db, PostgresqlDatabase):
            self._open_postgres()
        else:
            # Read-only and apart from the app's connections: the version it
            # reports moves with every commit but its own, and it has none.
            uri = f"file:{quote(str(db.database))}?mode=ro"  # a path may hold ? or #
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._last = self._sqlite_version()

    def _open_postgres(self) -> None:
        import psycopg2

        params = dict(self._db.connect_params)
        self._connection = psycopg2.connect(dbname=self._db.database, **params)
        self._connection.autocommit = True
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            self._schema = cursor.fetchone()[0]  # notifications name the schema written to
            cursor.execute(f"LISTEN {CHANNEL}")

    def _sqlite_version(self) -> int:
        return self._connection.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        """True once for each batch of commits made elsewhere since the last call."""
        if self._connection is None:
            return False
        if isinstance(self._db, PostgresqlDatabase):
            readable, _, _ = select.select([self._connection], [], [], 0)
            if readable:
                self._connection.poll()
            ours = any(n.payload == self._schema for n in self._connection.notifies)
            self._connection.notifies.clear()
            return ours
        version = self._sqlite_version()
        if version != self._last:
            self._last = version
            return True
        return False

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a change (PostgreSQL wakes at
        once; SQLite is polled). For scripts and tests."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            if self.changed():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if isinstance(self._db, PostgresqlDatabase):
                select.select([self._connection], [], [], left)
            else:
                time.sleep(min(0.05, left))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
