"""Read models on both backends: what the core hands to the screens and the
commands is plain values (never a Peewee row), read in a fixed number of
queries whatever the number of deals or the length of a history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from contextlib import contextmanager

import peewee
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipetui.core import activities, board, clock, customers, deals, demo, lookup, people, quotas, rows, triage
from pipetui.core.dates import parse_period
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money
from pipetui.core.undo import Change, UndoLog
from pipetui.store import Deal, is_postgres
from pipetui.tui.contrast import WARNING


@contextmanager
def counted(database):
    """The SQL statements run in the block, as a list that fills while it runs."""
    statements: list[str] = []
    run = database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return run(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield statements
    finally:
        del database.execute_sql


def at(day: int, hour: int = 9):
    return clock.frozen(dt.datetime(2026, 11, day, hour, 0))


# --- deal rows -----------------------------------------------------------------


def test_deal_rows_run_the_same_few_queries_for_3_and_for_300_deals(db):
    counts = {}
    for size in (3, 300):
        with clock.frozen(dt.datetime(2026, 11, 27, 9, 0)):
            demo.generate(size, seed=1, force=True)
        with counted(db) as statements:
            found = list(rows.deal_rows(status="all"))
        assert len(found) == size
        counts[size] = len(statements)
        assert all(isinstance(d, rows.DealRow) for d in found)
    # SQLite: the one query; PostgreSQL: DECLARE the cursor over it, FETCH, CLOSE.
    assert counts[3] == counts[300] == (3 if is_postgres(db) else 1), counts


def test_deal_rows_carry_every_name_and_the_win_probability(db):
    maya = people.add_rep("Maya Patel")
    acme = people.find_or_create_organization("Acme GmbH")
    ann = people.find_or_create_contact("Ann Lee", acme)
    proposal = lookup.resolve_stage("Proposal")  # 60 %
    full = deals.create_deal("Full", Money(5_000_00, "EUR"), stage=proposal, owner=maya,
                             organization=acme, contact=ann, expected_close=dt.date(2026, 12, 24),
                             external_id="crm-1")
    bare = deals.create_deal("Bare", Money(1_00, "USD"), probability=15)
    won = deals.win_deal(deals.create_deal("Won", Money(9_00, "USD"), stage=proposal).id)
    lost = deals.lose_deal(deals.create_deal("Lost", Money(8_00, "USD")).id, "price")
    by_title = {d.title: d for d in rows.deal_rows(status="all")}
    got = by_title["Full"]
    assert (got.id, got.stage, got.stage_id, got.pipeline_id, got.owner, got.owner_id) == (
        full.id, "Proposal", proposal.id, proposal.pipeline_id, "Maya Patel", maya.id)
    assert (got.organization, got.organization_id, got.contact, got.contact_id) == (
        "Acme GmbH", acme.id, "Ann Lee", ann.id)
    assert (got.value, got.currency, got.probability, got.win_probability) == (5_000_00, "EUR", None, 60)
    assert (got.expected_close, got.external_id, got.version) == (dt.date(2026, 12, 24), "crm-1", 1)
    assert isinstance(got.created_at, dt.datetime) and got.closed_at is None
    assert (by_title["Bare"].owner, by_title["Bare"].organization, by_title["Bare"].contact) == (None, None, None)
    assert (by_title["Bare"].probability, by_title["Bare"].win_probability) == (15, 15)
    assert by_title["Won"].win_probability == 100 and by_title["Lost"].win_probability == 0
    assert by_title["Lost"].lost_reason == lost.lost_reason == "Price too high"
    assert by_title["Won"] == won == deals.get_deal(won.id)  # one path: the same row from every door
    assert by_title["Bare"] == lookup.resolve_deal(str(bare.id))


def test_deal_rows_filter_and_order_as_pipetui_deals_does(db):
    maya = people.add_rep("Maya Patel")
    prospecting, proposal = lookup.resolve_stage("Prospecting"), lookup.resolve_stage("Proposal")
    for title, value, stage, owner in [("P small", 1, prospecting, None), ("P big", 9, prospecting, maya),
                                       ("P tie a", 5, prospecting, None), ("P tie b", 5, prospecting, maya),
                                       ("Q", 100, proposal, maya)]:
        deals.create_deal(title, Money(value, "USD"), stage=stage, owner=owner)
    deals.win_deal(deals.create_deal("Won one", Money(50, "USD")).id)
    deals.delete_deal(deals.create_deal("Deleted", Money(70, "USD")).id)

    def titles(**filters):
        return [d.title for d in rows.deal_rows(**filters)]

    assert titles() == ["P big", "P tie a", "P tie b", "P small", "Q"]
    assert titles(status="all") == ["Won one", "P big", "P tie a", "P tie b", "P small", "Q"]
    assert titles(status=None) == titles(status="all")
    assert titles(status="won") == ["Won one"]
    assert titles(stage=proposal) == ["Q"]
    assert titles(owner=maya) == ["P big", "P tie b", "Q"]
    assert titles(owner=maya.id, stage=prospecting.id) == ["P big", "P tie b"]
    assert titles(limit=2) == ["P big", "P tie a"]
    assert titles(status="all", order="id") == ["P small", "P big", "P tie a", "P tie b", "Q", "Won one"]
    with pytest.raises(ValueError):
        rows.deal_rows(order="title")


@pytest.mark.parametrize("chunk", [1, 2, 3, 10])
def test_a_streamed_query_reads_every_row_in_order_whatever_the_chunk(db, chunk):
    for n in range(6):
        deals.create_deal(f"Deal {n}", Money(n, "USD"))
    query = Deal.select(Deal.id, Deal.title).order_by(Deal.id)
    assert [title for _id, title in rows.stream(query, chunk=chunk)] == [f"Deal {n}" for n in range(6)]
    # A reader that stops early leaves nothing open behind it.
    first = rows.stream(query, chunk=chunk)
    assert next(first)[1] == "Deal 0"
    first.close()
    assert len(list(rows.stream(query, chunk=chunk))) == 6


# --- the deal sheet ----------------------------------------------------------------


def _busy_deal(moves: int):
    maya, jonas = people.add_rep("Maya Patel"), people.add_rep("Jonas Weber")
    deal = deals.create_deal("Busy", Money(1_000_00, "USD"), owner=maya, actor=maya,
                             organization=people.find_or_create_organization("Acme"))
    for step in range(moves):
        deal = deals.step_deal(deal.id, 1 if step % 2 == 0 else -1, actor=jonas if step % 3 else None)
    activities.schedule_on_deal(deal.id, "call tomorrow 10:00 pricing", owner=maya)
    done = activities.add_activity("email", "Sent deck", deal=deal, owner=jonas)
    activities.complete_activity(done.id)
    for n in range(3):
        activities.add_note_to_deal(deal.id, f"note {n}", author=maya if n % 2 else jonas)
    return deal


@pytest.mark.parametrize("history_rows", [1, 30])
def test_the_deal_sheet_takes_at_most_5_queries_whatever_the_history(db, history_rows):
    deal = _busy_deal(history_rows - 1)
    with counted(db) as statements:
        sheet = rows.deal_sheet(deal.id)
    assert 0 < len(statements) <= 5, statements
    assert len(sheet.history) == history_rows
    assert sheet.deal == deals.get_deal(deal.id)
    assert [(a.kind, a.done) for a in sheet.activities] == [("call", False), ("email", True)]
    assert sorted(n.author for n in sheet.notes) == ["Jonas Weber", "Jonas Weber", "Maya Patel"]
    assert {e.who for e in sheet.history} <= {"Maya Patel", "Jonas Weber", None}


def test_the_history_is_told_as_the_editor_always_told_it(db):
    maya, jonas = people.add_rep("Maya Patel"), people.add_rep("Jonas Weber")
    with at(1):
        deal = deals.create_deal("Acme", Money(100_00, "USD"), actor=maya)
    with at(4):
        deals.move_deal(deal.id, lookup.resolve_stage("Qualified"), actor=jonas)
    with at(5):
        deals.step_deal(deal.id, 2, actor=jonas)  # Qualified -> Proposal, skipping Meeting
    with at(10, 18):
        deals.lose_deal(deal.id, "price", actor=maya)
    with at(12):
        deals.reopen_deal(deal.id, lookup.resolve_stage("Negotiation"))
    with at(20):
        deals.win_deal(deal.id, actor=maya)
    with at(27):
        won = rows.deal_sheet(deal.id).history
    assert [(e.when.date().day, e.what, e.who, e.days) for e in won] == [
        (1, "created in Prospecting", "Maya Patel", 3),
        (4, "Prospecting → Qualified", "Jonas Weber", 1),
        (5, "Qualified → Proposal", "Jonas Weber", 5),
        (10, "lost", "Maya Patel", 1),  # 18:00 on the 10th to 09:00 on the 12th
        (12, "reopened in Negotiation", None, 8),
        (20, "won", "Maya Patel", 0),  # a closed deal's last state lasts until its close
    ]
    with at(22):
        deals.reopen_deal(deal.id, actor=jonas)
    with at(27):
        reopened = rows.deal_sheet(deal.id).history
    assert [(e.what, e.who, e.days) for e in reopened[-2:]] == [
        ("won", "Maya Patel", 2), ("reopened in Negotiation", "Jonas Weber", 5)]  # open: until now


def test_the_editor_shows_the_sheet_as_before(db):
    from pipetui.tui.screens.editor import _read_form

    maya = people.add_rep("Maya Patel")
    with at(2):
        deal = deals.create_deal("Acme [big]", Money(1_234_50, "USD"), actor=maya, owner=maya,
                                 expected_close=dt.date(2026, 12, 1), probability=35)
    with at(3):
        deals.step_deal(deal.id, 1)
        activities.add_activity("call", "Overdue call", deal=deal.id, due_date=dt.date(2026, 11, 3),
                                due_time=dt.time(10, 30))
        activities.add_note_to_deal(deal.id, "first line\nsecond line", author=maya)
    with at(4):
        activities.add_note_to_deal(deal.id, "anonymous")
    with at(9):
        form = _read_form(deal.id, None, None)
    assert form.values == {"title": "Acme [big]", "value": "1234.50 USD", "stage": "Contacted",
                           "owner": "Maya Patel", "organization": "", "contact": "",
                           "expected_close": "2026-12-01", "probability": "35"}
    assert form.history.plain == ("2026-11-02 created in Prospecting  Maya Patel, 1d\n"
                                  "2026-11-03 Prospecting → Contacted  (no rep), 6d\n")
    assert form.activities.plain == "○ 2026-11-03 10:30 call: Overdue call\n"
    assert [span.style for span in form.activities.spans][0] == WARNING  # late
    assert form.notes.plain == "2026-11-04 \nanonymous\n2026-11-03 Maya Patel\nfirst line second line\n"


# --- no Peewee rows leave the core -----------------------------------------------


def _models_in(value, path="result") -> list[str]:
    """Where in ``value`` a Peewee row (or query) hides."""
    if isinstance(value, (peewee.Model, peewee.Node)):
        return [f"{path}: {type(value).__name__}"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [hit for f in dataclasses.fields(value)
                for hit in _models_in(getattr(value, f.name), f"{path}.{f.name}")]
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _models_in(k, path) + _models_in(v, f"{path}[{k!r}]")]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [hit for i, v in enumerate(value) for hit in _models_in(v, f"{path}[{i}]")]
    return []


def test_no_service_a_front_end_calls_returns_a_peewee_row(db, monkeypatch):
    calls = {}

    def check(name, value):
        calls[name] = _models_in(value, name)
        return value

    check("people.add_rep", people.add_rep("Maya Patel", username="maya"))
    maya = check("lookup.resolve_rep", lookup.resolve_rep("maya"))
    check("people.list_reps", people.list_reps())
    monkeypatch.setattr(lookup.getpass, "getuser", lambda: "maya")
    actor = check("lookup.resolve_actor", lookup.resolve_actor(None))
    check("lookup.stages", lookup.stages())
    proposal = check("lookup.resolve_stage", lookup.resolve_stage("prop"))
    made = check("deals.add_deal", deals.add_deal("Acme", "12k", default_currency="USD", organization="Acme",
                                                  contact="Ann", owner="maya", actor=actor))
    check("deals.create_deal", deals.create_deal("Other", Money(1, "USD"), stage=proposal, owner=maya))
    check("lookup.resolve_deal", lookup.resolve_deal("Acme"))
    check("deals.get_deal", deals.get_deal(made.id))
    moved = check("deals.move_deal", deals.move_deal(made.id, proposal, actor=actor))
    stepped = check("deals.step_deal", deals.step_deal(made.id, -1, expected_version=moved.version,
                                                       actor=actor))
    edited = check("deals.edit_deal", deals.edit_deal(made.id, expected_version=stepped.version,
                                                      expected_close=dt.date(2026, 12, 1), owner=maya))
    updated = check("deals.update_deal", deals.update_deal(
        made.id, edited.version, default_currency="USD", title="Acme 2", value="13k", stage="Negotiation",
        owner="maya", organization="Acme", contact="Ann", expected_close="2026-12-24", probability="40",
        actor=actor))
    won = check("deals.win_deal", deals.win_deal(made.id, expected_version=updated.version, actor=actor))
    reopened = check("deals.reopen_deal", deals.reopen_deal(made.id, proposal, actor=actor))
    lost = check("deals.lose_deal", deals.lose_deal(made.id, "price", expected_version=reopened.version))
    log = UndoLog()
    log.record(Change("lose", made.id, "lose", lost.stage_id, lost.stage_id, lost.version, lost.lost_reason))
    check("UndoLog.undo", log.undo(actor))
    check("UndoLog.redo", log.redo(actor))
    check("deals.delete_deal", deals.delete_deal(deals.create_deal("Gone", Money(1, "USD")).id))
    assert won.status == "won" and lost.status == "lost"
    open_deal = deals.add_deal("Open", "1k", default_currency="USD")
    activity = check("activities.schedule_on_deal",
                     activities.schedule_on_deal(open_deal.id, "call tomorrow 10:00 pricing", owner=actor))
    check("activities.snooze_activity", activities.snooze_activity(activity.id, 3))
    check("activities.set_activity_due", activities.set_activity_due(activity.id, dt.date(2026, 12, 2)))
    check("activities.complete_activity", activities.complete_activity(activity.id))
    check("activities.reopen_activity", activities.reopen_activity(activity.id))
    check("activities.add_note_to_deal", activities.add_note_to_deal(open_deal.id, "hello", author=actor))
    check("activities.deal_activities", activities.deal_activities(open_deal.id))
    check("activities.deal_notes", activities.deal_notes(open_deal.id))
    check("rows.deal_sheet", rows.deal_sheet(open_deal.id))
    check("rows.deal_rows", list(rows.deal_rows(status="all")))
    org = check("customers.save_organization", customers.save_organization("Initech", "initech.example"))
    check("customers.save_organization (edit)",
          customers.save_organization("Initech", "initech.example", organization_id=org.id))
    person = check("customers.save_contact", customers.save_contact("Bill", organization="Initech"))
    check("customers.save_contact (edit)", customers.save_contact("Bill L", contact_id=person.id))
    check("customers.search", customers.search("i"))
    check("customers.profile", customers.profile(org.kind, org.id))
    check("quotas.set_quota", quotas.set_quota(maya, parse_period("2026-Q4"), Money(50_000_00, "USD")))
    check("quotas.list_quotas", quotas.list_quotas())
    check("board.columns", board.columns())
    check("board.cards", board.cards(proposal.id))
    check("triage.queue", triage.queue(maya.id))
    check("triage.agenda", triage.agenda(None))
    assert {name: hits for name, hits in calls.items() if hits} == {}
    assert isinstance(maya, rows.RepRef) and isinstance(proposal, rows.StageRef)
    assert isinstance(org, customers.Customer) and (org.name, org.detail) == ("Initech", "initech.example")
    assert (person.name, person.detail) == ("Bill", "Initech")


def test_refs_stand_for_their_rows_in_every_service(db):
    """A service given a ref writes its id: the stored deal points where the ref does."""
    maya = people.add_rep("Maya Patel")
    meeting = lookup.resolve_stage("Meeting")
    deal = deals.create_deal("Acme", Money(1, "USD"), stage=meeting, owner=maya, actor=maya)
    stored = Deal.get_by_id(deal.id)
    assert (stored.stage_id, stored.owner_id, stored.pipeline_id) == (meeting.id, maya.id, meeting.pipeline_id)
    deals.move_deal(deal.id, lookup.stages()[0], actor=maya)
    assert {c.changed_by_id for c in deals.history(deal.id)} == {maya.id}
    quota = quotas.set_quota(maya, parse_period("2026-11"), Money(5_00, "USD"))
    assert (quota.rep_id, quota.rep) == (maya.id, "Maya Patel")
    assert [(q.rep, q.amount) for q in quotas.list_quotas()] == [("Maya Patel", 5_00)]


# --- the editor's field check --------------------------------------------------------


@pytest.mark.parametrize("name, text, message", [
    ("title", "   ", "must not be empty"),
    ("title", "x" * 501, "too long"),
    ("value", "lots", "not an amount"),
    ("expected_close", "someday", "not a date"),
    ("probability", "101", "0 to 100"),
    ("organization", "Acme\x1b[2J", "control character"),
    ("contact", "Ann\x07", "control character"),
])
def test_check_field_refuses_what_saving_would(name, text, message):
    with pytest.raises(InvalidInput, match=message):
        deals.check_field(name, text, "USD")


@pytest.mark.parametrize("name, text", [
    ("title", "Acme"), ("value", "12.5k"), ("value", "EUR 900"), ("expected_close", ""),
    ("expected_close", "+2w"), ("probability", ""), ("probability", "35%"), ("organization", ""),
    ("contact", "Ann Lee"), ("stage", ""), ("owner", ""),
])
def test_check_field_lets_good_values_through(name, text):
    deals.check_field(name, text, "USD")


# --- deals --json as it streams ----------------------------------------------------------

_scalars = st.one_of(st.none(), st.integers(), st.text(), st.booleans(),
                     st.floats(allow_nan=False, allow_infinity=False))


@given(st.lists(st.dictionaries(st.text(), st.one_of(_scalars, st.lists(_scalars, max_size=3),
                                                     st.dictionaries(st.text(), _scalars, max_size=3)),
                                max_size=5), max_size=4))
def test_the_streamed_json_array_is_the_text_json_dumps_writes(objects):
    from pipetui.cli.deals import json_array

    assert "".join(json_array(iter(objects))) == json.dumps(objects, indent=2, ensure_ascii=False)


def test_the_editor_history_names_no_rep_as_such():
    from pipetui.core.rows import HistoryEntry
    from pipetui.tui.screens.editor import _history

    when = dt.datetime(2026, 11, 2, 9, 0)
    told = _history((HistoryEntry(when, "created in Qualified", None, 3),
                     HistoryEntry(when, "won", "Ann Lee", 0))).plain.splitlines()
    assert told == ["2026-11-02 created in Qualified  (no rep), 3d", "2026-11-02 won  Ann Lee, 0d"]
