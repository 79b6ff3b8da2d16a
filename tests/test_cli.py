"""The command line, driven through click's CliRunner (and once as a real process).

Every command is checked against the database afterwards through the models;
every bad input must give exit status 2, exactly one line on stderr, no
traceback and a database identical (all tables, all rows) to the one before.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipetui import __version__
from pipetui.cli import cli
from pipetui.store import (
    ALL_MODELS,
    LOST,
    OPEN,
    WON,
    Contact,
    Deal,
    Organization,
    Quota,
    Rep,
    Stage,
    StageChange,
    database_proxy,
    open_database,
)
from pipetui.store.database import MIGRATION_TABLE, migration_names

JSON_FIELDS = {
    "id", "title", "stage", "status", "value", "currency", "probability", "win_probability",
    "owner", "organization", "contact", "expected_close", "lost_reason", "created_at",
    "updated_at", "closed_at", "stage_entered_at", "last_activity_at", "version", "external_id",
}


# --- helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Nothing reads or writes the real home; no database comes from the environment."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("PIPETUI_DB", "PIPETUI_CONFIG", "PIPETUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    # The login name decides the acting rep when --as is not given: make it known.
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "nobody-in-particular")
    yield
    _close_cli_database()


def _close_cli_database() -> None:
    """The CLI leaves its database open (the process would end); close it here."""
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()


def run(url: str | None, *args: str, db_last: bool = False):
    """Invoke the CLI with ``--db url`` before (or after) the command."""
    if url is None:
        argv = list(args)
    elif db_last:
        argv = [*args, "--db", url]
    else:
        argv = ["--db", url, *args]
    result = CliRunner().invoke(cli, argv)
    _close_cli_database()
    return result


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result


def assert_one_line_failure(result, code: int) -> str:
    """Exit ``code``, one line on stderr, nothing on stdout, no traceback anywhere."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {result.stderr!r}"
    assert lines[0].strip()
    assert result.stdout == ""
    return lines[0]


@contextmanager
def opened(url: str):
    db = open_database(url)
    try:
        yield db
    finally:
        db.close()


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with opened(url) as db:
        tables = [model._meta.table_name for model in ALL_MODELS] + [MIGRATION_TABLE]
        return {
            table: [tuple(row) for row in db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()]
            for table in tables
        }


def deals_json(url: str, *options: str) -> list[dict]:
    result = ok(run(url, "deals", "--json", *options))
    return json.loads(result.stdout)


def by_title(rows: list[dict]) -> dict[str, dict]:
    return {row["title"]: row for row in rows}


def fresh_database(backend_url: str, tmp_path: Path, name: str) -> str:
    """Another empty database on the same backend (PostgreSQL: the schema made anew)."""
    if backend_url.startswith("postgresql://"):
        from conftest import postgres_url

        return postgres_url()
    return str(tmp_path / name)


@pytest.fixture
def populated(backend_url):
    """A database with one rep and four deals: two open 'Acme …', one won, one lost."""
    url = backend_url
    ok(run(url, "rep", "add", "Maya Patel", "--login", "maya"))
    ok(run(url, "add", "Acme one", "--value", "1000"))
    ok(run(url, "add", "Acme two", "--value", "2000", "--stage", "Qualified"))
    ok(run(url, "add", "Globex renewal", "--value", "3000", "--owner", "Maya Patel"))
    ok(run(url, "win", "Globex"))
    ok(run(url, "add", "Hooli pilot", "--value", "4000"))
    ok(run(url, "lose", "Hooli", "--reason", "No budget"))
    return url


# --- version, migrate, rep ---------------------------------------------------


def test_version_prints_the_package_version():
    result = ok(run(None, "--version"))
    assert result.stdout.strip() == f"pipetui, version {__version__}"


