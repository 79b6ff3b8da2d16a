"""Undo and redo of the changes made from one front door.

Undo restores the state before a change and marks the change undone; no
figure counts an undone change. It never writes a fake reverse change.

A stage or status change (move, win, lose) keeps on its StageChange row the
deal as it was just before and just after it (see
:func:`pipetui.core.deals.deal_state`). Undo puts the deal back as it was
before (stage, status, time entered in the stage, last activity, so rotting,
own probability, close time, lost reason) and sets the row's ``undone_at``;
redo puts it back as it was just after and clears the mark, so both are
exact, not "now". Both happen in one transaction with the version check: an
entry that meets a deal someone else has changed since refuses with
:class:`ConflictError` and changes nothing. The history keeps the row,
marked undone.

An edit of a deal's fields (the editor's save, ``edit_deal``) is undone the
same way: its :class:`Change` carries the columns before and after
(:func:`edit_change`), custom fields' values included; undo writes the old
ones back and marks the edit's FieldChange rows undone, redo writes the new ones and clears the marks. An
editor save that also moved the deal is one change: undo takes back the
move, then the edit.

An activity or a note added (:func:`schedule_activity`, :func:`add_note`)
is removed by undo, and the deal's last activity (its rotting clock) goes
back to what it was, unless something else touched the deal since; redo
puts the same row back. A deleted deal is restored by undo and deleted
again by redo.

Automation rules never fire on undo or redo (the deal is not entering the
stage anew), and activities a rule created with the change are left alone:
they stay on the deal, to be done or removed like any other.

Undoing a new deal deletes it (softly); redoing it brings it back.

One action on several deals (a bulk move, win, loss or reassignment from
the screens) is one :class:`Changes`: undo and redo take all its deals
back, or forward, in one transaction; one deal changed by someone else
since refuses the whole step and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pipetui.core import activities, deals, fields, history_columns
from pipetui.core.errors import InvalidInput
from pipetui.core.rows import ActivityRow, DealRow, NoteRow, RepRef
from pipetui.store import LOST, OPEN, WON, Activity, Deal, FieldChange, Note, StageChange
from pipetui.store import database_proxy as db

# The status a change of each kind leaves the deal in.
_TO_STATUS = {"move": OPEN, "win": WON, "lose": LOST}
# What an added item is, by the kind of its change.
_ITEMS = {"activity": Activity, "note": Note}


@dataclass(frozen=True)
class Change:
    """A change to a deal: what it was before and after, enough to redo or revert it."""

    label: str  # e.g. "move #12 to Proposal"
    deal_id: int
    kind: str  # "move", "win", "lose", "create", "edit", "delete", "activity", "note"
    before_stage_id: int
    after_stage_id: int
    version: int  # the deal's version right after this change
    lost_reason: str | None = None
    # An edit: the columns it changed, before and after (see deals.edited_columns),
    # and the recorded fields whose FieldChange rows it wrote.
    before_columns: dict[str, Any] = field(default_factory=dict, compare=False)
    after_columns: dict[str, Any] = field(default_factory=dict, compare=False)
    edited_fields: tuple[str, ...] = ()
    # ... and the custom fields it changed, {field key: canonical, None: empty}.
    before_values: dict[str, str | None] = field(default_factory=dict, compare=False)
    after_values: dict[str, str | None] = field(default_factory=dict, compare=False)
    # An activity or a note added: its id, and the deal's last activity before and after it.
    item_id: int | None = None
    touched: tuple[dt.datetime | None, dt.datetime | None] = (None, None)

    @property
    def moved(self) -> bool:
        return self.before_stage_id != self.after_stage_id


@dataclass(frozen=True)
class _Marks:
    """What an undo marked or took away, for the redo to clear or put back."""

    stage_row: int | None = None
    field_rows: tuple[int, ...] = ()
    item: dict[str, Any] | None = None


@dataclass(frozen=True)
class Changes:
    """Several deals changed by one action: one step of undo."""

    label: str  # e.g. "move of 3 deals"
    changes: tuple[Change, ...]


def changes_of(kind: str, label: str, outcomes) -> Changes:
    """The undo step of a bulk move, win or loss: ``outcomes`` as
    :func:`pipetui.core.bulk.apply` returns them, the deal before (with its
    stage) and after."""
    return Changes(label, tuple(
        Change(label, o.after.id, kind, o.before.stage_id, o.after.stage_id, o.after.version,
               o.after.lost_reason if kind == "lose" else None)
        for o in outcomes))


def edits_of(label: str, outcomes) -> Changes:
    """The undo step of a bulk edit (deals given to a rep, fields set): ``outcomes`` as
    :func:`pipetui.core.bulk.apply` returns them, each deal before read as
    a DealRow. A deal the edit left as it was is no part of it."""
    edits = (edit_change(label, o.before, o.after, values_before=o.values_before,
                         values_after=o.values_after) for o in outcomes)
    return Changes(label, tuple(e for e in edits if e.before_columns or e.before_values or e.moved))


def stages_touched(change: Change | Changes) -> set[int]:
    """The stages a change took deals out of or put them in."""
    parts = change.changes if isinstance(change, Changes) else (change,)
    return {stage for one in parts for stage in (one.before_stage_id, one.after_stage_id)}


class UndoLog:
    """Two stacks: changes that can be undone, and undone ones that can be redone."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._done: list[Change | Changes] = []
        # Each undone change with what its undo marked or took away.
        self._undone: list[tuple[Change, _Marks]] = []
        # The version each deal had after our latest change to it: anything
        # else means someone else changed it since.
        self._versions: dict[int, int] = {}

    def record(self, change: Change | Changes) -> None:
        if isinstance(change, Changes):
            if not change.changes:
                return  # nothing changed: no step to undo
            self._done.append(change)
            del self._done[: -self.limit]
            self._undone.clear()
            for one in change.changes:
                self._versions[one.deal_id] = one.version
            return
        if change.kind == "edit" and not change.before_columns and not change.before_values and not change.moved:
            # A save that changed nothing is no step to undo; the deal's new
            # version is still ours, so earlier steps stay undoable.
            self._versions[change.deal_id] = change.version
            return
        self._done.append(change)
        del self._done[: -self.limit]
        self._undone.clear()
        self._versions[change.deal_id] = change.version

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        """Take back the latest change; returns it with the deal as it is now.
        ``actor`` is accepted for symmetry with the deal services: undo
        writes no change of its own to attribute."""
        if not self._done:
            raise InvalidInput("nothing to undo")
        change = self._done[-1]
        if isinstance(change, Changes):
            return self._replay_all(change, undo=True)
        deal, marks = _revert(change, self._versions.get(change.deal_id, change.version))
        self._undone.append((self._done.pop(), marks))
        self._versions[deal.id] = deal.version
        return change, deal

    def redo(self, actor: RepRef | None = None) -> tuple[Change, DealRow]:
        if not self._undone:
            raise InvalidInput("nothing to redo")
        change, marks = self._undone[-1]
        if isinstance(change, Changes):
            return self._replay_all(change, undo=False)
        deal = _apply(change, marks, self._versions.get(change.deal_id, change.version))
        self._undone.pop()
        self._done.append(change)
        self._versions[deal.id] = deal.version
        return change, deal


    def _replay_all(self, group: Changes, *, undo: bool) -> tuple[Changes, DealRow]:
        """Undo (or redo) every change of ``group`` in one transaction: all
        or none. Returns the group with its first deal as it is now."""
        found = []
        with db.atomic():
            if undo:
                for change in reversed(group.changes):
                    found.append(_revert(change, self._versions.get(change.deal_id, change.version)))
                found.reverse()
            else:
                _, marks = self._undone[-1]
                for change, mark in zip(group.changes, marks, strict=True):
                    deal = _apply(change, mark, self._versions.get(change.deal_id, change.version))
                    found.append((deal, mark))
        if undo:
            self._undone.append((self._done.pop(), [mark for _, mark in found]))
        else:
            self._undone.pop()
            self._done.append(group)
        for deal, _ in found:
            self._versions[deal.id] = deal.version
        return group, found[0][0]


