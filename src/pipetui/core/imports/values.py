"""Dates, amounts and probabilities as other systems write them in a CSV.

Whether ``3/1/2017`` is the first of March or the third of January, and
whether ``1.234`` is a thousand or a fraction, cannot be told from one cell.
These readers look at the whole column first: when the file leaves no
doubt, they follow it; otherwise they name an example and ask.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipetui.core.errors import InvalidInput
from pipetui.core.money import (
    MAX_MINOR,
    NOT_AN_AMOUNT,
    TWO_CURRENCIES,
    amount_refusal,
    format_money,
    minor_digits,
    validate_currency,
)
from pipetui.core.text import parse_probability

YMD, MDY, DMY = "year-month-day", "month/day/year", "day/month/year"

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
                  r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?$", re.IGNORECASE | re.ASCII)
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[T ,]+(?P<time>.+))?$", re.ASCII)
_NUMERIC = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[T ,]+(?P<time>.+))?$", re.ASCII)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,6})?)?\s*([AaPp][Mm])?$", re.ASCII)
_NAMED_MONTH_FORMATS = ("%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                        "%b %d %Y", "%B %d %Y", "%d. %B %Y")
_FRIENDLY_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("MM", "%m"), ("DD", "%d"), ("hh", "%H"),
                    ("mm", "%M"), ("ss", "%S"))
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", "T%H:%M:%S")


@dataclass(frozen=True, slots=True)
class Moment:
    """A parsed cell: the date, and the time when the cell had one."""

    value: dt.datetime
    has_time: bool


def strptime_format(text: str) -> str:
    """A date format as strptime wants it; ``DD/MM/YYYY`` is accepted too."""
    fmt = text.strip()
    if not fmt:
        raise InvalidInput("the date format is empty (e.g. %d/%m/%Y or DD/MM/YYYY)", field="date_format")
    if "%" not in fmt:
        for token, code in _FRIENDLY_TOKENS:
            fmt = fmt.replace(token, code)
    has = {part: any(code in fmt for code in codes) for part, codes in
           (("day", ("%d", "%j")), ("month", ("%m", "%b", "%B", "%j")), ("year", ("%Y", "%y")))}
    if not all(has.values()):
        missing = " and ".join(part for part, found in has.items() if not found)
        raise InvalidInput(f"the date format {text!r} has no {missing} (e.g. %d/%m/%Y or DD/MM/YYYY)",
                           field="date_format")
    return fmt


def _time_of(text: str | None) -> tuple[int, int, int] | None:
    if not text:
        return None
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise ValueError
        hour = hour % 12 + (12 if match[4].lower() == "pm" else 0)
    return hour, minute, second


def _year(text: str) -> int:
    # Two-digit years as strptime reads them: 69-99 are 1900s, 00-68 are 2000s.
    year = int(text)
    return year if len(text) == 4 else (1900 + year if year >= 69 else 2000 + year)


class DateReader:
    """Reads the date cells of one file in the one order the file uses.

    ``detect`` looks at every date cell first: ISO dates and dates with a
    month name read alone; for ``1/2/2017`` the file must hold a day above
    12 in one place to decide, else the reader refuses and asks for
    ``--date-format``.
    """

    def __init__(self, order: str | None = None, fmt: str | None = None,
                 evidence: tuple[int, str] | None = None) -> None:
        self.order = order
        self.fmt = strptime_format(fmt) if fmt else None
        self.evidence = evidence  # the (line, cell) that decided the order
        self._cache: dict[str, Moment] = {}

    @classmethod
    def detect(cls, cells: Iterable[tuple[int, str]], fmt: str | None = None) -> DateReader:
        """``cells`` are (line, text) pairs of every non-empty date cell."""
        if fmt:
            return cls(fmt=fmt)
        day_first: tuple[int, str] | None = None
        month_first: tuple[int, str] | None = None
        ambiguous: tuple[int, str] | None = None
        seen: set[str] = set()
        for line, text in cells:
            text = text.strip()
            if text in seen:
                continue
            seen.add(text)
            match = _NUMERIC.match(text)
            if not match:
                continue
            first, second, year = int(match[1]), int(match[3]), _year(match[4])
            if first > 12 and second <= 12 and _real(year, second, first):
                day_first = day_first or (line, text)
            elif second > 12 and first <= 12 and _real(year, first, second):
                month_first = month_first or (line, text)
            elif first != second and first <= 12 and second <= 12 and ambiguous is None:
                ambiguous = (line, text)
        if day_first and month_first:
            raise InvalidInput(
                f"the dates mix two orders: {day_first[1]!r} (line {day_first[0]}) is day first, "
                f"{month_first[1]!r} (line {month_first[0]}) is month first; "
                f"fix the file or name the order with a date format", field="date_format"
            )
        if day_first:
            return cls(DMY, evidence=day_first)
        if month_first:
            return cls(MDY, evidence=month_first)
        if ambiguous:
            line, text = ambiguous
            match = _NUMERIC.match(text)
            sep, year = match[2], "%Y" if len(match[4]) == 4 else "%y"
            raise InvalidInput(
                f"line {line}: the date {text!r} could be day first or month first, "
                f"and no date in the file tells; say which with a date format: "
                f"%m{sep}%d{sep}{year} or %d{sep}%m{sep}{year}", field="date_format"
            )
        return cls(MDY)  # every day equals its month, or no such dates: either order reads the same

    def read(self, text: str) -> Moment:
        """The moment in ``text``; :class:`ValueError` with a reason if it is not a date."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = self._read(text.strip())
        return cached

    def _read(self, text: str) -> Moment:
        # No date is this long; and digits are ASCII, as on the command line (strptime takes others).
        if len(text) > 64 or any(char.isdigit() and not char.isascii() for char in text):
            raise ValueError("is not a date (e.g. 2017-03-01, 3/1/2017 or 01-03-17)")
        match = _ISO.match(text)
        if match:
            return _iso(match)
        if self.fmt:
            for suffix in _TIME_SUFFIXES:
                try:
                    value = dt.datetime.strptime(text, self.fmt + suffix)
                except ValueError:
                    continue
                return Moment(value, bool(suffix) or "%H" in self.fmt)
            raise ValueError(f"does not match the date format {self.fmt!r}")
        match = _YMD_SLASH.match(text)
        if match:
            return _moment(int(match[1]), int(match[2]), int(match[3]), match["time"])
        match = _NUMERIC.match(text)
        if match:
            first, second, year = int(match[1]), int(match[3]), _year(match[4])
            month, day = (first, second) if self.order == MDY else (second, first)
            return _moment(year, month, day, match["time"])
        for fmt in _NAMED_MONTH_FORMATS:
            try:
                return Moment(dt.datetime.strptime(text, fmt), False)
            except ValueError:
                continue
        if text.isdigit() and 20_000 <= int(text) <= 80_000:
            raise ValueError("is a number, perhaps a spreadsheet's date serial: format the column as "
                             "dates before saving the CSV")
        raise ValueError("is not a date (e.g. 2017-03-01, 3/1/2017 or 01-03-17)")