def test_migrate_applies_every_migration_once(backend_url):
    first = ok(run(backend_url, "migrate"))
    assert "applied 0001_initial" in first.stdout
    assert "applied 0002_query_indexes" in first.stdout
    assert "applied 0003_longer_titles" in first.stdout
    assert "applied 0004_stage_change_period" in first.stdout
    assert "applied 0005_change_notifications" in first.stdout
    assert "applied 0006_notify_schema" in first.stdout
    assert "applied 0007_undone_changes" in first.stdout
    assert all(f"applied {name}" in first.stdout for name in migration_names())
    assert first.stdout.strip().endswith(f"schema up to date ({migration_names()[-1]})")
    second = ok(run(backend_url, "migrate", db_last=True))
    assert "applied" not in second.stdout
    assert f"schema up to date ({migration_names()[-1]})" in second.stdout
    with opened(backend_url) as db:
        names = [row[0] for row in db.execute_sql(f'SELECT name FROM "{MIGRATION_TABLE}" ORDER BY id')]
        assert names == migration_names()  # each once, in order
        assert [s.name for s in Stage.select().order_by(Stage.position)][:2] == ["Prospecting", "Contacted"]


def test_rep_add_stores_the_rep(backend_url):
    result = ok(run(backend_url, "rep", "add", "Maya Patel", "--email", "maya@example.com",
                    "--login", "maya"))
    assert result.stdout.strip() == "Added rep Maya Patel"
    ok(run(backend_url, "rep", "add", "Jonas Weber", db_last=True))
    with opened(backend_url):
        maya = Rep.get(Rep.name == "Maya Patel")
        assert (maya.email, maya.username, maya.active) == ("maya@example.com", "maya", True)
        assert Rep.get(Rep.name == "Jonas Weber").email is None
        assert Rep.select().count() == 2


# --- add and deals --json ----------------------------------------------------


def test_add_stores_every_field_and_json_reports_minor_units(backend_url):
    url = backend_url
    ok(run(url, "rep", "add", "Maya Patel"))
    result = ok(run(url, "add", "Initech rollout", "--value", "12.5k", "--stage", "PROP",
                    "--owner", "maya", "--org", "Initech", "--contact", "Bill Lumbergh",
                    "--close", "2026-12-01"))
    assert re.fullmatch(r"Added #\d+ Initech rollout in Proposal\n", result.stdout)
    ok(run(url, "add", "Euro deal", "--value", "EUR 900"))
    ok(run(url, "add", "Lower-case code", "--value", "900", "--currency", "eur"))
    ok(run(url, "add", "Yen deal", "--value", "900", "--currency", "JPY"))
    ok(run(url, "add", "Cents", "--value", "$3,000.50"))

    with opened(url):
        deal = Deal.get(Deal.title == "Initech rollout")
        assert (deal.value, deal.currency, deal.status) == (1_250_000, "USD", OPEN)
        assert deal.stage.name == "Proposal"
        assert deal.owner.name == "Maya Patel"
        assert deal.organization.name == "Initech"
        assert deal.contact.name == "Bill Lumbergh"
        assert deal.contact.organization_id == deal.organization_id
        assert deal.expected_close == dt.date(2026, 12, 1)
        assert deal.version == 1
        [created] = StageChange.select().where(StageChange.deal == deal)
        assert (created.from_stage_id, created.to_stage_id) == (None, deal.stage_id)
        assert (created.from_status, created.to_status) == (None, OPEN)
        assert Organization.select().count() == 1 and Contact.select().count() == 1
        assert (Deal.get(Deal.title == "Euro deal").value, Deal.get(Deal.title == "Euro deal").currency) \
            == (90_000, "EUR")

    rows = by_title(deals_json(url))
    assert set(rows) == {"Initech rollout", "Euro deal", "Lower-case code", "Yen deal", "Cents"}
    for row in rows.values():
        assert set(row) == JSON_FIELDS | {"pipeline", "fields"}
    initech = rows["Initech rollout"]
    assert (initech["pipeline"], initech["fields"]) == ("Sales", {})
    assert (initech["value"], initech["currency"]) == (1_250_000, "USD")
    assert isinstance(initech["value"], int)
    assert initech["stage"] == "Proposal" and initech["status"] == "open"
    assert (initech["owner"], initech["organization"], initech["contact"]) == \
        ("Maya Patel", "Initech", "Bill Lumbergh")
    assert initech["expected_close"] == "2026-12-01"
    assert initech["probability"] is None and initech["win_probability"] == 60
    assert initech["lost_reason"] is None and initech["closed_at"] is None
    assert initech["version"] == 1
    assert (rows["Euro deal"]["value"], rows["Euro deal"]["currency"]) == (90_000, "EUR")
    assert (rows["Lower-case code"]["value"], rows["Lower-case code"]["currency"]) == (90_000, "EUR")
    assert (rows["Yen deal"]["value"], rows["Yen deal"]["currency"]) == (900, "JPY")
    assert (rows["Cents"]["value"], rows["Cents"]["currency"]) == (300_050, "USD")
    assert rows["Euro deal"]["owner"] is None and rows["Euro deal"]["stage"] == "Prospecting"


