"""Read models: what the core hands to the front ends, and the queries that fill them.

Peewee rows stay in the core. A screen or a command gets frozen values with
every name it shows already read (a deal's stage, owner, organization and
contact come with it), so that showing them runs no further query:

- :class:`DealRow`, one deal as lists, JSON and the export show it, from
  :func:`deal_rows` (one joined query, streamed) or :func:`deal_row`;
- :class:`DealSheet`, what the deal editor shows, from :func:`deal_sheet`
  (five queries whatever the length of the history), whose
  :class:`HistoryEntry` list :func:`narrated_history` also gives ``pipetui history``;
- :class:`StageRef`, :class:`RepRef`, :class:`ActivityRow`, :class:`NoteRow`
  and :class:`QuotaRow` for the rest.

The services take these back where they take a stage, a rep or a deal: all
a foreign key needs is the id (:func:`id_of`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, SQL, Value

from pipetui.core import clock
from pipetui.core.errors import NotFound
from pipetui.store import (
    LOST,
    OPEN,
    WON,
    Activity,
    Contact,
    Deal,
    FieldChange,
    Note,
    Organization,
    Rep,
    Stage,
    StageChange,
)
from pipetui.store import database_proxy as db
from pipetui.store.database import is_postgres

CHUNK = 5_000  # rows read from the database at a time when streaming


def id_of(thing: Any) -> int | None:
    """The id of a ref, a read model or a store row (or an id itself): all
    that a foreign key needs."""
    if thing is None or isinstance(thing, int):
        return thing
    return thing.id


# --- refs ------------------------------------------------------------------


@dataclass(frozen=True)
class StageRef:
    id: int
    name: str
    position: int
    probability: int  # default win probability, 0-100
    rotting_days: int | None  # the stage's own; None: never rots
    pipeline_id: int


@dataclass(frozen=True)
class RepRef:
    id: int
    name: str
    email: str | None
    username: str | None


def stage_ref(stage: Stage) -> StageRef:
    return StageRef(stage.id, stage.name, stage.position, stage.probability, stage.rotting_days,
                    stage.pipeline_id)


def rep_ref(rep: Rep) -> RepRef:
    return RepRef(rep.id, rep.name, rep.email, rep.username)


# --- deals -----------------------------------------------------------------


def win_probability(status: str, own: int | None, stage_default: int) -> int:
    """The deal's own probability, else its stage's default; 100 won, 0 lost."""
    if status == WON:
        return 100
    if status == LOST:
        return 0
    return own if own is not None else stage_default


@dataclass(frozen=True)
class DealRow:
    """One deal with the names of what it points at; money in minor units."""

    id: int
    title: str
    stage: str  # the stage's name
    stage_id: int
    pipeline_id: int
    status: str
    value: int
    currency: str
    probability: int | None  # the deal's own
    win_probability: int  # own, else the stage's; 100 won, 0 lost
    owner: str | None
    owner_id: int | None
    organization: str | None
    organization_id: int | None
    contact: str | None
    contact_id: int | None
    expected_close: dt.date | None
    lost_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    stage_entered_at: dt.datetime
    last_activity_at: dt.datetime
    version: int
    external_id: str | None

    def as_json(self) -> dict[str, Any]:
        """The object ``pipetui deals --json`` prints for the deal (see the README)."""
        return {
            "id": self.id,
            "title": self.title,
            "stage": self.stage,
            "status": self.status,
            "value": self.value,
            "currency": self.currency,
            "probability": self.probability,
            "win_probability": self.win_probability,
            "owner": self.owner,
            "organization": self.organization,
            "contact": self.contact,
            "expected_close": _iso(self.expected_close),
            "lost_reason": self.lost_reason,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "closed_at": _iso(self.closed_at),
            "stage_entered_at": _iso(self.stage_entered_at),
            "last_activity_at": _iso(self.last_activity_at),
            "version": self.version,
            "external_id": self.external_id,
        }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _reader(field, parse=None):
    """SQLite hands dates and times back as ISO text, PostgreSQL as values:
    ``parse`` reads the usual text (C-fast), the field's own reader the rest."""
    convert = field.python_value

    def read(value):
        if value.__class__ is not str:
            return value
        if parse is not None:
            try:
                return parse(value)
            except ValueError:
                pass
        return convert(value)

    return read


_date = _reader(Deal.expected_close, dt.date.fromisoformat)
_time = _reader(Deal.created_at, dt.datetime.fromisoformat)


