"""Deal services on both backends: history, versions, outcomes, lookups, totals."""

from __future__ import annotations

import datetime as dt

import pytest

from pipetui.core import activities, clock, deals, lookup, people, pipeline, quotas, rows
from pipetui.core.dates import parse_period
from pipetui.core.errors import Ambiguous, ConflictError, InvalidInput, NotFound
from pipetui.core.money import Money
from pipetui.store import LOST, OPEN, WON, Contact, Deal, Quota, StageChange


def stage(name):
    return lookup.resolve_stage(name)


def trail(deal_id):
    """The history as (from stage, to stage, from status, to status) names."""
    names = {s.id: s.name for s in lookup.stages()}
    return [
        (names.get(c.from_stage_id), names[c.to_stage_id], c.from_status, c.to_status)
        for c in deals.history(deal_id)
    ]


@pytest.fixture
def maya(db):
    return people.add_rep("Maya Patel", username="maya")


def test_a_new_deal_starts_in_the_first_stage_with_its_history(db, maya, frozen_clock):
    deal = deals.create_deal("Acme rollout", Money(1_250_000, "USD"), owner=maya, actor=maya)
    assert deal.stage == "Prospecting"
    assert (deal.status, deal.version, deal.value, deal.currency) == (OPEN, 1, 1_250_000, "USD")
    assert deal.created_at == deal.stage_entered_at == deal.last_activity_at == frozen_clock
    assert trail(deal.id) == [(None, "Prospecting", None, OPEN)]
    assert deals.history(deal.id)[0].changed_by_id == maya.id


def test_moves_wins_losses_and_reopens_write_the_whole_trail(db, maya):
    deal = deals.create_deal("Acme", Money(500_00, "EUR"), stage=stage("Qualified"))
    deal = deals.move_deal(deal.id, stage("Proposal"), actor=maya)
    deal = deals.step_deal(deal.id, -1)  # a move backwards is history too
    deal = deals.lose_deal(deal.id, "price")
    assert (deal.status, deal.lost_reason) == (LOST, "Price too high")
    assert deal.closed_at is not None
    deal = deals.reopen_deal(deal.id, stage("Negotiation"))
    assert (deal.status, deal.closed_at, deal.lost_reason) == (OPEN, None, None)
    deal = deals.win_deal(deal.id)
    assert deal.status == WON and deal.stage == "Negotiation"
    assert trail(deal.id) == [
        (None, "Qualified", None, OPEN),
        ("Qualified", "Proposal", OPEN, OPEN),
        ("Proposal", "Meeting", OPEN, OPEN),
        ("Meeting", "Meeting", OPEN, LOST),
        ("Meeting", "Negotiation", LOST, OPEN),
        ("Negotiation", "Negotiation", OPEN, WON),
    ]
    assert deal.version == 6


def test_every_change_bumps_the_version_and_updates_the_timestamps(db):
    with clock.frozen(dt.datetime(2026, 11, 2, 8, 0)):
        deal = deals.create_deal("Acme", Money(100, "USD"))
    with clock.frozen(dt.datetime(2026, 11, 9, 8, 0)):
        moved = deals.move_deal(deal.id, stage("Contacted"))
    assert moved.version == 2
    assert moved.stage_entered_at == moved.updated_at == dt.datetime(2026, 11, 9, 8, 0)
    assert moved.created_at == dt.datetime(2026, 11, 2, 8, 0)


def test_a_stale_version_is_refused_and_nothing_is_overwritten(db):
    deal = deals.create_deal("Acme", Money(100_00, "USD"))
    mine = deal.version
    deals.edit_deal(deal.id, expected_version=mine, title="Acme (theirs)")  # someone else saves first
    with pytest.raises(ConflictError, match="changed by someone else"):
        deals.edit_deal(deal.id, expected_version=mine, title="Acme (mine)")
    with pytest.raises(ConflictError):
        deals.move_deal(deal.id, stage("Meeting"), expected_version=mine)
    stored = Deal.get_by_id(deal.id)
    assert (stored.title, stored.stage.name, stored.version) == ("Acme (theirs)", "Prospecting", 2)
    assert len(deals.history(deal.id)) == 1


