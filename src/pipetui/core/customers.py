"""Customers: organizations and the people (contacts) at them, with their
deals, activities and notes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from peewee import JOIN, fn

from pipetui.core import clock, fields
from pipetui.core.errors import InvalidInput, NotFound
from pipetui.core.people import _clean_email
from pipetui.core.text import clean_line
from pipetui.store import (
    OPEN,
    Activity,
    Contact,
    Deal,
    Note,
    Organization,
    Stage,
)
from pipetui.store import (
    database_proxy as db,
)
from pipetui.store.database import text_contains

ORGANIZATION, PERSON = "organization", "person"
_WEBSITE = re.compile(r"^(https?://)?[\w-]+(\.[\w-]+)+(/\S*)?$")


@dataclass(frozen=True)
class Customer:
    kind: str  # ORGANIZATION or PERSON
    id: int
    name: str
    detail: str  # a person's organization or email; an organization's website
    email: str | None = None  # a person's
    organization: str | None = None  # a person's


@dataclass
class CustomerDeal:
    id: int
    title: str
    stage: str
    status: str
    value: int
    currency: str


@dataclass
class Profile:
    customer: Customer
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    organization: str | None = None  # a person's
    people: list[str] = field(default_factory=list)  # an organization's
    deals: list[CustomerDeal] = field(default_factory=list)
    activities: list[tuple[dt.date | None, str, str, bool]] = field(default_factory=list)  # due, kind, subject, done
    notes: list[tuple[dt.datetime, str]] = field(default_factory=list)

    def totals(self, status: str) -> dict[str, tuple[int, int]]:
        """Per currency, the number and value of the deals with ``status``."""
        result: dict[str, tuple[int, int]] = {}
        for deal in self.deals:
            if deal.status == status:
                count, value = result.get(deal.currency, (0, 0))
                result[deal.currency] = (count + 1, value + deal.value)
        return result


def search(text: str = "", limit: int = 100, kind: str | None = None) -> list[Customer]:
    """Organizations and people (or only those of ``kind``) whose name
    contains ``text`` (any case), by name."""
    needle = text.strip().lower()
    orgs = Organization.select(Organization.id, Organization.name, Organization.website)
    people = (Contact.select(Contact.id, Contact.name, Contact.email, Organization.name.alias("org"))
              .join(Organization, JOIN.LEFT_OUTER, on=(Organization.id == Contact.organization)))
    if needle:
        orgs = orgs.where(text_contains(fn.lower(Organization.name), needle))
        people = people.where(text_contains(fn.lower(Contact.name), needle))
    found = []
    if kind in (None, ORGANIZATION):
        found += [Customer(ORGANIZATION, i, name, website or "") for i, name, website in
                  orgs.order_by(Organization.name).limit(limit).tuples()]
    if kind in (None, PERSON):
        found += [Customer(PERSON, i, name, org or email or "", email, org) for i, name, email, org in
                  people.order_by(Contact.name).limit(limit).tuples()]
    found.sort(key=lambda c: (c.name.casefold(), c.kind))
    return found[:limit]


def profile(kind: str, customer_id: int) -> Profile:
    """Everything about one organization or person."""
    if kind == ORGANIZATION:
        org = Organization.get_or_none(Organization.id == customer_id)
        if org is None:
            raise NotFound(f"no organization #{customer_id}")
        people = [c.name for c in Contact.select(Contact.name).where(Contact.organization == org.id)
                  .order_by(Contact.name)]
        found = Profile(Customer(ORGANIZATION, org.id, org.name, org.website or ""), website=org.website,
                        people=people)
        deal_match = Deal.organization == org.id
        note_match = (Note.organization == org.id)
        activity_match = Activity.contact.in_(Contact.select(Contact.id).where(Contact.organization == org.id))
    else:
        person = Contact.get_or_none(Contact.id == customer_id)
        if person is None:
            raise NotFound(f"no contact #{customer_id}")
        org_name = person.organization.name if person.organization_id else None
        found = Profile(Customer(PERSON, person.id, person.name, org_name or person.email or "",
                                 person.email, org_name),
                        email=person.email, phone=person.phone, organization=org_name)
        deal_match = Deal.contact == person.id
        note_match = (Note.contact == person.id)
        activity_match = Activity.contact == person.id
    deals = list(
        Deal.select(Deal.id, Deal.title, Stage.name, Deal.status, Deal.value, Deal.currency)
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(deal_match, Deal.deleted_at.is_null())
        .order_by(Deal.status != OPEN, Deal.value.desc())
        .tuples()
    )
    found.deals = [CustomerDeal(*row) for row in deals]
    deal_ids = [row[0] for row in deals]
    activity_where = activity_match | Activity.deal.in_(deal_ids) if deal_ids else activity_match
    found.activities = list(
        Activity.select(Activity.due_date, Activity.kind, Activity.subject, Activity.done)
        .where(activity_where).order_by(Activity.done, Activity.due_date.desc(nulls="LAST")).limit(10).tuples())
    note_where = note_match | Note.deal.in_(deal_ids) if deal_ids else note_match
    found.notes = list(Note.select(Note.created_at, Note.body).where(note_where)
                       .order_by(Note.created_at.desc()).limit(5).tuples())
    return found


def save_organization(name: str, website: str | None = None, *, organization_id: int | None = None,
                      custom: Mapping[str, str] | None = None, currency: str = "USD") -> Customer:
    """Add an organization, or change one; names are unique whatever their case.
    ``custom`` sets its custom fields ({name: text}, money without a currency
    in ``currency``) in the same transaction. Returns it as the customer list
    shows it."""
    name = clean_line(name, "organization name")
    website = clean_line(website or "", "website", required=False)
    if website and not _WEBSITE.match(website):
        raise InvalidInput(f"not a website: {website!r} (e.g. example.com)")
    with db.atomic():
        clash = Organization.select().where(fn.lower(Organization.name) == name.lower())
        if organization_id is not None:
            clash = clash.where(Organization.id != organization_id)
        if clash.exists():
            raise InvalidInput(f"an organization named {name!r} exists already")
        if organization_id is None:
            org = Organization.create(name=name, website=website, created_at=clock.now())
        else:
            org = Organization.get_or_none(Organization.id == organization_id)
            if org is None:
                raise NotFound(f"no organization #{organization_id}")
            org.name, org.website = name, website
            org.save()
        if custom:
            fields.set_record_values("organization", org.id, custom, currency)
    return Customer(ORGANIZATION, org.id, org.name, org.website or "")


def save_contact(name: str, *, email: str | None = None, phone: str | None = None,
                 organization: str | None = None, contact_id: int | None = None,
                 custom: Mapping[str, str] | None = None, currency: str = "USD") -> Customer:
    """Add a person, or change one; ``organization`` by name (created if new);
    ``custom`` sets their custom fields in the same transaction. Returns them
    as the customer list shows them."""
    from pipetui.core.people import find_or_create_organization

    name = clean_line(name, "name")
    email = _clean_email(email)
    phone = clean_line(phone or "", "phone", max_length=40, required=False)
    if phone and not re.fullmatch(r"[+()\d][\d ()./-]{3,}", phone):
        raise InvalidInput(f"not a phone number: {phone!r}")
    with db.atomic():
        org = find_or_create_organization(organization) if organization and organization.strip() else None
        if contact_id is None:
            person = Contact.create(name=name, email=email, phone=phone, organization=org,
                                    created_at=clock.now())
        else:
            person = Contact.get_or_none(Contact.id == contact_id)
            if person is None:
                raise NotFound(f"no contact #{contact_id}")
            person.name, person.email, person.phone, person.organization = name, email, phone, org
            person.save()
        if custom:
            fields.set_record_values("contact", person.id, custom, currency)
    org_name = org.name if org else None
    return Customer(PERSON, person.id, person.name, org_name or person.email or "", person.email, org_name)


def deals_of(kind: str, customer_id: int) -> int:
    match = Deal.organization == customer_id if kind == ORGANIZATION else Deal.contact == customer_id
    return Deal.select().where(match).count()


def delete_customer(kind: str, customer_id: int, *, confirmed: bool = False) -> int:
    """Delete an organization or a person. One that deals point at is
    deleted only when ``confirmed``: the deals stay, without it (and an
    organization's people stay, without their organization). Returns the
    number of deals that pointed at it."""
    with db.atomic():
        count = deals_of(kind, customer_id)
        model = Organization if kind == ORGANIZATION else Contact
        found = model.get_or_none(model.id == customer_id)
        if found is None:
            raise NotFound(f"no {kind} #{customer_id}")
        if count and not confirmed:
            raise InvalidInput(f"{found.name} has {count} deal{'s' * (count != 1)}; confirm to delete "
                               f"(the deals stay, without {'it' if kind == ORGANIZATION else 'them'})")
        if kind == ORGANIZATION:
            Deal.update(organization=None).where(Deal.organization == customer_id).execute()
            Contact.update(organization=None).where(Contact.organization == customer_id).execute()
            Note.delete().where(Note.organization == customer_id).execute()
        else:
            Deal.update(contact=None).where(Deal.contact == customer_id).execute()
            Activity.update(contact=None).where(Activity.contact == customer_id).execute()
            Note.delete().where(Note.contact == customer_id).execute()
        found.delete_instance()
    return count



def resolve(kind: str, text: str) -> Customer:
    """An organization or a person by id (``7`` or ``#7``), exact name (any
    case) or unique name prefix; an ambiguous name lists the candidates."""
    from pipetui.core.errors import Ambiguous
    from pipetui.core.text import parse_whole_number

    what = "organization" if kind == ORGANIZATION else "contact"
    ref = text.strip()
    if not ref:
        raise InvalidInput(f"no {what} given")
    digits = ref.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        try:
            return profile(kind, parse_whole_number(digits, f"{what} id")).customer
        except InvalidInput:  # no such id (or past any id): a name made of digits, unless #
            if ref.startswith("#"):
                raise NotFound(f"no {what} #{digits}") from None
    folded = ref.casefold()
    candidates = [c for c in search(ref, limit=1000, kind=kind) if c.name.casefold().startswith(folded)]
    exact = [c for c in candidates if c.name.casefold() == folded]
    matches = exact or candidates
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no {what} matches {ref!r} (give its id or the start of its name)")
    listed = "; ".join(f"#{c.id} {c.name}" for c in matches[:10])
    raise Ambiguous(f"{ref!r} matches several {what}s: {listed}; give the id")