def test_db_option_works_after_the_command(backend_url):
    ok(run(backend_url, "add", "After the name", "--value", "12.5k", db_last=True))
    rows = json.loads(ok(run(backend_url, "deals", "--json", db_last=True)).stdout)
    assert [(r["title"], r["value"], r["currency"]) for r in rows] == [("After the name", 1_250_000, "USD")]


def test_markup_in_a_title_is_stored_and_printed_literally(backend_url):
    title = "[bold]x[/"
    added = ok(run(backend_url, "add", title, "--value", "1"))
    assert f" {title} in Prospecting" in added.stdout
    listed = ok(run(backend_url, "deals"))
    assert listed.stdout.rstrip("\n").endswith(title)
    assert [r["title"] for r in deals_json(backend_url)] == [title]
    with opened(backend_url):
        assert Deal.get().title == title


# --- move, win, lose, reopen, delete -----------------------------------------


def test_move_changes_the_stage_and_records_it(populated):
    url = populated
    with opened(url):
        before = Deal.get(Deal.title == "Acme one")
        changes_before = StageChange.select().where(StageChange.deal == before).count()
    result = ok(run(url, "move", "Acme one", "neGOT"))
    assert result.stdout.strip() == f"Moved #{before.id} Acme one to Negotiation"
    with opened(url):
        after = Deal.get_by_id(before.id)
        assert after.stage.name == "Negotiation"
        assert after.version == before.version + 1
        assert after.status == OPEN
        changes = list(StageChange.select().where(StageChange.deal == after).order_by(StageChange.id))
        assert len(changes) == changes_before + 1
        last = changes[-1]
        assert (last.from_stage_id, last.to_stage_id) == (before.stage_id, after.stage_id)
        assert (last.from_status, last.to_status) == (OPEN, OPEN)
        assert last.changed_by_id is None  # no --as, and the login name is no rep
        assert after.stage_entered_at >= before.stage_entered_at


def test_move_by_id_and_with_db_after_the_command(populated):
    with opened(populated):
        deal_id = Deal.get(Deal.title == "Acme two").id
    ok(run(populated, "move", f"#{deal_id}", "meeting", db_last=True))
    ok(run(populated, "move", str(deal_id), "Prop", db_last=True))
    with opened(populated):
        assert Deal.get_by_id(deal_id).stage.name == "Proposal"
        assert StageChange.select().where(StageChange.deal == deal_id).count() == 3


@pytest.mark.parametrize("where", ["before", "after"])
def test_as_rep_is_recorded_as_changed_by(populated, where):
    url = populated
    args = ["move", "Acme one", "qual"]
    argv = ["--as", "maya patel", *args] if where == "before" else [*args, "--as", "Maya"]
    ok(run(url, *argv))
    ok(run(url, "add", "Owned by the actor", "--value", "5", "--as", "Maya Patel"))
    with opened(url):
        maya = Rep.get(Rep.name == "Maya Patel")
        deal = Deal.get(Deal.title == "Acme one")
        last = StageChange.select().where(StageChange.deal == deal).order_by(StageChange.id.desc()).first()
        assert last.to_stage.name == "Qualified"
        assert last.changed_by_id == maya.id
        added = Deal.get(Deal.title == "Owned by the actor")
        assert added.owner_id == maya.id  # --owner defaults to the acting rep
        assert StageChange.get(StageChange.deal == added).changed_by_id == maya.id


def test_login_name_of_a_rep_is_the_actor_without_as(populated, monkeypatch):
    monkeypatch.setenv("LOGNAME", "maya")
    monkeypatch.setenv("USER", "maya")
    ok(run(populated, "win", "Acme one"))
    with opened(populated):
        maya = Rep.get(Rep.name == "Maya Patel")
        deal = Deal.get(Deal.title == "Acme one")
        last = StageChange.select().where(StageChange.deal == deal).order_by(StageChange.id.desc()).first()
        assert last.changed_by_id == maya.id


