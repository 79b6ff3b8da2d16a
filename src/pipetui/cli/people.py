"""What the deal editor and the customers screen do, from the command line:
activities, notes, organizations and contacts."""

from __future__ import annotations


import json

import click

from pipetui.cli.session import FriendlyGroup, Listing, Session, command, echo, echo_json, list_options


# --- activities ----------------------------------------------------------------


@click.group(cls=FriendlyGroup)
def activity() -> None:
    """Calls, meetings, emails and tasks: schedule, mark done, snooze, list."""


def _activity_json(a) -> dict:
    return {"id": a.id, "deal_id": a.deal_id, "kind": a.kind, "subject": a.subject,
            "due_date": a.due_date.isoformat() if a.due_date else None,
            "due_time": a.due_time.strftime("%H:%M") if a.due_time else None,
            "done": a.done, "late": a.late}


def _activity_line(a) -> str:
    due = a.due_date.isoformat() if a.due_date else "-"
    at = a.due_time.strftime("%H:%M") if a.due_time else "     "
    mark = "done" if a.done else ("late" if a.late else "open")
    deal = f"deal #{a.deal_id}" if a.deal_id else "-"
    return f"#{a.id:<6} {mark:<4} {due:<10} {at} {a.kind:<7} {a.subject[:40]:<40} {deal}"


@command(name="add", parent=activity)
@click.argument("deal")
@click.argument("line", nargs=-1, required=True, metavar="WHAT")
def activity_add(state: Session, deal: str, line: tuple[str, ...]) -> None:
    """Schedule an activity on DEAL from one line: KIND [DATE] [HH:MM] [SUBJECT],
    e.g. "call tomorrow 10:00 pricing"."""
    from pipetui.core import activities, lookup

    found = lookup.resolve_deal(deal)
    added = activities.schedule_on_deal(found.id, " ".join(line), owner=state.actor())
    due = f" due {added.due_date.isoformat()}" if added.due_date else ""
    at = f" {added.due_time.strftime('%H:%M')}" if added.due_time else ""
    echo(f"Scheduled #{added.id} {added.kind} {added.subject}{due}{at} on #{found.id} {found.title}")


@command(name="done", parent=activity)
@click.argument("activity_id", metavar="ID", type=str)
def activity_done(state: Session, activity_id: str) -> None:
    """Mark activity ID done."""
    from pipetui.core import activities
    from pipetui.core.text import parse_whole_number

    done = activities.complete_activity(parse_whole_number(activity_id.removeprefix("#"), "activity id"))
    echo(f"Done #{done.id} {done.kind} {done.subject}")


@command(name="snooze", parent=activity)
@click.argument("activity_id", metavar="ID", type=str)
@click.argument("when", metavar="DATE")
def activity_snooze(state: Session, activity_id: str, when: str) -> None:
    """Put activity ID off: until DATE (fri, +1w, 2026-12-10), or by a number of days."""
    from pipetui.core import activities
    from pipetui.core.dates import parse_date
    from pipetui.core.text import parse_whole_number

    number = parse_whole_number(activity_id.removeprefix("#"), "activity id")
    if when.strip().isascii() and when.strip().isdigit():
        snoozed = activities.snooze_activity(number, parse_whole_number(when, "days"))
    else:
        snoozed = activities.snooze_activity_until(number, parse_date(when))
    echo(f"Snoozed #{snoozed.id} {snoozed.kind} {snoozed.subject} to {snoozed.due_date.isoformat()}")


@command(name="list", parent=activity)
@click.argument("deal", required=False)
@click.option("--rep", "-r", "rep_name", metavar="REP", help="Without DEAL: only this rep's.")
@list_options
def activity_list(state: Session, deal: str | None, rep_name: str | None, listing: Listing) -> None:
    """List DEAL's activities (open ones by due date, then the latest done);
    without DEAL, every open activity by due date."""
    from pipetui.core import activities, lookup
    from pipetui.core.errors import InvalidInput

    if deal is not None:
        if rep_name:
            raise InvalidInput("give DEAL or --rep, not both")
        found = activities.deal_activities(lookup.resolve_deal(deal).id)
    else:
        found = activities.open_activities(lookup.resolve_rep(rep_name).id if rep_name else None)
    listing.emit(found, to_json=_activity_json, text=_activity_line, empty="No activities.")


