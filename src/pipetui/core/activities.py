"""Activities (calls, meetings, emails, tasks) and notes.

Logging either one counts as activity on the deal and resets its rotting clock.
The services take a deal, contact, organization or rep as a ref, a read
model or a store row (only the id is written), and return read models:
:class:`~pipetui.core.rows.ActivityRow` and :class:`~pipetui.core.rows.NoteRow`.
"""

from __future__ import annotations

import datetime as dt

from pipetui.core import clock
from pipetui.core.dates import LATEST
from pipetui.core.errors import InvalidInput
from pipetui.core.rows import (
    ActivityRow,
    NoteRow,
    activity_row,
    activity_rows,
    id_of,
    note_row,
    note_rows,
    open_activity_rows,
)
from pipetui.core.text import clean_line, clean_text
from pipetui.store import Activity, Deal, Note
from pipetui.store import database_proxy as db
from pipetui.store.models import ACTIVITY_KINDS as KINDS


def _touch(deal_id: int | None, when: dt.datetime) -> None:
    if deal_id is not None:
        Deal.update(last_activity_at=when).where(Deal.id == deal_id).execute()


def add_activity(kind: str, subject: str, *, deal=None, contact=None,
                 due_date: dt.date | None = None, due_time: dt.time | None = None,
                 owner=None, done: bool = False) -> ActivityRow:
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise InvalidInput(f"activity kind must be one of {', '.join(KINDS)}, not {kind!r}")
    subject = clean_line(subject, "subject")
    now = clock.now()
    with db.atomic():
        activity = Activity.create(deal=id_of(deal), contact=id_of(contact), owner=id_of(owner),
                                   kind=kind, subject=subject, due_date=due_date, due_time=due_time,
                                   done=done, done_at=now if done else None, created_at=now)
        _touch(id_of(deal), now)
    return activity_row(activity)


def _activity(activity_id: int) -> Activity:
    activity = Activity.get_or_none(Activity.id == activity_id)
    if activity is None:
        raise InvalidInput(f"no activity #{activity_id}")
    return activity


def complete_activity(activity_id: int) -> ActivityRow:
    now = clock.now()
    with db.atomic():
        activity = _activity(activity_id)
        if not activity.done:
            activity.done, activity.done_at = True, now
            activity.save()
            _touch(activity.deal_id, now)
    return activity_row(activity)


def add_note(body: str, *, deal=None, contact=None, organization=None, author=None) -> NoteRow:
    body = clean_text(body, "note")
    if deal is None and contact is None and organization is None:
        raise InvalidInput("a note belongs to a deal, a contact or an organization")
    now = clock.now()
    with db.atomic():
        note = Note.create(deal=id_of(deal), contact=id_of(contact), organization=id_of(organization),
                           author=id_of(author), body=body, created_at=now)
        _touch(id_of(deal), now)
        return note_row(note.id)


def parse_activity_line(text: str, today: dt.date | None = None) -> tuple[str, str, dt.date | None, dt.time | None]:
    """``call fri 10:30 pricing`` -> ("call", "pricing", next Friday, 10:30).

    The first word is the kind; then an optional date (any form
    :func:`pipetui.core.dates.parse_date` reads) and an optional HH:MM;
    the rest is the subject (the kind's name when empty).
    """
    from pipetui.core.dates import looks_like_date, parse_date

    words = text.split()
    if not words:
        raise InvalidInput(f"say what to schedule, e.g. 'call tomorrow 10:00 pricing' ({', '.join(KINDS)})")
    kind = words.pop(0).lower()
    if kind not in KINDS:
        raise InvalidInput(f"start with the kind of activity: {', '.join(KINDS)} (not {kind!r})")
    due_date = due_time = None
    if words and looks_like_date(words[0]):
        due_date = parse_date(words.pop(0), today)  # "2026-02-30" is a wrong date, not a subject
    elif words:
        try:
            due_date = parse_date(words[0], today)
            words.pop(0)
        except InvalidInput:
            pass
    if words and due_date is not None:
        hours, _, minutes = words[0].partition(":")
        if hours.isascii() and minutes.isascii() and hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
            if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
                raise InvalidInput(f"not a time of day: {words[0]!r}")
            due_time = dt.time(int(hours), int(minutes))
            words.pop(0)
    subject = " ".join(words) or kind.capitalize()
    return kind, clean_line(subject, "subject"), due_date, due_time


def deal_activities(deal_id: int) -> list[ActivityRow]:
    """Open activities by due date first, then the done ones, newest first."""
    return activity_rows(deal_id)


def deal_notes(deal_id: int) -> list[NoteRow]:
    """The latest notes, newest first, with their authors' names."""
    return note_rows(deal_id)


def add_note_to_deal(deal_id: int, body: str, *, author=None) -> NoteRow:
    from pipetui.core.deals import get_deal

    return add_note(body, deal=get_deal(deal_id), author=author)


def schedule_on_deal(deal_id: int, line: str, *, owner=None) -> ActivityRow:
    """Schedule an activity on a deal from one line, e.g. ``call fri 10:30 pricing``."""
    from pipetui.core.deals import get_deal

    kind, subject, due_date, due_time = parse_activity_line(line)
    return add_activity(kind, subject, deal=get_deal(deal_id), due_date=due_date,
                        due_time=due_time, owner=owner)


def snooze_activity(activity_id: int, days: int) -> ActivityRow:
    """Put an open activity off by ``days``, counted from today when it is
    overdue (snoozing a week-old call by a day means tomorrow)."""
    if days <= 0:
        raise InvalidInput("snooze by at least one day")
    with db.atomic():
        activity = _activity(activity_id)
        if activity.done:
            raise InvalidInput(f"activity #{activity_id} is already done")
        today = clock.today()
        base = max(activity.due_date or today, today)
        if days > (LATEST - base).days:
            raise InvalidInput(f"activity #{activity_id} cannot be put off past {LATEST.isoformat()} "
                               f"(it is due {base.isoformat()})")
        activity.due_date = base + dt.timedelta(days=days)
        activity.save()
    return activity_row(activity)


def snooze_activity_until(activity_id: int, day: dt.date) -> ActivityRow:
    """Put an open activity off until ``day``, a day after today and after
    the day it is due."""
    with db.atomic():
        activity = _activity(activity_id)
        if activity.done:
            raise InvalidInput(f"activity #{activity_id} is already done")
        base = max(activity.due_date or clock.today(), clock.today())
        if day <= base:
            raise InvalidInput(f"activity #{activity_id} is due {base.isoformat()}; "
                               f"snooze it to a later day than {day.isoformat()}")
        return snooze_activity(activity_id, (day - base).days)


def open_activities(rep_id: int | None = None) -> list[ActivityRow]:
    """Activities not done, of one rep or everyone's, by due date."""
    return open_activity_rows(rep_id)


def reopen_activity(activity_id: int) -> ActivityRow:
    """Mark a done activity as not done (the undo of marking it done)."""
    with db.atomic():
        activity = _activity(activity_id)
        activity.done, activity.done_at = False, None
        activity.save()
    return activity_row(activity)


def set_activity_due(activity_id: int, due_date: dt.date | None) -> ActivityRow:
    """Give an activity back a due date (the undo of a snooze)."""
    with db.atomic():
        activity = _activity(activity_id)
        activity.due_date = due_date
        activity.save()
    return activity_row(activity)
