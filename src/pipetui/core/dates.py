"""Dates and periods as people type them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from pipetui.core import clock
from pipetui.core.errors import InvalidInput

# The dates pipetui takes, from every front door. The import always refused
# dates before 1900 (a spreadsheet's zero day and typos such as 0202); the
# end leaves room for what the figures compute around a period (the one
# before it, of the same length, and the week after it) within Python's dates.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RELATIVE = re.compile(r"^\+(\d{1,4})([dwm])$", re.ASCII)
_DATE_SHAPE = re.compile(r"^(?:\d{1,4}-\d{1,2}-\d{1,4}|\+\d+[dwm])$", re.ASCII | re.IGNORECASE)
_DATE_EXAMPLES = "e.g. 2026-12-01, today, tomorrow, +3d, +2w, eom, eoq or fri"


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def end_of_quarter(day: dt.date) -> dt.date:
    last_month = (day.month - 1) // 3 * 3 + 3
    return end_of_month(day.replace(month=last_month, day=1))


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def date_range_refusal(day: dt.date) -> str | None:
    """Why ``day`` is not a date pipetui takes (``is before 1900-01-01``), or None."""
    if day < EARLIEST:
        return f"is before {EARLIEST.isoformat()}"
    if day > LATEST:
        return f"is after {LATEST.isoformat()}"
    return None


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """What a person types for a date, from :data:`EARLIEST` to :data:`LATEST`;
    see :func:`_parse_date` for the forms."""
    day = _parse_date(text, today)
    if reason := date_range_refusal(day):
        raise InvalidInput(f"date {text.strip()!r} {reason}")
    return day


def looks_like_date(word: str) -> bool:
    """Whether ``word`` is written as a date (``2026-02-30``, ``+3d``), right or
    wrong: text that starts with one is meant to give a date."""
    return bool(_DATE_SHAPE.match(word.strip()))


def _parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """Parse ISO dates, ``today``, ``tomorrow``, ``yesterday``, ``+3d``,
    ``+2w``, ``+1m``, ``eom``, ``eoq`` and weekday names.

    A weekday name means its next occurrence after today (``fri`` on a Friday
    is a week ahead).
    """
    today = today or clock.today()
    word = text.strip().lower()
    if not word:
        raise InvalidInput(f"no date given ({_DATE_EXAMPLES})")
    if word == "today":
        return today
    if word == "tomorrow":
        return today + dt.timedelta(days=1)
    if word == "yesterday":
        return today - dt.timedelta(days=1)
    if word == "eom":
        return end_of_month(today)
    if word == "eoq":
        return end_of_quarter(today)
    if match := _RELATIVE.match(word):
        count, unit = int(match[1]), match[2]
        try:
            if unit == "m":
                return add_months(today, count)
            return today + dt.timedelta(days=count * (7 if unit == "w" else 1))
        except (OverflowError, ValueError):
            raise InvalidInput(f"date {text.strip()!r} is after {LATEST.isoformat()}") from None
    if len(word) >= 3:
        for index, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                ahead = (index - today.weekday() - 1) % 7 + 1
                return today + dt.timedelta(days=ahead)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word, re.ASCII):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            raise InvalidInput(f"date {text.strip()!r} is not a real date") from None
    raise InvalidInput(f"date {text.strip()!r} is not a date ({_DATE_EXAMPLES})")


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter, or any range of days (both ends included)."""

    start: dt.date
    end: dt.date
    kind: str  # "month", "quarter", "week" or "range"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month_period(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period(start, end_of_month(start), "month")


def quarter_period(day: dt.date) -> Period:
    start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return Period(start, end_of_quarter(start), "quarter")


def parse_period(text: str, today: dt.date | None = None) -> Period:
    """``2026-11`` (a month), ``2026-Q4`` (a quarter), ``this-month``,
    ``this-quarter``, ``this-week``, or ``FROM..TO`` dates."""
    today = today or clock.today()
    try:
        period = _parse_period(text, today)
    except (OverflowError, ValueError):  # year 0 and the like
        raise InvalidInput(f"not a period: {text.strip()!r}") from None
    # A range's ends were checked as dates; a month or a quarter is checked whole.
    if reason := date_range_refusal(period.start) or date_range_refusal(period.end):
        raise InvalidInput(f"period {text.strip()!r} {reason}")
    return period


def _parse_period(text: str, today: dt.date) -> Period:
    if ".." in text:
        first, _, last = text.strip().partition("..")
        start, end = parse_date(first, today), parse_date(last, today)
        if end < start:
            raise InvalidInput(f"period ends before it starts: {text.strip()!r}")
        return Period(start, end, "range")
    word = text.strip().lower().replace(" ", "-").replace("_", "-")
    if word in ("month", "this-month"):
        return month_period(today)
    if word in ("quarter", "this-quarter"):
        return quarter_period(today)
    if word in ("week", "this-week"):
        return week_period(today)
    if match := re.fullmatch(r"(\d{4})-q([1-4])", word, re.ASCII):
        return quarter_period(dt.date(int(match[1]), int(match[2]) * 3 - 2, 1))
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", word, re.ASCII):
        month = int(match[2])
        if not 1 <= month <= 12:
            raise InvalidInput(f"no such month: {text.strip()!r}")
        return month_period(dt.date(int(match[1]), month, 1))
    raise InvalidInput(
        f"not a period: {text.strip()!r} (e.g. 2026-11, 2026-Q4, this-month, "
        "this-quarter, this-week or 2026-10-01..2026-12-31)"
    )


def shift_period(period: Period, steps: int) -> Period:
    """The period ``steps`` before (negative) or after this one, of the same
    kind: the previous month, the next quarter, or a range of the same length."""
    if period.kind == "month":
        return month_period(add_months(period.start, steps))
    if period.kind == "quarter":
        return quarter_period(add_months(period.start, 3 * steps))
    length = (period.end - period.start).days + 1
    start = period.start + dt.timedelta(days=length * steps)
    return Period(start, start + dt.timedelta(days=length - 1), period.kind)


def week_period(day: dt.date) -> Period:
    """Monday to Sunday around ``day``."""
    start = day - dt.timedelta(days=day.weekday())
    return Period(start, start + dt.timedelta(days=6), "week")