def test_win_marks_the_deal_won(populated):
    url = populated
    with opened(url):
        before = Deal.get(Deal.title == "Acme two")
    result = ok(run(url, "win", "Acme t"))
    assert result.stdout.strip() == f"Won #{before.id} Acme two"
    with opened(url):
        after = Deal.get_by_id(before.id)
        assert after.status == WON and after.closed_at is not None
        assert after.stage_id == before.stage_id
        last = StageChange.select().where(StageChange.deal == after).order_by(StageChange.id.desc()).first()
        assert (last.from_status, last.to_status) == (OPEN, WON)
        assert last.from_stage_id == last.to_stage_id == before.stage_id
    won = by_title(deals_json(url, "--status", "won"))
    assert set(won) == {"Acme two", "Globex renewal"}
    assert won["Acme two"]["win_probability"] == 100 and won["Acme two"]["closed_at"]


def test_lose_with_a_listed_reason_prefix_and_with_free_text(populated):
    url = populated
    result = ok(run(url, "lose", "Acme one", "--reason", "price"))
    assert "(Price too high)" in result.stdout
    ok(run(url, "lose", "Acme two", "-r", "They went dark", db_last=True))
    with opened(url):
        one = Deal.get(Deal.title == "Acme one")
        two = Deal.get(Deal.title == "Acme two")
        assert (one.status, one.lost_reason) == (LOST, "Price too high")
        assert (two.status, two.lost_reason) == (LOST, "They went dark")
        assert one.closed_at is not None
        last = StageChange.select().where(StageChange.deal == one).order_by(StageChange.id.desc()).first()
        assert (last.from_status, last.to_status) == (OPEN, LOST)
    lost = by_title(deals_json(url, "--status", "lost"))
    assert set(lost) == {"Acme one", "Acme two", "Hooli pilot"}
    assert lost["Acme one"]["lost_reason"] == "Price too high"
    assert lost["Acme one"]["win_probability"] == 0


def test_reopen_a_lost_and_a_won_deal(populated):
    url = populated
    ok(run(url, "reopen", "Hooli"))
    result = ok(run(url, "reopen", "Globex", "--stage", "closing"))
    assert result.stdout.strip().endswith("Globex renewal in Closing")
    with opened(url):
        hooli = Deal.get(Deal.title == "Hooli pilot")
        assert (hooli.status, hooli.lost_reason, hooli.closed_at) == (OPEN, None, None)
        assert hooli.stage.name == "Prospecting"
        last = StageChange.select().where(StageChange.deal == hooli).order_by(StageChange.id.desc()).first()
        assert (last.from_status, last.to_status) == (LOST, OPEN)
        globex = Deal.get(Deal.title == "Globex renewal")
        assert (globex.status, globex.stage.name) == (OPEN, "Closing")
        last = StageChange.select().where(StageChange.deal == globex).order_by(StageChange.id.desc()).first()
        assert (last.from_status, last.to_status, last.to_stage.name) == (WON, OPEN, "Closing")


def test_delete_hides_the_deal_from_lists(populated):
    ok(run(populated, "delete", "Acme one"))
    assert "Acme one" not in by_title(deals_json(populated, "--status", "all"))
    with opened(populated):
        assert Deal.get(Deal.title == "Acme one").deleted_at is not None


# --- deals -------------------------------------------------------------------


def test_deals_filters_by_status_stage_and_owner(populated):
    url = populated
    assert set(by_title(deals_json(url))) == {"Acme one", "Acme two"}  # open is the default
    assert set(by_title(deals_json(url, "--status", "open"))) == {"Acme one", "Acme two"}
    assert set(by_title(deals_json(url, "--status", "all"))) == \
        {"Acme one", "Acme two", "Globex renewal", "Hooli pilot"}
    assert set(by_title(deals_json(url, "--status", "lost"))) == {"Hooli pilot"}
    assert set(by_title(deals_json(url, "--stage", "QUAL"))) == {"Acme two"}
    assert set(by_title(deals_json(url, "--status", "all", "--owner", "maya"))) == {"Globex renewal"}
    assert deals_json(url, "--owner", "Maya Patel") == []

    text = ok(run(url, "deals", "--status", "all")).stdout.splitlines()
    assert len(text) == 4
    assert any("Acme two" in line and "Qualified" in line and "2,000 USD" in line for line in text)
    assert ok(run(url, "deals", "--stage", "closing")).stdout == "No deals.\n"