def deal_query():
    """Every column of a :class:`DealRow`, the names joined in (one query)."""
    return (
        Deal.select(
            Deal.id, Deal.title, Stage.name, Deal.stage, Deal.pipeline, Deal.status, Deal.value,
            Deal.currency, Deal.probability, Stage.probability, Rep.name, Deal.owner,
            Organization.name, Deal.organization, Contact.name, Deal.contact, Deal.expected_close,
            Deal.lost_reason, Deal.created_at, Deal.updated_at, Deal.closed_at,
            Deal.stage_entered_at, Deal.last_activity_at, Deal.version, Deal.external_id,
        )
        .join(Stage, JOIN.LEFT_OUTER, on=(Stage.id == Deal.stage))
        .switch(Deal).join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == Deal.owner))
        .switch(Deal).join(Organization, JOIN.LEFT_OUTER, on=(Organization.id == Deal.organization))
        .switch(Deal).join(Contact, JOIN.LEFT_OUTER, on=(Contact.id == Deal.contact))
    )


def to_deal_row(row: tuple) -> DealRow:
    """A :class:`DealRow` from one row of :func:`deal_query`."""
    (deal_id, title, stage, stage_id, pipeline_id, status, value, currency, probability,
     stage_probability, owner, owner_id, organization, organization_id, contact, contact_id,
     expected_close, lost_reason, created_at, updated_at, closed_at, stage_entered_at,
     last_activity_at, version, external_id) = row
    return DealRow(
        deal_id, title, stage, stage_id, pipeline_id, status, value, currency, probability,
        win_probability(status, probability, stage_probability or 0), owner, owner_id,
        organization, organization_id, contact, contact_id, _date(expected_close), lost_reason,
        _time(created_at), _time(updated_at), _time(closed_at), _time(stage_entered_at),
        _time(last_activity_at), version, external_id,
    )


def deal_row(deal_id: int, *, include_deleted: bool = True) -> DealRow | None:
    """One deal by id (a deleted one too unless ``include_deleted`` is False)."""
    query = deal_query().where(Deal.id == deal_id)
    if not include_deleted:
        query = query.where(Deal.deleted_at.is_null())
    found = fetch(query)
    return to_deal_row(found[0]) if found else None


def fetch(query) -> list[tuple]:
    """The rows of a small query as plain tuples, as the driver returns them."""
    return db.execute_sql(*query.sql()).fetchall()


