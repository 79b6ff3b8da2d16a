"""Custom fields: a team's own fields on deals, organizations and contacts.

A field has a fixed ``key`` (made from its first name; history names it) and
a ``name`` people see and may change. Its type is one of text, number,
money, date, choice (one of a list), multi (several of a list) and checkbox.
A deal field may be for one pipeline (else all) and may be required there;
up to two per pipeline show on the board's cards.

Values are parsed by the readers of the built-in fields (:mod:`money`,
:mod:`dates`, :mod:`text`) and stored as text in one canonical form per type
(see :func:`parse_value`); an empty value is no row. Setting a deal's values
is one transaction that bumps the deal's version and writes a
:class:`~pipetui.store.FieldChange` row per changed value (the field's key,
old and new as a person reads them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from peewee import fn

from pipetui.core import clock
from pipetui.core.dates import parse_date
from pipetui.core.errors import Ambiguous, InvalidInput, NotFound
from pipetui.core.money import format_money, parse_money, to_major_string
from pipetui.core.rows import DealRow, RepRef, id_of
from pipetui.core.text import clean_line
from pipetui.store import CustomField, CustomValue, FieldChange, Pipeline
from pipetui.store import database_proxy as db
from pipetui.store.database import text_contains
from pipetui.store.models import CUSTOM_ENTITIES, CUSTOM_TYPES

_UNSET: Any = object()

CHOICE_TYPES = ("choice", "multi")
# At most this many fields show on a card of one pipeline: a card has room
# for one line of them.
MAX_ON_CARD = 2
NAME_MAX_LENGTH = 60
TEXT_MAX_LENGTH = 500
# A deal's own fields: a custom field may not take their names, so that
# history, filters and JSON never mistake one for the other.
BUILT_IN_NAMES = frozenset({
    "id", "title", "stage", "status", "value", "currency", "probability", "owner", "organization",
    "org", "contact", "expected_close", "close", "lost_reason", "pipeline", "fields", "version",
    "created_at", "updated_at", "closed_at", "external_id",
})
MULTI_SEPARATOR = ", "
YES, NO = "yes", "no"
_YES_WORDS = frozenset({"yes", "y", "true", "t", "1", "on", "x"})
_NO_WORDS = frozenset({"no", "n", "false", "f", "0", "off"})
_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)$", re.ASCII)


@dataclass(frozen=True)
class FieldDef:
    """A custom field as the front ends see it."""

    id: int
    key: str
    name: str
    entity: str
    type: str
    choices: tuple[str, ...]
    required: bool
    pipeline_id: int | None  # None: every pipeline
    pipeline: str | None  # its name
    position: int
    on_card: bool

    def applies_to(self, pipeline_id: int | None) -> bool:
        return self.pipeline_id is None or self.pipeline_id == pipeline_id

    def as_json(self) -> dict[str, Any]:
        """The object ``pipetui field list --json`` prints (see the README)."""
        return {"key": self.key, "name": self.name, "entity": self.entity, "type": self.type,
                "choices": list(self.choices) if self.type in CHOICE_TYPES else None,
                "required": self.required, "pipeline": self.pipeline, "on_card": self.on_card,
                "position": self.position}


def _field_def(row: CustomField, pipeline_names: Mapping[int, str]) -> FieldDef:
    return FieldDef(row.id, row.key, row.name, row.entity, row.type,
                    tuple(json.loads(row.choices)) if row.choices else (), bool(row.required),
                    row.pipeline_id, pipeline_names.get(row.pipeline_id), row.position, bool(row.on_card))


def definitions(entity: str | None = "deal", *, pipeline_id: int | None = None) -> list[FieldDef]:
    """The live fields of ``entity`` (every entity when None) in their order;
    with ``pipeline_id``, only those that apply to that pipeline (two queries)."""
    query = CustomField.select().where(CustomField.archived == False)  # noqa: E712
    if entity is not None:
        query = query.where(CustomField.entity == _entity(entity))
    if pipeline_id is not None:
        query = query.where(CustomField.pipeline.is_null() | (CustomField.pipeline == pipeline_id))
    found = list(query.order_by(CustomField.entity, CustomField.position, CustomField.id))
    names = dict(Pipeline.select(Pipeline.id, Pipeline.name).tuples()) if found else {}
    return [_field_def(row, names) for row in found]


def _entity(entity: str) -> str:
    if entity not in CUSTOM_ENTITIES:
        raise InvalidInput(f"{entity!r} is not a kind of record with fields: use one of "
                           f"{', '.join(CUSTOM_ENTITIES)}")
    return entity


def resolve_field(text: str, entity: str = "deal") -> FieldDef:
    """A field by name or key, any case, or a unique prefix of its name."""
    wanted = text.strip().casefold()
    if not wanted:
        raise InvalidInput("no field given")
    fields = definitions(entity)
    exact = [f for f in fields if wanted in (f.name.casefold(), f.key)]
    if len(exact) == 1:
        return exact[0]
    matches = [f for f in fields if f.name.casefold().startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not fields:
        raise NotFound(f"no {entity} field {text.strip()!r}: there are no custom {entity} fields yet")
    if not matches:
        raise NotFound(f"no {entity} field {text.strip()!r}; the fields are: "
                       f"{', '.join(f.name for f in fields)}")
    raise Ambiguous(f"field {text.strip()!r} is ambiguous: {', '.join(f.name for f in matches)}")


def make_key(name: str) -> str:
    """``Lead source`` -> ``lead_source``: the name in lower case, words joined by ``_``."""
    return "_".join(re.findall(r"\w+", name.casefold()))


def _clean_name(name: str, entity: str, *, other_than: int | None = None) -> str:
    name = clean_line(name, "field name", max_length=NAME_MAX_LENGTH)
    if ":" in name or "=" in name or "," in name:
        raise InvalidInput(f"field name {name!r} has a ':', '=' or ',': filters and 'pipetui set' "
                           "use them; choose another name")
    key = make_key(name)
    if not key:
        raise InvalidInput(f"field name {name!r} needs a letter or a digit")
    if entity == "deal" and (key in BUILT_IN_NAMES or name.casefold() in BUILT_IN_NAMES):
        raise InvalidInput(f"{name!r} is a built-in field of a deal; choose another name")
    for existing in definitions(entity):
        if existing.id != other_than and (existing.name.casefold() == name.casefold()
                                          or existing.key == key):
            raise InvalidInput(f"there is already a {entity} field {existing.name!r}")
    return name


def _clean_choices(choices: Iterable[str] | str | None, type_: str) -> tuple[str, ...]:
    if type_ not in CHOICE_TYPES:
        if choices:
            raise InvalidInput(f"only a choice or multi field has choices, not a {type_} field")
        return ()
    if isinstance(choices, str):
        choices = choices.split(",")
    cleaned: list[str] = []
    for choice in choices or ():
        text = clean_line(choice, "choice", max_length=NAME_MAX_LENGTH, required=False)
        if text is None:
            continue
        if any(text.casefold() == c.casefold() for c in cleaned):
            raise InvalidInput(f"choice {text!r} is given twice")
        cleaned.append(text)
    if not cleaned:
        raise InvalidInput(f"a {type_} field needs its choices (e.g. Web,Referral,Event)")
    return tuple(cleaned)


def _type(type_: str) -> str:
    folded = type_.strip().lower()
    if folded not in CUSTOM_TYPES:
        raise InvalidInput(f"field type {type_!r} is not one of {', '.join(CUSTOM_TYPES)}")
    return folded


def _pipeline_id(pipeline: str | int | None) -> int | None:
    if pipeline is None or isinstance(pipeline, int):
        return pipeline
    wanted = pipeline.strip().casefold()
    found = [p for p in Pipeline.select() if p.name.casefold() == wanted]
    if len(found) != 1:
        names = ", ".join(p.name for p in Pipeline.select().order_by(Pipeline.id))
        raise NotFound(f"no pipeline {pipeline.strip()!r}; the pipelines are: {names}")
    return found[0].id


def _check_on_card(entity: str, pipeline_id: int | None, *, other_than: int | None = None) -> None:
    """At most :data:`MAX_ON_CARD` fields on the cards of any one pipeline."""
    if entity != "deal":
        raise InvalidInput("only deal fields show on cards")
    shown = [f for f in definitions("deal") if f.on_card and f.id != other_than]
    pipelines = [pipeline_id] if pipeline_id is not None else [p.id for p in Pipeline.select()]
    for pid in pipelines:
        there = [f for f in shown if f.applies_to(pid)]
        if len(there) >= MAX_ON_CARD:
            name = Pipeline.get_by_id(pid).name
            raise InvalidInput(f"cards of {name} already show {MAX_ON_CARD} fields "
                               f"({', '.join(f.name for f in there)}); take one off cards first")


def add_field(name: str, type_: str, *, entity: str = "deal", choices: Iterable[str] | str | None = None,
              required: bool = False, pipeline: str | int | None = None,
              on_card: bool = False) -> FieldDef:
    """Define a new field, last in its entity's order."""
    entity = _entity(entity)
    type_ = _type(type_)
    cleaned = _clean_choices(choices, type_)
    if type_ == "checkbox" and required:
        raise InvalidInput("a checkbox is always yes or no, so it cannot be required")
    if entity != "deal" and pipeline is not None:
        raise InvalidInput(f"only deal fields belong to a pipeline, not {entity} fields")
    with db.atomic():
        name = _clean_name(name, entity)
        pipeline_id = _pipeline_id(pipeline)
        if on_card:
            _check_on_card(entity, pipeline_id)
        last = CustomField.select(fn.MAX(CustomField.position)).where(CustomField.entity == entity).scalar()
        row = CustomField.create(
            key=make_key(name), name=name, entity=entity, type=type_,
            choices=json.dumps(list(cleaned)) if cleaned else None, required=required,
            pipeline=pipeline_id, position=(last if last is not None else -1) + 1,
            on_card=on_card, created_at=clock.now())
    return resolve_field(row.key, entity)


