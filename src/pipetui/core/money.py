"""Money: integer minor units plus an ISO-4217 code, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from pipetui.core.errors import InvalidInput

# Currencies whose minor unit is not the cent.
_MINOR_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}

# The largest amount accepted, in minor units: far beyond any deal, far below
# the 64-bit limit of the value column even when multiplied by 100 %.
MAX_MINOR = 10**15

_NUMBER = re.compile(
    r"""^(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?   # 12,500.50
        |\d+(?:\.\d+)?|\.\d+)                          # 12500, 12.5, .5
        (?P<suffix>[kmb]?)$""",
    re.VERBOSE | re.IGNORECASE,
)
_CODE = re.compile(r"^[A-Z]{3}$")
_CODE_ANY_CASE = re.compile(r"^[A-Za-z]{3}$")
_EXAMPLES = "e.g. 12500, 12,500.50, 12.5k, 1.2m, $3,000 or EUR 900"


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency, 2)


def validate_currency(code: str) -> str:
    """An upper-case ISO-4217 code, or :class:`InvalidInput`."""
    normal = code.strip()
    if not _CODE_ANY_CASE.match(normal):
        raise InvalidInput(f"not a currency code: {code!r} (use three letters such as USD or EUR)")
    return normal.upper()


@dataclass(frozen=True, order=True)
class Money:
    amount: int  # minor units
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def parse_money(text: str, default_currency: str) -> Money:
    """Parse what a person types for an amount.

    Accepts ``12500``, ``12,500.50``, ``12.5k``, ``1.2m``, ``$3,000``,
    ``EUR 900`` and ``900 eur``; rejects negatives, ``nan``, ``inf``,
    exponents, more decimals than the currency has and anything else.
    """
    original = text
    text = text.strip().replace("\u00a0", " ").replace("_", "")
    if not text:
        raise InvalidInput(f"no amount given ({_EXAMPLES})")
    if text.startswith("-") or text.startswith("(") or "-" in text:
        raise InvalidInput(f"amount must not be negative: {original!r}")
    currency = None
    for symbol, code in _SYMBOLS.items():
        if text.startswith(symbol):
            currency, text = code, text[len(symbol):].strip()
            break
    parts = text.split()
    if len(parts) == 2:
        head, tail = parts
        if _CODE_ANY_CASE.match(head):
            code, text = head.upper(), tail
        elif _CODE_ANY_CASE.match(tail):
            code, text = tail.upper(), head
        else:
            raise InvalidInput(f"not an amount: {original!r} ({_EXAMPLES})")
        if currency is not None and currency != code:
            raise InvalidInput(f"amount names two currencies: {original!r}")
        currency = code
    elif len(parts) > 2:
        raise InvalidInput(f"not an amount: {original!r} ({_EXAMPLES})")
    if text.startswith("-"):
        raise InvalidInput(f"amount must not be negative: {original!r}")
    match = _NUMBER.match(text)
    if not match:
        raise InvalidInput(f"not an amount: {original!r} ({_EXAMPLES})")
    currency = currency or validate_currency(default_currency)
    digits = match["number"].replace(",", "")
    if len(digits) > 40:
        raise InvalidInput(f"amount too long: {original!r}")
    # Exact arithmetic: the default 28-digit context would round away decimals.
    with localcontext() as exact:
        exact.prec = 100
        minor = Decimal(digits) * _SUFFIXES[match["suffix"].lower()] * 10 ** minor_digits(currency)
        fractional = minor != minor.to_integral_value()
    if minor > MAX_MINOR:
        limit = format_money(MAX_MINOR, currency)
        raise InvalidInput(f"amount too large: {original!r} (at most {limit})")
    if fractional:
        raise InvalidInput(
            f"{original!r} has more decimals than {currency} allows ({minor_digits(currency)})"
        )
    return Money(int(minor), currency)


def format_money(amount: int, currency: str, *, cents: bool | None = None) -> str:
    """``1250050, "EUR"`` -> ``"12,500.50 EUR"``; whole amounts drop the cents.

    ``cents=False`` rounds to whole units, ``cents=True`` always shows them.
    """
    digits = minor_digits(currency)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    if digits and (cents or (cents is None and minor)):
        return f"{sign}{major:,}.{minor:0{digits}d} {currency}"
    if digits and cents is False and minor * 2 >= 10**digits:
        major += 1
    return f"{sign}{major:,} {currency}"


_SHORT_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_COMPACT_UNITS = (("", 0), ("k", 3), ("M", 6), ("B", 9))  # suffix, power of ten


def format_compact(amount: int, currency: str) -> str:
    """A short form for narrow places: ``$12.5k``, ``€1.2M``, ``900 CHF``.

    The amount in the largest unit it reaches (k, M, B), with one decimal
    below 100 units, rounded half up (``$344,500`` is ``$345k`` as
    ``$129,700`` is ``$130k``); a rounding that reaches 1000 of a unit is
    shown in the next one (``$999,950`` is ``$1M``)."""
    sign = "-" if amount < 0 else ""
    major = Decimal(abs(amount)).scaleb(-minor_digits(currency))
    index = max(i for i, (_, power) in enumerate(_COMPACT_UNITS) if i == 0 or major >= 10**power)
    while True:
        suffix, power = _COMPACT_UNITS[index]
        scaled = major.scaleb(-power)
        decimals = 1 if suffix and scaled < 100 else 0
        shown = scaled.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if shown < 1000 or index == len(_COMPACT_UNITS) - 1:
            break
        index += 1
    text = f"{shown:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text += suffix
    symbol = _SHORT_SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def to_major_string(amount: int, currency: str) -> str:
    """The amount as a plain decimal string in major units, for CSV and JSON."""
    return str(Decimal(amount).scaleb(-minor_digits(currency)))
