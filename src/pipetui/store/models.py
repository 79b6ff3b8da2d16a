"""Peewee models of the pipeline.

Models are bound to ``database_proxy``; :func:`pipetui.store.database.open_database`
initializes it, so importing this module touches no database.

Money is an integer in minor units (cents) plus an ISO-4217 currency code.
Timestamps are naive UTC datetimes; calendar dates (expected close, due dates)
are plain dates in the user's local calendar.
"""

from __future__ import annotations

import datetime as dt

import peewee
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
    TimeField,
)

database_proxy = DatabaseProxy()


class DateTimeField(peewee.DateTimeField):
    """Reads SQLite's ISO text with the C parser; Peewee's strptime loop is
    several times slower on large results. PostgreSQL returns datetimes."""

    def python_value(self, value):
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


class DateField(peewee.DateField):
    """Reads SQLite's ISO dates with the C parser (see :class:`DateTimeField`)."""

    def python_value(self, value):
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)

OPEN, WON, LOST = "open", "won", "lost"
DEAL_STATUSES = (OPEN, WON, LOST)
ACTIVITY_KINDS = ("call", "meeting", "email", "task")
MONTH, QUARTER = "month", "quarter"


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Pipeline(BaseModel):
    name = CharField(unique=True)
    created_at = DateTimeField()
    archived_at = DateTimeField(null=True)  # left out of the switch and lists (0009)


class Stage(BaseModel):
    pipeline = ForeignKeyField(Pipeline, backref="stages", on_delete="CASCADE")
    name = CharField()
    position = IntegerField()
    probability = SmallIntegerField()  # default win probability, 0-100
    rotting_days = IntegerField(null=True)  # None: never rots
    # Removed from its pipeline (0009): kept for the history that names it.
    removed_at = DateTimeField(null=True)

    class Meta:
        # Unique over the stages not removed (a partial index made by 0009).
        indexes = ()


class Rep(BaseModel):
    name = CharField(unique=True)
    email = CharField(null=True)
    username = CharField(null=True)  # operating-system login mapped to this rep
    active = BooleanField(default=True)
    created_at = DateTimeField()


class Organization(BaseModel):
    name = CharField(unique=True)
    website = CharField(null=True)
    created_at = DateTimeField()


class Contact(BaseModel):
    name = CharField()
    email = CharField(null=True)
    phone = CharField(null=True)
    organization = ForeignKeyField(Organization, null=True, backref="contacts", on_delete="SET NULL")
    created_at = DateTimeField()


class LostReason(BaseModel):
    name = CharField(unique=True)
    active = BooleanField(default=True)


class Deal(BaseModel):
    pipeline = ForeignKeyField(Pipeline, backref="deals", index=False)
    stage = ForeignKeyField(Stage, backref="deals")
    title = CharField(max_length=500)
    value = BigIntegerField(default=0)  # minor units
    currency = CharField(max_length=3)
    probability = SmallIntegerField(null=True)  # overrides the stage default
    owner = ForeignKeyField(Rep, null=True, backref="deals", on_delete="SET NULL", index=False)
    organization = ForeignKeyField(Organization, null=True, backref="deals", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="deals", on_delete="SET NULL")
    expected_close = DateField(null=True)
    status = CharField(max_length=4, default=OPEN)
    lost_reason = TextField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()
    closed_at = DateTimeField(null=True)
    stage_entered_at = DateTimeField()
    last_activity_at = DateTimeField()
    version = IntegerField(default=1)
    external_id = CharField(null=True, unique=True)
    deleted_at = DateTimeField(null=True)


class StageChange(BaseModel):
    """One row for every stage or status change: the source of all history.
    Figures read only the rows not undone (``undone_at`` is None)."""

    deal = ForeignKeyField(Deal, backref="stage_changes", on_delete="CASCADE", index=False)
    from_stage = ForeignKeyField(Stage, null=True, backref="+", index=False)
    to_stage = ForeignKeyField(Stage, backref="+", index=False)
    from_status = CharField(max_length=4, null=True)
    to_status = CharField(max_length=4)
    changed_at = DateTimeField()
    changed_by = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
    # Taken back by an undo: kept in the deal's history, counted by no figure.
    undone_at = DateTimeField(null=True)
    # The deal just before and just after the change (JSON, see core/undo.py),
    # so that undo and redo restore it exactly; None on rows from before 0007,
    # on imported and demo history and on a new deal's first change.
    before_state = TextField(null=True)
    after_state = TextField(null=True)
    # What the figures read without walking the history (see core/history_columns.py):
    # kept by the transaction that writes the history, the deal's own columns
    # by a trigger on the deal.
    to_position = IntegerField(null=True)
    stay_days = DoubleField(null=True)
    previous_entry_at = DateTimeField(null=True)
    went_on = IntegerField(default=0)
    deal_owner_id = IntegerField(null=True)
    deal_pipeline_id = IntegerField(null=True)
    deal_won = IntegerField(default=0)
    deal_live = IntegerField(default=1)