def rename_field(ref: str, new_name: str, *, entity: str = "deal") -> FieldDef:
    """Give a field another name; its key, values and history stay."""
    with db.atomic():
        field = resolve_field(ref, entity)
        name = _clean_name(new_name, field.entity, other_than=field.id)
        CustomField.update(name=name).where(CustomField.id == field.id).execute()
    return resolve_field(field.key, entity)


def change_field(ref: str, *, entity: str = "deal", type_: str = _UNSET, choices: Any = _UNSET,
                 required: bool = _UNSET, pipeline: str | int | None = _UNSET, on_card: bool = _UNSET,
                 default_currency: str = "USD") -> FieldDef:
    """Change a field's type, choices, requirement, pipeline or place on
    cards. Every stored value is read again as the changed field would read
    it: a change under which any would be lost is refused, naming how many;
    the others are rewritten in the new canonical form."""
    with db.atomic():
        field = resolve_field(ref, entity)
        new_type = _type(type_) if type_ is not _UNSET else field.type
        if choices is _UNSET:
            new_choices = field.choices if new_type in CHOICE_TYPES else ()
            if new_type in CHOICE_TYPES and not new_choices:
                raise InvalidInput(f"a {new_type} field needs its choices (e.g. Web,Referral,Event)")
        else:
            new_choices = _clean_choices(choices, new_type)
        new_required = field.required if required is _UNSET else bool(required)
        if new_type == "checkbox" and new_required:
            raise InvalidInput("a checkbox is always yes or no, so it cannot be required")
        new_pipeline = field.pipeline_id if pipeline is _UNSET else _pipeline_id(pipeline)
        if new_pipeline is not None and field.entity != "deal":
            raise InvalidInput(f"only deal fields belong to a pipeline, not {field.entity} fields")
        new_on_card = field.on_card if on_card is _UNSET else bool(on_card)
        if new_on_card and (not field.on_card or new_pipeline != field.pipeline_id):
            _check_on_card(field.entity, new_pipeline, other_than=field.id)
        changed = FieldDef(field.id, field.key, field.name, field.entity, new_type, new_choices,
                           new_required, new_pipeline, None, field.position, new_on_card)
        _rewrite_values(field, changed, default_currency)
        CustomField.update(
            type=new_type, choices=json.dumps(list(new_choices)) if new_choices else None,
            required=new_required, pipeline=new_pipeline, on_card=new_on_card,
        ).where(CustomField.id == field.id).execute()
    return resolve_field(field.key, entity)


