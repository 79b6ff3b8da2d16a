"""The parsers of what people type: money, dates, periods, text and probabilities.

Mostly pure functions, no database; at the end, the same values through every
front door (the command line, the editor's check, an import row). Expected
values are worked out by hand; the property tests (hypothesis) check the laws
the spec states for all inputs.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_cli import assert_one_line_failure, run

from pipetui.core import activities

from pipetui.core.dates import (
    EARLIEST,
    LATEST,
    Period,
    add_months,
    end_of_month,
    end_of_quarter,
    parse_date,
    parse_period,
)
from pipetui.core.deals import check_field
from pipetui.core.errors import InvalidInput, PipetuiError
from pipetui.core.imports.values import AmountReader, ProbabilityReader
from pipetui.core.money import (
    MAX_MINOR,
    NEGATIVE,
    NOT_AN_AMOUNT,
    SCIENTIFIC,
    Money,
    format_compact,
    format_money,
    minor_digits,
    parse_money,
    validate_currency,
)
from pipetui.core.text import MAX_WHOLE_NUMBER, clean_line, clean_text, parse_probability, parse_whole_number
from pipetui.store import Activity

D = dt.date
TODAY = D(2026, 11, 27)  # a Friday
assert TODAY.weekday() == 4

WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def assert_one_clear_message(excinfo: pytest.ExceptionInfo) -> str:
    """An InvalidInput whose message is a single non-empty line."""
    message = str(excinfo.value)
    assert isinstance(excinfo.value, InvalidInput)
    assert isinstance(excinfo.value, PipetuiError)
    assert excinfo.value.exit_code == 2
    assert message.strip(), "the message must not be empty"
    assert "\n" not in message, f"the message must be one line: {message!r}"
    return message


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        # plain numbers in the default currency
        ("12500", "USD", Money(1_250_000, "USD")),
        ("0", "USD", Money(0, "USD")),
        ("7", "EUR", Money(700, "EUR")),
        ("12.5", "USD", Money(1_250, "USD")),
        ("12.50", "USD", Money(1_250, "USD")),
        ("12.05", "USD", Money(1_205, "USD")),
        (".5", "USD", Money(50, "USD")),
        ("0.01", "USD", Money(1, "USD")),
        ("  12500  ", "USD", Money(1_250_000, "USD")),
        ("12500", "usd", Money(1_250_000, "USD")),  # the default is normalised too
        # grouped thousands
        ("12,500.50", "USD", Money(1_250_050, "USD")),
        ("12,500", "USD", Money(1_250_000, "USD")),
        ("1,234,567", "USD", Money(123_456_700, "USD")),
        ("1,234,567.89", "EUR", Money(123_456_789, "EUR")),
        # suffixes
        ("12.5k", "USD", Money(1_250_000, "USD")),
        ("12.5K", "USD", Money(1_250_000, "USD")),
        ("3k", "USD", Money(300_000, "USD")),
        ("1.2m", "USD", Money(120_000_000, "USD")),
        ("1.2M", "USD", Money(120_000_000, "USD")),
        ("2b", "USD", Money(200_000_000_000, "USD")),
        ("1.25k", "USD", Money(125_000, "USD")),
        ("1.2345k", "USD", Money(123_450, "USD")),  # 1234.50: still whole cents
        ("12.5k", "JPY", Money(12_500, "JPY")),
        # symbols name the currency, whatever the default
        ("$3,000", "USD", Money(300_000, "USD")),
        ("$3,000", "EUR", Money(300_000, "USD")),
        ("$ 3,000", "EUR", Money(300_000, "USD")),
        ("€900", "USD", Money(90_000, "EUR")),
        ("£5", "USD", Money(500, "GBP")),
        ("¥1,000", "USD", Money(1_000, "JPY")),
        ("$12.5k", "EUR", Money(1_250_000, "USD")),
        # a code before or after the number, any case
        ("EUR 900", "USD", Money(90_000, "EUR")),
        ("eur 900", "USD", Money(90_000, "EUR")),
        ("900 eur", "USD", Money(90_000, "EUR")),
        ("900 EUR", "USD", Money(90_000, "EUR")),
        ("12,500.50 USD", "EUR", Money(1_250_050, "USD")),
        ("USD 12,500.50", "EUR", Money(1_250_050, "USD")),
        ("1.2m EUR", "USD", Money(120_000_000, "EUR")),
        ("JPY 12500", "USD", Money(12_500, "JPY")),
        ("12500 jpy", "USD", Money(12_500, "JPY")),
        ("1.5 KWD", "USD", Money(1_500, "KWD")),  # three decimals
        ("12.345 KWD", "USD", Money(12_345, "KWD")),
        # a symbol and the same code agree
        ("$3,000 USD", "EUR", Money(300_000, "USD")),
        # the largest amount accepted
        ("1,000,000,000,000", "USD", Money(10**14, "USD")),
        ("1000b", "USD", Money(10**14, "USD")),
    ],
)
def test_parse_money_accepts(text, default, expected):
    result = parse_money(text, default)
    assert result == expected
    assert type(result.amount) is int


@pytest.mark.parametrize(
    ("text", "default", "fragment"),
    [
        # negatives, in every spelling
        ("-5", "USD", "negative"),
        ("-12,500.50", "USD", "negative"),
        ("-$5", "USD", "negative"),
        ("$-5", "USD", "negative"),
        ("EUR -900", "USD", "negative"),
        ("-900 EUR", "USD", "negative"),
        ("(5)", "USD", "negative"),
        ("-0", "USD", "negative"),
        # not finite / exponents
        ("nan", "USD", "not an amount"),
        ("NaN", "USD", "not an amount"),
        ("inf", "USD", "not an amount"),
        ("Infinity", "USD", "not an amount"),
        ("1e400", "USD", "scientific notation"),
        ("1e3", "USD", "scientific notation"),
        ("1E5", "USD", "scientific notation"),
        # text and empties
        ("", "USD", "no amount"),
        ("   ", "USD", "no amount"),
        ("abc", "USD", "not an amount"),
        ("twelve", "USD", "not an amount"),
        ("k", "USD", "not an amount"),
        ("$", "USD", "not an amount"),
        ("EUR", "USD", "not an amount"),
        ("1.2.3", "USD", "not an amount"),
        ("12.5kk", "USD", "not an amount"),
        ("12.5x", "USD", "not an amount"),
        ("12 500", "USD", "not an amount"),
        ("0x10", "USD", "not an amount"),
        # more decimals than the currency allows
        ("12.345", "USD", "decimals"),
        ("0.001", "USD", "decimals"),
        ("12,500.505", "EUR", "decimals"),
        ("12.5", "JPY", "decimals"),
        ("JPY 0.5", "USD", "decimals"),
        ("1.2345 KWD", "USD", "decimals"),
        ("1.234567k", "USD", "decimals"),  # 1234.567
        # wrongly grouped thousands
        ("1,25", "USD", "not an amount"),
        ("1,2500", "USD", "not an amount"),
        ("12,50.00", "USD", "not an amount"),
        ("1,000,00", "USD", "not an amount"),
        (",500", "USD", "not an amount"),
        ("1000,000", "USD", "not an amount"),
        ("1,,000", "USD", "not an amount"),
        ("1,000.", "USD", "not an amount"),
        # two different currencies
        ("$900 EUR", "USD", "two currencies"),
        ("€5 USD", "USD", "two currencies"),
        ("$ 3,000 JPY", "USD", "two currencies"),
        ("EUR 900 USD", "USD", "not an amount"),
        ("EUR USD", "USD", "not an amount"),
        # too large
        ("10,000,000,000,000.01", "USD", "too large"),
        ("10000000000001", "USD", "too large"),
        ("10001b", "USD", "too large"),
        ("1000000000000001", "JPY", "too large"),
        # a bad default currency
        ("12500", "US", "currency"),
        ("12500", "", "currency"),
    ],
)
def test_parse_money_rejects(text, default, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        parse_money(text, default)
    message = assert_one_clear_message(excinfo)
    assert fragment in message


def test_parse_money_sub_unit_suffix_that_lands_on_whole_cents_is_accepted():
    # 1.23456k = 1234.56: two decimals after scaling, so fine for USD.
    assert parse_money("1.23456k", "EUR") == Money(123_456, "EUR")


@pytest.mark.parametrize(
    "text",
    [
        # 28 decimals: the trailing 1 must not be dropped (it is more than USD allows)
        "1.0000000000000000000000000001",
        # 31 significant digits: just below 10**12 with far too many decimals
        "999999999999.9999999999999999999",
        "12500.0000000000000000000000001",
    ],
)
def test_parse_money_rejects_many_decimals_even_beyond_decimal_precision(text):
    """Decimal arithmetic at the default 28-digit precision must not round away
    the decimals that make an amount invalid."""
    with pytest.raises(InvalidInput) as excinfo:
        parse_money(text, "USD")
    assert "decimals" in assert_one_clear_message(excinfo)


@pytest.mark.parametrize(
    "text",
    ["12500.0000000000000000000000001", "1.00000000000000000000000000001"],
)
def test_parse_money_rejects_many_decimals_for_jpy(text):
    with pytest.raises(InvalidInput):
        parse_money(text, "JPY")


@pytest.mark.parametrize(
    ("amount", "currency", "cents", "expected"),
    [
        (1_250_050, "EUR", None, "12,500.50 EUR"),
        (1_250_000, "EUR", None, "12,500 EUR"),
        (1_250_000, "EUR", True, "12,500.00 EUR"),
        (1_250_050, "USD", True, "12,500.50 USD"),
        (1_250_050, "EUR", False, "12,501 EUR"),  # half rounds up
        (1_250_049, "EUR", False, "12,500 EUR"),
        (1_250_099, "EUR", False, "12,501 EUR"),
        (5, "USD", True, "0.05 USD"),
        (5, "USD", None, "0.05 USD"),
        (0, "USD", True, "0.00 USD"),
        (0, "USD", None, "0 USD"),
        (100, "USD", None, "1 USD"),
        (123_456_789, "USD", True, "1,234,567.89 USD"),
        (12_500, "JPY", True, "12,500 JPY"),
        (12_500, "JPY", None, "12,500 JPY"),
        (12_500, "JPY", False, "12,500 JPY"),
        (1_234, "KWD", None, "1.234 KWD"),
        (1_000, "KWD", True, "1.000 KWD"),
        (-150, "USD", None, "-1.50 USD"),
        (-150, "USD", False, "-2 USD"),
        (-1_250_000, "EUR", None, "-12,500 EUR"),
        (10**14, "USD", True, "1,000,000,000,000.00 USD"),
    ],
)
def test_format_money(amount, currency, cents, expected):
    assert format_money(amount, currency, cents=cents) == expected


def test_money_str_and_order():
    assert str(Money(1_250_050, "EUR")) == "12,500.50 EUR"
    assert str(Money(12_500, "JPY")) == "12,500 JPY"
    assert Money(1, "USD") < Money(2, "USD")
    with pytest.raises(AttributeError):
        Money(1, "USD").amount = 2  # frozen


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1_250_000, "EUR", "€12.5k"),
        (120_000_000, "USD", "$1.2M"),
        (250_000_000_000, "USD", "$2.5B"),
        (100_000, "USD", "$1k"),
        (99_900, "USD", "$999"),
        (15_000_000, "GBP", "£150k"),
        (12_500, "JPY", "12.5k JPY"),
        (1_000_000, "JPY", "1M JPY"),
        (95_000, "CHF", "950 CHF"),
        (0, "USD", "$0"),
        (-1_250_000, "EUR", "-€12.5k"),
    ],
)
def test_format_compact(amount, currency, expected):
    assert format_compact(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (34_450_000, "$345k"),  # 344.5k: half rounds up, as 129.7k rounds to 130k
        (12_970_000, "$130k"),
        (1_225_000, "$12.3k"),  # 12.25k
        (1_235_000, "$12.4k"),
        (99_950, "$1k"),  # 999.5: up into the next unit, not "$1000"
        (99_995_000, "$1M"),  # 999.95k
        (9_995_000, "$100k"),  # 99.95k
        (99_949, "$999"),
    ],
)
def test_format_compact_rounds_half_up(amount, expected):
    assert format_compact(amount, "USD") == expected


def plain_compact(amount: int, currency: str) -> str:
    """The compact form by its definition: the amount in the largest unit it
    reaches (1, k, M, B), one decimal below 100 units (none without a unit),
    rounded half up; a rounding that reaches 1000 of a unit is shown in the next."""
    major = Decimal(abs(amount)) / Decimal(10) ** minor_digits(currency)
    units = [(Decimal(1), ""), (Decimal(10**3), "k"), (Decimal(10**6), "M"), (Decimal(10**9), "B")]
    index = max(i for i, (size, _) in enumerate(units) if i == 0 or major >= size)
    while True:
        size, suffix = units[index]
        decimals = 1 if suffix and major / size < 100 else 0
        shown = (major / size).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if shown < 1000 or suffix == "B":
            break
        index += 1
    number = str(shown)
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{number}{suffix}" if symbol else f"{sign}{number}{suffix} {currency}"


@given(amount=st.one_of(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR),
                        st.integers(min_value=1, max_value=10**6).map(lambda n: n * 500)),
       currency=st.sampled_from(["USD", "EUR", "GBP", "JPY", "KWD", "CHF"]))
@example(amount=34_450_000, currency="USD")
@example(amount=12_970_000, currency="USD")
def test_format_compact_is_the_plain_decimal_definition(amount, currency):
    assert format_compact(amount, currency) == plain_compact(amount, currency)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("USD", "USD"), ("usd", "USD"), (" eur ", "EUR"), ("Jpy", "JPY")],
)
def test_validate_currency_accepts(code, expected):
    assert validate_currency(code) == expected


@pytest.mark.parametrize("code", ["", "   ", "US", "USDX", "U5D", "$", "EU R", "€"])
def test_validate_currency_rejects(code):
    with pytest.raises(InvalidInput) as excinfo:
        validate_currency(code)
    assert "currency" in assert_one_clear_message(excinfo)


# ---- money properties

CURRENCIES = st.sampled_from(["USD", "EUR", "JPY"])
DEFAULTS = st.sampled_from(["USD", "EUR", "JPY", "GBP"])


@settings(deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**14), currency=CURRENCIES, default=DEFAULTS)
@example(amount=10**14, currency="JPY", default="USD")
def test_format_then_parse_round_trips(amount, currency, default):
    """The spec's law: any amount up to 10**14 minor units, in USD/EUR/JPY."""
    text = format_money(amount, currency, cents=True)  # "12,500.50 USD"
    number, code = text.split(" ")
    assert code == currency
    assert parse_money(text, default) == Money(amount, currency)
    assert parse_money(f"{code} {number}", default) == Money(amount, currency)


