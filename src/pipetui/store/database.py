"""Opening a database: one opener for every front door.

A filesystem path or ``sqlite:///path`` opens the embedded SQLite store;
``postgresql://user@host/db`` opens a shared PostgreSQL database. Opening
runs any pending schema migration.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import Database, PostgresqlDatabase, Proxy, SqliteDatabase

from pipetui.store.models import ALL_MODELS, database_proxy

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "schema_migration"

# Seconds a writer waits for another process's lock before giving up.
BUSY_TIMEOUT_SECONDS = 10



def sqlite_pragmas() -> dict[str, object]:
    return {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": "normal",  # in WAL mode: safe against crashes of the process
        "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
        "cache_size": -32_000,  # 32 MB page cache
    }


class DatabaseOpenError(Exception):
    """The database could not be opened; the message says why."""


@dataclass(frozen=True)
class Location:
    """Where the data lives: a SQLite file or a PostgreSQL URL."""

    url: str

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path | None:
        if self.is_postgres:
            return None
        if self.url.startswith("sqlite:"):
            # As in SQLAlchemy and Peewee: sqlite:///relative.db, sqlite:////absolute.db
            return Path(unquote(urlparse(self.url).path)[1:])
        return Path(self.url)

    def display(self) -> str:
        """The location without any password, safe to print."""
        if not self.is_postgres:
            return str(self.sqlite_path)
        parsed = urlparse(self.url)
        if parsed.password:
            netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
            return parsed._replace(netloc=netloc).geturl()
        return self.url


def parse_location(text: str) -> Location:
    text = text.strip()
    if not text:
        raise DatabaseOpenError("empty database location")
    scheme = urlparse(text).scheme
    if "://" in text and scheme not in ("sqlite", "postgres", "postgresql"):
        raise DatabaseOpenError(
            f"unsupported database URL scheme {scheme!r}: use a file path, "
            "sqlite:///path or postgresql://user@host/db"
        )
    if scheme in ("", "sqlite") or text.startswith("sqlite:"):
        path = Location(text).sqlite_path
        return Location(str(path.expanduser()))
    return Location(text)


def open_database(location: Location | str | os.PathLike, *, create_dirs: bool = False,
                  run_migrations: bool = True) -> Database:
    """Open, bind and migrate the database at ``location``.

    The returned database is also bound to the models through
    ``database_proxy``. Raises :class:`DatabaseOpenError` with a readable
    message when the database cannot be reached.
    """
    if not isinstance(location, Location):
        location = parse_location(os.fspath(location))
    if location.is_postgres:
        db = _open_postgres(location)
    else:
        db = _open_sqlite(location.sqlite_path, create_dirs=create_dirs)
    database_proxy.initialize(db)
    if run_migrations:
        migrate(db)
    return db


def _open_sqlite(path: Path, *, create_dirs: bool) -> SqliteDatabase:
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a directory, not a database file")
    parent = path.parent
    if not parent.exists():
        if not create_dirs:
            raise DatabaseOpenError(f"cannot create {path}: folder {parent} does not exist")
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if not path.exists():
        # Sales data is private: the file (and SQLite's -wal/-shm files, which
        # copy its mode) is readable by its owner only.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabaseOpenError(f"cannot create {path}: {exc.strerror}") from None
    db = SqliteDatabase(
        str(path),
        pragmas=sqlite_pragmas(),
        timeout=BUSY_TIMEOUT_SECONDS,
        # Writers take the write lock when their transaction begins, so two
        # processes never deadlock upgrading a read lock; the busy timeout
        # then queues them instead of failing.
        lock_type="IMMEDIATE",
    )
    # SQLite's lower() folds ASCII only; PostgreSQL's folds every letter.
    # Name lookups compare lower() on both sides, so they must agree.
    db.register_function(_unicode_lower, "lower", 1)
    try:
        db.connect()
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as exc:  # sqlite3 reports a non-database file here
        db.close()
        raise DatabaseOpenError(f"cannot open {path}: {exc}") from None
    return db


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _open_postgres(location: Location) -> PostgresqlDatabase:
    from playhouse.db_url import connect as connect_url  # loads the PostgreSQL driver

    try:
        db = connect_url(location.url)
        db.connect()
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseOpenError(f"cannot connect to {location.display()}: {first_line}") from None
    return db


def is_postgres(db: Database) -> bool:
    """True for PostgreSQL, whether given the database or the models' proxy."""
    if isinstance(db, Proxy):
        db = db.obj
    return isinstance(db, PostgresqlDatabase)


def migration_runner(db: Database):
    from playhouse.migrations import Runner

    return Runner(db, str(MIGRATIONS_DIR), table_name=MIGRATION_TABLE)


def _migration_files() -> list[str]:
    return sorted(path.stem for path in MIGRATIONS_DIR.glob("[0-9]*.py"))


def pending_migrations(db: Database) -> list[str]:
    """Migration files not yet applied; read without loading the migration
    machinery, which every start of the app would otherwise pay for."""
    if MIGRATION_TABLE not in db.get_tables():
        return _migration_files()
    applied = {row[0] for row in db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}"')}
    return [name for name in _migration_files() if name not in applied]


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; safe when several processes open at once."""
    if not pending_migrations(db):
        return []
    runner = migration_runner(db)
    if is_postgres(db):
        with db.atomic():
            lock_key = zlib.crc32(b"pipetui.migrate")
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
            return runner.up()
    # Table rebuilds must not cascade, and SQLite only changes this pragma
    # outside a transaction.
    db.pragma("foreign_keys", 0)
    try:
        with db.atomic():  # BEGIN IMMEDIATE: one migrating process at a time
            return runner.up()
    finally:
        db.pragma("foreign_keys", 1)


def schema_version(db: Database) -> list[str]:
    return sorted(migration_runner(db).applied())


def data_tables() -> list[str]:
    return [model._meta.table_name for model in ALL_MODELS]


def text_contains(expression, needle: str):
    """``expression`` contains ``needle`` (both already lower-cased), with no
    LIKE wildcards to escape: ``instr`` on SQLite, ``strpos`` on PostgreSQL."""
    from peewee import fn

    finder = fn.strpos if is_postgres(database_proxy) else fn.instr
    return finder(expression, needle) > 0