# --- notes -----------------------------------------------------------------------


@click.group(cls=FriendlyGroup)
def note() -> None:
    """Notes on deals."""


def _note_json(n) -> dict:
    return {"id": n.id, "created_at": n.created_at.isoformat(), "author": n.author, "body": n.body}


@command(name="add", parent=note)
@click.argument("deal")
@click.argument("text")
def note_add(state: Session, deal: str, text: str) -> None:
    """Add a note (TEXT, several lines allowed) to DEAL."""
    from pipetui.core import activities, lookup

    found = lookup.resolve_deal(deal)
    added = activities.add_note_to_deal(found.id, text, author=state.actor())
    echo(f"Added note #{added.id} to #{found.id} {found.title}")


@command(name="list", parent=note)
@click.argument("deal")
@list_options
def note_list(state: Session, deal: str, listing: Listing) -> None:
    """List DEAL's latest notes, newest first."""
    from pipetui.core import activities, lookup

    def text(n) -> str:
        head = f"#{n.id} {n.created_at:%Y-%m-%d %H:%M} {n.author or '-'}"
        return head + "\n" + "\n".join("  " + line for line in n.body.splitlines())

    found = activities.deal_notes(lookup.resolve_deal(deal).id)
    listing.emit(found, to_json=_note_json, text=text, empty="No notes.")


# --- organizations and contacts -------------------------------------------------


def _iso(value) -> str | None:
    """A date or time as ISO text; SQLite may hand it back as text already."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _profile_json(p) -> dict:
    c = p.customer
    return {
        "id": c.id, "kind": "organization" if c.kind == "organization" else "contact", "name": c.name,
        "website": p.website, "email": p.email, "phone": p.phone, "organization": p.organization,
        "people": p.people,
        "deals": [{"id": d.id, "title": d.title, "stage": d.stage, "status": d.status, "value": d.value,
                   "currency": d.currency} for d in p.deals],
        "activities": [{"due_date": _iso(due), "kind": kind, "subject": subject,
                        "done": bool(done)} for due, kind, subject, done in p.activities],
        "notes": [{"created_at": _iso(when), "body": body}
                  for when, body in p.notes],
    }


def _entity(kind: str) -> str:
    """The kind of record a customer is, as custom fields name it."""
    from pipetui.core import customers

    return "organization" if kind == customers.ORGANIZATION else "contact"


def _show(kind: str, reference: str, as_json: bool) -> None:
    from pipetui.core import customers, fields
    from pipetui.core.money import format_money

    p = customers.profile(kind, customers.resolve(kind, reference).id)
    custom = fields.record_fields_json(_entity(kind), p.customer.id)
    if as_json:
        echo_json(json.dumps({**_profile_json(p), "fields": custom}, indent=2, ensure_ascii=False))
        return
    c = p.customer
    echo(f"{c.name} ({'organization' if kind == customers.ORGANIZATION else 'contact'} #{c.id})")
    for label, value in (("website", p.website), ("email", p.email), ("phone", p.phone),
                         ("organization", p.organization), *custom.items()):
        if value:
            echo(f"  {label}: {', '.join(value) if isinstance(value, list) else value}")
    if p.people:
        echo(f"  people: {', '.join(p.people)}")
    for d in p.deals:
        echo(f"  deal #{d.id} {d.stage} {d.status} {format_money(d.value, d.currency)} {d.title}")
    for due, kind_, subject, done in p.activities:
        echo(f"  {'done' if done else 'open'} {_iso(due) or '-'} {kind_} {subject}")
    for when, body in p.notes:
        echo(f"  note {(_iso(when) or '')[:16]}: {body.splitlines()[0] if body else ''}")


@click.group(cls=FriendlyGroup)
def org() -> None:
    """Organizations: add, edit, show, list."""


def _org_json(c) -> dict:
    return {"id": c.id, "name": c.name, "website": c.detail or None}


@command(name="add", parent=org)
@click.argument("name")
@click.option("--website", help="example.com")
def org_add(state: Session, name: str, website: str | None) -> None:
    """Add an organization."""
    from pipetui.core import customers

    added = customers.save_organization(name, website)
    echo(f"Added organization #{added.id} {added.name}")


@command(name="edit", parent=org)
@click.argument("organization", metavar="ORG")
@click.option("--name", help="A new name.")
@click.option("--website", help="A new website ('' clears it).")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A custom field's value.")
def org_edit(state: Session, organization: str, name: str | None, website: str | None,
             assignments: tuple[str, ...]) -> None:
    """Change ORG (id or name)'s name, website or custom fields."""
    from pipetui.core import customers, fields
    from pipetui.core.errors import InvalidInput

    if name is None and website is None and not assignments:
        raise InvalidInput("nothing to change: give --name, --website or --set")
    found = customers.profile(customers.ORGANIZATION, customers.resolve(customers.ORGANIZATION, organization).id)
    saved = customers.save_organization(found.customer.name if name is None else name,
                                        found.website if website is None else website,
                                        organization_id=found.customer.id,
                                        custom=fields.parse_assignments(assignments),
                                        currency=state.context.currency)
    echo(f"Saved organization #{saved.id} {saved.name}")