@settings(deadline=None)
@given(data=st.data(), currency=CURRENCIES, default=DEFAULTS)
def test_format_then_parse_round_trips_up_to_the_cap(data, currency, default):
    """The same law up to the parser's cap of MAX_MINOR minor units."""
    amount = data.draw(st.integers(min_value=0, max_value=MAX_MINOR))
    text = format_money(amount, currency, cents=True)
    assert parse_money(text, default) == Money(amount, currency)
    # and in the default currency, without a code
    number = text.split(" ")[0]
    assert parse_money(number, currency) == Money(amount, currency)


@settings(deadline=None)
@given(major=st.integers(min_value=0, max_value=MAX_MINOR // 100))
def test_whole_numbers_parse_plain_and_grouped(major):
    assert parse_money(str(major), "USD") == Money(major * 100, "USD")
    assert parse_money(f"{major:,}", "USD") == Money(major * 100, "USD")
    assert parse_money(f"{major:,}", "JPY") == Money(major, "JPY")


@settings(deadline=None)
@given(thousands=st.integers(min_value=0, max_value=10**9))
def test_k_suffix_means_thousands(thousands):
    assert parse_money(f"{thousands}k", "USD") == Money(thousands * 100_000, "USD")


@settings(deadline=None)
@given(major=st.integers(min_value=1, max_value=MAX_MINOR // 100))
def test_negative_amounts_are_always_rejected(major):
    for text in (f"-{major}", f"-{major:,}", f"-${major}", f"EUR -{major}"):
        with pytest.raises(InvalidInput):
            parse_money(text, "USD")


MONEYISH = st.text(alphabet="0123456789.,kmbKMB$€£¥ -_()eEnaifUSDurjpyJPY\u00a0", max_size=20)


@settings(deadline=None)
@given(text=st.one_of(st.text(), MONEYISH), default=DEFAULTS)
def test_parse_money_raises_only_invalid_input(text, default):
    try:
        result = parse_money(text, default)
    except InvalidInput as exc:
        assert str(exc).strip()
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, Money)
        assert type(result.amount) is int
        assert 0 <= result.amount
        assert len(result.currency) == 3


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", D(2026, 12, 1)),
        ("2024-02-29", D(2024, 2, 29)),
        (" 2027-01-31 ", D(2027, 1, 31)),
        ("today", TODAY),
        ("TODAY", TODAY),
        ("  Today ", TODAY),
        ("tomorrow", D(2026, 11, 28)),
        ("yesterday", D(2026, 11, 26)),
        ("+0d", TODAY),
        ("+3d", D(2026, 11, 30)),
        ("+5d", D(2026, 12, 2)),
        ("+2w", D(2026, 12, 11)),
        ("+1w", D(2026, 12, 4)),
        ("+1m", D(2026, 12, 27)),
        ("+3m", D(2027, 2, 27)),
        ("eom", D(2026, 11, 30)),
        ("EOM", D(2026, 11, 30)),
        ("eoq", D(2026, 12, 31)),
        # weekday names: the next occurrence strictly after today (a Friday)
        ("sat", D(2026, 11, 28)),
        ("sun", D(2026, 11, 29)),
        ("mon", D(2026, 11, 30)),
        ("tue", D(2026, 12, 1)),
        ("wed", D(2026, 12, 2)),
        ("thu", D(2026, 12, 3)),
        ("fri", D(2026, 12, 4)),  # a week ahead, not today
        ("friday", D(2026, 12, 4)),
        ("Friday", D(2026, 12, 4)),
        ("Monday", D(2026, 11, 30)),
        ("thursday", D(2026, 12, 3)),
        ("SATURDAY", D(2026, 11, 28)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("eom", D(2026, 2, 10), D(2026, 2, 28)),
        ("eom", D(2024, 2, 10), D(2024, 2, 29)),
        ("eom", D(2026, 12, 31), D(2026, 12, 31)),
        ("eoq", D(2026, 1, 1), D(2026, 3, 31)),
        ("eoq", D(2026, 6, 30), D(2026, 6, 30)),
        ("eoq", D(2026, 7, 1), D(2026, 9, 30)),
        ("+1m", D(2026, 1, 31), D(2026, 2, 28)),
        ("+1d", D(2026, 12, 31), D(2027, 1, 1)),
        ("mon", D(2026, 11, 30), D(2026, 12, 7)),  # Monday -> next Monday
        ("sun", D(2026, 11, 28), D(2026, 11, 29)),  # Saturday -> Sunday
        ("sat", D(2026, 11, 29), D(2026, 12, 5)),  # Sunday -> Saturday
    ],
)
def test_parse_date_relative_to_other_days(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-02-30", "is not a real date"),
        ("2025-02-29", "is not a real date"),
        ("2026-13-01", "is not a real date"),
        ("2026-00-10", "is not a real date"),
        ("2026-04-31", "is not a real date"),
        ("0000-01-01", "is not a real date"),
        ("", "no date"),
        ("   ", "no date"),
        ("someday", "not a date"),
        ("garbage", "not a date"),
        ("2026-12-1", "not a date"),
        ("12/01/2026", "not a date"),
        ("01.12.2026", "not a date"),
        ("2026-12-01T10:00", "not a date"),
        ("fr", "not a date"),  # too short to be a weekday
        ("fridays", "not a date"),
        ("frx", "not a date"),
        ("+3", "not a date"),
        ("3d", "not a date"),
        ("+d", "not a date"),
        ("+3y", "not a date"),
        ("-3d", "not a date"),
        ("+12345d", "not a date"),
        ("next week", "not a date"),
        ("eoy", "not a date"),
    ],
)
def test_parse_date_rejects(text, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        parse_date(text, TODAY)
    assert fragment in assert_one_clear_message(excinfo)


def test_parse_date_uses_the_clock_without_an_explicit_today(frozen_clock):
    assert parse_date("today") == TODAY
    assert parse_date("fri") == D(2026, 12, 4)
    assert parse_period("this-month") == Period(D(2026, 11, 1), D(2026, 11, 30), "month")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 10), D(2026, 2, 28)),
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2100, 2, 1), D(2100, 2, 28)),  # not a leap year
        (D(2000, 2, 1), D(2000, 2, 29)),
        (D(2026, 4, 15), D(2026, 4, 30)),
        (D(2026, 12, 31), D(2026, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 31)),
    ],
)
def test_end_of_month(day, expected):
    assert end_of_month(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 3, 31), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 5, 20), D(2026, 6, 30)),
        (D(2026, 9, 30), D(2026, 9, 30)),
        (D(2026, 10, 1), D(2026, 12, 31)),
        (D(2026, 11, 27), D(2026, 12, 31)),
        (D(2026, 1, 31), D(2026, 3, 31)),  # day 31 must not break the month change
    ],
)
def test_end_of_quarter(day, expected):
    assert end_of_quarter(day) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2026, 11, 27), 2, D(2027, 1, 27)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 12, 15), 12, D(2027, 12, 15)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 5, 31), 0, D(2026, 5, 31)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
        (D(2026, 1, 15), -13, D(2024, 12, 15)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


# ---- date properties

# Every day pipetui takes (1900-01-01..2999-12-31).
ANY_DAY = st.dates(min_value=EARLIEST, max_value=LATEST)
# Weekday names look up to seven days ahead; leave room before the last day.
DAY_WITH_ROOM = st.dates(min_value=EARLIEST, max_value=LATEST - dt.timedelta(days=7))
REALISTIC_DAY = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))