def stream(query, chunk: int = CHUNK) -> Iterator[tuple]:
    """The rows of one query as the driver returns them, ``chunk`` at a time,
    never all in memory: SQLite steps through its result as it is read; on
    PostgreSQL the query runs in a server-side cursor (DECLARE, then FETCH).
    """
    sql, params = query.sql()
    if not is_postgres(db):
        cursor = db.execute_sql(sql, params)
        try:
            while rows := cursor.fetchmany(chunk):
                yield from rows
        finally:
            cursor.close()
        return
    name = f"pipetui_rows_{next(_cursor_numbers)}"
    with db.atomic():  # the cursor lives as long as its transaction
        db.execute_sql(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
        while True:
            rows = db.execute_sql(f"FETCH FORWARD {chunk} FROM {name}").fetchall()
            yield from rows
            if len(rows) < chunk:
                break
        db.execute_sql(f"CLOSE {name}")


_cursor_numbers = itertools.count(1)

ORDERS = ("pipeline", "id")


def deal_rows(*, status: str | None = OPEN, stage: Any = None, owner: Any = None,
              limit: int | None = None, order: str = "pipeline", where: Any = None,
              pipeline: Any = None) -> Iterator[DealRow]:
    """The live deals, streamed by one joined query whatever their number.

    ``status`` is open, won or lost (``all`` or None: every one); ``stage``
    and ``owner`` are refs (or ids), as is ``pipeline`` (None: every
    pipeline). ``order`` is ``pipeline`` (stage order,
    then largest value first, as lists show them) or ``id`` (as exported).
    ``where`` is a further condition on the joined query (the filter
    language's: :func:`pipetui.core.board.filter_condition`).
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, not {order!r}")
    query = deal_query().where(Deal.deleted_at.is_null())
    if status is not None and status != "all":
        query = query.where(Deal.status == status)
    if stage is not None:
        query = query.where(Deal.stage == id_of(stage))
    if owner is not None:
        query = query.where(Deal.owner == id_of(owner))
    if pipeline is not None:
        query = query.where(Deal.pipeline == id_of(pipeline))
    if where is not None:
        query = query.where(where)
    if order == "pipeline":
        query = query.order_by(Stage.position, Deal.value.desc(), Deal.id)
    else:
        query = query.order_by(Deal.id)
    if limit is not None:
        query = query.limit(limit)
    return map(to_deal_row, stream(query))


# --- the deal editor's sheet -------------------------------------------------


NO_REP = "(no rep)"
"""How a change or note made by no rep (the CLI without ``--as``, an import)
is credited in the editor and the monitor."""


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a deal, told as the editor and ``pipetui history`` show it:
    a stage or status change (``field`` is ``stage`` or ``status``) or the
    change of one other field (``title``, ``value``, … or a custom field's key)."""

    when: dt.datetime
    what: str  # "created in Prospecting", "Qualified → Meeting", "won", "title: Acme → Acme 2"
    who: str | None  # the rep's name
    days: int  # stage and status: days the deal then stayed so (until the next one, its close or now); 0 if undone or a field
    undone: bool = False  # taken back by an undo: told, marked, counted by no figure
    field: str = "stage"  # "stage", "status", or the field changed
    old: str | None = None  # as a person reads it; None: empty (or none, for a new deal's stage)
    new: str | None = None

    @property
    def is_field(self) -> bool:
        """A change of a field other than the stage or the status."""
        return self.field not in ("stage", "status")

    def as_json(self) -> dict[str, Any]:
        """The object ``pipetui history --json`` prints for the change (see the README)."""
        return {"changed_at": _iso(self.when), "field": self.field, "old": self.old, "new": self.new,
                "what": self.what, "who": self.who, "undone": self.undone}


@dataclass(frozen=True)
class ActivityRow:
    id: int
    deal_id: int | None
    kind: str
    subject: str
    due_date: dt.date | None
    due_time: dt.time | None
    done: bool
    late: bool  # open and due before today


@dataclass(frozen=True)
class NoteRow:
    id: int
    created_at: dt.datetime
    author: str | None  # the rep's name
    body: str


@dataclass(frozen=True)
class DealSheet:
    """What the deal editor shows: the deal, its narrated history, activities and notes."""

    deal: DealRow
    history: tuple[HistoryEntry, ...]
    activities: tuple[ActivityRow, ...]
    notes: tuple[NoteRow, ...]


def narrate(changes: list[tuple], closed_at: dt.datetime | None, now: dt.datetime) -> list[HistoryEntry]:
    """The history in words from (changed at, from stage, to stage, from
    status, to status, who[, undone]) oldest first; a stage without a name
    reads ``?``. An undone change is told with "(undone)" and stays no days:
    the days run from each change not undone to the next."""
    live = [index for index, change in enumerate(changes) if not (len(change) > 6 and change[6])]
    following = {index: live[n + 1] if n + 1 < len(live) else None for n, index in enumerate(live)}
    told = []
    for index, change in enumerate(changes):
        changed_at, from_stage, to_stage, from_status, to_status, who = change[:6]
        undone = index not in following
        if undone:
            days = 0
        else:
            after = following[index]
            until = changes[after][0] if after is not None else (closed_at or now)
            days = max(0, (until - changed_at).days)
        if from_status is None:
            what, field, old, new = f"created in {to_stage or '?'}", "stage", None, to_stage
        elif from_status != to_status:
            what = {"won": "won", "lost": "lost"}.get(to_status, "reopened")
            if to_status == "open":
                what += f" in {to_stage or '?'}"
            field, old, new = "status", from_status, to_status
        else:
            what, field, old, new = f"{from_stage or '?'} → {to_stage or '?'}", "stage", from_stage, to_stage
        if undone:
            what += " (undone)"
        told.append(HistoryEntry(changed_at, what, who, days, undone, field, old, new))
    return told


FIELD_LABELS = {"expected_close": "expected close", "organization": "organization",
                "probability": "win chance"}
"""How a recorded field is named in the history where its name is not a word
(a custom field is named by its key)."""

EMPTY_VALUE = "(none)"


def field_entry(when: dt.datetime, field: str, old: str | None, new: str | None, who: str | None,
                undone: bool) -> HistoryEntry:
    """The change of one field (a FieldChange row) in words: ``title: Acme → Acme 2``."""
    label = FIELD_LABELS.get(field, field)
    what = f"{label}: {EMPTY_VALUE if old is None else old} → {EMPTY_VALUE if new is None else new}"
    if undone:
        what += " (undone)"
    return HistoryEntry(when, what, who, 0, undone, field, old, new)


def narrated_history(deal: DealRow) -> list[HistoryEntry]:
    """Every change of the deal in words, its stage and status changes and
    the changes of its other fields merged, oldest first (a stage change
    before a field change made at the same time), undone ones marked: one
    query."""
    before, after = Stage.alias(), Stage.alias()
    stage_changes = (
        StageChange.select(StageChange.changed_at, Value(0), StageChange.id, before.name, after.name,
                           StageChange.from_status, StageChange.to_status, Rep.name,
                           StageChange.undone_at.is_null(False))
        .join(before, JOIN.LEFT_OUTER, on=(before.id == StageChange.from_stage))
        .switch(StageChange).join(after, JOIN.LEFT_OUTER, on=(after.id == StageChange.to_stage))
        .switch(StageChange).join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == StageChange.changed_by))
        .where(StageChange.deal == deal.id)
    )
    field_changes = (
        FieldChange.select(FieldChange.changed_at, Value(1), FieldChange.id, FieldChange.field,
                           FieldChange.old_value, FieldChange.new_value, Value(None), Rep.name,
                           FieldChange.undone_at.is_null(False))
        .join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == FieldChange.changed_by))
        .where(FieldChange.deal == deal.id)
    )
    merged = (stage_changes + field_changes).order_by(SQL("1"), SQL("2"), SQL("3"))
    found = [(_time(row[0]), *row[1:]) for row in fetch(merged)]
    stage_rows = [(row[0], *row[3:8], bool(row[8])) for row in found if row[1] == 0]
    told_stages = iter(narrate(stage_rows, deal.closed_at, clock.now()))
    return [next(told_stages) if row[1] == 0 else field_entry(row[0], *row[3:6], row[7], bool(row[8]))
            for row in found]


