"""Writing a checked import plan: all of it in one transaction, or nothing.

New deals are inserted in batches with their history: a creation dated
from the source's created date and, for a won or lost deal, the close
dated from its close date. A deal an earlier import made is updated in
place (its version goes up), and a change of stage or status adds to its
history rather than rewriting it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from peewee import IntegrityError, fn

from pipetui.core import history_columns
from pipetui.core.deals import change_time
from pipetui.core.errors import ConflictError
from pipetui.core.fields import record_changes, write_values
from pipetui.core.imports.plan import Plan, Record, name_key
from pipetui.core.lookup import default_pipeline
from pipetui.store import (
    OPEN,
    WON,
    Contact,
    CustomValue,
    Deal,
    LineItem,
    Note,
    Organization,
    Product,
    Rep,
    Stage,
    StageChange,
)
from pipetui.store import database_proxy as db
from pipetui.store.bulk import indexes_deferred, insert_rows, reserve_ids, update_rows
from pipetui.store.database import is_postgres

CHUNK = 5_000
DEFER_INDEXES_FROM = 20_000
DEAL_COLUMNS = ["id", "pipeline_id", "stage_id", "title", "value", "currency", "probability", "owner_id",
                "organization_id", "contact_id", "expected_close", "status", "lost_reason", "created_at",
                "updated_at", "closed_at", "stage_entered_at", "last_activity_at", "version", "external_id"]
CHANGE_COLUMNS = ["id", "deal_id", "from_stage_id", "to_stage_id", "from_status", "to_status", "changed_at"]
UPDATE_COLUMNS = ["title", "pipeline_id", "stage_id", "status", "value", "currency", "probability", "owner_id",
                  "organization_id", "contact_id", "expected_close", "lost_reason", "closed_at",
                  "stage_entered_at", "updated_at", "version"]


@dataclass(frozen=True)
class Written:
    created: int
    updated: int
    reps: int
    organizations: int
    contacts: int
    stages: int
    stage_changes: int
    notes: int
    products: int = 0  # added to the catalogue
    items: int = 0  # line items of new deals


def _text(value) -> str | None:
    """Dates and times as the text both databases read back (Peewee's form)."""
    return None if value is None else str(value)


def write(plan: Plan, progress: Callable[[int, int], None] | None = None) -> Written:
    progress = progress or (lambda done, total: None)
    try:
        with db.atomic():
            return _Writer(plan, progress).run()
    except IntegrityError:
        raise ConflictError("someone else added the same deals, people or stages while the file was "
                            "being checked; nothing was imported; run the import again") from None


class _Writer:
    def __init__(self, plan: Plan, progress) -> None:
        self.plan = plan
        self.progress = progress
        self.now = change_time()  # PostgreSQL: the server's clock, as for every change
        self.pipeline_id = default_pipeline().id
        self.changes = 0
        self.notes = 0

    def run(self) -> Written:
        plan = self.plan
        creating, updating = plan.to_create, plan.to_update
        self._check_versions(updating)
        stage_ids = self._stages()
        reps, organizations, contacts = plan.new_names()
        rep_ids = self._people(Rep, reps)
        org_ids = self._people(Organization, organizations)
        self.rep_ids = {**plan.reps, **rep_ids}
        self.org_ids = {**plan.organizations, **org_ids}
        self.contact_ids = self._contacts(contacts)
        self.stage_ids = stage_ids
        self.positions = dict(Stage.select(Stage.id, Stage.position).tuples())
        new_products = plan.new_products()
        self.product_ids = {**plan.products, **self._products(new_products)}
        self.items = 0
        total = len(creating) + len(updating)
        done = 0
        with self._deferred_indexes(len(creating)):
            for start in range(0, len(creating), CHUNK):
                chunk = creating[start:start + CHUNK]
                self._insert(chunk)
                done += len(chunk)
                self.progress(done, total)
        for start in range(0, len(updating), CHUNK):
            chunk = updating[start:start + CHUNK]
            self._update(chunk)
            done += len(chunk)
            self.progress(done, total)
        return Written(len(creating), len(updating), len(rep_ids), len(org_ids), len(contacts),
                       len(plan.new_stages), self.changes, self.notes, len(new_products), self.items)

    def _deferred_indexes(self, creating: int):
        """Many new deals into a database that holds fewer (a first import):
        indexes are cheaper built once after than updated row by row. On
        PostgreSQL, readers of the deals wait for the commit meanwhile."""
        if creating < DEFER_INDEXES_FROM or Deal.select().count() > creating:
            return contextlib.nullcontext()
        return indexes_deferred(db, [Deal, StageChange, Note, LineItem])

    def _check_versions(self, updating: list[Record]) -> None:
        """The deals to update are as they were when the file was checked
        (PostgreSQL: and stay so until the commit)."""
        planned = {r.existing.id: r.existing.version for r in updating}
        ids = list(planned)
        for start in range(0, len(ids), CHUNK):
            query = Deal.select(Deal.id, Deal.version).where(Deal.id.in_(ids[start:start + CHUNK]))
            if is_postgres(db):
                query = query.for_update()
            for deal_id, version in query.tuples():
                if version != planned[deal_id]:
                    raise ConflictError(f"deal #{deal_id} was changed by someone else while the file "
                                        f"was being checked; nothing was imported; run the import again")

    def _stages(self) -> dict[int, int]:
        """Ids of the stages --create-stages makes, by the plan's -n
        references, each after the last stage of its pipeline; and every
        stage's pipeline, for the deals the import moves (``stage_pipeline``)."""
        self.stage_pipeline = dict(Stage.select(Stage.id, Stage.pipeline).tuples())
        if not self.plan.new_stages:
            return {}
        made = {}
        for ref, name, probability in self.plan.new_stages:
            pipeline_id = self.plan.new_stage_pipelines.get(ref, self.pipeline_id)
            last = Stage.select(fn.MAX(Stage.position)).where(Stage.pipeline == pipeline_id).scalar() or 0
            stage = Stage.create(pipeline=pipeline_id, name=name, position=last + 1,
                                 probability=probability, rotting_days=None)
            made[ref] = stage.id
            self.stage_pipeline[stage.id] = pipeline_id
        return made

    def _people(self, model, names: list[str]) -> dict[str, int]:
        ids = reserve_ids(db, model, len(names))
        stamp = _text(self.now)
        if not names:
            return {}
        columns = ["id", "name", "created_at"] + (["active"] if model is Rep else [])
        extra = (True,) if model is Rep else ()
        rows = [(i, name, stamp, *extra) for i, name in zip(ids, names, strict=True)]
        for start in range(0, len(rows), CHUNK):
            insert_rows(db, model, columns, rows[start:start + CHUNK])
        return {name_key(name): i for i, name in zip(ids, names, strict=True)}

    def _products(self, products: list[tuple[str, int, str]]) -> dict[str, int]:
        ids = reserve_ids(db, Product, len(products))
        stamp = _text(self.now)
        rows = [(i, name, price, currency, False, stamp)
                for i, (name, price, currency) in zip(ids, products, strict=True)]
        if rows:
            insert_rows(db, Product, ["id", "name", "unit_price", "currency", "archived", "created_at"], rows)
        return {name_key(name): i for i, (name, _price, _currency) in zip(ids, products, strict=True)}

    def _contacts(self, contacts: list[tuple[str, str | None]]) -> dict[tuple[str, str], int]:
        if not contacts:
            return {}
        ids = reserve_ids(db, Contact, len(contacts))
        stamp = _text(self.now)
        rows = []
        by_key = {}
        for contact_id, (name, organization) in zip(ids, contacts, strict=True):
            org_id = self._org_id(organization)
            rows.append((contact_id, name, org_id, stamp))
            by_key[(name_key(name), name_key(organization or ""))] = contact_id
        for start in range(0, len(rows), CHUNK):
            insert_rows(db, Contact, ["id", "name", "organization_id", "created_at"], rows[start:start + CHUNK])
        return by_key

    # -- ids of what a record names ----------------------------------------------------

    def _org_id(self, name: str | None) -> int | None:
        return self.org_ids[name_key(name)] if name else None

    def _rep_id(self, name: str | None) -> int | None:
        return self.rep_ids[name_key(name)] if name else None

    def _contact_id(self, record: Record) -> int | None:
        if not record.contact:
            return None
        known = self.plan.contact_id(record)
        if isinstance(known, int):
            return known
        return self.contact_ids[(name_key(record.contact), name_key(record.organization or ""))]

    def _stage_id(self, ref: int) -> int:
        return self.stage_ids[ref] if ref < 0 else ref

    # -- deals -----------------------------------------------------------------------

    def _insert(self, records: list[Record]) -> None:
        deal_ids = reserve_ids(db, Deal, len(records))
        closed = sum(1 for r in records if r.status != OPEN)
        change_ids = iter(reserve_ids(db, StageChange, len(records) + closed))
        now = _text(self.now)
        deals, changes = [], []
        for deal_id, r in zip(deal_ids, records, strict=True):
            stage = self._stage_id(r.stage)
            created = _text(r.created_at)
            deals.append((
                deal_id, self.stage_pipeline[stage], stage, r.title, r.value, r.currency, r.probability,
                self._rep_id(r.owner), self._org_id(r.organization), self._contact_id(r),
                _text(r.expected_close), r.status, r.lost_reason, created, now, _text(r.closed_at),
                created, _text(r.closed_at or r.created_at), 1, r.key,
            ))
            # With the history columns (core/history_columns.py): the file's
            # history is a creation and, for a closed deal, its close.
            owner, pipeline, won = self._rep_id(r.owner), self.stage_pipeline[stage], int(r.status == WON)
            position = self.positions[stage]
            changes.append((next(change_ids), deal_id, None, stage, None, OPEN, created,
                            position, None, None, won, owner, pipeline, won, 1))
            if r.status != OPEN:
                stay = (r.closed_at - r.created_at).total_seconds() / 86400
                changes.append((next(change_ids), deal_id, stage, stage, OPEN, r.status, _text(r.closed_at),
                                position, stay, None, won, owner, pipeline, won, 1))
        if not deals:
            return
        insert_rows(db, Deal, DEAL_COLUMNS, deals)
        insert_rows(db, StageChange, [*CHANGE_COLUMNS, *history_columns.COLUMNS], changes)
        custom = [{"field": field_id, "entity_id": deal_id, "value": value}
                  for deal_id, r in zip(deal_ids, records, strict=True) if r.custom
                  for field_id, value in r.custom.items() if value is not None]
        for start in range(0, len(custom), CHUNK):
            CustomValue.insert_many(custom[start:start + CHUNK]).execute()
        noted = [(deal_id, r) for deal_id, r in zip(deal_ids, records, strict=True) if r.note]
        if noted:
            note_ids = reserve_ids(db, Note, len(noted))
            insert_rows(db, Note, ["id", "deal_id", "body", "created_at"],
                        [(i, deal_id, r.note, _text(r.created_at))
                         for i, (deal_id, r) in zip(note_ids, noted, strict=True)])
            self.notes += len(noted)
        self._items([(deal_id, r) for deal_id, r in zip(deal_ids, records, strict=True) if r.product])
        self.changes += len(changes)

    def _items(self, sold: list[tuple[int, Record]]) -> None:
        """A new deal's product: one of it at the deal's value, so that the
        items' sum is the value the file gave."""
        if not sold:
            return
        item_ids = reserve_ids(db, LineItem, len(sold))
        rows = [(i, deal_id, self.product_ids[name_key(r.product)], 100, r.value, r.currency, 0, 1,
                 _text(r.created_at)) for i, (deal_id, r) in zip(item_ids, sold, strict=True)]
        insert_rows(db, LineItem, ["id", "deal_id", "product_id", "quantity_hundredths", "unit_price",
                                   "currency", "discount", "position", "created_at"], rows)
        self.items += len(rows)

    def _update(self, records: list[Record]) -> None:
        rows, history = [], []
        for r in records:
            old, changed = r.existing, r.changed
            stage = self._stage_id(r.stage) if "stage" in changed else old.stage
            status = r.status if "status" in changed else old.status
            closed_at, entered = old.closed_at, old.stage_entered_at
            if "stage" in changed or "status" in changed:
                when = self.now
                if status != OPEN and "status" in changed:
                    when = r.closed_at  # the source's close, after the deal's own history
                when = max(when, old.last_change or when)
                history.append((old.id, old.stage, stage, old.status, status, _text(when)))
                if "stage" in changed:
                    entered = when
                if "status" in changed:
                    closed_at = None if status == OPEN else when
            lost_reason = changed.get("lost_reason", old.lost_reason) if status != OPEN else None
            contact = (self._contact_id(r) if "contact" in changed else old.contact)
            rows.append((
                changed.get("title", old.title), self.stage_pipeline[stage], stage, status,
                changed.get("value", old.value), changed.get("currency", old.currency),
                changed.get("probability", old.probability),
                self._rep_id(changed["owner"]) if "owner" in changed else old.owner,
                self._org_id(changed["organization"]) if "organization" in changed else old.organization,
                contact, _text(changed.get("expected_close", old.expected_close)),
                lost_reason if status == "lost" else None, _text(closed_at), _text(entered),
                _text(self.now), old.version + 1, old.id,
            ))
        update_rows(db, Deal, UPDATE_COLUMNS, rows)
        for r in records:
            if r.custom_changed:
                changes = write_values(r.existing.id, {f.id: (f, new) for f, _, new in r.custom_changed})
                record_changes(r.existing.id, changes, actor=None, when=self.now)
        if history:
            change_ids = reserve_ids(db, StageChange, len(history))
            insert_rows(db, StageChange, CHANGE_COLUMNS,
                        [(i, *change) for i, change in zip(change_ids, history, strict=True)])
            self.changes += len(history)
        for r in records:  # the trigger followed the deals' columns; their history's own come here
            history_columns.refresh(r.existing.id)