def _rewrite_values(old: FieldDef, new: FieldDef, default_currency: str) -> None:
    """Each value of ``old`` read as ``new`` reads it; refused when any is lost."""
    from pipetui.store import Deal

    query = CustomValue.select(CustomValue.id, CustomValue.entity_id, CustomValue.value).where(
        CustomValue.field == old.id)
    if new.pipeline_id is not None and new.pipeline_id != old.pipeline_id:
        outside = (query.join(Deal, on=(Deal.id == CustomValue.entity_id))
                   .where(Deal.pipeline != new.pipeline_id).count())
        if outside:
            raise InvalidInput(f"{old.name} has values on {outside} deals of other pipelines, "
                               "which would be lost; clear them first")
    rewritten, lost, example = [], 0, None
    for value_id, entity_id, value in query.tuples():
        try:
            canonical = parse_value(new, display_text(old, value), default_currency)
        except InvalidInput as exc:
            lost += 1
            example = example or f"#{entity_id}: {exc}"
            continue
        if canonical != value:
            rewritten.append((value_id, canonical))
    if lost:
        what = "value" if lost == 1 else "values"
        raise InvalidInput(f"changing {old.name} would lose {lost} {what} (e.g. {example}); "
                           "change or clear them first")
    for value_id, canonical in rewritten:
        CustomValue.update(value=canonical).where(CustomValue.id == value_id).execute()


