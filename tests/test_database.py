"""Opening a database: locations that are not one, a schema from a newer
release, a full disk, and passwords kept out of every message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipetui.cli import cli
from pipetui.core.deals import create_deal
from pipetui.core.errors import user_message
from pipetui.core.money import Money
from pipetui.store import DatabaseOpenError, Deal, database_proxy, open_database, parse_location
from pipetui.store.database import MIGRATION_TABLE, mask_passwords


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("PIPETUI_DB", "PIPETUI_CONFIG", "PIPETUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run(*argv: str):
    result = CliRunner().invoke(cli, list(argv))
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()
    return result


def one_line_failure(result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- locations that are not a database file ----------------------------------------


@pytest.mark.parametrize("location", [":memory:", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_and_no_file_is_made(tmp_path, location):
    line = one_line_failure(run("--db", location, "add", "Acme", "-v", "100"), 1)
    assert "in-memory database keeps nothing" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("location", ["file:new.db?mode=ro", "FILE:new.db"])
def test_sqlite_uri_filenames_are_refused_and_no_file_is_made(tmp_path, location):
    line = one_line_failure(run("--db", location, "deals"), 1)
    assert "SQLite URI filenames are not supported" in line
    assert list(tmp_path.iterdir()) == []


def test_a_device_is_not_a_database():
    line = one_line_failure(run("--db", "/dev/null", "add", "Acme", "-v", "100"), 1)
    assert line == "pipetui: /dev/null is not a regular file, so not a database"


def test_a_file_name_with_an_equals_sign_is_still_a_file(tmp_path):
    assert run("--db", "./a=b.db", "deals").exit_code == 0
    assert (tmp_path / "a=b.db").exists()


# --- a schema from a newer release -------------------------------------------------


def test_a_database_upgraded_by_a_newer_release_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "pipeline.db"
    db = open_database(path)
    db.execute_sql(f'INSERT INTO "{MIGRATION_TABLE}" (name, applied) VALUES (?, ?)',
                   ("0099_from_the_future", "2030-01-01 00:00:00"))
    db.close()
    before = path.read_bytes()
    for argv in (["add", "Acme", "-v", "100"], ["migrate"], ["deals"]):
        line = one_line_failure(run("--db", str(path), *argv), 1)
        assert "was upgraded by a newer pipetui (schema 0099_from_the_future" in line
        assert "upgrade pipetui" in line
    assert path.read_bytes() == before
    with pytest.raises(DatabaseOpenError, match="newer pipetui"):
        open_database(path)
    assert database_proxy.obj is None or database_proxy.obj.is_closed()


# --- a full disk -------------------------------------------------------------------


def test_a_full_disk_is_reported_not_the_failed_rollback(tmp_path):
    db = open_database(tmp_path / "pipeline.db")
    create_deal("Acme", Money(100, "USD"))
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
    with pytest.raises(Exception) as failed:
        for number in range(500):
            create_deal(f"Deal {number} " + "x" * 400, Money(100, "USD"))
    assert user_message(failed.value) == "database error: database or disk is full"
    kept = Deal.select().count()
    db.execute_sql("PRAGMA max_page_count = 1000000")
    create_deal("After", Money(100, "USD"))  # the connection is usable again
    assert Deal.select().count() == kept + 1
    db.close()


def test_a_full_disk_inside_a_nested_write_is_reported_too(tmp_path):
    db = open_database(tmp_path / "pipeline.db")
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(Exception) as failed:
        with db.atomic():
            with db.atomic():  # a savepoint
                for number in range(500):
                    create_deal(f"Deal {number} " + "x" * 400, Money(100, "USD"))
    assert user_message(failed.value) == "database error: database or disk is full"
    db.close()


# --- passwords ---------------------------------------------------------------------


@pytest.mark.parametrize("text, shown", [
    ("postgresql://ann:s3cret@db.example/sales", "postgresql://ann:***@db.example/sales"),
    ("postgresql://db.example/sales?password=s3cret&sslmode=require",
     "postgresql://db.example/sales?password=***&sslmode=require"),
    ("postgresql://ann@db.example/sales?sslmode=require&PASSWORD=s3cret",
     "postgresql://ann@db.example/sales?sslmode=require&PASSWORD=***"),
    ("postgres://ann@db.example/sales?sslpassword=s3cret", "postgres://ann@db.example/sales?sslpassword=***"),
    ("host=db.example password=s3cret dbname=sales", "host=db.example password=*** dbname=sales"),
    ("host=db.example password = 's3 cret' dbname=sales", "host=db.example password = *** dbname=sales"),
    ("postgresql://ann:p%40ss@db.example/sales", "postgresql://ann:***@db.example/sales"),
])
def test_passwords_are_masked_in_every_form_libpq_takes(text, shown):
    assert mask_passwords(text) == shown


@pytest.mark.parametrize("scheme", ["POSTGRESQL", "PostgreSQL", "Postgres"])
def test_url_schemes_are_case_insensitive(scheme):
    location = parse_location(f"{scheme}://ann:s3cret@db.example/sales")
    assert location.is_postgres and location.sqlite_path is None
    assert location.display() == f"{scheme.lower()}://ann:***@db.example/sales"


@pytest.mark.parametrize("url", [
    "POSTGRESQL://ann:s3cret@127.0.0.1:1/nowhere?connect_timeout=2",
    "postgresql://ann@127.0.0.1:1/nowhere?password=s3cret&connect_timeout=2",
    "host=127.0.0.1 port=1 password=s3cret dbname=nowhere",
])
def test_a_password_is_never_printed(url):
    result = run("--db", url, "deals")
    assert result.exit_code == 1
    assert "s3cret" not in result.stdout + result.stderr
    assert "***" in result.stderr
