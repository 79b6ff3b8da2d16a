"""Reading a CSV file the way other CRMs and spreadsheets write them.

The encoding (UTF-8 with or without a byte-order mark, UTF-16 from Excel's
"Unicode text"), the separator (``,``, ``;``, tab or ``|``) and quoted cells
holding newlines are all taken as they come. A file that cannot be read as
CSV at all is refused as a whole, with the line where reading stopped.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pipetui.core.errors import InvalidInput

SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
# A cell this long is not a deal field but a broken quote swallowing the file.
MAX_CELL = 100_000


@dataclass(frozen=True, slots=True)
class SourceRow:
    line: int  # the physical line the row starts on, 1 for the header
    cells: list[str]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[SourceRow]
    separator: str
    encoding: str

    @property
    def separator_name(self) -> str:
        return _SEPARATOR_NAMES[self.separator]


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of the file and the name of the encoding it was read with."""
    if encoding is None:
        if data.startswith(codecs.BOM_UTF8):
            encoding, data = "utf-8", data[len(codecs.BOM_UTF8):]
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            encoding = "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidInput(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)") from None
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"line {line}: the file is not {encoding} text (byte 0x{data[exc.start]:02x}); "
            f"save it as UTF-8, or name its encoding with --encoding (e.g. cp1252)"
        ) from None


def _first_record(text: str) -> str:
    """The header record: up to the first line break outside quotes."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:index]
    return text


def guess_separator(header: str) -> str:
    """The separator that splits the header into the most cells (outside quotes)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])  # ties go to the comma (first)
    return best if counts[best] else ","


def read_table(path: Path, *, encoding: str | None = None) -> Table:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a CSV file") from None
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_table(data, encoding=encoding)


def parse_table(data: bytes, *, encoding: str | None = None) -> Table:
    text, used = decode(data, encoding)
    if not text.strip():
        raise InvalidInput("the file is empty: a CSV file starts with a header row")
    separator = guess_separator(_first_record(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    rows: list[SourceRow] = []
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            if cells and max(map(len, cells)) > MAX_CELL:
                raise InvalidInput(
                    f"line {start}: a cell is longer than {MAX_CELL:,} characters; "
                    f"a quote (\") is probably not closed"
                )
            if header is None:
                header = [cell.strip() for cell in cells]
            elif "".join(cells).strip():
                rows.append(SourceRow(start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"line {start}: not valid CSV ({exc}); nothing was imported") from None
    if header is None or not any(header):
        raise InvalidInput("the first line holds no column names: a CSV file starts with a header row")
    return Table(header, rows, separator, used)
