"""The triage queue and today's agenda, against a handful of deals whose
reasons were worked out by hand. Today is Friday 2026-11-27, 09:00."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipetui.core import activities, clock, deals, lookup, people, rows, triage
from pipetui.core.money import Money

NOW = dt.datetime(2026, 11, 27, 9, 0)


def at(month: int, day: int):
    return clock.frozen(dt.datetime(2026, month, day, 10, 0))


@pytest.fixture
def day(db):
    stage = {s.name: s for s in lookup.stages()}
    with at(11, 1):
        ann, bob = people.add_rep("Ann Lee"), people.add_rep("Bob Roy")
        p = deals.create_deal("P", Money(8_000_00, "USD"), stage=stage["Contacted"], owner=bob,
                              expected_close=dt.date(2026, 11, 20))
        deals.create_deal("R", Money(3_000_00, "USD"), stage=stage["Negotiation"], owner=bob)
        q1 = deals.create_deal("Q1", Money(1_000_00, "USD"), stage=stage["Qualified"], owner=ann)
        w = deals.create_deal("W", Money(50_000_00, "USD"), owner=ann)
    with at(11, 2):
        deals.win_deal(w.id)
    with at(11, 4):
        deals.move_deal(q1.id, stage["Meeting"])  # Qualified: a 3-day stay, the usual one
    with at(11, 15):
        sq = deals.create_deal("SQ", Money(2_000_00, "USD"), stage=stage["Qualified"], owner=bob)
        activities.add_activity("task", "Prep", deal=sq, due_date=dt.date(2026, 12, 5), owner=bob)
    with at(11, 20):
        o = deals.create_deal("O", Money(5_000_00, "USD"), owner=ann)
        activities.add_activity("call", "Ping", deal=o, due_date=dt.date(2026, 11, 25), owner=ann)
    with at(11, 24):
        activities.add_activity("email", "Follow", deal=p, due_date=dt.date(2026, 12, 1), owner=bob)
    with at(11, 25):
        fine = deals.create_deal("Fine", Money(9_000_00, "USD"), owner=bob)
        activities.add_activity("call", "Later", deal=fine, due_date=dt.date(2026, 12, 2), owner=bob)
        activities.add_activity("meeting", "Demo", deal=fine, due_date=dt.date(2026, 11, 27),
                                due_time=dt.time(10, 0), owner=bob)
    with at(11, 26):
        deals.create_deal("N", Money(20_000_00, "USD"), stage=stage["Proposal"], owner=ann,
                          expected_close=dt.date(2026, 11, 28))
    with clock.frozen(NOW):
        yield {"ann": ann, "bob": bob}


def test_the_queue_says_why_and_puts_the_most_urgent_first(day):
    found = triage.queue()
    assert [(item.title, sorted(item.reasons)) for item in found] == [
        ("O", ["overdue", "slow"]),  # 50 + 20: 6 days in Prospecting, where W stayed 1
        ("P", ["past_close"]),  # 40
        ("N", ["no_step"]),  # 35
        ("R", ["rotting"]),  # 30, and worth more than Q1
        ("Q1", ["rotting"]),  # 30
        ("SQ", ["slow"]),  # 20
    ]
    why = {item.title: item.reasons for item in found}
    assert why["O"]["overdue"] == "call 'Ping' overdue 2 days"
    assert why["O"]["slow"] == "6 days in Prospecting (usually 1)"  # whole days: 6 d 23 h
    assert why["P"]["past_close"] == "expected to close Nov 20, still open"
    assert why["N"]["no_step"] == "closes Sat with no next step"
    assert why["R"]["rotting"] == "untouched 25 days (rots after 10)"
    assert why["SQ"]["slow"] == "11 days in Qualified (usually 3)"
    assert found[0].next_activity.subject == "Ping"
    assert found[2].next_activity is None


def test_one_reps_queue(day):
    assert [item.title for item in triage.queue(day["ann"].id)] == ["O", "N", "Q1"]


def test_the_agenda_lists_overdue_then_today(day):
    items = triage.agenda()
    assert [(a.subject, a.overdue_days, a.deal_title) for a in items] == [("Ping", 2, "O"), ("Demo", 0, "Fine")]
    assert [a.subject for a in triage.agenda(day["ann"].id)] == ["Ping"]


def test_today_command_text_and_json(day, backend_url):
    from test_cli import assert_one_line_failure, ok, run

    lines = ok(run(backend_url, "today", "--all")).stdout.splitlines()
    assert lines[0].split()[:4] == ["2d", "late", "call", "Ping"]
    assert lines[1].split()[:4] == ["today", "10:00", "meeting", "Demo"]
    data = json.loads(ok(run(backend_url, "today", "--rep", "Bob", "--json")).stdout)
    assert data == [{"id": data[0]["id"], "kind": "meeting", "subject": "Demo", "due_date": "2026-11-27",
                     "due_time": "10:00", "overdue_days": 0, "deal_id": data[0]["deal_id"], "deal": "Fine",
                     "owner": "Bob Roy"}]
    assert "not both" in assert_one_line_failure(run(backend_url, "today", "--rep", "Bob", "--all"), 2)


def test_activities_of_closed_or_deleted_deals_are_not_due_work(day, backend_url):
    """A won, lost or deleted deal's open activities stay in the database but
    leave the agenda and the queue; a contact's own activity stays; reopening
    the deal makes its activity due again."""
    from test_cli import ok, run

    with at(11, 21):
        lost, won, gone = (deals.create_deal(title, Money(1_000_00, "USD"), owner=day["ann"])
                           for title in ("Lost", "Won", "Gone"))
        for deal in (lost, won, gone):
            activities.add_activity("call", f"Call {deal.title}", deal=deal, due_date=dt.date(2026, 11, 21),
                                    owner=day["ann"])
        contact = people.find_or_create_contact("Cy Contact")
        activities.add_activity("email", "Write Cy", contact=contact, due_date=dt.date(2026, 11, 21),
                                owner=day["ann"])
    with at(11, 22):
        deals.lose_deal(lost.id, "No budget")
        deals.win_deal(won.id)
        deals.delete_deal(gone.id)

    assert [(a.subject, a.overdue_days) for a in triage.agenda()] == [("Write Cy", 6), ("Ping", 2), ("Demo", 0)]
    assert [a.subject for a in triage.agenda(day["ann"].id)] == ["Write Cy", "Ping"]
    lines = ok(run(backend_url, "today", "--all")).stdout.splitlines()
    assert lines[0].split()[:4] == ["6d", "late", "email", "Write"] and len(lines) == 3
    assert not any("Call" in line for line in lines)
    assert {"Lost", "Won", "Gone"}.isdisjoint(item.title for item in triage.queue())
    assert [a.subject for a in rows.deal_sheet(lost.id).activities] == ["Call Lost"]  # kept, still visible

    deals.reopen_deal(lost.id)
    assert [a.subject for a in triage.agenda()] == ["Call Lost", "Write Cy", "Ping", "Demo"]
    reopened = {item.title: item for item in triage.queue()}["Lost"]
    assert reopened.reasons["overdue"] == "call 'Call Lost' overdue 6 days"