# --- changes the front ends make and record ----------------------------------


def edit_change(label: str, before: DealRow, after: DealRow, *,
                values_before: dict[str, str] | None = None,
                values_after: dict[str, str] | None = None) -> Change:
    """The change that took the deal from ``before`` to ``after``: an edit of
    its fields (``edit_deal``, the editor's ``update_deal``), with the move
    that came with it, if any. ``values_before`` and ``values_after`` are
    its custom values on either side (:func:`pipetui.core.fields.held_values`)
    when the edit could change them."""
    old, new = deals.edited_columns(before), deals.edited_columns(after)
    changed = [column for column in old if old[column] != new[column]]
    texts_before, texts_after = deals.field_texts(before), deals.field_texts(after)
    recorded = tuple(name for name in deals.RECORDED_FIELDS if texts_before[name] != texts_after[name])
    values_before, values_after = values_before or {}, values_after or {}
    keys = sorted(k for k in {*values_before, *values_after} if values_before.get(k) != values_after.get(k))
    return Change(label, after.id, "edit", before.stage_id, after.stage_id, after.version,
                  before_columns={c: old[c] for c in changed}, after_columns={c: new[c] for c in changed},
                  edited_fields=recorded + tuple(keys),
                  before_values={k: values_before.get(k) for k in keys},
                  after_values={k: values_after.get(k) for k in keys})