def test_the_version_guard_also_holds_inside_the_write(db):
    """Two writers that both read version 1: the one that writes second fails."""
    deal = deals.create_deal("Acme", Money(100_00, "USD"))
    stale_copy = Deal.get_by_id(deal.id)
    deals.edit_deal(deal.id, title="first writer")
    with pytest.raises(ConflictError):
        deals._save(stale_copy, {"title": "second writer"}, clock.now())
    assert Deal.get_by_id(deal.id).title == "first writer"


@pytest.mark.parametrize(
    "action, message",
    [
        (lambda d: deals.move_deal(d, stage("Prospecting")), "already in Prospecting"),
        (lambda d: deals.step_deal(d, -1), "already in the first stage"),
        (lambda d: deals.reopen_deal(d), "already open"),
        (lambda d: deals.lose_deal(d, "   "), "lost reason must not be empty"),
        (lambda d: deals.edit_deal(d, title="\x1b[2J gone"), "control character"),
        (lambda d: deals.edit_deal(d, probability=101), "0 to 100"),
        (lambda d: deals.edit_deal(d, value=Money(-1, "USD")), "negative"),
        (lambda d: deals.edit_deal(d, value=Money(1, "euro")), "currency"),
    ],
)
def test_wrong_changes_are_refused_and_change_nothing(db, action, message):
    deal = deals.create_deal("Acme", Money(100_00, "USD"))
    with pytest.raises(InvalidInput, match=message):
        action(deal.id)
    stored = Deal.get_by_id(deal.id)
    assert (stored.version, stored.title, stored.status) == (1, "Acme", OPEN)
    assert len(deals.history(deal.id)) == 1


def test_closed_deals_cannot_move_or_close_twice(db):
    deal = deals.win_deal(deals.create_deal("Acme", Money(1, "USD")).id)
    with pytest.raises(InvalidInput, match="reopen it"):
        deals.move_deal(deal.id, stage("Closing"))
    with pytest.raises(InvalidInput, match="already won"):
        deals.lose_deal(deal.id, "price")
    with pytest.raises(InvalidInput, match="already won"):
        deals.win_deal(deal.id)


def test_free_text_lost_reasons_are_kept_as_typed(db):
    deal = deals.lose_deal(deals.create_deal("Acme", Money(1, "USD")).id, "Went with [the] incumbent")
    assert deal.lost_reason == "Went with [the] incumbent"


def test_soft_deleted_deals_leave_lists_and_totals_but_keep_history(db):
    kept = deals.create_deal("Kept", Money(100_00, "USD"))
    gone = deals.create_deal("Gone", Money(900_00, "USD"))
    deals.delete_deal(gone.id)
    assert [d.title for d in rows.deal_rows()] == ["Kept"]
    assert pipeline.stage_totals()[0].value == {"USD": 100_00}
    with pytest.raises(NotFound):
        lookup.resolve_deal("Gone")
    with pytest.raises(NotFound):
        deals.move_deal(gone.id, stage("Meeting"))
    assert StageChange.select().where(StageChange.deal == gone.id).count() == 1
    deals.restore_deal(gone.id)
    assert lookup.resolve_deal("Gone").id == gone.id
    assert kept.id != gone.id


# --- lookups ---------------------------------------------------------------