def _real(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _moment(year: int, month: int, day: int, time_text: str | None) -> Moment:
    try:
        time = _time_of(time_text)
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError("is not a real date") from None
    if time is None:
        return Moment(dt.datetime.combine(date, dt.time()), False)
    return Moment(dt.datetime(date.year, date.month, date.day, *time), True)


def _iso(match: re.Match) -> Moment:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                            int(second or 0), int((fraction or "0").ljust(6, "0")))
    except ValueError:
        raise ValueError("is not a real date") from None
    if zone and zone.upper() not in ("Z", "UTC"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        value -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return Moment(value, hour is not None)


# --- amounts ------------------------------------------------------------------------

DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN"})
_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW",
            "R$": "BRL", "A$": "AUD", "C$": "CAD", "CHF": "CHF", "kr": None, "zł": "PLN"}
_SYMBOL_PATTERN = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"^(?P<pre>{_SYMBOL_PATTERN}|[A-Za-z]{{3}})?\s*(?P<number>[0-9][0-9.,'\s\u00a0\u202f]*)"
    rf"\s*(?P<post>{_SYMBOL_PATTERN}|[A-Za-z]{{3}})?$"
)
_POINT_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$|^\d+\.\d{1,2}$|^\d*\.\d{4,}$")
_ONE_GROUP = re.compile(r"^\d{1,3}[.,]\d{3}$")  # 1.500: a thousand and a half, or one and a half?
_COMMA_DECIMAL = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$|^\d+,\d{1,2}$|^\d*,\d{4,}$")


def _currency_of(token: str | None) -> str | None:
    if not token:
        return None
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    return validate_currency(token)


def currency_code(text: str) -> str:
    """A currency column's cell: a code (``eur``) or a symbol (``€``)."""
    code = _SYMBOLS.get(text.strip())
    return code if code else validate_currency(text)