class Quota(BaseModel):
    """A quota of one rep, or of the whole team when ``rep`` is None."""

    rep = ForeignKeyField(Rep, null=True, backref="quotas", on_delete="CASCADE")
    period_kind = CharField(max_length=7)  # MONTH or QUARTER
    period_start = DateField()
    amount = BigIntegerField()  # minor units
    currency = CharField(max_length=3)


class Activity(BaseModel):
    deal = ForeignKeyField(Deal, null=True, backref="activities", on_delete="CASCADE", index=False)
    contact = ForeignKeyField(Contact, null=True, backref="activities", on_delete="SET NULL")
    owner = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
    kind = CharField(max_length=8)
    subject = CharField(max_length=200)
    due_date = DateField(null=True)
    due_time = TimeField(null=True)
    done = BooleanField(default=False)
    done_at = DateTimeField(null=True)
    created_at = DateTimeField()


class Note(BaseModel):
    deal = ForeignKeyField(Deal, null=True, backref="notes", on_delete="CASCADE", index=False)
    contact = ForeignKeyField(Contact, null=True, backref="notes", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, null=True, backref="notes", on_delete="CASCADE")
    author = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
    body = TextField()
    created_at = DateTimeField()


class FieldChange(BaseModel):
    """A change of one field of a deal (migration 0008); stage and status
    changes are :class:`StageChange` rows."""

    deal = ForeignKeyField(Deal, backref="field_changes", on_delete="CASCADE", index=False)
    field = CharField(max_length=100)  # a built-in field's name, or a custom field's key
    old_value = TextField(null=True)  # as a person reads it; None: empty
    new_value = TextField(null=True)
    changed_at = DateTimeField()
    changed_by = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
    undone_at = DateTimeField(null=True)

    class Meta:
        table_name = "field_change"


class Product(BaseModel):
    """A product of the catalogue (migration 0012); archived ones are no
    longer offered but stay on the deals that have them."""

    name = CharField(max_length=200, unique=True)  # and without regard to case: core/products.py
    unit_price = BigIntegerField()  # minor units
    currency = CharField(max_length=3)
    archived = BooleanField(default=False)
    created_at = DateTimeField()


class LineItem(BaseModel):
    """A product on a deal: its quantity in hundredths (``150`` is 1.5), its
    unit price in minor units of ``currency`` (the deal's), copied from the
    product and editable, and a discount in whole percent."""

    deal = ForeignKeyField(Deal, backref="line_items", on_delete="CASCADE", index=False)
    product = ForeignKeyField(Product, backref="line_items", index=False)
    quantity_hundredths = BigIntegerField()
    unit_price = BigIntegerField()
    currency = CharField(max_length=3)
    discount = SmallIntegerField(default=0)
    position = IntegerField()
    created_at = DateTimeField()

    class Meta:
        table_name = "line_item"


CUSTOM_ENTITIES = ("deal", "organization", "contact")
CUSTOM_TYPES = ("text", "number", "money", "date", "choice", "multi", "checkbox")


class CustomField(BaseModel):
    """A team's own field on deals, organizations or contacts (migration
    0011). ``key`` never changes (history names it); ``name`` may."""

    key = CharField(max_length=100)
    name = CharField(max_length=100)
    entity = CharField(max_length=12)  # one of CUSTOM_ENTITIES
    type = CharField(max_length=8)  # one of CUSTOM_TYPES
    choices = TextField(null=True)  # JSON list, for choice and multi
    required = BooleanField(default=False)
    pipeline = ForeignKeyField(Pipeline, null=True, backref="+", on_delete="CASCADE", index=False)  # None: all
    position = IntegerField()
    on_card = BooleanField(default=False)
    created_at = DateTimeField()
    archived = BooleanField(default=False)

    class Meta:
        table_name = "custom_field"
        indexes = ((("entity", "key"), True),)


class CustomValue(BaseModel):
    """The value of one custom field for one deal, organization or contact,
    as canonical text (see core/fields.py); an empty value is no row."""

    field = ForeignKeyField(CustomField, backref="values", on_delete="CASCADE", index=False)
    entity_id = IntegerField()
    value = TextField()

    class Meta:
        table_name = "custom_value"
        indexes = ((("field", "entity_id"), True),)


ALL_MODELS = [
    Pipeline,
    Stage,
    Rep,
    Organization,
    Contact,
    LostReason,
    Deal,
    StageChange,
    Quota,
    Activity,
    Note,
    FieldChange,
    Product,
    LineItem,
    CustomField,
    CustomValue,
]