def value_counts(field_ids: Iterable[int]) -> dict[int, int]:
    """How many values each of the fields holds (a field holding none is
    left out), in one grouped query: what a delete would take with it."""
    ids = list(field_ids)
    if not ids:
        return {}
    query = (CustomValue.select(CustomValue.field, fn.COUNT(CustomValue.id))
             .where(CustomValue.field.in_(ids)).group_by(CustomValue.field))
    return dict(query.tuples())


def delete_field(ref: str, *, entity: str = "deal", force: bool = False) -> tuple[FieldDef, int]:
    """Remove a field and its values (their history stays); a field that
    holds values goes only with ``force``. Returns the field and how many
    values went with it."""
    with db.atomic():
        field = resolve_field(ref, entity)
        held = CustomValue.select().where(CustomValue.field == field.id).count()
        if held and not force:
            what = "value" if held == 1 else "values"
            raise InvalidInput(f"{field.name} holds {held} {what}, which would be deleted with it; "
                               "force the delete to go on", field="force")
        CustomValue.delete().where(CustomValue.field == field.id).execute()
        CustomField.delete().where(CustomField.id == field.id).execute()
    return field, held


# --- values ------------------------------------------------------------------


def parse_value(field: FieldDef, text: str | None, default_currency: str = "USD") -> str | None:
    """``text`` as a person typed it for ``field``, in canonical form (None:
    empty). Canonical forms: text as typed (stripped); a number in plain
    decimals (``1234.5``); money as ``12500.00 EUR``; a date as ISO; a
    choice as listed; several choices in the list's order joined by ``, ``;
    a checkbox ``yes`` or ``no``."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    kind = field.type
    if kind == "text":
        return clean_line(text, field.name, max_length=TEXT_MAX_LENGTH)
    if kind == "number":
        return _parse_number(field.name, text)
    if kind == "money":
        money = parse_money(text, default_currency, what=field.name)
        return f"{to_major_string(money.amount, money.currency)} {money.currency}"
    if kind == "date":
        try:
            return parse_date(text).isoformat()
        except InvalidInput as exc:
            raise InvalidInput(f"{field.name} {str(exc).removeprefix('date ')}") from None
    if kind == "choice":
        return _choice(field, text)
    if kind == "multi":
        picked = {_choice(field, part) for part in text.split(",") if part.strip()}
        return MULTI_SEPARATOR.join(c for c in field.choices if c in picked) or None
    folded = text.casefold()
    if folded in _YES_WORDS:
        return YES
    if folded in _NO_WORDS:
        return NO
    raise InvalidInput(f"{field.name} {text!r} is not yes or no")


def _parse_number(name: str, text: str) -> str:
    plain = text.replace(" ", "")
    if not _NUMBER.match(plain) or len(plain) > 40:
        raise InvalidInput(f"{name} {text!r} is not a number: use digits with an optional "
                           "decimal point (e.g. 12, 4.5 or 1,200)")
    try:
        number = Decimal(plain.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidInput(f"{name} {text!r} is not a number") from None
    shown = format(number.normalize(), "f")
    return "0" if shown in ("-0", "0") else shown


def _choice(field: FieldDef, text: str) -> str:
    wanted = text.strip().casefold()
    exact = [c for c in field.choices if c.casefold() == wanted]
    prefixed = [c for c in field.choices if c.casefold().startswith(wanted)]
    if exact:
        return exact[0]
    if len(prefixed) == 1:
        return prefixed[0]
    raise InvalidInput(f"{field.name} {text.strip()!r} is not one of {', '.join(field.choices)}")


def display_text(field: FieldDef, canonical: str | None) -> str | None:
    """A canonical value as a person reads it (money as ``12,500 EUR``)."""
    if canonical is None or field.type != "money":
        return canonical
    amount, _, currency = canonical.partition(" ")
    return format_money(parse_money(amount, currency).amount, currency)


def json_value(field: FieldDef, canonical: str | None) -> Any:
    """A canonical value as JSON: a number as a number, money as
    ``{"amount": minor units, "currency": …}``, a multi choice as a list,
    a checkbox as true or false, the rest as text."""
    if canonical is None:
        return False if field.type == "checkbox" else None
    if field.type == "number":
        number = Decimal(canonical)
        return int(number) if number == number.to_integral_value() else float(number)
    if field.type == "money":
        amount, _, currency = canonical.partition(" ")
        return {"amount": parse_money(amount, currency).amount, "currency": currency}
    if field.type == "multi":
        return canonical.split(MULTI_SEPARATOR)
    if field.type == "checkbox":
        return canonical == YES
    return canonical


def stored_values(entity_ids: Iterable[int], fields: Iterable[FieldDef]) -> dict[int, dict[int, str]]:
    """The canonical values of ``fields`` for the records ``entity_ids``
    (of the fields' entity): {entity id: {field id: value}}, one query."""
    ids, field_ids = list(entity_ids), [f.id for f in fields]
    found: dict[int, dict[int, str]] = {}
    if not ids or not field_ids:
        return found
    query = (CustomValue.select(CustomValue.entity_id, CustomValue.field, CustomValue.value)
             .where(CustomValue.field.in_(field_ids), CustomValue.entity_id.in_(ids)))
    for entity_id, field_id, value in query.tuples():
        found.setdefault(entity_id, {})[field_id] = value
    return found


def deal_fields_json(deals: Iterable[DealRow], fields: list[FieldDef]) -> dict[int, dict[str, Any]]:
    """{deal id: {field name: JSON value}} of the fields that apply to each deal (one query)."""
    deals = list(deals)
    values = stored_values((d.id for d in deals), fields)
    return {d.id: {f.name: json_value(f, values.get(d.id, {}).get(f.id)) for f in fields
                   if f.applies_to(d.pipeline_id)} for d in deals}


def deal_field_texts(deal: DealRow) -> list[tuple[FieldDef, str | None]]:
    """The fields that apply to ``deal``, each with its value as canonical text (None: empty)."""
    fields = definitions("deal", pipeline_id=deal.pipeline_id)
    values = stored_values([deal.id], fields).get(deal.id, {})
    return [(f, values.get(f.id)) for f in fields]


def held_values(deal_id: int) -> dict[str, str]:
    """Every custom value a deal holds, {field key: canonical} (one query):
    what an undo of an edit puts back."""
    query = (CustomValue.select(CustomField.key, CustomValue.value)
             .join(CustomField, on=(CustomField.id == CustomValue.field))
             .where(CustomValue.entity_id == deal_id, CustomField.entity == "deal"))
    return dict(query.tuples())


def restore_values(deal_id: int, values: Mapping[str, str | None], *, expected_version: int) -> DealRow:
    """Put a deal's custom values back as ``values`` ({field key: canonical,
    None: empty}) says, only if the deal still has ``expected_version``;
    writes no history (undo marks the change). A field deleted since is
    skipped."""
    from pipetui.core import deals

    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        ids = dict(CustomField.select(CustomField.key, CustomField.id)
                   .where(CustomField.entity == "deal", CustomField.key.in_(list(values))).tuples())
        for key, value in values.items():
            if key not in ids:
                continue
            CustomValue.delete().where(CustomValue.field == ids[key], CustomValue.entity_id == deal_id).execute()
            if value is not None:
                CustomValue.create(field=ids[key], entity_id=deal_id, value=value)
        return deals._save(deal, {}, deals.change_time())


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["Source=Web", "Renewal=2027-01-01"]`` -> {name: text}; ``Name=`` clears."""
    given: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"{item!r} is not FIELD=VALUE (e.g. Source=Web)")
        given[name.strip()] = text
    return given


Parsed = dict[int, tuple[FieldDef, str | None]]  # field id -> (field, canonical value or None)
Change = tuple[FieldDef, str | None, str | None]  # a field, its value before and after


def parse_deal_values(given: Mapping[str, str], pipeline_id: int, currency: str) -> Parsed:
    """{field id: (field, canonical value)} from {name: text}; every field
    named must exist and apply to the pipeline; nothing is written."""
    parsed: Parsed = {}
    for name, text in given.items():
        field = resolve_field(name, "deal")
        if not field.applies_to(pipeline_id):
            raise InvalidInput(f"{field.name} is a field of the pipeline {field.pipeline}, not of this deal's")
        parsed[field.id] = (field, parse_value(field, text, currency))
    return parsed


def check_required(pipeline_id: int, values: Mapping[int, str | None]) -> None:
    """Refuse a deal of ``pipeline_id`` whose ``values`` ({field id: canonical})
    leave a required field of that pipeline empty."""
    missing = [f.name for f in definitions("deal", pipeline_id=pipeline_id)
               if f.required and values.get(f.id) is None]
    if missing:
        names = ", ".join(missing)
        raise InvalidInput(f"{names} {'is' if len(missing) == 1 else 'are'} required for this "
                           f"deal; give {'it' if len(missing) == 1 else 'them'} a value",
                           field="fields")


def write_values(entity_id: int, parsed: Parsed) -> list[Change]:
    """Store the parsed values of one record (inside the caller's
    transaction); the changes as (field, old canonical, new canonical)."""
    old = stored_values([entity_id], [f for f, _ in parsed.values()]).get(entity_id, {})
    changes = []
    for field_id, (field, value) in parsed.items():
        before = old.get(field_id)
        if before == value:
            continue
        if value is None:
            CustomValue.delete().where(CustomValue.field == field_id,
                                       CustomValue.entity_id == entity_id).execute()
        elif before is None:
            CustomValue.create(field=field_id, entity_id=entity_id, value=value)
        else:
            CustomValue.update(value=value).where(CustomValue.field == field_id,
                                                  CustomValue.entity_id == entity_id).execute()
        changes.append((field, before, value))
    return changes


def record_changes(deal_id: int, changes: list[Change], *,
                   actor: RepRef | Any | None, when) -> None:
    """A FieldChange row per changed value, under the field's key."""
    rows = [{"deal": deal_id, "field": field.key, "old_value": display_text(field, before),
             "new_value": display_text(field, after), "changed_at": when,
             "changed_by": id_of(actor) if actor is not None else None}
            for field, before, after in changes]
    if rows:
        FieldChange.insert_many(rows).execute()


def set_values(deal_id: int, values: Mapping[str, str], *, actor: RepRef | Any | None = None,
               expected_version: int | None = None) -> DealRow:
    """Set custom fields of a deal from what a person typed ({name: text};
    empty text clears), in one transaction: every value parsed first, the
    required fields of its pipeline kept filled, the deal's version bumped
    and each change recorded. Nothing is written when nothing changes."""
    from pipetui.core import deals

    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        parsed = parse_deal_values(values, deal.pipeline_id, deal.currency)
        if not parsed:
            return deal
        current = {f.id: value for f, value in deal_field_texts(deal)}
        current.update({field_id: value for field_id, (_, value) in parsed.items()})
        check_required(deal.pipeline_id, current)
        changes = write_values(deal.id, parsed)
        if not changes:
            return deal
        now = deals.change_time()
        saved = deals._save(deal, {}, now)  # the version moves: others' forms see the change
        record_changes(deal.id, changes, actor=actor, when=now)
        return saved


def parse_record_values(entity: str, values: Mapping[str, str], default_currency: str = "USD") -> Parsed:
    """{field id: (field, canonical)} of an organization's or a contact's
    fields from {name: text}; nothing is written."""
    entity = _entity(entity)
    if entity == "deal":
        raise InvalidInput("a deal's fields are set with set_values")
    parsed: Parsed = {}
    for name, text in values.items():
        field = resolve_field(name, entity)
        parsed[field.id] = (field, parse_value(field, text, default_currency))
    return parsed


def set_record_values(entity: str, record_id: int, values: Mapping[str, str],
                      default_currency: str = "USD") -> list[Change]:
    """Set custom fields of an organization or a contact ({name: text}), in one transaction."""
    with db.atomic():
        return write_values(record_id, parse_record_values(entity, values, default_currency))


def record_fields_json(entity: str, record_id: int) -> dict[str, Any]:
    """{field name: JSON value} of an organization's or a contact's fields (two queries)."""
    fields = definitions(entity)
    held = stored_values([record_id], fields).get(record_id, {})
    return {f.name: json_value(f, held.get(f.id)) for f in fields}


# --- the board: filter and cards --------------------------------------------------


# As the filter language's terms (core/board.py): a value with spaces is quoted.
_TERM = re.compile(r'(?<!\S)(?P<key>[^\s:"]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')


def filter_terms(text: str, *, strict: bool = False) -> tuple[str, list]:
    """Split a filter's text into its plain text and the conditions of its
    ``field:value`` terms (``source:web``, ``lead_source:"trade fair"``), as
    expressions on the deal's id. A term whose name is no deal field stays
    text (a title may hold ``a:b``). A choice that names none of its field's
    matches no deal, or with ``strict`` is refused (InvalidInput)."""
    if ":" not in text:
        return text, []
    fields = definitions("deal")
    by_name = {}
    for f in fields:
        by_name[f.key] = f
        by_name.setdefault(f.name.casefold().replace(" ", "_"), f)
    conditions, kept = [], []
    position = 0
    for match in _TERM.finditer(text):
        field = by_name.get(match["key"].casefold())
        wanted = match["quoted"] if match["quoted"] is not None else match["bare"]
        if field is None or not wanted:
            continue
        kept.append(text[position:match.start()])
        position = match.end()
        conditions.append(_condition(field, wanted, strict))
    kept.append(text[position:])
    return " ".join(" ".join(kept).split()), conditions


def _condition(field: FieldDef, wanted: str, strict: bool = False):
    """The deals (ids) whose value of ``field`` matches ``wanted``."""
    from pipetui.store import Deal

    value = CustomValue.value
    folded = wanted.casefold()
    if field.type in CHOICE_TYPES:
        matching = [c for c in field.choices if c.casefold() == folded] or [
            c for c in field.choices if c.casefold().startswith(folded)]
        if strict and not matching:
            raise InvalidInput(f"{field.name} {wanted!r} is not one of {', '.join(field.choices)}")
        if field.type == "choice":
            test = value.in_(matching)
        else:
            padded = _padded(value)
            test = None
            for choice in matching:
                hit = text_contains(padded, f", {choice}, ")
                test = hit if test is None else (test | hit)
            if test is None:
                test = value.in_([])
    elif field.type == "checkbox":
        if folded in _NO_WORDS:
            held = CustomValue.select(CustomValue.entity_id).where(CustomValue.field == field.id,
                                                                   value == YES)
            return Deal.id.not_in(held)
        test = value == (YES if folded in _YES_WORDS else "\0")
    elif field.type == "text":
        test = text_contains(fn.lower(value), folded)
    elif field.type == "money" and _names_no_currency(wanted):
        amount = parse_value(field, wanted).partition(" ")[0] + " "  # in any currency
        test = fn.substr(value, 1, len(amount)) == amount
    else:
        try:
            test = value == parse_value(field, wanted)
        except InvalidInput:
            test = text_contains(fn.lower(value), folded)
    return Deal.id.in_(CustomValue.select(CustomValue.entity_id).where(CustomValue.field == field.id, test))


def _names_no_currency(text: str) -> bool:
    """Whether ``text`` is an amount that names no currency (``900``, ``1.5k``)."""
    try:
        return parse_money(text, "USD").currency != parse_money(text, "EUR").currency
    except InvalidInput:
        return False


def _padded(value):
    """``, `` before and after a multi value, so that a choice is found whole."""
    from peewee import SQL, NodeList

    return NodeList((SQL("', ' ||"), value, SQL("|| ', '")))


def card_fields(stage_id: int) -> list[FieldDef]:
    """The fields shown on the cards of a stage's pipeline, at most
    :data:`MAX_ON_CARD`: one small query, run for every window of cards."""
    from pipetui.store import Stage

    pipeline = Stage.select(Stage.pipeline).where(Stage.id == stage_id)
    query = (CustomField.select()
             .where(CustomField.on_card == True, CustomField.archived == False,  # noqa: E712
                    CustomField.entity == "deal",
                    CustomField.pipeline.is_null() | CustomField.pipeline.in_(pipeline))
             .order_by(CustomField.position, CustomField.id).limit(MAX_ON_CARD))
    return [_field_def(row, {}) for row in query]


def card_texts(deal_ids: list[int], fields: list[FieldDef]) -> dict[int, tuple[str, ...]]:
    """{deal id: the non-empty values of ``fields`` as read}: one query for a window of cards."""
    values = stored_values(deal_ids, fields)
    return {deal_id: tuple(display_text(f, held[f.id]) for f in fields if f.id in held)
            for deal_id, held in values.items()}


def with_fields(deals: Iterable[DealRow], batch: int = 500) -> Iterator[tuple[DealRow, dict[str, Any], str]]:
    """Each deal with its custom fields as JSON values ({name: value}) and
    its pipeline's name; one query per ``batch`` deals, so that a stream of
    deals stays a stream."""
    fields = definitions("deal")
    pipelines = dict(Pipeline.select(Pipeline.id, Pipeline.name).tuples())
    deals = iter(deals)
    while chunk := list(islice(deals, batch)):
        values = deal_fields_json(chunk, fields) if fields else {}
        for deal in chunk:
            yield deal, values.get(deal.id, {}), pipelines.get(deal.pipeline_id, "")


def deal_json(deal: DealRow, values: dict[str, Any], pipeline: str) -> dict[str, Any]:
    """The object ``pipetui deals --json`` prints: :meth:`DealRow.as_json`,
    the name of its pipeline as ``pipeline`` and the custom fields as ``fields``."""
    return {**deal.as_json(), "pipeline": pipeline, "fields": values}


# --- a deal's form with its custom fields ------------------------------------------


def add_deal(title: str, value: str, *, fields: Mapping[str, str] | None = None, stage: str | None = None,
             **built_in: Any) -> DealRow:
    """:func:`pipetui.core.deals.add_deal` with the custom ``fields``
    ({name: text}) of the new deal, in one transaction: every value is
    parsed, and the required fields of its pipeline given, before anything
    is written."""
    from pipetui.core import deals
    from pipetui.core.lookup import default_pipeline, resolve_stage
    from pipetui.core.money import validate_currency

    given = built_in.get("pipeline")
    pipeline_id = (id_of(given) if given is not None else
                   resolve_stage(stage).pipeline_id if stage else default_pipeline().id)
    currency = built_in.get("currency") or built_in["default_currency"]
    parsed = parse_deal_values(fields or {}, pipeline_id, validate_currency(currency))
    check_required(pipeline_id, {field_id: text for field_id, (_, text) in parsed.items()})
    with db.atomic():
        deal = deals.add_deal(title, value, stage=stage, **built_in)
        if write_values(deal.id, parsed):
            deal = deals.get_deal(deal.id)
        return deal


def update_deal(deal_id: int, expected_version: int, *, fields: Mapping[str, str] | None = None,
                actor: RepRef | Any | None = None, **built_in: Any) -> DealRow:
    """The deal editor's save: :func:`pipetui.core.deals.update_deal` and
    the custom ``fields`` ({name: text}) in one transaction, only if nobody
    changed the deal since ``expected_version``; the required fields of its
    pipeline must hold a value."""
    from pipetui.core import deals

    with db.atomic():
        current = deals.current_deal(deal_id, expected_version=expected_version)
        parsed = parse_deal_values(fields or {}, current.pipeline_id, current.currency)
        held = {field.id: text for field, text in deal_field_texts(current)}
        held.update({field_id: text for field_id, (_, text) in parsed.items()})
        check_required(current.pipeline_id, held)
        deal = deals.update_deal(deal_id, expected_version, actor=actor, **built_in)
        if fields:
            deal = set_values(deal_id, fields, actor=actor, expected_version=deal.version)
        return deal


def change_deal(deal_id: int, *, fields: Mapping[str, str] | None = None, expected_version: int | None = None,
                actor: RepRef | Any | None = None, **built_in: str | None) -> tuple[DealRow, DealRow]:
    """``pipetui edit``: :func:`pipetui.core.deals.change_deal` with the
    custom ``fields`` ({name: text}) in the same transaction, every value
    parsed before anything is written; the deal before and after."""
    from pipetui.core import deals

    if not fields:
        return deals.change_deal(deal_id, expected_version=expected_version, actor=actor, **built_in)
    given = {name: text for name, text in built_in.items() if text is not None}
    with db.atomic():
        current = deals.current_deal(deal_id, expected_version=expected_version)
        parse_deal_values(fields, current.pipeline_id, current.currency)  # refused before any write
        before, after = current, current
        if given:
            before, after = deals.change_deal(deal_id, expected_version=expected_version, actor=actor, **given)
        after = set_values(deal_id, fields, actor=actor, expected_version=after.version)
        return before, after