@settings(deadline=None)
@given(text=st.text(), today=st.one_of(st.just(TODAY), REALISTIC_DAY))
@example(text="2026-02-30", today=TODAY)
@example(text="+9999m", today=TODAY)
def test_parse_date_raises_only_invalid_input(text, today):
    try:
        result = parse_date(text, today)
    except InvalidInput as exc:
        assert str(exc).strip()
        assert "\n" not in str(exc)
    else:
        assert isinstance(result, dt.date)


DATEISH = st.text(alphabet="0123456789-+dwmeoqtaysfriuhnb ", max_size=14)


@settings(deadline=None)
@given(text=DATEISH)
def test_parse_date_raises_only_invalid_input_on_date_like_text(text):
    try:
        parse_date(text, TODAY)
    except InvalidInput:
        pass


@settings(deadline=None)
@given(day=ANY_DAY)
def test_eom_is_the_last_day_of_the_month(day):
    result = parse_date("eom", day)
    assert result >= day
    assert (result.year, result.month) == (day.year, day.month)
    assert result.day == calendar.monthrange(day.year, day.month)[1]
    assert (result + dt.timedelta(days=1)).day == 1
    assert result == end_of_month(day)


@settings(deadline=None)
@given(
    day=DAY_WITH_ROOM,
    index=st.integers(min_value=0, max_value=6),
    length=st.integers(min_value=3, max_value=9),
    upper=st.booleans(),
)
def test_weekday_names_land_one_to_seven_days_ahead(day, index, length, upper):
    name = WEEKDAY_NAMES[index][:length]
    if upper:
        name = name.upper()
    result = parse_date(name, day)
    assert 1 <= (result - day).days <= 7
    assert result.weekday() == index
    if day.weekday() == index:
        assert (result - day).days == 7


