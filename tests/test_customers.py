"""Customers: search, profiles with deals and totals, validated edits, and
deletes that never leave a deal pointing at nothing."""

from __future__ import annotations

import pytest

from pipetui.core import activities, customers, deals, people
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money
from pipetui.store import Contact, Deal, Organization


@pytest.fixture
def book(db):
    acme = customers.save_organization("Acme GmbH", "acme.example")
    ann = customers.save_contact("Ann Baker", email="ann@acme.example", phone="+49 30 1234", organization="Acme GmbH")
    customers.save_contact("Bo Chen", email="bo@example.com")
    open_deal = deals.create_deal("Acme rollout", Money(30_000_00, "USD"), organization=acme, contact=ann)
    won = deals.create_deal("Acme pilot", Money(5_000_00, "USD"), organization=acme)
    deals.win_deal(won.id)
    deals.create_deal("Acme EU", Money(7_000_00, "EUR"), organization=acme)
    activities.add_activity("call", "Pricing", deal=open_deal)
    activities.add_note("Met at the fair", organization=acme)
    return {"acme": acme, "ann": ann, "open": open_deal}


def test_search_finds_people_and_companies_as_you_type(book):
    assert [(c.kind, c.name) for c in customers.search("ac")] == [("organization", "Acme GmbH")]
    assert [(c.name, c.detail) for c in customers.search("B")] == [
        ("Acme GmbH", "acme.example"), ("Ann Baker", "Acme GmbH"), ("Bo Chen", "bo@example.com")]
    assert len(customers.search("")) == 3


def test_a_company_profile_has_its_deals_totals_people_activities_and_notes(book):
    found = customers.profile("organization", book["acme"].id)
    assert [d.title for d in found.deals] == ["Acme rollout", "Acme EU", "Acme pilot"]  # open first
    assert found.totals("open") == {"USD": (1, 30_000_00), "EUR": (1, 7_000_00)}
    assert found.totals("won") == {"USD": (1, 5_000_00)}
    assert found.people == ["Ann Baker"]
    assert [a[2] for a in found.activities] == ["Pricing"]
    assert [n[1] for n in found.notes] == ["Met at the fair"]
    person = customers.profile("person", book["ann"].id)
    assert (person.organization, person.email, [d.title for d in person.deals]) == \
        ("Acme GmbH", "ann@acme.example", ["Acme rollout"])


@pytest.mark.parametrize("call, message", [
    (lambda: customers.save_organization(""), "must not be empty"),
    (lambda: customers.save_organization("acme gmbh"), "exists already"),
    (lambda: customers.save_organization("New", "not a site"), "not a website"),
    (lambda: customers.save_contact("Cy", email="cy@"), "not an email"),
    (lambda: customers.save_contact("Cy", phone="call me"), "not a phone"),
    (lambda: customers.save_contact("Cy\x1b[31m"), "control character"),
])
def test_bad_input_is_refused_and_nothing_is_saved(book, call, message):
    before = (Organization.select().count(), Contact.select().count())
    with pytest.raises(InvalidInput, match=message):
        call()
    assert (Organization.select().count(), Contact.select().count()) == before


def test_deleting_a_company_with_deals_asks_first_and_leaves_no_dangling_deal(book):
    with pytest.raises(InvalidInput, match="Acme GmbH has 3 deals; confirm"):
        customers.delete_customer("organization", book["acme"].id)
    assert Organization.get_or_none(Organization.id == book["acme"].id) is not None
    assert customers.delete_customer("organization", book["acme"].id, confirmed=True) == 3
    assert Deal.select().where(Deal.organization.is_null(False)).count() == 0
    assert Deal.select().count() == 3  # the deals stay
    assert Contact.get_by_id(book["ann"].id).organization_id is None
    customers.delete_customer("person", book["ann"].id, confirmed=True)
    assert Deal.get_by_id(book["open"].id).contact_id is None


def test_an_edit_changes_the_record(book):
    customers.save_contact("Ann Baker-Li", email="ann@new.example", organization="Newco",
                           contact_id=book["ann"].id)
    person = Contact.get_by_id(book["ann"].id)
    assert (person.name, person.email, person.organization.name) == ("Ann Baker-Li", "ann@new.example", "Newco")
    assert people.find_or_create_organization("newco").id == person.organization_id