def test_deals_on_an_empty_database(backend_url):
    assert ok(run(backend_url, "deals")).stdout == "No deals.\n"
    assert deals_json(backend_url, "--status", "all") == []


# --- quotas ------------------------------------------------------------------


def test_quota_set_for_a_rep_and_for_the_team(populated):
    url = populated
    result = ok(run(url, "quota", "set", "Maya", "50k", "--period", "2026-11"))
    assert result.stdout.strip() == "Quota of Maya Patel for 2026-11: 50,000 USD"
    ok(run(url, "quota", "set", "--team", "EUR 150k", "--period", "2026-q4", db_last=True))
    ok(run(url, "quota", "set", "Maya Patel", "60k", "--period", "2026-11"))  # replaces
    with opened(url):
        maya = Rep.get(Rep.name == "Maya Patel")
        rows = list(Quota.select().order_by(Quota.id))
        assert len(rows) == 2
        mine = Quota.get(Quota.rep == maya)
        assert (mine.period_kind, mine.period_start, mine.amount, mine.currency) == \
            ("month", dt.date(2026, 11, 1), 6_000_000, "USD")
        team = Quota.get(Quota.rep.is_null())
        assert (team.period_kind, team.period_start, team.amount, team.currency) == \
            ("quarter", dt.date(2026, 10, 1), 15_000_000, "EUR")
    listed = ok(run(url, "quota", "list")).stdout.splitlines()
    assert [line.split() for line in listed] == [
        ["2026-Q4", "Team", "150,000", "EUR"],  # by the start of the period
        ["2026-11", "Maya", "Patel", "60,000", "USD"],
    ]


# --- demo --------------------------------------------------------------------


def _summary_counts(stdout: str) -> tuple[int, int, int, int, int]:
    match = re.match(r"Created ([\d,]+) deals \(([\d,]+) open, ([\d,]+) won, ([\d,]+) lost\) "
                     r"for (\d+) reps in ", stdout)
    assert match, stdout
    return tuple(int(group.replace(",", "")) for group in match.groups())


def test_demo_with_the_same_seed_gives_the_same_pipeline(backend_url, tmp_path, frozen_clock):
    first = backend_url
    result = ok(run(first, "demo", "--deals", "50", "--seed", "3"))
    deals, n_open, n_won, n_lost, n_reps = _summary_counts(result.stdout)
    assert deals == 50 and n_open + n_won + n_lost == 50
    first_json = ok(run(first, "deals", "--status", "all", "--json")).stdout
    rows = json.loads(first_json)
    assert len(rows) == 50
    statuses = [r["status"] for r in rows]
    assert (statuses.count("open"), statuses.count("won"), statuses.count("lost")) == (n_open, n_won, n_lost)
    assert all(isinstance(r["value"], int) and r["value"] > 0 for r in rows)
    with opened(first):
        assert Deal.select().count() == 50
        assert Rep.select().count() == n_reps
        assert StageChange.select(StageChange.deal).distinct().count() == 50
        assert Quota.select().count() > 0

    second = fresh_database(backend_url, tmp_path, "second.db")
    ok(run(second, "demo", "--seed", "3", "--deals", "50", db_last=True))
    second_json = ok(run(second, "deals", "--status", "all", "--json")).stdout
    assert second_json == first_json