@settings(deadline=None)
@given(day=ANY_DAY)
def test_end_of_quarter_is_in_the_same_quarter(day):
    result = end_of_quarter(day)
    assert result.year == day.year
    assert (result.month - 1) // 3 == (day.month - 1) // 3
    assert result.month in (3, 6, 9, 12)
    assert result >= day
    assert result == end_of_month(result)
    assert parse_date("eoq", day) == result


@settings(deadline=None)
@given(day=st.dates(min_value=D(1, 2, 1), max_value=D(9998, 12, 31)), months=st.integers(-12, 12))
def test_add_months_moves_the_month_and_clamps_the_day(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])


@settings(deadline=None)
@given(day=st.dates(min_value=EARLIEST, max_value=LATEST - dt.timedelta(days=9999 * 7)),
       count=st.integers(0, 9999))
def test_relative_days_and_weeks(day, count):
    assert parse_date(f"+{count}d", day) == day + dt.timedelta(days=count)
    assert parse_date(f"+{count}w", day) == day + dt.timedelta(weeks=count)


@settings(deadline=None)
@given(day=ANY_DAY)
def test_iso_dates_round_trip(day):
    assert parse_date(day.isoformat(), TODAY) == day


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("2026-11", Period(D(2026, 11, 1), D(2026, 11, 30), "month"), "2026-11"),
        ("2026-02", Period(D(2026, 2, 1), D(2026, 2, 28), "month"), "2026-02"),
        ("2024-02", Period(D(2024, 2, 1), D(2024, 2, 29), "month"), "2024-02"),
        ("2026-12", Period(D(2026, 12, 1), D(2026, 12, 31), "month"), "2026-12"),
        ("2026-Q4", Period(D(2026, 10, 1), D(2026, 12, 31), "quarter"), "2026-Q4"),
        ("2026-q1", Period(D(2026, 1, 1), D(2026, 3, 31), "quarter"), "2026-Q1"),
        ("2026-Q2", Period(D(2026, 4, 1), D(2026, 6, 30), "quarter"), "2026-Q2"),
        ("2026-Q3", Period(D(2026, 7, 1), D(2026, 9, 30), "quarter"), "2026-Q3"),
        ("this-month", Period(D(2026, 11, 1), D(2026, 11, 30), "month"), "2026-11"),
        ("this month", Period(D(2026, 11, 1), D(2026, 11, 30), "month"), "2026-11"),
        ("THIS-MONTH", Period(D(2026, 11, 1), D(2026, 11, 30), "month"), "2026-11"),
        ("this-quarter", Period(D(2026, 10, 1), D(2026, 12, 31), "quarter"), "2026-Q4"),
        ("this_quarter", Period(D(2026, 10, 1), D(2026, 12, 31), "quarter"), "2026-Q4"),
        (
            "this-week",
            Period(D(2026, 11, 23), D(2026, 11, 29), "week"),  # Monday..Sunday
            "2026-11-23..2026-11-29",
        ),
        (
            "2026-10-01..2026-12-31",
            Period(D(2026, 10, 1), D(2026, 12, 31), "range"),
            "2026-10-01..2026-12-31",
        ),
        (
            "2026-11-27..2026-11-27",
            Period(D(2026, 11, 27), D(2026, 11, 27), "range"),
            "2026-11-27..2026-11-27",
        ),
        ("today..+2w", Period(D(2026, 11, 27), D(2026, 12, 11), "range"), "2026-11-27..2026-12-11"),
        ("today..eoq", Period(D(2026, 11, 27), D(2026, 12, 31), "range"), "2026-11-27..2026-12-31"),
    ],
)
def test_parse_period_accepts(text, expected, label):
    period = parse_period(text, TODAY)
    assert period == expected
    assert period.label == label