_ACTIVITY_COLUMNS = (Activity.id, Activity.deal, Activity.kind, Activity.subject, Activity.due_date,
                     Activity.due_time, Activity.done)
_due_time = _reader(Activity.due_time, dt.time.fromisoformat)


def _activity_row(row: tuple, today: dt.date) -> ActivityRow:
    activity_id, deal_id, kind, subject, due_date, due_time, done = row
    due_date, done = _date(due_date), bool(done)
    late = not done and due_date is not None and due_date < today
    return ActivityRow(activity_id, deal_id, kind, subject, due_date, _due_time(due_time), done, late)


def activity_row(activity: Activity) -> ActivityRow:
    """The read model of an activity just written."""
    a = activity
    return _activity_row((a.id, a.deal_id, a.kind, a.subject, a.due_date, a.due_time, a.done),
                         clock.today())


def activity_rows(deal_id: int) -> list[ActivityRow]:
    """Open activities by due date first, then the 20 latest done ones, newest first (two queries)."""
    today = clock.today()
    open_ = (Activity.select(*_ACTIVITY_COLUMNS)
             .where(Activity.deal == deal_id, Activity.done == False)  # noqa: E712
             .order_by(Activity.due_date.asc(nulls="LAST"), Activity.id))
    done = (Activity.select(*_ACTIVITY_COLUMNS)
            .where(Activity.deal == deal_id, Activity.done == True)  # noqa: E712
            .order_by(Activity.done_at.desc()).limit(20))
    return [_activity_row(row, today) for query in (open_, done) for row in fetch(query)]


def open_activity_rows(rep_id: int | None = None, limit: int = 500) -> list[ActivityRow]:
    """Activities not done, of one rep (or everyone's), by due date, undated
    last (one query)."""
    query = (Activity.select(*_ACTIVITY_COLUMNS).where(Activity.done == False)  # noqa: E712
             .order_by(Activity.due_date.asc(nulls="LAST"), Activity.due_time.asc(nulls="LAST"),
                       Activity.id).limit(limit))
    if rep_id is not None:
        query = query.where(Activity.owner == rep_id)
    today = clock.today()
    return [_activity_row(row, today) for row in fetch(query)]


def _note_query():
    return (Note.select(Note.id, Note.created_at, Rep.name, Note.body)
            .join(Rep, JOIN.LEFT_OUTER, on=(Rep.id == Note.author)))


def _note_row(row: tuple) -> NoteRow:
    note_id, created_at, author, body = row
    return NoteRow(note_id, _time(created_at), author, body)


def note_row(note_id: int) -> NoteRow:
    return _note_row(fetch(_note_query().where(Note.id == note_id))[0])


def note_rows(deal_id: int) -> list[NoteRow]:
    """The deal's 50 latest notes, newest first, with their authors' names (one query)."""
    query = _note_query().where(Note.deal == deal_id).order_by(Note.created_at.desc()).limit(50)
    return [_note_row(row) for row in fetch(query)]


def deal_sheet(deal_id: int) -> DealSheet:
    """What the editor shows of a live deal, in five queries whatever its history."""
    deal = deal_row(deal_id, include_deleted=False)
    if deal is None:
        raise NotFound(f"no deal #{deal_id}")
    return DealSheet(deal, tuple(narrated_history(deal)), tuple(activity_rows(deal_id)),
                     tuple(note_rows(deal_id)))


# --- quotas ------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaRow:
    id: int
    rep_id: int | None  # None: the team's
    rep: str | None  # the rep's name
    period_kind: str  # month or quarter
    period_start: dt.date
    amount: int  # minor units
    currency: str