def test_demo_refuses_a_database_with_deals_unless_forced(backend_url):
    url = backend_url
    ok(run(url, "demo", "--deals", "50", "--seed", "3"))
    before = dump(url)
    message = assert_one_line_failure(run(url, "demo", "--deals", "50", "--seed", "3"), 2)
    assert "--force" in message
    assert dump(url) == before

    result = ok(run(url, "demo", "--deals", "20", "--seed", "4", "--force"))
    deals, *_, n_reps = _summary_counts(result.stdout)
    assert deals == 20
    with opened(url):
        assert Deal.select().count() == 20
        assert Rep.select().count() == n_reps
        live_ids = {d.id for d in Deal.select(Deal.id)}
        assert {c.deal_id for c in StageChange.select(StageChange.deal)} == live_ids
    after = dump(url)
    assert after["deal"] != before["deal"]
    assert len(after["rep"]) == n_reps
    assert len(deals_json(url, "--status", "all")) == 20


def test_demo_accepts_a_database_that_has_reps_but_no_deals(backend_url):
    """The spec refuses only a database that already has deals."""
    ok(run(backend_url, "rep", "add", "Maya Patel"))  # a name the default seed also picks
    result = run(backend_url, "demo", "--deals", "20")
    assert result.exit_code == 0, result.stderr
    with opened(backend_url):
        assert Deal.select().count() == 20


# --- bad input: exit 2, one line, nothing written ----------------------------

BAD_INPUTS = [
    ("negative amount", ["add", "New deal", "--value", "-5"]),
    ("negative amount, = form", ["add", "New deal", "--value=-5"]),
    ("letters for an amount", ["add", "New deal", "--value", "abc"]),
    ("nan amount", ["add", "New deal", "--value", "nan"]),
    ("huge exponent amount", ["add", "New deal", "--value", "1e400"]),
    ("too many decimals", ["add", "New deal", "--value", "12.345"]),
    ("two currencies", ["add", "New deal", "--value", "EUR 900", "--currency", "USD"]),
    ("no such date", ["add", "New deal", "--value", "1", "--close", "2026-02-30"]),
    ("not a date", ["add", "New deal", "--value", "1", "--close", "someday"]),
    ("unknown stage on add", ["add", "New deal", "--value", "1", "--stage", "Nowhere"]),
    ("ambiguous stage on add", ["add", "New deal", "--value", "1", "--stage", "pro"]),
    ("unknown owner on add", ["add", "New deal", "--value", "1", "--owner", "Nobody"]),
    ("new org with a bad value", ["add", "New deal", "--value", "abc", "--org", "NewCo",
                                  "--contact", "New Person"]),
    ("escape sequence in title", ["add", "\x1b[31mred", "--value", "1"]),
    ("empty title", ["add", "   ", "--value", "1"]),
    ("unknown stage on move", ["move", "Acme one", "Nowhere"]),
    ("ambiguous stage on move", ["move", "Acme one", "c"]),
    ("already in that stage", ["move", "Acme one", "prospecting"]),
    ("moving a won deal", ["move", "Globex", "Closing"]),
    ("moving a lost deal", ["move", "Hooli", "Closing"]),
    ("ambiguous deal", ["win", "acme"]),
    ("unknown deal", ["win", "Nothing like it"]),
    ("unknown deal id", ["win", "#999"]),
    ("unknown deal number", ["lose", "999", "--reason", "No budget"]),
    ("winning a won deal", ["win", "Globex"]),
    ("reopening an open deal", ["reopen", "Acme one"]),
    ("empty lost reason", ["lose", "Acme one", "--reason", ""]),
    ("blank lost reason", ["lose", "Acme one", "--reason", "   "]),
    ("lose without --reason", ["lose", "Acme one"]),
    ("unknown --as rep", ["--as", "Nobody", "move", "Acme one", "Qualified"]),
    ("unknown --as rep after the command", ["win", "Acme one", "--as", "Nobody"]),
    ("unknown owner filter", ["deals", "--owner", "Nobody"]),
    ("unknown stage filter", ["deals", "--stage", "Nowhere"]),
    ("bogus status", ["deals", "--status", "bogus"]),
    ("quota period Q5", ["quota", "set", "Maya Patel", "5000", "--period", "2026-Q5"]),
    ("quota month 13", ["quota", "set", "Maya Patel", "5000", "--period", "2026-13"]),
    ("quota without REP", ["quota", "set", "5000", "--period", "2026-Q4"]),
    ("quota of an unknown rep", ["quota", "set", "Nobody", "5000", "--period", "2026-Q4"]),
    ("quota amount abc", ["quota", "set", "Maya Patel", "abc", "--period", "2026-11"]),
    ("quota amount zero", ["quota", "set", "--team", "0", "--period", "2026-11"]),
    ("quota amount negative", ["quota", "set", "Maya Patel", "-5", "--period", "2026-11"]),
    ("duplicate rep", ["rep", "add", "maya patel"]),
    ("escape sequence in rep name", ["rep", "add", "Eve\x1b]0;pwned\x07"]),
    ("demo on a database with deals", ["demo", "--deals", "5"]),
]