def test_period_contains_both_ends():
    period = parse_period("2026-11", TODAY)
    assert D(2026, 11, 1) in period
    assert D(2026, 11, 30) in period
    assert D(2026, 10, 31) not in period
    assert D(2026, 12, 1) not in period


def test_this_week_on_a_monday_and_a_sunday():
    assert parse_period("this-week", D(2026, 11, 23)) == Period(D(2026, 11, 23), D(2026, 11, 29), "week")
    assert parse_period("this-week", D(2026, 11, 29)) == Period(D(2026, 11, 23), D(2026, 11, 29), "week")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-13", "no such month"),
        ("2026-00", "no such month"),
        ("2026-99", "no such month"),
        ("2026-Q5", "not a period"),
        ("2026-Q0", "not a period"),
        ("2026-12-31..2026-10-01", "ends before it starts"),
        ("tomorrow..today", "ends before it starts"),
        ("", "not a period"),
        ("garbage", "not a period"),
        ("2026", "not a period"),
        ("Q4", "not a period"),
        ("next-month", "not a period"),
        ("2026-02-30..2026-03-31", "is not a real date"),
        ("2026-10-01..", "no date"),
        ("..2026-10-01", "no date"),
    ],
)
def test_parse_period_rejects(text, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        parse_period(text, TODAY)
    assert fragment in assert_one_clear_message(excinfo)


@pytest.mark.parametrize("text", ["0000-11", "0000-Q1"])
def test_parse_period_rejects_year_zero_as_invalid_input(text):
    """Year 0 does not exist; the user must get InvalidInput, not a ValueError."""
    with pytest.raises(InvalidInput):
        parse_period(text, TODAY)


PERIODISH = st.builds(
    lambda year, quarter, number: f"{year:04d}-{'q' if quarter else ''}{number}",
    st.integers(min_value=0, max_value=9999),
    st.booleans(),
    st.integers(min_value=0, max_value=99),
)


@settings(deadline=None)
@given(text=st.one_of(st.text(), PERIODISH))
@example(text="0000-11")
def test_parse_period_raises_only_invalid_input(text):
    try:
        period = parse_period(text, TODAY)
    except InvalidInput as exc:
        assert str(exc).strip()
    else:
        assert period.start <= period.end


@settings(deadline=None)
@given(year=st.integers(min_value=1900, max_value=2999), month=st.integers(min_value=1, max_value=12))
def test_month_periods_cover_the_month(year, month):
    period = parse_period(f"{year:04d}-{month:02d}", TODAY)
    assert period.kind == "month"
    assert period.start == D(year, month, 1)
    assert period.end == end_of_month(D(year, month, 1))
    assert period.label == f"{year:04d}-{month:02d}"


@settings(deadline=None)
@given(year=st.integers(min_value=1900, max_value=2999), quarter=st.integers(min_value=1, max_value=4))
def test_quarter_periods_cover_three_months(year, quarter):
    period = parse_period(f"{year:04d}-Q{quarter}", TODAY)
    assert period.kind == "quarter"
    assert period.start == D(year, quarter * 3 - 2, 1)
    assert period.end == end_of_quarter(period.start)
    assert period.label == f"{year:04d}-Q{quarter}"


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Acme Corp", "Acme Corp"),
        ("  Acme Corp  ", "Acme Corp"),
        ("\tAcme\n", "Acme"),  # surrounding whitespace is stripped, not refused
        ("[bold]markup[/]", "[bold]markup[/]"),
        ("  [bold]markup[/]  ", "[bold]markup[/]"),
        ("[red]x[/red] & <b>y</b> [link=http://x]z[/link]", "[red]x[/red] & <b>y</b> [link=http://x]z[/link]"),
        ("Café Müller – Größe", "Café Müller – Größe"),
        ("日本語の会社", "日本語の会社"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # ZWJ emoji sequences are fine
        ("a" * 200, "a" * 200),
        ("  " + "a" * 200 + "  ", "a" * 200),  # length counts after stripping
    ],
)
def test_clean_line_accepts(value, expected):
    assert clean_line(value, "name") == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("\n\t ", "must not be empty"),
        ("\x1b[31mred", "control character"),
        ("red\x1b[0m", "control character"),
        ("\x1b[31m", "control character"),
        ("a\x1b]0;title\x07b", "control character"),
        ("a\x00b", "control character"),
        ("a\tb", "control character"),
        ("a\nb", "control character"),
        ("a\rb", "control character"),
        ("\x07bell", "control character"),
        ("a\x7fb", "control character"),
        ("a\x9b31mb", "control character"),  # C1 CSI
        ("a\u202eb", "control character"),  # right-to-left override
        ("a\u200bb", "control character"),  # zero-width space
        ("a\ufeffb", "control character"),
        ("a" * 201, "too long"),
    ],
)
def test_clean_line_rejects(value, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        clean_line(value, "Deal title")
    message = assert_one_clear_message(excinfo)
    assert fragment in message
    assert message.startswith("Deal title")
    assert "\x1b" not in message  # the message itself is safe to print


def test_clean_line_optional_and_custom_length():
    assert clean_line("", "note", required=False) is None
    assert clean_line("   ", "note", required=False) is None
    assert clean_line(" x ", "note", required=False) == "x"
    assert clean_line("abc", "code", max_length=3) == "abc"
    with pytest.raises(InvalidInput, match="too long"):
        clean_line("abcd", "code", max_length=3)
    with pytest.raises(InvalidInput, match="control character"):
        clean_line("a\x1bb", "note", required=False)


@settings(deadline=None)
@given(value=st.text())
def test_clean_line_result_is_stripped_and_control_free(value):
    try:
        result = clean_line(value, "name")
    except InvalidInput:
        return
    assert result == value.strip()
    assert result
    assert len(result) <= 200
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in result)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("line one\nline two", "line one\nline two"),
        ("  a\tb  \n", "a\tb"),
        ("[bold]kept[/]", "[bold]kept[/]"),
    ],
)
def test_clean_text_accepts(value, expected):
    assert clean_text(value, "note") == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "fragment"),
    [
        ("", {}, "must not be empty"),
        ("\n\n", {}, "must not be empty"),
        ("a\x1b[2Jb", {}, "control character"),
        ("a\x00b", {}, "control character"),
        ("a\rb", {}, "control character"),
        ("abcd", {"max_length": 3}, "too long"),
        ("a" * 20_001, {}, "too long"),
    ],
)
def test_clean_text_rejects(value, kwargs, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        clean_text(value, "note", **kwargs)
    assert fragment in assert_one_clear_message(excinfo)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("100", 100),
        ("50", 50),
        ("50%", 50),
        ("0%", 0),
        ("100%", 100),
        (" 75 % ", 75),
        ("007", 7),
        ("50.0", 50),  # a spreadsheet's whole number; the import has always read it
        (40, 40),
        (0, 0),
        (100, 100),
    ],
)
def test_parse_probability_accepts(text, expected):
    result = parse_probability(text)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "text",
    ["101", "1000", "-1", "-0", "50.5", "", "   ", "%", "abc", "fifty", "1e2", "0x10", "+50", "5 0", -5, 101, 150],
)
def test_parse_probability_rejects(text):
    with pytest.raises(InvalidInput) as excinfo:
        parse_probability(text)
    assert "0 to 100" in assert_one_clear_message(excinfo)


