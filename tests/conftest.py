"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use ``$PIPETUI_TEST_PG`` (default: the local server at
127.0.0.1:5432, database ``test``) in a schema of their own (one per test
process) that is made anew for every test and dropped at the end. Where no server answers they skip and say why;
with ``PIPETUI_REQUIRE_PG=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import quote

import pytest

from pipetui.core import clock
from pipetui.store import open_database

PG_URL = os.environ.get("PIPETUI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# One schema per test process, so that two test runs on one server do not collide.
PG_SCHEMA = f"pipetui_test_{os.getpid()}"
REQUIRE_PG = os.environ.get("PIPETUI_REQUIRE_PG") == "1"

FROZEN_NOW = dt.datetime(2026, 11, 27, 9, 30)  # a Friday


def _pg_problem() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg2

        psycopg2.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


def postgres_url(schema: str = PG_SCHEMA) -> str:
    """A URL to ``schema`` (by default this process's own), emptied now."""
    problem = _pg_problem()
    if problem:
        message = f"PostgreSQL at {PG_URL} is not reachable ({problem}); set PIPETUI_TEST_PG"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
    conn.close()
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options={quote(f'-c search_path={schema}')}"


def drop_schema(schema: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.close()


@pytest.fixture(scope="session", autouse=True)
def drop_postgres_schema_at_exit():
    yield
    if _pg_problem() is None:
        drop_schema(PG_SCHEMA)


@pytest.fixture(autouse=True)
def true_colour_terminal(monkeypatch):
    """The screens are drawn as in a true-colour terminal, whatever TERM the
    tests run under (a 16-colour one gets the ANSI theme: tests/test_contrast.py)."""
    monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request, tmp_path) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "pipeline.db")
    return postgres_url()


@pytest.fixture
def db(backend_url):
    """An opened, migrated database (default pipeline and stages) on each backend."""
    database = open_database(backend_url)
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path):
    database = open_database(tmp_path / "pipeline.db")
    yield database
    database.close()


@pytest.fixture
def frozen_clock():
    with clock.frozen(FROZEN_NOW):
        yield FROZEN_NOW
