"""Deal services: every write is one transaction and leaves history behind.

Each function takes parsed values (see :mod:`pipetui.core.money`,
:mod:`pipetui.core.dates`, :mod:`pipetui.core.lookup`) and returns the deal as
it is after the change, as a :class:`~pipetui.core.rows.DealRow`. Stages,
reps, organizations and contacts are given as refs or read models (or store
rows): only their ids are written. Updates check the deal's ``version``: when
``expected_version`` is given and the stored deal has moved on, nothing is
written and :class:`ConflictError` is raised.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from peewee import fn

from pipetui.core import clock, history_columns
from pipetui.core.errors import ConflictError, InvalidInput, NotFound
from pipetui.core.lookup import default_pipeline, stages
from pipetui.core.money import Money, format_money, parse_money, validate_currency
from pipetui.core.rows import DealRow, RepRef, StageRef, deal_row, id_of
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.core.text import TITLE_MAX_LENGTH, clean_line, parse_probability
from pipetui.store import (
    LOST,
    OPEN,
    WON,
    Contact,
    Deal,
    FieldChange,
    LostReason,
    Organization,
    Rep,
    Stage,
    StageChange,
)
from pipetui.store import (
    database_proxy as db,
)
from pipetui.store.database import is_postgres

_UNSET: Any = object()


def change_time() -> dt.datetime:
    """The time of a change being written. On PostgreSQL it is the server's:
    the clients of a team need not agree on the time, and history is ordered
    by it. A frozen clock (tests, snapshots) still wins."""
    if clock.is_frozen() or not is_postgres(db):
        return clock.now()
    return db.execute_sql("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0]


def get_deal(deal_id: int) -> DealRow:
    """A live deal (not deleted), with the names of what it points at."""
    deal = deal_row(deal_id, include_deleted=False)
    if deal is None:
        raise NotFound(f"no deal #{deal_id}")
    return deal


def _record_change(deal_id: int, from_stage, to_stage, from_status, to_status, actor, when,
                   before: DealRow | None = None, after: DealRow | None = None) -> None:
    StageChange.create(
        deal=deal_id,
        from_stage=id_of(from_stage),
        to_stage=id_of(to_stage),
        from_status=from_status,
        to_status=to_status,
        changed_at=when,
        changed_by=id_of(actor),
        before_state=deal_state(before) if before is not None else None,
        after_state=deal_state(after) if after is not None else None,
        to_position=history_columns.stage_position(id_of(to_stage)),
    )
    history_columns.refresh(deal_id)


# What a stage or status change alters on a deal, kept on its StageChange row
# as it was before and after, so that undo and redo restore it exactly.
_STATE_TIMES = ("stage_entered_at", "last_activity_at", "closed_at")


def deal_state(deal: DealRow) -> str:
    """The fields of ``deal`` a stage or status change alters, as JSON."""
    state = {"stage": deal.stage_id, "status": deal.status, "probability": deal.probability,
             "lost_reason": deal.lost_reason}
    for name in _STATE_TIMES:
        value = getattr(deal, name)
        state[name] = value.isoformat() if value is not None else None
    return json.dumps(state, sort_keys=True)


def restore_state(deal_id: int, state: str, *, expected_version: int) -> DealRow:
    """Put the fields a stage or status change alters back as ``state``
    (from :func:`deal_state`) says, only if the deal still has
    ``expected_version``; writes no history (the caller marks the change)."""
    fields = json.loads(state)
    for name in _STATE_TIMES:
        if fields[name] is not None:
            fields[name] = dt.datetime.fromisoformat(fields[name])
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()
        if fields["stage"] != deal.stage_id:
            _check_stage(Stage.get_by_id(fields["stage"]), deal.pipeline_id)
        return _save(deal, fields, now)


# The columns of a deal an edit changes, and the DealRow attribute each is read from.
EDITED_COLUMNS = {"title": "title", "value": "value", "currency": "currency",
                  "probability": "probability", "owner": "owner_id",
                  "organization": "organization_id", "contact": "contact_id",
                  "expected_close": "expected_close"}


def edited_columns(deal: DealRow) -> dict[str, Any]:
    """The columns of ``deal`` an edit changes, as stored (ids, minor units)."""
    return {column: getattr(deal, attribute) for column, attribute in EDITED_COLUMNS.items()}


def restore_fields(deal_id: int, columns: dict[str, Any], *, expected_version: int) -> DealRow:
    """Put the columns an edit changed back as ``columns`` (from
    :func:`edited_columns`) says, only if the deal still has
    ``expected_version``; writes no history (the caller marks the change).
    A rep, organization or contact removed since is left empty."""
    unknown = set(columns) - set(EDITED_COLUMNS)
    if unknown:
        raise ValueError(f"not an edited column: {sorted(unknown)}")
    columns = dict(columns)
    for column, model in (("owner", Rep), ("organization", Organization), ("contact", Contact)):
        if columns.get(column) is not None and model.get_or_none(model.id == columns[column]) is None:
            columns[column] = None
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        return _save(deal, columns, change_time())


def _locked_deal(deal_id: int, expected_version: int | None) -> DealRow:
    """The deal as stored, refusing a stale version before anything is written."""
    deal = get_deal(deal_id)
    if expected_version is not None and deal.version != expected_version:
        raise _conflict(deal, expected_version)
    return deal


def current_deal(deal_id: int, *, expected_version: int | None) -> DealRow:
    """The live deal as stored; ConflictError when it no longer has ``expected_version``."""
    return _locked_deal(deal_id, expected_version)


def _conflict(deal: DealRow | Deal, expected_version: int) -> ConflictError:
    return ConflictError(
        f"deal #{deal.id} {deal.title!r} was changed by someone else since you opened it "
        f"(version {deal.version}, yours {expected_version}); reload it to see the change"
    )


def _save(deal: DealRow, changes: dict[str, Any], when: dt.datetime) -> DealRow:
    """Write ``changes`` only if the deal still has the version we read."""
    updated = (
        Deal.update(**changes, updated_at=when, version=Deal.version + 1)
        .where(Deal.id == deal.id, Deal.version == deal.version, Deal.deleted_at.is_null())
        .execute()
    )
    if updated != 1:
        current = Deal.get_or_none(Deal.id == deal.id)
        if current is None or current.deleted_at is not None:
            raise NotFound(f"deal #{deal.id} was deleted by someone else")
        raise _conflict(current, deal.version)
    return deal_row(deal.id)


def _check_stage(stage: StageRef | Stage, deal_pipeline_id: int | None = None) -> StageRef | Stage:
    if deal_pipeline_id is not None and stage.pipeline_id != deal_pipeline_id:
        raise InvalidInput(f"stage {stage.name!r} belongs to another pipeline")
    return stage


def create_deal(
    title: str,
    value: Money,
    *,
    stage: StageRef | Stage | None = None,
    owner: RepRef | Rep | None = None,
    organization: Organization | int | None = None,
    contact: Contact | int | None = None,
    expected_close: dt.date | None = None,
    probability: int | None = None,
    external_id: str | None = None,
    actor: RepRef | Rep | None = None,
    rules: Rulebook = NO_RULES,
) -> DealRow:
    """Open a new deal, in the first stage unless ``stage`` is given; the
    ``rules`` of entering that stage apply."""
    title = clean_line(title, "title", max_length=TITLE_MAX_LENGTH)
    if value.amount < 0:
        raise InvalidInput("value must not be negative")
    currency = validate_currency(value.currency)
    if probability is not None:
        probability = parse_probability(probability)
    with db.atomic():
        now = change_time()
        pipeline_id = stage.pipeline_id if stage is not None else default_pipeline().id
        stage = stage or stages(pipeline_id)[0]
        deal = Deal.create(
            pipeline=pipeline_id,
            stage=stage.id,
            title=title,
            value=value.amount,
            currency=currency,
            probability=probability,
            owner=id_of(owner),
            organization=id_of(organization),
            contact=id_of(contact),
            expected_close=expected_close,
            status=OPEN,
            created_at=now,
            updated_at=now,
            stage_entered_at=now,
            last_activity_at=now,
            external_id=external_id,
        )
        rules.check_entry(deal, stage.name)
        _record_change(deal.id, None, stage, None, OPEN, actor, now)
        ruled = rules.after_entry(deal, stage.name, actor, now)
        if ruled and probability is None:
            Deal.update(**ruled).where(Deal.id == deal.id).execute()
    return deal_row(deal.id)


def edit_deal(
    deal_id: int,
    *,
    expected_version: int | None = None,
    title: str = _UNSET,
    value: Money = _UNSET,
    probability: int | None = _UNSET,
    owner: RepRef | Rep | None = _UNSET,
    organization: Organization | int | None = _UNSET,
    contact: Contact | int | None = _UNSET,
    expected_close: dt.date | None = _UNSET,
    actor: RepRef | Rep | None = None,
) -> DealRow:
    """Change the given fields; stage and status change through move/win/lose/reopen."""
    changes: dict[str, Any] = {}
    if title is not _UNSET:
        changes["title"] = clean_line(title, "title", max_length=TITLE_MAX_LENGTH)
    if value is not _UNSET:
        if value.amount < 0:
            raise InvalidInput("value must not be negative")
        changes["value"] = value.amount
        changes["currency"] = validate_currency(value.currency)
    if probability is not _UNSET:
        changes["probability"] = None if probability is None else parse_probability(probability)
    for name, given in (("owner", owner), ("organization", organization), ("contact", contact)):
        if given is not _UNSET:
            changes[name] = id_of(given)
    if expected_close is not _UNSET:
        changes["expected_close"] = expected_close
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        if not changes:
            return deal
        saved = _save(deal, changes, now)
        record_field_changes(deal, saved, actor=actor, when=now)
        return saved


# The fields whose every change is kept (stage and status: StageChange), as
# a person reads them; FieldChange rows hold these texts.
RECORDED_FIELDS = ("title", "value", "owner", "organization", "contact", "expected_close", "probability")


def field_texts(deal: DealRow) -> dict[str, str | None]:
    """The recorded fields of ``deal`` as text (None: empty)."""
    return {
        "title": deal.title,
        "value": format_money(deal.value, deal.currency),
        "owner": deal.owner,
        "organization": deal.organization,
        "contact": deal.contact,
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
        "probability": None if deal.probability is None else f"{deal.probability}%",
    }


def record_field_changes(before: DealRow, after: DealRow, *, actor: RepRef | Rep | None,
                         when: dt.datetime) -> None:
    """One FieldChange row for each recorded field that differs; called in
    the transaction that wrote the change."""
    old, new = field_texts(before), field_texts(after)
    rows = [
        {"deal": after.id, "field": name, "old_value": old[name], "new_value": new[name],
         "changed_at": when, "changed_by": id_of(actor) if actor is not None else None}
        for name in RECORDED_FIELDS if old[name] != new[name]
    ]
    if rows:
        FieldChange.insert_many(rows).execute()


def move_deal(deal_id: int, stage: StageRef | Stage, *, expected_version: int | None = None,
              actor: RepRef | Rep | None = None, rules: Rulebook = NO_RULES) -> DealRow:
    """Move an open deal to another stage of its pipeline; the ``rules`` of
    entering that stage apply (undo and redo pass none: taking a move back,
    or making it again, is not entering the stage anew)."""
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        _check_stage(stage, deal.pipeline_id)
        if deal.status != OPEN:
            raise InvalidInput(f"deal #{deal.id} is {deal.status}; reopen it before moving it")
        if deal.stage_id == stage.id:
            raise InvalidInput(f"deal #{deal.id} is already in {stage.name}")
        rules.check_entry(deal, stage.name)
        ruled = rules.after_entry(deal, stage.name, actor, now)
        before = deal
        deal = _save(deal, {"stage": stage.id, "stage_entered_at": now, "last_activity_at": now, **ruled},
                     now)
        _record_change(deal.id, before.stage_id, stage, OPEN, OPEN, actor, now, before, deal)
    return deal


def step_deal(deal_id: int, steps: int, *, expected_version: int | None = None,
              actor: RepRef | Rep | None = None, rules: Rulebook = NO_RULES) -> DealRow:
    """Move a deal ``steps`` stages forward (or back when negative)."""
    deal = get_deal(deal_id)
    ordered = stages(deal.pipeline_id)
    index = next(i for i, s in enumerate(ordered) if s.id == deal.stage_id) + steps
    if not 0 <= index < len(ordered):
        edge = "last" if steps > 0 else "first"
        raise InvalidInput(f"deal #{deal.id} is already in the {edge} stage")
    return move_deal(deal_id, ordered[index], expected_version=expected_version, actor=actor, rules=rules)


def win_deal(deal_id: int, *, expected_version: int | None = None,
             actor: RepRef | Rep | None = None, rules: Rulebook = NO_RULES) -> DealRow:
    """Mark an open deal won; it stays in its last stage for the history;
    the ``rules`` of winning apply."""
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        if deal.status != OPEN:
            raise InvalidInput(f"deal #{deal.id} is already {deal.status}")
        before = deal
        deal = _save(deal, {"status": WON, "closed_at": now, "lost_reason": None,
                            "last_activity_at": now}, now)
        _record_change(deal.id, deal.stage_id, deal.stage_id, OPEN, WON, actor, now, before, deal)
        rules.after_win(deal, actor, now)
    return deal


def lose_deal(deal_id: int, reason: str, *, expected_version: int | None = None,
              actor: RepRef | Rep | None = None) -> DealRow:
    """Mark an open deal lost. ``reason`` is required: a listed reason
    (matched case-insensitively, unique prefix allowed) or free text."""
    reason = clean_line(reason or "", "lost reason", max_length=500)
    with db.atomic():
        reason = _canonical_lost_reason(reason)
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        if deal.status != OPEN:
            raise InvalidInput(f"deal #{deal.id} is already {deal.status}")
        before = deal
        deal = _save(deal, {"status": LOST, "closed_at": now, "lost_reason": reason,
                            "last_activity_at": now}, now)
        _record_change(deal.id, deal.stage_id, deal.stage_id, OPEN, LOST, actor, now, before, deal)
    return deal


def lost_reasons() -> list[str]:
    """The reasons offered when a deal is lost, in their order."""
    query = LostReason.select().where(LostReason.active == True).order_by(LostReason.id)
    return [r.name for r in query]


def add_lost_reason(name: str) -> str:
    """Offer ``name`` when a deal is lost (again, if it was removed)."""
    name = clean_line(name, "lost reason", max_length=100)
    with db.atomic():
        existing = LostReason.get_or_none(fn.lower(LostReason.name) == name.lower())
        if existing is not None:
            if existing.active:
                raise InvalidInput(f"{existing.name!r} is already a lost reason")
            existing.active = True
            existing.save()
            return existing.name
        LostReason.create(name=name)
    return name


def remove_lost_reason(name: str) -> str:
    """Stop offering a reason; deals lost for it keep it."""
    with db.atomic():
        found = LostReason.get_or_none(fn.lower(LostReason.name) == name.strip().lower(),
                                       LostReason.active == True)
        if found is None:
            raise InvalidInput(f"no lost reason {name.strip()!r}; the reasons are: {', '.join(lost_reasons())}")
        found.active = False
        found.save()
    return found.name


def _canonical_lost_reason(reason: str) -> str:
    listed = lost_reasons()
    folded = reason.casefold()
    exact = [name for name in listed if name.casefold() == folded]
    prefixed = [name for name in listed if name.casefold().startswith(folded)]
    if exact:
        return exact[0]
    if len(prefixed) == 1 and len(reason) >= 3:
        return prefixed[0]
    return reason


def reopen_deal(deal_id: int, stage: StageRef | Stage | None = None, *,
                expected_version: int | None = None, actor: RepRef | Rep | None = None) -> DealRow:
    """Reopen a won or lost deal, in its last stage unless ``stage`` is given."""
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        if deal.status == OPEN:
            raise InvalidInput(f"deal #{deal.id} is already open")
        if stage is not None:
            _check_stage(stage, deal.pipeline_id)
        target = stage.id if stage is not None else deal.stage_id
        from_stage, from_status = deal.stage_id, deal.status
        changes = {"status": OPEN, "closed_at": None, "lost_reason": None, "stage": target,
                   "last_activity_at": now}
        if target != from_stage:
            changes["stage_entered_at"] = now
        before = deal
        deal = _save(deal, changes, now)
        _record_change(deal.id, from_stage, target, from_status, OPEN, actor, now, before, deal)
    return deal


def delete_deal(deal_id: int, *, expected_version: int | None = None) -> DealRow:
    """Soft delete: the deal leaves every list and figure but keeps its rows."""
    with db.atomic():
        deal = _locked_deal(deal_id, expected_version)
        now = change_time()  # after the read: later than the change it builds on
        return _save(deal, {"deleted_at": now}, now)


def restore_deal(deal_id: int, *, expected_version: int | None = None) -> DealRow:
    """Undo a soft delete."""
    with db.atomic():
        deal = Deal.get_or_none(Deal.id == deal_id)
        now = change_time()
        if deal is None or deal.deleted_at is None:
            raise NotFound(f"no deleted deal #{deal_id}")
        if expected_version is not None and deal.version != expected_version:
            raise _conflict(deal, expected_version)
        Deal.update(deleted_at=None, updated_at=now, version=Deal.version + 1).where(
            Deal.id == deal_id
        ).execute()
    return deal_row(deal_id)


def history(deal_id: int) -> list[StageChange]:
    """The deal's stage and status changes as stored, oldest first, undone
    ones too (``undone_at`` set): for the core and its checks. Screens read them told in words, with
    :func:`pipetui.core.rows.deal_sheet`."""
    return list(
        StageChange.select()
        .where(StageChange.deal == deal_id)
        .order_by(StageChange.changed_at, StageChange.id)
    )


def check_field(name: str, text: str, currency: str) -> None:
    """Raise InvalidInput when ``text`` is not a valid value of the deal field
    ``name`` (title, value, expected_close, probability, organization,
    contact), as the editor checks it on every keystroke; no database needed.
    Other fields (stage, owner: chosen from lists) pass."""
    from pipetui.core.dates import parse_date

    if name == "title":
        clean_line(text, "title", max_length=TITLE_MAX_LENGTH)
    elif name == "value":
        parse_money(text, currency, what="value")
    elif name == "expected_close" and text.strip():
        parse_date(text)
    elif name == "probability" and text.strip():
        parse_probability(text)
    elif name in ("organization", "contact"):
        clean_line(text, name, required=False)


@dataclass(frozen=True)
class _Form:
    """Deal fields as typed, parsed; nothing looked up in writes yet."""

    title: str
    money: Money
    stage: StageRef | None
    owner: RepRef | None
    expected_close: dt.date | None
    probability: int | None
    organization: str | None
    contact: str | None


def _parse_form(title: str, value: str, currency: str, stage: str | None, owner: str | None,
                organization: str | None, contact: str | None, expected_close: str | None,
                probability: str | None, pipeline: Any = None) -> _Form:
    """Parse every field a person typed, before anything is written; the
    stage is one of ``pipeline`` (the default one when None)."""
    from pipetui.core.dates import parse_date
    from pipetui.core.lookup import resolve_rep, resolve_stage

    return _Form(
        title=clean_line(title, "title", max_length=TITLE_MAX_LENGTH),
        money=parse_money(value, currency, what="value"),
        stage=resolve_stage(stage, pipeline) if stage else None,
        owner=resolve_rep(owner) if owner and owner.strip() else None,
        expected_close=parse_date(expected_close) if expected_close and expected_close.strip() else None,
        probability=parse_probability(probability) if probability and probability.strip() else None,
        organization=clean_line(organization or "", "organization name", required=False),
        contact=clean_line(contact or "", "contact name", required=False),
    )


def _people(form: _Form) -> tuple[Organization | None, Contact | None]:
    """The form's organization and contact, created if new (inside the caller's transaction)."""
    from pipetui.core.people import find_or_create_contact, find_or_create_organization

    org = find_or_create_organization(form.organization) if form.organization else None
    contact = find_or_create_contact(form.contact, org) if form.contact else None
    return org, contact


def add_deal(
    title: str,
    value: str,
    *,
    default_currency: str,
    stage: str | None = None,
    owner: str | None = None,
    organization: str | None = None,
    contact: str | None = None,
    expected_close: str | None = None,
    currency: str | None = None,
    probability: str | None = None,
    pipeline: Any = None,
    actor: RepRef | Rep | None = None,
    rules: Rulebook = NO_RULES,
) -> DealRow:
    """Create a deal from what a person typed, as ``pipetui add`` and the
    board's new-deal editor do, in ``pipeline`` (a pipeline or its id; the
    default one when None).

    Every field is parsed before anything is written; a new organization or
    contact is created in the same transaction as the deal.
    """
    code = validate_currency(currency) if currency else None
    form = _parse_form(title, value, code or default_currency, stage, owner, organization, contact,
                       expected_close, probability, pipeline)
    if form.stage is None and pipeline is not None:
        ordered = stages(pipeline)
        if not ordered:
            raise InvalidInput("the pipeline has no stages yet; add one first")
        form = replace(form, stage=ordered[0])
    if code and form.money.currency != code:
        raise InvalidInput(f"value is in {form.money.currency} but the currency given is {code}",
                           field="currency")
    with db.atomic():
        org, person = _people(form)
        return create_deal(form.title, form.money, stage=form.stage, owner=form.owner or actor,
                           organization=org, contact=person, expected_close=form.expected_close,
                           probability=form.probability, actor=actor, rules=rules)


def update_deal(
    deal_id: int,
    expected_version: int,
    *,
    default_currency: str,
    title: str,
    value: str,
    stage: str,
    owner: str | None,
    organization: str | None,
    contact: str | None,
    expected_close: str | None,
    probability: str | None,
    actor: RepRef | Rep | None = None,
    rules: Rulebook = NO_RULES,
) -> DealRow:
    """Save the deal editor's form: parse every field, then change the deal
    and, if its stage changed, move it, all in one transaction and only if
    nobody changed the deal since ``expected_version``."""
    form = _parse_form(title, value, default_currency, stage, owner, organization, contact,
                       expected_close, probability, get_deal(deal_id).pipeline_id)
    with db.atomic():
        current = _locked_deal(deal_id, expected_version)
        org, person = _people(form)
        deal = edit_deal(deal_id, expected_version=expected_version, title=form.title,
                         value=form.money, probability=form.probability, owner=form.owner,
                         organization=org, contact=person, expected_close=form.expected_close,
                         actor=actor)
        if form.stage is not None and form.stage.id != current.stage_id:
            deal = move_deal(deal_id, form.stage, expected_version=deal.version, actor=actor, rules=rules)
    return deal


def _unchanged(deal: DealRow, changes: dict[str, Any]) -> bool:
    """Whether writing ``changes`` (as :func:`edit_deal` takes them) would leave ``deal`` as it is."""
    wanted: dict[str, Any] = {}
    for name, given in changes.items():
        if name == "value":
            wanted["value"], wanted["currency"] = given.amount, given.currency
        elif name in ("owner", "organization", "contact"):
            wanted[name] = id_of(given)
        else:
            wanted[name] = given
    current = edited_columns(deal)
    return all(current[column] == value for column, value in wanted.items())


def change_deal(
    deal_id: int,
    *,
    expected_version: int | None = None,
    title: str | None = None,
    value: str | None = None,
    owner: str | None = None,
    organization: str | None = None,
    contact: str | None = None,
    expected_close: str | None = None,
    probability: str | None = None,
    actor: RepRef | Rep | None = None,
) -> tuple[DealRow, DealRow]:
    """Change the fields a person typed (None: left as it is; an empty text
    empties the field, and an empty probability means the stage's again), as
    ``pipetui edit`` does; returns the deal before and after.

    Every given field is parsed before anything is written; a value without
    a currency is in the deal's; a new organization or contact is created in
    the same transaction as the change, which is recorded field by field
    (:func:`record_field_changes`) and refused when the deal is no longer at
    ``expected_version``.
    """
    from pipetui.core.dates import parse_date
    from pipetui.core.lookup import resolve_rep

    given = {name: text for name, text in (
        ("title", title), ("value", value), ("owner", owner), ("organization", organization),
        ("contact", contact), ("expected_close", expected_close), ("probability", probability),
    ) if text is not None}
    if not given:
        raise InvalidInput("nothing to change: give --title, --value, --owner, --org, --contact, "
                           "--close or --probability")
    with db.atomic():
        before = _locked_deal(deal_id, expected_version)
        changes: dict[str, Any] = {}
        if "title" in given:
            changes["title"] = clean_line(given["title"], "title", max_length=TITLE_MAX_LENGTH)
        if "value" in given:
            changes["value"] = parse_money(given["value"], before.currency, what="value")
        if "probability" in given:
            text = given["probability"].strip()
            changes["probability"] = parse_probability(text) if text else None
        if "expected_close" in given:
            text = given["expected_close"].strip()
            changes["expected_close"] = parse_date(text) if text else None
        names = {name: clean_line(given[name], f"{name} name", required=False)
                 for name in ("organization", "contact") if name in given}
        if "owner" in given:
            changes["owner"] = resolve_rep(given["owner"]) if given["owner"].strip() else None
        # Looked up (or created) once every typed field has been read.
        from pipetui.core.people import find_or_create_contact, find_or_create_organization

        if "organization" in names:
            changes["organization"] = (find_or_create_organization(names["organization"])
                                       if names["organization"] else None)
        if "contact" in names:
            org = changes.get("organization", before.organization_id)
            changes["contact"] = find_or_create_contact(names["contact"], org) if names["contact"] else None
        if _unchanged(before, changes):
            return before, before  # nothing differs: no write, no new version
        after = edit_deal(deal_id, expected_version=before.version, actor=actor, **changes)
        # Custom fields (``pipetui edit --set FIELD=VALUE``) join this
        # transaction in pipetui.core.fields.change_deal, which wraps this.
    return before, after