@pytest.mark.parametrize("args", [args for _, args in BAD_INPUTS], ids=[name for name, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(populated, args):
    before = dump(populated)
    assert_one_line_failure(run(populated, *args), 2)
    assert dump(populated) == before


@pytest.mark.parametrize("args", [
    ["add", "New deal", "--value", "abc"],
    ["move", "Acme one", "Nowhere"],
    ["quota", "set", "Maya Patel", "5000", "--period", "2026-Q5"],
], ids=["add", "move", "quota"])
def test_bad_input_with_db_after_the_command(populated, args):
    before = dump(populated)
    assert_one_line_failure(run(populated, *args, db_last=True), 2)
    assert dump(populated) == before


def test_ambiguous_deal_lists_the_candidates(populated):
    with opened(populated):
        ids = {d.title: d.id for d in Deal.select()}
    message = assert_one_line_failure(run(populated, "win", "Acme"), 2)
    assert f"#{ids['Acme one']} Acme one (open, Prospecting)" in message
    assert f"#{ids['Acme two']} Acme two (open, Qualified)" in message
    assert "Globex" not in message


def test_a_deal_reference_picks_the_one_the_command_can_act_on(populated):
    """The same title on a won and an open deal: lose and win take the open
    one, reopen the closed one; still ambiguous, the candidates say their
    status and stage."""
    url = populated
    ok(run(url, "add", "Globex renewal", "--value", "500", "--stage", "Proposal"))
    with opened(url):
        won_id, open_id = (d.id for d in Deal.select().where(Deal.title == "Globex renewal").order_by(Deal.id))
    assert ok(run(url, "lose", "Globex renewal", "--reason", "No budget")).stdout.strip() == (
        f"Lost #{open_id} Globex renewal (No budget)")
    message = assert_one_line_failure(run(url, "reopen", "Globex renewal"), 2)  # both closed now
    assert f"#{won_id} Globex renewal (won, Prospecting)" in message
    assert f"#{open_id} Globex renewal (lost, Proposal)" in message
    ok(run(url, "reopen", f"#{open_id}"))
    assert ok(run(url, "move", "Globex", "Closing")).stdout.strip() == f"Moved #{open_id} Globex renewal to Closing"
    assert ok(run(url, "win", "Globex r")).stdout.strip() == f"Won #{open_id} Globex renewal"
    assert "already won" in assert_one_line_failure(run(url, "win", str(won_id)), 2)  # an id, as given
    assert ok(run(url, "reopen", "Hooli")).stdout.strip().startswith("Reopened #")
    message = assert_one_line_failure(run(url, "delete", "Globex renewal"), 2)
    assert f"#{won_id} Globex renewal (won, Prospecting)" in message
    assert f"#{open_id} Globex renewal (won, Closing)" in message


def test_ambiguous_stage_lists_the_candidates(populated):
    message = assert_one_line_failure(run(populated, "move", "Acme one", "PRO"), 2)
    assert "Prospecting" in message and "Proposal" in message


def test_title_prefix_with_a_non_ascii_letter_finds_the_deal(backend_url):
    """DEAL may be a unique title prefix, whatever letters the title starts with."""
    ok(run(backend_url, "add", "Ärzte Verbund", "--value", "1"))
    ok(run(backend_url, "add", "Other deal", "--value", "1"))
    result = run(backend_url, "win", "Ärzte V")
    assert result.exit_code == 0, result.stderr
    with opened(backend_url):
        assert Deal.get(Deal.title == "Ärzte Verbund").status == WON


# --- other failures: exit 1, one line ----------------------------------------


@pytest.mark.parametrize("args", [
    ["deals"],
    ["add", "A deal", "--value", "1"],
    ["rep", "add", "Maya"],
    ["demo", "--deals", "5"],
    ["migrate"],
])
def test_database_in_a_missing_folder_exits_1(tmp_path, args):
    missing = tmp_path / "no" / "such" / "folder"
    message = assert_one_line_failure(run(str(missing / "pipeline.db"), *args), 1)
    assert str(missing) in message
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("kind", ["not a database", "directory", "unsupported scheme", "unreachable"])
def test_unusable_database_exits_1(tmp_path, kind):
    if kind == "not a database":
        location = tmp_path / "notes.txt"
        location.write_text("these are not the tables you are looking for\n" * 100)
    elif kind == "directory":
        location = tmp_path
    elif kind == "unsupported scheme":
        location = "mysql://user@localhost/sales"
    else:
        location = "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    assert_one_line_failure(run(str(location), "deals"), 1)


# --- where the data lives ----------------------------------------------------


def test_without_db_the_data_lives_in_the_user_data_dir(tmp_path):
    ok(run(None, "rep", "add", "Maya Patel"))
    path = tmp_path / "xdg-data" / "pipetui" / "pipeline.db"
    assert path.is_file()
    with opened(str(path)):
        assert [r.name for r in Rep.select()] == ["Maya Patel"]


def test_db_option_wins_over_the_environment(tmp_path, monkeypatch):
    from_env = tmp_path / "from-env.db"
    from_flag = tmp_path / "from-flag.db"
    monkeypatch.setenv("PIPETUI_DB", str(from_env))
    ok(run(str(from_flag), "add", "Flagged", "--value", "1"))
    assert from_flag.is_file() and not from_env.exists()
    ok(run(None, "add", "From env", "--value", "1"))
    assert [r["title"] for r in deals_json(str(from_env))] == ["From env"]
    assert [r["title"] for r in deals_json(str(from_flag))] == ["Flagged"]


def test_config_file_gives_database_actor_and_currency(backend_url, tmp_path):
    config = tmp_path / "xdg-config" / "pipetui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"db = {json.dumps(backend_url)}\nme = \"Maya Patel\"\ncurrency = \"eur\"\n")
    ok(run(backend_url, "rep", "add", "Maya Patel"))
    ok(run(None, "add", "Configured", "--value", "900"))
    with opened(backend_url):
        deal = Deal.get(Deal.title == "Configured")
        assert (deal.value, deal.currency) == (90_000, "EUR")
        assert deal.owner.name == "Maya Patel"
        assert StageChange.get(StageChange.deal == deal).changed_by.name == "Maya Patel"


# --- the real console entry ----------------------------------------------------


def test_console_entry_gives_one_line_and_status_without_traceback(tmp_path):
    path = tmp_path / "pipeline.db"

    def pipetui(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipetui", *args], capture_output=True,
                              text=True, timeout=60)

    added = pipetui("add", "Kept", "--value", "12.5k", "--db", str(path))
    assert added.returncode == 0, added.stderr
    with opened(str(path)):
        before = [(d.title, d.value, d.currency) for d in Deal.select()]
    assert before == [("Kept", 1_250_000, "USD")]

    bad = pipetui("--db", str(path), "add", "Broken", "--value", "abc")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr + bad.stdout
    assert len(bad.stderr.splitlines()) == 1, bad.stderr
    assert bad.stderr.startswith("pipetui: ")
    with opened(str(path)):
        assert [(d.title, d.value, d.currency) for d in Deal.select()] == before

    missing = pipetui("--db", str(tmp_path / "missing" / "p.db"), "deals")
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr + missing.stdout
    assert len(missing.stderr.splitlines()) == 1, missing.stderr


def test_every_command_takes_demo_and_finds_the_demo_pipeline_filled(tmp_path):
    """`deals --demo` right after setting up lists the demo's deals, not your (empty) pipeline."""
    listed = run(None, "deals", "--demo", "--status", "all", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 300
    assert (tmp_path / "xdg-data" / "pipetui" / "demo.db").exists()
    assert run(None, "deals").stdout.strip() == "No deals."  # your own pipeline is untouched
    again = run(None, "--demo", "demo", "--deals", "40", "--force")
    assert again.exit_code == 0 and "Created 40 deals" in again.stdout
