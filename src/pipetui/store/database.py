"""Opening a database: one opener for every front door.

A filesystem path or ``sqlite:///path`` opens the embedded SQLite store;
``postgresql://user@host/db`` opens a shared PostgreSQL database. Opening
runs any pending schema migration.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse, urlsplit

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
        return self.url.lower().startswith(POSTGRES_SCHEMES)

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
            return mask_passwords(str(self.sqlite_path))
        return mask_passwords(self.url)


POSTGRES_SCHEMES = ("postgres://", "postgresql://")
# libpq takes a password in the URL's userinfo, in its query string
# (?password=…) and in key=value connection strings; sslpassword unlocks a
# client key, as secret.
_PASSWORD_SETTING = re.compile(
    r"""(?i)(?<![\w])((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&#]*)""")
_CONNINFO = re.compile(r"^\s*(?:[a-z_]+\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S+)\s*)+$", re.IGNORECASE)
_CONNINFO_KEYWORDS = {"host", "hostaddr", "port", "dbname", "user", "password", "passfile",
                      "sslmode", "connect_timeout", "service", "options", "application_name",
                      "target_session_attrs", "sslpassword"}


def mask_passwords(text: str) -> str:
    """``text`` (a URL, a key=value connection string, a message quoting
    one) with every password replaced by ``***``."""
    masked = _PASSWORD_SETTING.sub(r"\1***", text)
    parts = urlsplit(masked) if "://" in masked else None
    if parts is not None and "@" in parts.netloc:
        userinfo, _, host = parts.netloc.rpartition("@")
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            masked = parts._replace(netloc=f"{user}:***@{host}").geturl()
    return masked


def _is_conninfo(text: str) -> bool:
    if not _CONNINFO.match(text):
        return False
    keys = {part.split("=", 1)[0].strip().lower() for part in re.findall(r"[a-z_]+\s*=", text, re.I)}
    return bool(keys) and keys <= _CONNINFO_KEYWORDS


def parse_location(text: str) -> Location:
    text = text.strip()
    if not text:
        raise DatabaseOpenError("empty database location")
    _refuse_special_sqlite_name(text)
    scheme = urlparse(text).scheme  # lower-cased, as URL schemes are case-insensitive
    if "://" in text:
        if scheme not in ("sqlite", "postgres", "postgresql"):
            raise DatabaseOpenError(
                f"unsupported database URL scheme {scheme!r}: use a file path, "
                "sqlite:///path or postgresql://user@host/db"
            )
        text = scheme + text[len(scheme):]
    elif _is_conninfo(text):
        raise DatabaseOpenError(
            f"key=value connection strings are not supported ({mask_passwords(text)}): "
            "use postgresql://user@host/dbname"
        )
    if scheme in ("", "sqlite") or text.lower().startswith("sqlite:"):
        path = Location(text).sqlite_path
        _refuse_special_sqlite_name(str(path))
        return Location(str(path.expanduser()))
    return Location(text)


def _refuse_special_sqlite_name(name: str) -> None:
    """SQLite gives ``:memory:`` and ``file:`` names a meaning of their own,
    which pipetui does not pass on: refused rather than taken for a file."""
    if name in ("", ":memory:"):
        raise DatabaseOpenError(
            f"{name or 'an empty path'}: an in-memory database keeps nothing once the command "
            "ends; give a file path")
    if name.lower().startswith("file:"):
        raise DatabaseOpenError(
            f"{mask_passwords(name)}: SQLite URI filenames are not supported; give a file path "
            f"(./{mask_passwords(name)} for a file of that name)")


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
    try:
        refuse_newer_schema(db, location.display())
    except DatabaseOpenError:
        db.close()
        raise
    database_proxy.initialize(db)
    if run_migrations:
        migrate(db)
    return db


def _open_sqlite(path: Path, *, create_dirs: bool) -> SqliteDatabase:
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a directory, not a database file")
    if path.exists() and not path.is_file():
        raise DatabaseOpenError(f"{path} is not a regular file, so not a database")
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
    db = _SqliteStore(
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


class _SqliteStore(SqliteDatabase):
    """SQLite that reports why a write failed, not why its undo did.

    On a full disk or an I/O error SQLite rolls the whole transaction back
    itself; the ROLLBACK (or ROLLBACK TO SAVEPOINT) peewee then sends fails
    with "no transaction is active" or "no such savepoint", and would replace
    the error that says what went wrong.
    """

    def _nothing_to_roll_back(self) -> bool:
        conn = self._state.conn
        return conn is not None and not conn.in_transaction

    def rollback(self):
        if not self._nothing_to_roll_back():
            super().rollback()

    def execute_sql(self, sql, params=None):
        # Savepoints are rolled back by SQL text, also those begun through
        # the models' proxy, which makes its own savepoint objects.
        if sql.startswith("ROLLBACK TO SAVEPOINT") and self._nothing_to_roll_back():
            return None
        return super().execute_sql(sql, params)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _open_postgres(location: Location) -> PostgresqlDatabase:
    from playhouse.db_url import connect as connect_url  # loads the PostgreSQL driver

    try:
        db = connect_url(location.url)
        db.connect()
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first_line = mask_passwords(first_line)
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


def migration_names() -> list[str]:
    return sorted(path.stem for path in MIGRATIONS_DIR.glob("[0-9]*.py"))


def _applied_migrations(db: Database) -> set[str]:
    if MIGRATION_TABLE not in db.get_tables():
        return set()
    return {row[0] for row in db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}"')}


def pending_migrations(db: Database) -> list[str]:
    """Migration files not yet applied; read without loading the migration
    machinery, which every start of the app would otherwise pay for."""
    applied = _applied_migrations(db)
    return [name for name in migration_names() if name not in applied]


def unknown_migrations(db: Database) -> list[str]:
    """Migrations applied to ``db`` that this pipetui does not have: a newer
    release upgraded it."""
    return sorted(_applied_migrations(db) - set(migration_names()))


def refuse_newer_schema(db: Database, where: str) -> None:
    """A schema this release does not know may hold columns and rules it
    would break by writing: refused, naming the newer release's migration."""
    unknown = unknown_migrations(db)
    if unknown:
        from pipetui import __version__

        raise DatabaseOpenError(
            f"{where} was upgraded by a newer pipetui (schema {unknown[-1]}; this is pipetui "
            f"{__version__}, which knows up to {migration_names()[-1]}): upgrade pipetui to use it"
        )


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; safe when several processes open at once."""
    refuse_newer_schema(db, "the database")
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