def test_deal_references_by_id_title_and_prefix(db):
    alpha = deals.create_deal("Alpha Corp renewal", Money(1, "USD"))
    deals.create_deal("Alpha Corp expansion", Money(1, "USD"))
    beta = deals.create_deal("Beta 100% [sale]_x", Money(1, "USD"))
    assert lookup.resolve_deal(str(alpha.id)).id == alpha.id
    assert lookup.resolve_deal(f"#{alpha.id}").id == alpha.id
    assert lookup.resolve_deal("alpha corp r").id == alpha.id
    assert lookup.resolve_deal("Beta 100% [sale]_x").id == beta.id
    assert lookup.resolve_deal("beta 100%").id == beta.id
    with pytest.raises(Ambiguous) as caught:
        lookup.resolve_deal("alpha")
    assert "Alpha Corp renewal" in str(caught.value) and "Alpha Corp expansion" in str(caught.value)
    assert f"#{alpha.id}" in str(caught.value)
    with pytest.raises(NotFound, match="no deal matches"):
        lookup.resolve_deal("Gamma")
    with pytest.raises(NotFound, match="no deal #999"):
        lookup.resolve_deal("#999")


def test_a_deal_reference_prefers_the_deals_the_caller_can_act_on(db):
    title = "Maplepath Analytics SA - CRM"
    won = deals.win_deal(deals.create_deal(title, Money(1, "USD"), stage=stage("Closing")).id)
    open_ = deals.create_deal(title, Money(1, "USD"), stage=stage("Proposal"))
    assert lookup.resolve_deal(title, acting_on=(OPEN,)).id == open_.id
    assert lookup.resolve_deal("maplepath", acting_on=(OPEN,)).id == open_.id
    assert lookup.resolve_deal(title, acting_on=(WON, LOST)).id == won.id
    assert lookup.resolve_deal(f"#{won.id}", acting_on=(OPEN,)).id == won.id  # an id is taken as given
    assert lookup.resolve_deal(str(won.id), acting_on=(OPEN,)).id == won.id
    with pytest.raises(Ambiguous) as caught:
        lookup.resolve_deal(title)  # no preference: both are candidates
    assert f"#{open_.id} {title} (open, Proposal)" in str(caught.value)
    assert f"#{won.id} {title} (won, Closing)" in str(caught.value)
    other = deals.create_deal(title, Money(1, "USD"))
    with pytest.raises(Ambiguous) as caught:
        lookup.resolve_deal(title, acting_on=(OPEN,))  # two open ones: still ambiguous
    assert f"#{other.id} {title} (open, Prospecting)" in str(caught.value)
    assert f"#{open_.id} {title} (open, Proposal)" in str(caught.value)
    assert lookup.resolve_deal(title, acting_on=(WON, LOST)).id == won.id


def test_stage_names_are_case_insensitive_with_unique_prefixes(db):
    assert stage("PROP").name == "Proposal"
    assert stage("neg").name == "Negotiation"
    with pytest.raises(Ambiguous, match="Contacted, Closing"):
        stage("c")
    with pytest.raises(NotFound, match="the stages are: Prospecting"):
        stage("Won")


def test_the_actor_is_the_named_rep_or_the_login(db, maya, monkeypatch):
    assert lookup.resolve_actor("maya p").id == maya.id
    assert lookup.resolve_actor(None, "Maya Patel").id == maya.id
    monkeypatch.setattr(lookup.getpass, "getuser", lambda: "maya")
    assert lookup.resolve_actor(None, None).id == maya.id
    monkeypatch.setattr(lookup.getpass, "getuser", lambda: "stranger")
    assert lookup.resolve_actor(None, None) is None
    with pytest.raises(NotFound):
        lookup.resolve_actor("Nobody")


# --- totals and queries ----------------------------------------------------


def test_stage_totals_weight_by_own_or_stage_probability_and_keep_currencies_apart(db):
    proposal = stage("Proposal")  # 60 % by default
    deals.create_deal("A", Money(1000_00, "USD"), stage=proposal)
    deals.create_deal("B", Money(500_00, "USD"), stage=proposal, probability=20)
    deals.create_deal("C", Money(300_00, "EUR"), stage=proposal)
    deals.win_deal(deals.create_deal("D", Money(9999_00, "USD"), stage=proposal).id)
    totals = {t.stage.name: t for t in pipeline.stage_totals()}
    proposal_total = totals["Proposal"]
    assert proposal_total.count == 3
    assert proposal_total.value == {"USD": 1500_00, "EUR": 300_00}
    # 1000 x 60 % + 500 x 20 % = 700 USD; 300 x 60 % = 180 EUR
    assert proposal_total.weighted == {"USD": 700_00, "EUR": 180_00}
    assert totals["Closing"].count == 0 and totals["Closing"].value == {}