@pytest.mark.parametrize("text", ["²", "50²", "①", "¹⁰"])
def test_parse_probability_rejects_digit_like_characters_as_invalid_input(text):
    """str.isdigit() is true for superscripts and circled digits, but int() refuses them."""
    with pytest.raises(InvalidInput):
        parse_probability(text)


@settings(deadline=None)
@given(number=st.integers(min_value=0, max_value=100), percent=st.booleans())
def test_probabilities_in_range_parse(number, percent):
    assert parse_probability(f"{number}%" if percent else str(number)) == number
    assert parse_probability(number) == number


@settings(deadline=None)
@given(number=st.one_of(st.integers(max_value=-1), st.integers(min_value=101)))
def test_probabilities_out_of_range_are_rejected(number):
    with pytest.raises(InvalidInput):
        parse_probability(number)
    with pytest.raises(InvalidInput):
        parse_probability(f"{number}%")


@settings(deadline=None)
@given(
    text=st.one_of(
        st.text(),
        st.text(alphabet=st.characters(categories=["Nd", "No"]), max_size=3),
    )
)
@example(text="²")
def test_parse_probability_raises_only_invalid_input(text):
    try:
        result = parse_probability(text)
    except InvalidInput:
        return
    assert 0 <= result <= 100


# --------------------------------------------------------------------------- one rule at every door
#
# The same text typed on the command line (``add --value``), in the editor
# (``check_field``, which the screens call on every key) or written in a
# CSV cell is taken or refused alike, with the same reason. What only one
# door reads stays its own: the command line's ``12.5k``; the import's
# decimal comma, ``12 500``, ``kr`` and a share such as ``0.4``, which it
# decides from the whole file.

ISO_REFUSAL = "is not an ISO 4217 code (such as USD or EUR)"


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """One SQLite file for the whole table (each case's deal has its own title)."""
    home = tmp_path_factory.mktemp("doors")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(home / "data"))
        patch.setenv("XDG_CONFIG_HOME", str(home / "config"))
        for name in ("PIPETUI_DB", "PIPETUI_CONFIG", "PIPETUI_DEBUG"):
            patch.delenv(name, raising=False)
        for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
            patch.setenv(name, "nobody-in-particular")
        yield str(home / "doors.db"), home


_titles = iter(range(10**6))


def _cli_add(url: str, field_option: list[str]) -> tuple[str | None, dict | None]:
    """``pipetui add`` with one field given: (the error, or None; the deal added)."""
    title = f"cli {next(_titles)}"
    result = run(url, "add", title, *field_option)
    if result.exit_code != 0:
        return assert_one_line_failure(result, 2).removeprefix("pipetui: "), None
    return None, _deal(url, title)


def _import_row(url: str, folder, cells: dict[str, str]) -> tuple[str | None, dict | None]:
    """A CSV of one row through ``pipetui import``: (the row's error, or None; the deal)."""
    title = f"import {next(_titles)}"
    row = {"Title": title, "Value": "1", **cells}
    path = folder / f"{title}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(row.keys())
        writer.writerow(row.values())
    result = run(url, "import", str(path))
    if result.exit_code != 0:
        assert result.exit_code == 2, result.stderr
        first = result.stderr.splitlines()[0]
        assert first.startswith("line 2: "), result.stderr
        return first.removeprefix("line 2: "), None
    return None, _deal(url, title)


def _deal(url: str, title: str) -> dict:
    result = run(url, "deals", "--json", "--status", "all")
    return {d["title"]: d for d in json.loads(result.stdout)}[title]


def _core(function, *args, **kwargs):
    try:
        return None, function(*args, **kwargs)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        return str(exc), None


def _reason(message: str | None, text: str) -> str | None:
    """What a message says of ``text``: the words after it (the doors name the field their own way)."""
    if message is None:
        return None
    quoted = f"{text.strip()!r} "
    assert quoted in message, (message, quoted)
    return message.split(quoted, 1)[1]


