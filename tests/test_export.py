"""Export to CSV and JSON, formula escaping, and the online backup."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from pipetui.core import deals, people
from pipetui.core.export import escape_cell, unescape_cell
from pipetui.core.money import Money
from pipetui.store import Deal


@pytest.fixture
def some(db):
    maya = people.add_rep("Maya Patel")
    acme = people.find_or_create_organization('=HYPERLINK("http://evil")')
    won = deals.create_deal("+1 seat upgrade", Money(1_234_56, "EUR"), owner=maya, organization=acme)
    deals.win_deal(won.id)
    deals.create_deal("@channel rollout", Money(99_00, "USD"))
    deals.create_deal("Plain deal", Money(5_00, "JPY"))
    return won


def test_csv_has_every_deal_and_runs_no_formula(some, backend_url, tmp_path):
    from test_cli import ok, run

    target = tmp_path / "deals.csv"
    assert ok(run(backend_url, "export", str(target))).stdout.strip() == f"Exported 3 deals to {target}"
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    by_title = {unescape_cell(r["title"]): r for r in rows}
    assert set(by_title) == {"+1 seat upgrade", "@channel rollout", "Plain deal"}
    won = by_title["+1 seat upgrade"]
    assert won["title"] == "'+1 seat upgrade" and won["organization"].startswith("'=")
    assert (won["status"], won["value"], won["currency"], won["owner"]) == ("won", "1234.56", "EUR", "Maya Patel")
    assert by_title["Plain deal"]["value"] == "500"  # yen have no minor unit: 500 JPY stored as 500
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_json_and_status_filter(some, backend_url, tmp_path):
    from test_cli import ok, run

    target = tmp_path / "won.json"
    ok(run(backend_url, "export", str(target), "--status", "won"))
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [d["title"] for d in data] == ["+1 seat upgrade"]  # JSON needs no escaping
    assert data[0]["value"] == "1234.56" and data[0]["closed_at"]


def test_escaping_round_trips():
    for text in ["=1+1", "+x", "-5 seats", "@a", "\tx", "plain", "'quoted", "'=kept"]:
        assert unescape_cell(escape_cell(text)) == text


def test_backup_is_a_consistent_copy(some, sqlite_db, tmp_path):
    from test_cli import assert_one_line_failure, ok, run

    source = sqlite_db.database
    copy = tmp_path / "backup.db"
    ok(run(source, "backup", str(copy)))
    with sqlite3.connect(copy) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM deal").fetchone()[0] == Deal.select().count()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert "exists already" in assert_one_line_failure(run(source, "backup", str(copy)), 2)


def test_backup_on_each_backend(db, backend_url, tmp_path):
    from test_cli import assert_one_line_failure, ok, run

    target = tmp_path / "x.db"
    if backend_url.startswith("postgresql"):  # the server's own tool is the right one
        assert "pg_dump" in assert_one_line_failure(run(backend_url, "backup", str(target)), 2)
        assert not target.exists()
    else:
        ok(run(backend_url, "backup", str(target)))
        assert target.exists()


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text())
def test_any_cell_survives_escaping_and_none_starts_a_formula(text):
    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