def test_top_deals_of_a_stage_come_largest_first_one_page_at_a_time(db):
    for value in (5, 50, 20, 40, 10):
        deals.create_deal(f"Deal {value}", Money(value * 100, "USD"))
    first_page = pipeline.top_deals(stage("Prospecting").id, limit=3)
    assert [d.value for d in first_page] == [5000, 4000, 2000]
    second_page = pipeline.top_deals(stage("Prospecting").id, limit=3, offset=3)
    assert [d.value for d in second_page] == [1000, 500]


def test_forecast_by_month_sums_open_deals_by_expected_close(db):
    meeting = stage("Meeting")  # 45 %
    deals.create_deal("Nov", Money(1000_00, "USD"), stage=meeting, expected_close=dt.date(2026, 11, 30))
    deals.create_deal("Dec", Money(2000_00, "USD"), stage=meeting, expected_close=dt.date(2026, 12, 1),
                      probability=50)
    deals.create_deal("Later", Money(7000_00, "USD"), stage=meeting, expected_close=dt.date(2027, 3, 1))
    deals.create_deal("Undated", Money(7000_00, "USD"), stage=meeting)
    rows = pipeline.forecast_by_month(dt.date(2026, 11, 1), dt.date(2026, 12, 31))
    assert [(r.month, r.count, r.value, r.weighted) for r in rows] == [
        ("2026-11", 1, 1000_00, 450_00),
        ("2026-12", 1, 2000_00, 1000_00),
    ]


# --- people, quotas, activities --------------------------------------------


def test_quotas_are_set_once_per_rep_and_period(db, maya):
    q4 = parse_period("2026-Q4")
    quotas.set_quota(maya, q4, Money(50_000_00, "USD"))
    quotas.set_quota(maya, q4, Money(60_000_00, "USD"))
    quotas.set_quota(None, q4, Money(200_000_00, "USD"))
    quotas.set_quota(None, parse_period("2026-11"), Money(70_000_00, "USD"))
    rows = {(q.rep_id, q.period_kind, q.period_start): q.amount for q in Quota.select()}
    assert rows == {
        (maya.id, "quarter", dt.date(2026, 10, 1)): 60_000_00,
        (None, "quarter", dt.date(2026, 10, 1)): 200_000_00,
        (None, "month", dt.date(2026, 11, 1)): 70_000_00,
    }
    with pytest.raises(InvalidInput, match="month or a quarter"):
        quotas.set_quota(maya, parse_period("this-week"), Money(1, "USD"))
    with pytest.raises(InvalidInput, match="more than zero"):
        quotas.set_quota(maya, q4, Money(0, "USD"))


def test_reps_organizations_and_contacts_are_not_duplicated(db):
    people.add_rep("Jonas Weber")
    with pytest.raises(InvalidInput, match="exists already"):
        people.add_rep("jonas weber")
    with pytest.raises(InvalidInput, match="email"):
        people.add_rep("Ann", email="not-an-address")
    acme = people.find_or_create_organization("Acme GmbH")
    assert people.find_or_create_organization("ACME gmbh").id == acme.id
    ann = people.find_or_create_contact("Ann Lee", acme)
    assert people.find_or_create_contact("ann lee", acme).id == ann.id