AMOUNT_TABLE = [
    # text, (minor units, currency) or None, the reason when refused
    ("12500", (1_250_000, "USD"), None),
    ("12,500.50", (1_250_050, "USD"), None),
    ("$3,000", (300_000, "USD"), None),
    ("EUR 900", (90_000, "EUR"), None),
    ("900 eur", (90_000, "EUR"), None),
    ("$5 USD", (500, "USD"), None),  # the symbol and the code agree
    ("1_000", None, NOT_AN_AMOUNT),
    ("\u0661\u0660\u0660", None, NOT_AN_AMOUNT),  # Arabic-Indic 100
    ("\uff11\uff10\uff10", None, NOT_AN_AMOUNT),  # full-width 100
    ("ERR-x", None, NOT_AN_AMOUNT),
    ("5-3", None, NOT_AN_AMOUNT),
    ("nan", None, NOT_AN_AMOUNT),
    ("1e-5", None, SCIENTIFIC),
    ("1.2E+05", None, SCIENTIFIC),
    ("-5", None, NEGATIVE),
    ("(5)", None, NEGATIVE),  # as accountants write a negative
    ("5-", None, NEGATIVE),  # as SAP writes one
    ("EUR -900", None, NEGATIVE),
    ("$900 EUR", None, "names two currencies"),
    ("5 ABC", None, ISO_REFUSAL),
]


@pytest.mark.parametrize(("text", "expected", "reason"), AMOUNT_TABLE)
def test_an_amount_is_read_alike_at_every_door(cli_db, text, expected, reason):
    url, folder = cli_db
    core_error, core_money = _core(parse_money, text, "USD", what="value")
    editor_error, _ = _core(check_field, "value", text, "USD")
    cli_error, cli_deal = _cli_add(url, ["--value", text])
    import_error, import_deal = _import_row(url, folder, {"Value": text})
    if expected is None:
        assert core_error is not None and reason in core_error
        if reason == ISO_REFUSAL:  # about the code, not the amount: the same words everywhere
            assert core_error == editor_error == cli_error == import_error == f"currency 'ABC' {reason}"
        else:
            assert core_error == editor_error == cli_error == import_error == f"value {text!r} {reason}"
        return
    assert core_error is editor_error is cli_error is import_error is None
    assert core_money == Money(*expected)
    for deal in (cli_deal, import_deal):
        assert (deal["value"], deal["currency"]) == expected


@pytest.mark.parametrize(("code", "expected"), [("eur", "EUR"), ("CHF", "CHF"), ("ABC", None), ("EURO", None)])
def test_a_currency_is_read_alike_at_every_door(cli_db, code, expected):
    url, folder = cli_db
    core_error, core_code = _core(validate_currency, code)
    cli_error, cli_deal = _cli_add(url, ["--value", "5", "--currency", code])
    import_error, import_deal = _import_row(url, folder, {"Currency": code})
    if expected is None:
        assert core_error is not None and core_error.startswith(f"currency {code!r} is not a")
        assert cli_error == import_error == core_error
        return
    assert core_code == cli_deal["currency"] == import_deal["currency"] == expected


DATE_TABLE = [
    ("2026-12-01", D(2026, 12, 1), None),
    ("1900-01-01", D(1900, 1, 1), None),
    ("2999-12-31", D(2999, 12, 31), None),
    ("0001-01-01", None, "is before 1900-01-01"),
    ("1899-12-31", None, "is before 1900-01-01"),
    ("3000-01-01", None, "is after 2999-12-31"),
    ("9999-12-31", None, "is after 2999-12-31"),
    ("2026-02-30", None, "is not a real date"),
]


@pytest.mark.parametrize(("text", "expected", "reason"), DATE_TABLE)
def test_a_date_is_read_alike_at_every_door(cli_db, text, expected, reason):
    url, folder = cli_db
    core_error, core_date = _core(parse_date, text, TODAY)
    editor_error, _ = _core(check_field, "expected_close", text, "USD")
    cli_error, cli_deal = _cli_add(url, ["--value", "1", "--close", text])
    import_error, import_deal = _import_row(url, folder, {"Expected Close": text})
    if expected is None:
        assert core_error == editor_error == cli_error == f"date {text!r} {reason}"
        assert import_error == f"expected close date {text!r} {reason}"
        return
    assert core_error is editor_error is cli_error is import_error is None
    assert core_date == expected
    assert cli_deal["expected_close"] == import_deal["expected_close"] == expected.isoformat()


PROBABILITY_TABLE = [
    ("40", 40, None),
    ("40%", 40, None),
    ("40.0", 40, None),
    ("100", 100, None),
    ("50.5", None, "is not a whole percent"),
    ("1e2", None, "is not a probability"),
    ("NaN", None, "is not a probability"),
    ("\u0664\u0660", None, "is not a probability"),  # Arabic-Indic 40
    ("150", None, "is out of range"),
    ("-5", None, "is out of range"),
]


@pytest.mark.parametrize(("text", "expected", "reason"), PROBABILITY_TABLE)
def test_a_probability_is_read_alike_at_every_door(cli_db, text, expected, reason):
    url, folder = cli_db
    core_error, core_percent = _core(parse_probability, text)
    editor_error, _ = _core(check_field, "probability", text, "USD")
    cli_error, cli_deal = _cli_add(url, ["--value", "1", "--probability", text])
    import_error, import_deal = _import_row(url, folder, {"Probability": text})
    if expected is None:
        assert core_error is not None and core_error.startswith(f"probability {text!r} {reason}")
        assert editor_error == cli_error == import_error == core_error
        return
    assert core_error is editor_error is cli_error is import_error is None
    assert core_percent == cli_deal["probability"] == import_deal["probability"] == expected


def test_the_import_still_reads_shares_of_one_when_the_whole_file_does():
    """HubSpot writes 0.4 for 40 %: decided for the file, rounded to the percent."""
    reader = ProbabilityReader.detect(["0.4", "0.125", "1"])
    assert [reader.read(t) for t in ("0.4", "0.125", "1")] == [40, 13, 100]
    assert ProbabilityReader.detect(["40", "0.5"]).read("40") == 40
    with pytest.raises(InvalidInput, match="is not a whole percent"):
        ProbabilityReader.detect(["40", "50.5"]).read("50.5")


AMOUNTISH = st.text(alphabet="0123456789.,-()eE_$€ \u0661\uff12kUSDABCeur", max_size=12)


@settings(deadline=None, max_examples=500)
@given(text=AMOUNTISH)
@example(text="1_000")
@example(text="(5)")
@example(text="1e-5")
def test_any_text_reads_to_one_amount_or_none_at_the_command_line_and_in_a_file(text):
    """Where both doors read a text, they read the same money; a text in
    scientific notation is refused by both as such; and so is a minus on
    what both read."""
    cli_error, cli_money = _core(parse_money, text, "USD", what="value")
    try:
        minor, named = AmountReader(".").read(text, "USD")
        file_money, file_error = Money(minor, named or "USD"), None
    except (ValueError, InvalidInput) as exc:
        file_money, file_error = None, str(exc)
    if cli_money is not None and file_money is not None:
        assert cli_money == file_money
    assert (cli_error is not None and SCIENTIFIC in cli_error) == (file_error is not None and SCIENTIFIC in file_error)
    if cli_money is not None and file_money is not None and not text.strip().startswith(("-", "(")):
        negative = "-" + text.strip()
        assert NEGATIVE in _core(parse_money, negative, "USD")[0]
        with pytest.raises(ValueError, match=re.escape(NEGATIVE)):
            AmountReader(".").read(negative, "USD")