def delete_deal(deal_id: int, *, expected_version: int | None = None) -> tuple[DealRow, Change]:
    """Delete a deal (softly), with the change that undo restores it from."""
    gone = deals.delete_deal(deal_id, expected_version=expected_version)
    return gone, Change("delete", deal_id, "delete", gone.stage_id, gone.stage_id, gone.version)


def schedule_activity(deal_id: int, line: str, *, owner=None) -> tuple[ActivityRow, Change]:
    """Schedule an activity on a deal from one line (see
    :func:`pipetui.core.activities.schedule_on_deal`), with the change that undo removes it by."""
    with db.atomic():
        before = deals.get_deal(deal_id)
        added = activities.schedule_on_deal(deal_id, line, owner=owner)
        return added, _added("activity", added.id, f"{added.kind} {added.subject}", before)


def add_note(deal_id: int, body: str, *, author=None) -> tuple[NoteRow, Change]:
    """Add a note to a deal, with the change that undo removes it by."""
    with db.atomic():
        before = deals.get_deal(deal_id)
        added = activities.add_note_to_deal(deal_id, body, author=author)
        return added, _added("note", added.id, "note", before)


def _added(kind: str, item_id: int, what: str, before: DealRow) -> Change:
    after = Deal.get_by_id(before.id)
    return Change(what, before.id, kind, before.stage_id, before.stage_id, after.version,
                  item_id=item_id, touched=(before.last_activity_at, after.last_activity_at))


# --- undo and redo -----------------------------------------------------------


def _revert(change: Change, version: int) -> tuple[DealRow, _Marks]:
    if change.kind == "create":
        return deals.delete_deal(change.deal_id, expected_version=version), _Marks()
    if change.kind == "delete":
        return deals.restore_deal(change.deal_id, expected_version=version), _Marks()
    if change.kind in _ITEMS:
        return _remove_item(change)
    if change.kind not in _TO_STATUS and change.kind != "edit":
        raise ValueError(change.kind)
    with db.atomic():
        # Refuse a deal changed since first: then its latest change is ours.
        deal = deals.current_deal(change.deal_id, expected_version=version)
        stage_row = None
        if change.kind in _TO_STATUS or change.moved:
            row = _latest_change(change)
            if row is None:
                raise InvalidInput(f"cannot undo the {change.label}: its history is not there")
            deal = deals.restore_state(change.deal_id, row.before_state, expected_version=deal.version)
            _mark(StageChange, [row.id], deals.change_time())
            history_columns.refresh(change.deal_id)
            stage_row = row.id
        field_rows: tuple[int, ...] = ()
        if change.kind == "edit":
            field_rows = _latest_field_changes(change)
            if change.before_columns:
                deal = deals.restore_fields(change.deal_id, change.before_columns,
                                            expected_version=deal.version)
            if change.before_values:
                deal = fields.restore_values(change.deal_id, change.before_values,
                                             expected_version=deal.version)
            _mark(FieldChange, field_rows, deals.change_time())
    return deal, _Marks(stage_row, field_rows)