def test_activities_and_notes_reset_the_rotting_clock(db):
    with clock.frozen(dt.datetime(2026, 10, 1, 9, 0)):
        deal = deals.create_deal("Quiet deal", Money(1, "USD"))
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        activities.add_note("Called, no answer", deal=deal)
    assert Deal.get_by_id(deal.id).last_activity_at == dt.datetime(2026, 11, 20, 9, 0)
    with clock.frozen(dt.datetime(2026, 11, 25, 9, 0)):
        task = activities.add_activity("call", "Try again", deal=deal, due_date=dt.date(2026, 11, 27))
    assert Deal.get_by_id(deal.id).last_activity_at == dt.datetime(2026, 11, 25, 9, 0)
    with clock.frozen(dt.datetime(2026, 11, 27, 9, 0)):
        done = activities.complete_activity(task.id)
    assert done.done and Deal.get_by_id(deal.id).last_activity_at == dt.datetime(2026, 11, 27, 9, 0)
    with pytest.raises(InvalidInput, match="kind"):
        activities.add_activity("fax", "Send", deal=deal)


def test_add_deal_parses_everything_before_writing(db, maya):
    before = Deal.select().count()
    with pytest.raises(InvalidInput):
        deals.add_deal("Acme", "12k", default_currency="USD", organization="New Org Ltd",
                       expected_close="someday")
    assert Deal.select().count() == before
    assert not people.Organization.select().where(people.Organization.name == "New Org Ltd").exists()
    deal = deals.add_deal("Acme", "EUR 12.5k", default_currency="USD", stage="neg", owner="maya",
                          organization="New Org Ltd", contact="Ann Lee", expected_close="2026-12-24",
                          probability="35%")
    assert (deal.value, deal.currency, deal.stage, deal.owner_id) == (1_250_000, "EUR", "Negotiation", maya.id)
    assert (deal.organization, deal.contact, deal.expected_close, deal.probability) == (
        "New Org Ltd", "Ann Lee", dt.date(2026, 12, 24), 35)
    assert Contact.get_by_id(deal.contact_id).organization_id == deal.organization_id


def test_history_takes_the_servers_clock_on_postgresql(db, monkeypatch):
    """A client whose clock is years off still writes history in the order it
    happened on a shared PostgreSQL database; SQLite has only the one clock."""
    from pipetui.store import is_postgres

    wrong = dt.datetime(2001, 1, 1)
    monkeypatch.setattr(clock, "now", lambda: wrong)
    deal = deals.create_deal("Skewed", Money(100, "USD"))
    deals.move_deal(deal.id, lookup.stages()[1])
    stamps = [c.changed_at for c in StageChange.select().where(StageChange.deal == deal.id)]
    real = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if is_postgres(db):
        assert all(abs((stamp - real).total_seconds()) < 300 for stamp in stamps), stamps
        assert stamps == sorted(stamps)
    else:
        assert stamps == [wrong, wrong]


def test_every_field_edit_is_recorded_with_old_and_new_value_who_and_when(db):
    from pipetui.store import FieldChange

    with clock.frozen(dt.datetime(2026, 11, 2, 9, 0)):
        maya = people.add_rep("Maya Field")
        deal = deals.create_deal("Acme rollout", Money(1_000_00, "USD"))
    with clock.frozen(dt.datetime(2026, 11, 3, 10, 0)):
        deals.edit_deal(deal.id, title="Acme rollout, phase 2", value=Money(4_321_00, "USD"),
                        expected_close=dt.date(2027, 1, 2), actor=maya)
        deals.edit_deal(deal.id, title="Acme rollout, phase 2")  # no change: no row
    rows = list(FieldChange.select().where(FieldChange.deal == deal.id).order_by(FieldChange.field))
    assert [(r.field, r.old_value, r.new_value, r.changed_by_id) for r in rows] == [
        ("expected_close", None, "2027-01-02", maya.id),
        ("title", "Acme rollout", "Acme rollout, phase 2", maya.id),
        ("value", "1,000 USD", "4,321 USD", maya.id),
    ]
    assert {r.changed_at for r in rows} == {dt.datetime(2026, 11, 3, 10, 0)}