@command(name="show", parent=org)
@click.argument("organization", metavar="ORG")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def org_show(state: Session, organization: str, as_json: bool) -> None:
    """ORG's website, people, deals, activities and notes."""
    from pipetui.core import customers

    _show(customers.ORGANIZATION, organization, as_json)


@command(name="list", parent=org)
@click.argument("text", required=False, default="")
@list_options
def org_list(state: Session, text: str, listing: Listing) -> None:
    """List organizations (whose name contains TEXT), by name."""
    from pipetui.core import customers

    found = customers.search(text, limit=100_000, kind=customers.ORGANIZATION)
    listing.emit(found, to_json=_org_json, text=lambda c: f"#{c.id:<6} {c.name:<32} {c.detail or '-'}",
                 empty="No organizations.")


@click.group(cls=FriendlyGroup)
def contact() -> None:
    """Contacts (people): add, edit, show, list."""


def _contact_json(c) -> dict:
    return {"id": c.id, "name": c.name, "email": c.email, "organization": c.organization}


@command(name="add", parent=contact)
@click.argument("name")
@click.option("--email")
@click.option("--phone")
@click.option("--org", "organization", help="Organization (created if new).")
def contact_add(state: Session, name: str, email, phone, organization) -> None:
    """Add a contact."""
    from pipetui.core import customers

    added = customers.save_contact(name, email=email, phone=phone, organization=organization)
    echo(f"Added contact #{added.id} {added.name}")


@command(name="edit", parent=contact)
@click.argument("person", metavar="CONTACT")
@click.option("--name", help="A new name.")
@click.option("--email", help="A new email ('' clears it).")
@click.option("--phone", help="A new phone ('' clears it).")
@click.option("--org", "organization", help="Another organization (created if new; '' for none).")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="A custom field's value.")
def contact_edit(state: Session, person: str, name, email, phone, organization,
                 assignments: tuple[str, ...]) -> None:
    """Change CONTACT (id or name)'s name, email, phone, organization or custom fields."""
    from pipetui.core import customers, fields
    from pipetui.core.errors import InvalidInput

    if name is email is phone is organization is None and not assignments:
        raise InvalidInput("nothing to change: give --name, --email, --phone, --org or --set")
    found = customers.profile(customers.PERSON, customers.resolve(customers.PERSON, person).id)
    saved = customers.save_contact(
        found.customer.name if name is None else name,
        email=found.email if email is None else email,
        phone=found.phone if phone is None else phone,
        organization=found.organization if organization is None else organization,
        contact_id=found.customer.id,
        custom=fields.parse_assignments(assignments),
        currency=state.context.currency,
    )
    echo(f"Saved contact #{saved.id} {saved.name}")


@command(name="show", parent=contact)
@click.argument("person", metavar="CONTACT")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def contact_show(state: Session, person: str, as_json: bool) -> None:
    """CONTACT's email, phone, organization, deals, activities and notes."""
    from pipetui.core import customers

    _show(customers.PERSON, person, as_json)


@command(name="list", parent=contact)
@click.argument("text", required=False, default="")
@list_options
def contact_list(state: Session, text: str, listing: Listing) -> None:
    """List contacts (whose name contains TEXT), by name."""
    from pipetui.core import customers

    found = customers.search(text, limit=100_000, kind=customers.PERSON)
    listing.emit(found, to_json=_contact_json,
                 text=lambda c: f"#{c.id:<6} {c.name:<32} {c.organization or '-':<24} {c.email or '-'}",
                 empty="No contacts.")
