"""The first schema: every table, the default pipeline and its seven stages.

The models are a frozen copy of the schema as it was released; they must not
follow later changes to ``pipetui.store.models``.
"""

import datetime

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
    TimeField,
)

DEFAULT_STAGES = [
    # name, default win probability %, rotting days
    ("Prospecting", 10, 14),
    ("Contacted", 20, 14),
    ("Qualified", 30, 21),
    ("Meeting", 45, 14),
    ("Proposal", 60, 10),
    ("Negotiation", 75, 10),
    ("Closing", 90, 7),
]

DEFAULT_LOST_REASONS = [
    "Price too high",
    "Lost to competitor",
    "No budget",
    "No decision",
    "Bad timing",
    "Product not a fit",
]


def frozen_models(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Pipeline(Base):
        name = CharField(unique=True)
        created_at = DateTimeField()

    class Stage(Base):
        pipeline = ForeignKeyField(Pipeline, backref="stages", on_delete="CASCADE")
        name = CharField()
        position = IntegerField()
        probability = SmallIntegerField()
        rotting_days = IntegerField(null=True)

        class Meta:
            indexes = ((("pipeline", "name"), True),)

    class Rep(Base):
        name = CharField(unique=True)
        email = CharField(null=True)
        username = CharField(null=True)
        active = BooleanField(default=True)
        created_at = DateTimeField()

    class Organization(Base):
        name = CharField(unique=True)
        website = CharField(null=True)
        created_at = DateTimeField()

    class Contact(Base):
        name = CharField()
        email = CharField(null=True)
        phone = CharField(null=True)
        organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

    class LostReason(Base):
        name = CharField(unique=True)
        active = BooleanField(default=True)

    class Deal(Base):
        pipeline = ForeignKeyField(Pipeline, index=False)
        stage = ForeignKeyField(Stage)
        title = CharField(max_length=200)
        value = BigIntegerField(default=0)
        currency = CharField(max_length=3)
        probability = SmallIntegerField(null=True)
        owner = ForeignKeyField(Rep, null=True, on_delete="SET NULL", index=False)
        organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
        contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL")
        expected_close = DateField(null=True)
        status = CharField(max_length=4, default="open")
        lost_reason = TextField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        closed_at = DateTimeField(null=True)
        stage_entered_at = DateTimeField()
        last_activity_at = DateTimeField()
        version = IntegerField(default=1)
        external_id = CharField(null=True, unique=True)
        deleted_at = DateTimeField(null=True)

    class StageChange(Base):
        deal = ForeignKeyField(Deal, on_delete="CASCADE", index=False)
        from_stage = ForeignKeyField(Stage, null=True, backref="+", index=False)
        to_stage = ForeignKeyField(Stage, backref="+", index=False)
        from_status = CharField(max_length=4, null=True)
        to_status = CharField(max_length=4)
        changed_at = DateTimeField()
        changed_by = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)

    class Quota(Base):
        rep = ForeignKeyField(Rep, null=True, on_delete="CASCADE")
        period_kind = CharField(max_length=7)
        period_start = DateField()
        amount = BigIntegerField()
        currency = CharField(max_length=3)

    class Activity(Base):
        deal = ForeignKeyField(Deal, null=True, on_delete="CASCADE", index=False)
        contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL")
        owner = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
        kind = CharField(max_length=8)
        subject = CharField(max_length=200)
        due_date = DateField(null=True)
        due_time = TimeField(null=True)
        done = BooleanField(default=False)
        done_at = DateTimeField(null=True)
        created_at = DateTimeField()

    class Note(Base):
        deal = ForeignKeyField(Deal, null=True, on_delete="CASCADE", index=False)
        contact = ForeignKeyField(Contact, null=True, on_delete="CASCADE")
        organization = ForeignKeyField(Organization, null=True, on_delete="CASCADE")
        author = ForeignKeyField(Rep, null=True, backref="+", on_delete="SET NULL", index=False)
        body = TextField()
        created_at = DateTimeField()

    return [Pipeline, Stage, Rep, Organization, Contact, LostReason, Deal,
            StageChange, Quota, Activity, Note]


def up(migrator, db):
    models = frozen_models(db)
    db.create_tables(models)
    Pipeline, Stage, LostReason = models[0], models[1], models[5]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    pipeline = Pipeline.create(name="Sales", created_at=now)
    for position, (name, probability, rotting_days) in enumerate(DEFAULT_STAGES):
        Stage.create(pipeline=pipeline, name=name, position=position,
                     probability=probability, rotting_days=rotting_days)
    for name in DEFAULT_LOST_REASONS:
        LostReason.create(name=name)


def down(migrator, db):
    db.drop_tables(list(reversed(frozen_models(db))))
