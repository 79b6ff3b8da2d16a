"""The store: default pipeline, SQLite settings, migrations, query plans."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys

import pytest

from pipetui.config import ConfigError, Settings, load_settings, resolve_location
from pipetui.core import pipeline
from pipetui.store import (
    DatabaseOpenError,
    Deal,
    LostReason,
    Pipeline,
    Stage,
    StageChange,
    open_database,
    parse_location,
)
from pipetui.store.database import migration_names, migration_runner, pending_migrations, schema_version


def test_new_database_has_one_pipeline_with_seven_stages(db):
    assert Pipeline.select().count() == 1
    stages = list(Stage.select().order_by(Stage.position))
    assert [s.name for s in stages] == [
        "Prospecting", "Contacted", "Qualified", "Meeting", "Proposal", "Negotiation", "Closing",
    ]
    chances = [s.probability for s in stages]
    assert chances == sorted(chances) and len(set(chances)) == 7
    assert chances[0] == 10 and chances[-1] == 90
    assert all(s.rotting_days for s in stages)
    assert LostReason.select().count() >= 5


def test_opening_twice_applies_nothing_the_second_time(backend_url):
    first = open_database(backend_url)
    applied = schema_version(first)
    first.close()
    second = open_database(backend_url)
    assert schema_version(second) == applied
    assert pending_migrations(second) == []
    assert Pipeline.select().count() == 1  # the seed data is not repeated
    second.close()


def test_sqlite_file_is_private_and_tuned(sqlite_db, tmp_path):
    path = tmp_path / "pipeline.db"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sqlite_db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sqlite_db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert sqlite_db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_sqlite_url_form_opens_the_same_file(tmp_path):
    path = tmp_path / "x.db"
    db = open_database(f"sqlite:///{path}")
    db.close()
    assert path.exists()
    assert parse_location(f"sqlite:///{path}").sqlite_path == path


@pytest.mark.parametrize(
    "location, words",
    [
        ("mysql://root@localhost/x", "unsupported database URL scheme"),
        ("", "empty database location"),
    ],
)
def test_bad_locations_are_refused_with_a_reason(location, words):
    with pytest.raises(DatabaseOpenError, match=words):
        open_database(location)


def test_a_directory_or_a_foreign_file_is_not_a_database(tmp_path):
    with pytest.raises(DatabaseOpenError, match="is a directory"):
        open_database(tmp_path)
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"this is not a database file, just text " * 100)
    with pytest.raises(DatabaseOpenError, match="cannot open"):
        open_database(junk)
    with pytest.raises(DatabaseOpenError, match="does not exist"):
        open_database(tmp_path / "missing" / "x.db")


def test_unreachable_postgres_gives_one_clear_line():
    with pytest.raises(DatabaseOpenError) as caught:
        open_database("postgresql://nobody@127.0.0.1:1/nowhere?connect_timeout=2")
    message = str(caught.value)
    assert message.startswith("cannot connect to postgresql://nobody@127.0.0.1:1/nowhere")
    assert "\n" not in message


def test_password_is_not_shown():
    location = parse_location("postgresql://ann:s3cret@db.example/sales")
    assert "s3cret" not in location.display()


# Every schema a release has made, but the last: each must upgrade to the
# last without losing a row.
EARLIER_SCHEMAS = migration_names()[:-1]


@pytest.mark.parametrize("schema", EARLIER_SCHEMAS)
def test_a_database_made_by_every_earlier_schema_upgrades_without_losing_a_row(backend_url, schema):
    old = open_database(backend_url, run_migrations=False)
    migration_runner(old).up(schema)
    assert pending_migrations(old) == migration_names()[migration_names().index(schema) + 1:]
    # Only the columns every schema has (0009 added stage.removed_at).
    stage = Stage.select(Stage.id, Stage.pipeline).order_by(Stage.position).first()
    now = dt.datetime(2026, 1, 5, 12, 0)
    p = old.param
    # Written in SQL, with the columns every schema has: the models are the last one's.
    old.execute_sql(
        "INSERT INTO deal (pipeline_id, stage_id, title, value, currency, status, created_at, updated_at, "
        f"stage_entered_at, last_activity_at, version) VALUES ({p}, {p}, {p}, {p}, {p}, 'open', {p}, {p}, "
        f"{p}, {p}, 1)",
        (stage.pipeline_id, stage.id, f"Made by {schema}", 123_45, "EUR", now, now, now, now))
    deal_id = Deal.get(Deal.title == f"Made by {schema}").id
    old.execute_sql("INSERT INTO stage_change (deal_id, from_stage_id, to_stage_id, from_status, "
                    f"to_status, changed_at) VALUES ({p}, NULL, {p}, NULL, 'open', {p})",
                    (deal_id, stage.id, now))
    old.execute_sql(f"INSERT INTO note (deal_id, body, created_at) VALUES ({p}, 'kept', {p})", (deal_id, now))
    old.execute_sql(f"INSERT INTO activity (deal_id, kind, subject, done, created_at) "
                    f"VALUES ({p}, 'call', 'kept', {p}, {p})", (deal_id, False, now))
    counts = {table: old.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("deal", "stage_change", "note", "activity", "stage", "pipeline", "lost_reason")}
    old.close()

    upgraded = open_database(backend_url)
    assert pending_migrations(upgraded) == []
    assert {table: upgraded.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in counts} == counts
    kept = Deal.get_by_id(deal_id)
    assert (kept.title, kept.value, kept.currency, kept.version) == (f"Made by {schema}", 12345, "EUR", 1)
    (change,) = StageChange.select().where(StageChange.deal == kept)
    assert (change.to_stage_id, change.to_status, change.changed_at) == (stage.id, "open", now)
    assert change.undone_at is None and change.before_state is None
    long_title = "T" * 500  # 0003: PostgreSQL held titles to 200 characters
    Deal.update(title=long_title).where(Deal.id == kept.id).execute()
    assert Deal.get_by_id(kept.id).title == long_title
    index_names = {index.name for index in upgraded.get_indexes("deal")}
    assert {"deal_board", "deal_stage_totals", "deal_forecast"} <= index_names
    from pipetui.core import integrity

    assert integrity.deals_with_inconsistent_history() == []
    upgraded.close()


def test_the_last_migration_goes_back_keeping_the_rows(backend_url):
    database = open_database(backend_url)
    stage = Stage.select().order_by(Stage.position).first()
    now = dt.datetime(2026, 1, 5, 12, 0)
    deal = Deal.create(pipeline=stage.pipeline, stage=stage, title="Kept", value=5_00, currency="EUR",
                       created_at=now, updated_at=now, stage_entered_at=now, last_activity_at=now)
    StageChange.create(deal=deal, to_stage=stage, to_status="open", changed_at=now)
    migration_runner(database).down()
    assert pending_migrations(database) == migration_names()[-1:]
    assert StageChange.select(StageChange.id).where(StageChange.deal == deal).count() == 1
    assert Deal.select().count() == 1
    database.close()


def test_migrate_command_line_tool_runs_on_an_old_database(tmp_path):
    path = tmp_path / "old.db"
    old = open_database(path, run_migrations=False)
    migration_runner(old).up("0001_initial")
    old.close()
    result = subprocess.run([sys.executable, "-m", "pipetui", "migrate", "--db", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "applied 0002_query_indexes" in result.stdout
    assert "applied 0003_longer_titles" in result.stdout


def _plan(db, query) -> str:
    sql, params = query.sql()
    return " | ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))


def test_board_and_metrics_queries_use_the_indexes(sqlite_db):
    stage_ids = [s.id for s in Stage.select()]
    top = _plan(sqlite_db, pipeline.top_deals_query(stage_ids[0]))
    assert "USING INDEX deal_board" in top
    assert "TEMP B-TREE" not in top  # rows come out of the index already ordered

    totals = _plan(sqlite_db, pipeline.stage_totals_query())
    assert "USING COVERING INDEX deal_stage_totals" in totals

    forecast = _plan(sqlite_db, pipeline.forecast_query(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert "USING COVERING INDEX deal_forecast" in forecast
    for plan in (top, totals, forecast):
        assert "SCAN" not in plan


# --- where the data lives ----------------------------------------------------


def test_location_order_is_flag_then_environment_then_config_then_default(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PIPETUI_DB", raising=False)
    config = Settings(db=str(tmp_path / "from-config.db"))
    default, is_default = resolve_location(None, Settings())
    assert is_default and default.sqlite_path == tmp_path / "data" / "pipetui" / "pipeline.db"
    assert resolve_location(None, config)[0].sqlite_path == tmp_path / "from-config.db"
    monkeypatch.setenv("PIPETUI_DB", str(tmp_path / "from-env.db"))
    assert resolve_location(None, config)[0].sqlite_path == tmp_path / "from-env.db"
    flag = resolve_location(str(tmp_path / "from-flag.db"), config)
    assert flag == (parse_location(str(tmp_path / "from-flag.db")), False)


def test_config_file_errors_name_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('me = "Maya"\ndb = \n')
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(path)
    path.write_text('currency = "euros"\n')
    with pytest.raises(ConfigError, match="currency"):
        load_settings(path)
    path.write_text('me = "Maya Patel"\ncurrency = "eur"\n')
    settings = load_settings(path)
    assert (settings.me, settings.currency) == ("Maya Patel", "EUR")


def test_a_database_locked_by_another_process_gives_a_clear_message(tmp_path, monkeypatch):
    import sqlite3

    from click.testing import CliRunner

    from pipetui.cli import cli
    from pipetui.core.deals import create_deal
    from pipetui.core.money import Money
    from pipetui.store import database as store_database

    path = tmp_path / "pipeline.db"
    db = open_database(path)
    create_deal("Acme", Money(100, "USD"))
    db.close()
    monkeypatch.setattr(store_database, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is in the middle of a write
    try:
        result = CliRunner().invoke(cli, ["--db", str(path), "move", "Acme", "Contacted"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "pipetui: the database is locked by another process; try again in a moment"
    )
    assert "Traceback" not in result.output
    db = open_database(path)
    assert Deal.get(Deal.title == "Acme").stage.name == "Prospecting"
    db.close()


def test_processes_opening_a_new_database_at_once_migrate_it_once(backend_url):
    code = (
        "import sys; from pipetui.store import open_database, Pipeline, Stage; "
        "open_database(sys.argv[1]); print(Pipeline.select().count(), Stage.select().count())"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code, backend_url], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [child.communicate(timeout=60) + (child.returncode,) for child in children]
    for out, err, code_ in results:
        assert code_ == 0, err
        assert out.split() == ["1", "7"]


@pytest.mark.parametrize("table, problem", [
    ("EUR = 0", "is not a positive number"),
    ("EUR = -1.1", "is not a positive number"),
    ('EUR = "lots"', "is not a positive number"),
    ("EUR = true", "is not a positive number"),
    ("EUR = nan", "is not a positive number"),
    ("euros = 1.1", "[rates]"),
])
def test_bad_exchange_rates_are_refused_with_the_reason(tmp_path, table, problem):
    path = tmp_path / "config.toml"
    path.write_text(f"[rates]\n{table}\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert problem in str(refused.value)


def test_exchange_rates_are_read_exactly(tmp_path):
    from decimal import Decimal

    path = tmp_path / "config.toml"
    path.write_text('currency = "usd"\n[rates]\neur = 1.08\nGBP = "1.27"\nJPY = 0.0067\n')
    assert load_settings(path).rates == {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"),
                                         "JPY": Decimal("0.0067")}
