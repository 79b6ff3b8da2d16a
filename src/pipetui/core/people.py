"""Reps, organizations and contacts."""

from __future__ import annotations

import re

from peewee import IntegrityError, fn

from pipetui.core import clock
from pipetui.core.errors import InvalidInput
from pipetui.core.rows import RepRef, id_of, rep_ref
from pipetui.core.text import clean_line
from pipetui.store import Contact, Organization, Rep
from pipetui.store import database_proxy as db

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _clean_email(email: str | None) -> str | None:
    email = clean_line(email or "", "email", required=False)
    if email and not _EMAIL.match(email):
        raise InvalidInput(f"not an email address: {email!r}")
    return email


def add_rep(name: str, *, email: str | None = None, username: str | None = None) -> RepRef:
    """Add a sales rep; ``username`` maps an operating-system login to the rep."""
    name = clean_line(name, "rep name", max_length=100)
    email = _clean_email(email)
    if username is not None and not _LOGIN.match(username):
        raise InvalidInput(f"not a login name: {username!r}")
    with db.atomic():
        if Rep.select().where(fn.lower(Rep.name) == name.lower()).exists():
            raise InvalidInput(f"rep {name!r} exists already")
        return rep_ref(Rep.create(name=name, email=email, username=username, created_at=clock.now()))


def list_reps() -> list[RepRef]:
    return [rep_ref(r) for r in Rep.select().order_by(Rep.name)]


def find_or_create_organization(name: str) -> Organization:
    """The organization of that name (case-insensitive), created if new."""
    name = clean_line(name, "organization name")
    with db.atomic():
        found = Organization.select().where(fn.lower(Organization.name) == name.lower()).first()
        if found is not None:
            return found
        try:
            with db.atomic():
                return Organization.create(name=name, created_at=clock.now())
        except IntegrityError:  # created meanwhile by another process
            return Organization.get(Organization.name == name)


def find_or_create_contact(name: str, organization: Organization | int | None = None,
                           *, email: str | None = None, phone: str | None = None) -> Contact:
    """The contact of that name (at that organization when given), created if new."""
    name = clean_line(name, "contact name")
    email = _clean_email(email)
    phone = clean_line(phone or "", "phone", max_length=40, required=False)
    with db.atomic():
        query = Contact.select().where(fn.lower(Contact.name) == name.lower())
        if organization is not None:
            query = query.where(Contact.organization == id_of(organization))
        found = query.order_by(Contact.id).first()
        if found is not None:
            return found
        return Contact.create(name=name, organization=id_of(organization), email=email, phone=phone,
                              created_at=clock.now())
