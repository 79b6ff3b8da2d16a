"""Money: integer minor units plus an ISO-4217 code, never a float."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from pipetui.core.errors import InvalidInput

# The active codes of ISO 4217 (the list of the ISO 4217 maintenance agency,
# amendments to 2025), frozen here: no library in the dependencies keeps them.
# Left out: XTS (for testing) and XXX (no currency). Fund codes (BOV, CHE, …)
# and the precious metals (XAU, …) are codes of the standard and stay.
ISO_4217_CODES = frozenset("""
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW
    ZWG
""".split())

# Currencies whose minor unit is not the cent.
_MINOR_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}

# The largest amount accepted, in minor units: far beyond any deal, far below
# the 64-bit limit of the value column even when multiplied by 100 %.
MAX_MINOR = 10**15

# Why a text is no amount: one wording per reason, for every front door (the
# command line, the screens, the import), each of which names the field first:
# "amount '1e-5' is in scientific notation …", "value '1e-5' is in …".
NOT_AN_AMOUNT = ("is not an amount: use digits with an optional decimal mark "
                 "(e.g. 12500, 12,500.50, $3,000 or EUR 900)")
SCIENTIFIC = "is in scientific notation (a spreadsheet rewrote it); write the number out"
NEGATIVE = "is negative; a deal's value is zero or more"
TWO_CURRENCIES = "names two currencies"

# Digits are ASCII only: Arabic-Indic or full-width digits, which str.isdigit
# and Decimal take, are not what a file or a colleague's script would expect back.
_NUMBER = re.compile(
    r"""^(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?   # 12,500.50
        |\d+(?:\.\d+)?|\.\d+)                          # 12500, 12.5, .5
        (?P<suffix>[kmb]?)$""",
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
_SCIENTIFIC = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")
_MINUS_BEFORE_DIGITS = re.compile(r"^(?P<currency>[^\d-]*?)\s*-\s*(?P<number>\d.*)$", re.DOTALL)
_CODE_ANY_CASE = re.compile(r"^[A-Za-z]{3}$", re.ASCII)
_EXAMPLES = "e.g. 12500, 12,500.50, 12.5k, 1.2m, $3,000 or EUR 900"


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency, 2)


def validate_currency(code: str) -> str:
    """An upper-case ISO-4217 code, or :class:`InvalidInput`."""
    normal = code.strip()
    if not _CODE_ANY_CASE.match(normal):
        raise InvalidInput(f"currency {code!r} is not a currency code: use three letters "
                           "such as USD or EUR")
    if normal.upper() not in ISO_4217_CODES:
        raise InvalidInput(f"currency {code!r} is not an ISO 4217 code (such as USD or EUR)")
    return normal.upper()


def amount_refusal(text: str, is_amount: Callable[[str], bool]) -> str:
    """The reason why ``text`` (stripped), which a front door's reader refused,
    is no amount.

    ``is_amount`` is that reader, asked again without the sign: ``-5``,
    ``$-5``, ``5-`` (as SAP writes) and ``(5)`` (as accountants write) are
    negative amounts; ``ERR-x`` or ``5-3`` are no amounts at all."""
    if _SCIENTIFIC.search(text):
        return SCIENTIFIC
    unsigned = []
    if text.startswith("-"):
        unsigned.append(text[1:])
    if text.endswith("-"):
        unsigned.append(text[:-1])
    if text.startswith("(") and text.endswith(")"):
        unsigned.append(text[1:-1])
    if match := _MINUS_BEFORE_DIGITS.match(text):
        unsigned.append(f"{match['currency'].strip()} {match['number']}")
    if any(is_amount(candidate.strip()) for candidate in unsigned):
        return NEGATIVE
    return NOT_AN_AMOUNT


@dataclass(frozen=True, order=True)
class Money:
    amount: int  # minor units
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def parse_money(text: str, default_currency: str, *, what: str = "amount") -> Money:
    """Parse what a person types for an amount.

    Accepts ``12500``, ``12,500.50``, ``12.5k``, ``1.2m``, ``$3,000``,
    ``EUR 900`` and ``900 eur`` (ASCII digits, an ISO 4217 code); rejects
    negatives, ``nan``, ``inf``, exponents, ``1_000``, more decimals than the
    currency has and anything else, each with the reason the import gives;
    ``what`` names the field in the message (``value '1e-5' is in …``).
    """
    stripped = text.strip().replace("\u00a0", " ")
    if not stripped:
        raise InvalidInput(f"no amount given ({_EXAMPLES})")
    parts = _amount_parts(stripped)
    if parts is None:
        reason = amount_refusal(stripped, lambda t: _amount_parts(t) is not None)
        raise InvalidInput(f"{what} {stripped!r} {reason}")
    symbol_currency, code, number, suffix = parts
    named = validate_currency(code) if code else None
    if symbol_currency and named and symbol_currency != named:
        raise InvalidInput(f"{what} {stripped!r} {TWO_CURRENCIES}")
    currency = symbol_currency or named or validate_currency(default_currency)
    digits = number.replace(",", "")
    if len(digits) > 40:
        raise InvalidInput(f"{what} {stripped!r} is too long")
    # Exact arithmetic: the default 28-digit context would round away decimals.
    with localcontext() as exact:
        exact.prec = 100
        minor = Decimal(digits) * _SUFFIXES[suffix.lower()] * 10 ** minor_digits(currency)
        fractional = minor != minor.to_integral_value()
    if minor > MAX_MINOR:
        raise InvalidInput(f"{what} {stripped!r} is too large (at most {format_money(MAX_MINOR, currency)})")
    if fractional:
        raise InvalidInput(
            f"{what} {stripped!r} has more decimals than {currency} allows ({minor_digits(currency)})"
        )
    return Money(int(minor), currency)


def _amount_parts(text: str) -> tuple[str | None, str | None, str, str] | None:
    """``$12.5k EUR`` -> ("USD", "EUR", "12.5", "k"): the currency a symbol
    names, the code written, the number and its suffix; None when ``text``
    is not written as an amount (the codes are not checked here)."""
    symbol_currency = None
    for symbol, code in _SYMBOLS.items():
        if text.startswith(symbol):
            symbol_currency, text = code, text[len(symbol):].strip()
            break
    words = text.split()
    code = None
    if len(words) == 2:
        head, tail = words
        if _CODE_ANY_CASE.match(head):
            code, text = head, tail
        elif _CODE_ANY_CASE.match(tail):
            code, text = tail, head
        else:
            return None
    elif len(words) > 2:
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    return symbol_currency, code, match["number"], match["suffix"]


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