def _mark(model, row_ids, when: dt.datetime | None) -> None:
    if row_ids:
        model.update(undone_at=when).where(model.id.in_(list(row_ids))).execute()


def _latest_change(change: Change) -> StageChange | None:
    """The deal's latest change not undone, if it is the one ``change`` made."""
    row = (StageChange.select()
           .where(StageChange.deal == change.deal_id, StageChange.undone_at.is_null())
           .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
           .first())
    status = _TO_STATUS.get(change.kind)
    if (row is None or row.before_state is None or row.to_stage_id != change.after_stage_id
            or (status is not None and row.to_status != status)):
        return None
    return row


def _latest_field_changes(change: Change) -> tuple[int, ...]:
    """The FieldChange rows an edit wrote: the latest row not undone of each
    field it changed (the version check has made sure no later edit exists)."""
    found = []
    for name in change.edited_fields:
        row = (FieldChange.select(FieldChange.id)
               .where(FieldChange.deal == change.deal_id, FieldChange.field == name,
                      FieldChange.undone_at.is_null())
               .order_by(FieldChange.changed_at.desc(), FieldChange.id.desc())
               .first())
        if row is None:
            raise InvalidInput(f"cannot undo the {change.label}: its history is not there")
        found.append(row.id)
    return tuple(found)


def _remove_item(change: Change) -> tuple[DealRow, _Marks]:
    model = _ITEMS[change.kind]
    with db.atomic():
        item = model.select().where(model.id == change.item_id).dicts().first()
        if item is None:
            raise InvalidInput(f"cannot undo the {change.label}: it is no longer there")
        model.delete().where(model.id == change.item_id).execute()
        _set_last_activity(change.deal_id, *reversed(change.touched))
        return deals.get_deal(change.deal_id), _Marks(item=item)


def _set_last_activity(deal_id: int, expected: dt.datetime | None, wanted: dt.datetime | None) -> None:
    """The deal's last activity back to ``wanted``, unless something touched
    it since (it is no longer ``expected``): like adding an activity, this
    changes no version."""
    if expected is not None and wanted is not None:
        Deal.update(last_activity_at=wanted).where(Deal.id == deal_id,
                                                   Deal.last_activity_at == expected).execute()


def _apply(change: Change, marks: _Marks, version: int) -> DealRow:
    if change.kind == "create":
        return deals.restore_deal(change.deal_id, expected_version=version)
    if change.kind == "delete":
        return deals.delete_deal(change.deal_id, expected_version=version)
    if change.kind in _ITEMS:
        model = _ITEMS[change.kind]
        with db.atomic():
            deal = deals.get_deal(change.deal_id)
            model.insert(**marks.item).execute()
            _set_last_activity(change.deal_id, *change.touched)
            return deals.get_deal(deal.id)
    if change.kind not in _TO_STATUS and change.kind != "edit":
        raise ValueError(change.kind)
    with db.atomic():
        deal = deals.current_deal(change.deal_id, expected_version=version)
        if change.kind == "edit":
            if change.after_columns:
                deal = deals.restore_fields(change.deal_id, change.after_columns,
                                            expected_version=deal.version)
            if change.after_values:
                deal = fields.restore_values(change.deal_id, change.after_values,
                                             expected_version=deal.version)
            _mark(FieldChange, marks.field_rows, None)
        if marks.stage_row is not None:
            row = StageChange.get_or_none(StageChange.id == marks.stage_row)
            if row is None or row.undone_at is None or row.after_state is None:
                raise InvalidInput(f"cannot redo the {change.label}: its history is not there")
            deal = deals.restore_state(change.deal_id, row.after_state, expected_version=deal.version)
            _mark(StageChange, [row.id], None)
            history_columns.refresh(change.deal_id)
    return deal