@settings(deadline=None)
@given(text=st.one_of(st.text(max_size=8), st.text(alphabet="0123456789.%-e ", max_size=6)))
@example(text="50.5")
@example(text="1e2")
def test_any_text_is_one_probability_or_none_at_the_command_line_and_in_a_file(text):
    assert _core(parse_probability, text) == _core(ProbabilityReader(False).read, text)


# ---- overflows are bad input (issue 18, item 7)


@pytest.mark.parametrize(("args", "message"), [
    (["report", "--period", "9999-Q4"], "period '9999-Q4' is after 2999-12-31"),
    (["report", "--period", "0001-01-01..9999-12-31"], "date '0001-01-01' is before 1900-01-01"),
    (["report", "--period", "1900-01-01..3000-01-01"], "date '3000-01-01' is after 2999-12-31"),
    (["quota", "set", "--team", "1000", "--period", "9999-Q4"], "period '9999-Q4' is after 2999-12-31"),
    (["quota", "list", "--period", "0001-01"], "period '0001-01' is before 1900-01-01"),
    (["deals", "--limit", "99999999999999999999999"], "limit '99999999999999999999999' is too large"),
    (["deals", "--limit", "1_000"], "limit '1_000' is not a whole number"),
    (["deals", "--limit", "\uff15"], "is not a whole number"),
    (["deals", "--limit", "0"], "limit '0' is too small (at least 1)"),
    (["move", "99999999999999999999999", "Qualified"], "no deal matches '99999999999999999999999'"),
    (["move", "#99999999999999999999999", "Qualified"], "no deal #99999999999999999999999"),
    (["add", "x", "--value", "1", "--close", "9999-12-31"], "date '9999-12-31' is after 2999-12-31"),
])
def test_numbers_and_dates_past_the_bounds_are_bad_input(cli_db, args, message):
    url, _ = cli_db
    assert message in assert_one_line_failure(run(url, *args), 2)


@pytest.mark.parametrize(("text", "today"), [("+1d", LATEST), ("+9999m", D(2990, 1, 1)), ("+9999w", LATEST),
                                            ("yesterday", EARLIEST)])
def test_relative_dates_past_the_bounds_are_refused(text, today):
    with pytest.raises(InvalidInput) as excinfo:
        parse_date(text, today)
    assert re.fullmatch(rf"date '{re.escape(text)}' is (after 2999-12-31|before 1900-01-01)",
                        assert_one_clear_message(excinfo))


@pytest.mark.parametrize("period", ["2999-Q4", "1900-Q1", "1900-01-01..2999-12-31"])
def test_the_report_runs_at_the_edges_of_the_dates(cli_db, period):
    """The figures look at the period before and the week after: still dates."""
    url, _ = cli_db
    result = run(url, "report", "--period", period, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)


@pytest.mark.parametrize(("text", "maximum", "expected"), [
    ("0", MAX_WHOLE_NUMBER, 0), ("007", MAX_WHOLE_NUMBER, 7),
    (str(MAX_WHOLE_NUMBER), MAX_WHOLE_NUMBER, MAX_WHOLE_NUMBER),
    (str(MAX_WHOLE_NUMBER + 1), MAX_WHOLE_NUMBER, None), ("9" * 5000, MAX_WHOLE_NUMBER, None),
    ("1_000", MAX_WHOLE_NUMBER, None), ("\u0661", MAX_WHOLE_NUMBER, None), ("-1", MAX_WHOLE_NUMBER, None),
    ("+1", MAX_WHOLE_NUMBER, None), ("", MAX_WHOLE_NUMBER, None), ("11", 10, None),
])
def test_parse_whole_number(text, maximum, expected):
    if expected is None:
        with pytest.raises(InvalidInput) as excinfo:
            parse_whole_number(text, "limit", maximum=maximum)
        assert_one_clear_message(excinfo)
    else:
        assert parse_whole_number(text, "limit", maximum=maximum) == expected


def test_snoozing_past_the_last_date_is_refused(sqlite_db, frozen_clock):
    far = activities.add_activity("call", "far", due_date=D(9999, 12, 31))
    near = activities.add_activity("call", "near", due_date=LATEST - dt.timedelta(days=3))
    with pytest.raises(InvalidInput, match=r"cannot be put off past 2999-12-31 \(it is due 9999-12-31\)"):
        activities.snooze_activity(far.id, 1)
    with pytest.raises(InvalidInput, match="cannot be put off past 2999-12-31"):
        activities.snooze_activity(near.id, 4)
    with pytest.raises(InvalidInput, match="cannot be put off past 2999-12-31"):
        activities.snooze_activity(near.id, 10**12)  # more days than a timedelta holds
    assert Activity.get_by_id(near.id).due_date == LATEST - dt.timedelta(days=3)
    assert activities.snooze_activity(near.id, 3).due_date == LATEST


@pytest.mark.parametrize(("line", "message"), [
    ("meeting 2026-02-30 x", "date '2026-02-30' is not a real date"),
    ("call 0001-01-01 pricing", "date '0001-01-01' is before 1900-01-01"),
    ("call 2026-1-5 pricing", "date '2026-1-5' is not a date"),
    ("call 3000-01-01 renewal", "date '3000-01-01' is after 2999-12-31"),
])
def test_an_activity_line_with_a_wrong_date_is_refused(line, message):
    with pytest.raises(InvalidInput) as excinfo:
        activities.parse_activity_line(line, TODAY)
    assert message in assert_one_clear_message(excinfo)


@pytest.mark.parametrize(("line", "expected"), [
    ("meeting 2026-02-27 x", ("meeting", "x", D(2026, 2, 27), None)),
    ("call +15551234 about pricing", ("call", "+15551234 about pricing", None, None)),  # a phone number
    ("call fri 10:30 pricing", ("call", "pricing", D(2026, 12, 4), dt.time(10, 30))),
    ("email \u0661\u0660:\u0663\u0660 x", ("email", "\u0661\u0660:\u0663\u0660 x", None, None)),
])
def test_an_activity_line_reads_its_date_and_time(line, expected):
    assert activities.parse_activity_line(line, TODAY) == expected