class AmountReader:
    """Reads the amounts of one file with the one decimal mark the file uses.

    A file that writes ``1.234,50`` or ``12,5`` somewhere uses a decimal
    comma; one that writes ``1,234.50`` or ``12.5`` a decimal point. When no
    cell tells, ``,`` or ``.`` before exactly three digits groups thousands.
    Such a cell (``9.900``) reads either way by itself: :meth:`guessed`
    says when a cell's reading hung on the file's mark rather than its own.
    """

    def __init__(self, decimal_mark: str | None, evidence: tuple[int, str] | None = None,
                 detected: bool = False) -> None:
        self.decimal_mark = decimal_mark  # None: no cell of the file has a fraction
        self.evidence = evidence  # the (line, cell) that showed the decimal mark
        self.detected = detected  # False: the format fixes the mark (pipetui's files, JSON)
        self.rounded = 0

    @classmethod
    def detect(cls, cells: Iterable[tuple[int, str]]) -> AmountReader:
        point: tuple[int, str] | None = None
        comma: tuple[int, str] | None = None
        for line, text in cells:
            digits = re.sub(r"[^0-9.,]", "", text)
            if point is None and _POINT_DECIMAL.match(digits):
                point = (line, text)
            elif comma is None and _COMMA_DECIMAL.match(digits):
                comma = (line, text)
            if point and comma:
                raise InvalidInput(
                    f"the amounts mix two decimal marks: {point[1]!r} (line {point[0]}) "
                    f"and {comma[1]!r} (line {comma[0]}); fix the file so that all use one"
                )
        if point or comma:
            return cls("." if point else ",", point or comma, detected=True)
        return cls(None, detected=True)

    def guessed(self, text: str) -> bool:
        """Whether ``text`` (``1.500``, ``$9,900``) could be thousands or a
        fraction, so that only a guess or the file's other cells decided."""
        return self.detected and bool(_ONE_GROUP.match(re.sub(r"[^0-9.,]", "", text)))

    def read(self, text: str, currency: str | None) -> tuple[int, str | None]:
        """Minor units, and the currency the cell itself names (if any).

        :class:`ValueError` carries the reason when the cell is no amount.
        """
        raw = text.strip()
        if len(raw) > 64:  # no amount is this long; the pattern below need not look
            raise ValueError(NOT_AN_AMOUNT)
        match = _AMOUNT.match(raw)
        if not match:
            raise ValueError(amount_refusal(raw, lambda t: bool(_AMOUNT.match(t))))
        # "$" alone is any dollar: the row's own currency when that is one.
        # A code that is no ISO 4217 code is refused (InvalidInput) as the
        # command line refuses it.
        pre, post = ((currency if token == "$" and currency in DOLLARS else _currency_of(token))
                     for token in (match["pre"], match["post"]))
        if pre and post and pre != post:
            raise ValueError(TWO_CURRENCIES)
        named = pre or post
        whole, fraction = self._split(re.sub(r"[\s'\u00a0\u202f]", "", match["number"]))
        code = named or currency
        if code is None:
            raise ValueError("has no currency")
        exact = Decimal(whole + ("." + fraction if fraction else ""))
        digits = minor_digits(code)
        minor = exact.scaleb(digits).to_integral_value(ROUND_HALF_UP)
        if minor != exact.scaleb(digits):
            self.rounded += 1
        if minor > MAX_MINOR:
            raise ValueError(f"is too large (at most {format_money(MAX_MINOR, code)})")
        return int(minor), named

    def _split(self, number: str) -> tuple[str, str]:
        """The digits before and after the decimal mark, thousands marks gone."""
        if self.decimal_mark is None:
            marks = set(number) & {".", ","}
            if len(marks) > 1:
                raise ValueError("has both . and , in it")
            decimal, group = None, (marks.pop() if marks else ",")
        else:
            decimal = self.decimal_mark
            group = "," if decimal == "." else "."
        whole, fraction = number, ""
        if decimal is not None:
            whole, _, fraction = number.partition(decimal)
            if decimal in fraction:
                raise ValueError("has more than one decimal mark")
            if group in fraction:
                raise ValueError("has a thousands mark after its decimal mark")
        groups = whole.split(group)
        misplaced = len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]))
        if misplaced and decimal is None and len(groups) == 2:
            return groups[0] or "0", groups[1]  # 1234.567: no thousands mark, so a decimal one
        if misplaced:
            if len(groups) == 2 and not fraction and len(groups[1]) in (1, 2):
                raise ValueError(f"uses {group!r} as its decimal mark, but the rest of the file "
                                 f"uses {decimal!r}")
            raise ValueError("has its thousands marks in the wrong places")
        if not whole and not fraction:
            raise ValueError(NOT_AN_AMOUNT)
        return "".join(groups) or "0", fraction


_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)


class ProbabilityReader:
    """Win probabilities as percents (``40``, ``40%``, ``40.0``) or, when
    every one of the file's is at most 1 and one has a fraction, as shares
    (``0.4``, HubSpot's way)."""

    def __init__(self, shares: bool) -> None:
        self.shares = shares

    @classmethod
    def detect(cls, cells: Iterable[str]) -> ProbabilityReader:
        numbers = []
        for text in cells:
            raw = text.strip().removesuffix("%").strip()
            if _PLAIN_NUMBER.fullmatch(raw):  # what parse_probability reads; NaN, 1e2 are refused
                numbers.append(Decimal(raw))
        shares = bool(numbers) and all(0 <= n <= 1 for n in numbers) and any(n % 1 for n in numbers)
        return cls(shares)

    def read(self, text: str) -> int:
        """Whole percent; :class:`InvalidInput` with the reason, as the command line gives it."""
        return parse_probability(text, shares=self.shares)
