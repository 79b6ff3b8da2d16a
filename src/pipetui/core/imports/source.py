"""Reading a CSV file the way other CRMs and spreadsheets write them.

The encoding (UTF-8 with or without a byte-order mark, UTF-16 from Excel's
"Unicode text"), the separator (``,``, ``;``, tab or ``|``) and quoted cells
holding newlines are all taken as they come. A JSON list of objects (what
``pipetui export --format json`` writes) reads as a table too. A file that
cannot be read at all is refused as a whole, with the line where reading
stopped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
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
    separator: str | None  # None: a JSON file
    encoding: str

    @property
    def layout(self) -> str:
        return "JSON" if self.separator is None else f"{_SEPARATOR_NAMES[self.separator]}-separated"


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
        return data.decode(encoding).removeprefix("\ufeff"), encoding  # a mark left by --encoding utf-8
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"line {line}: the file is not {encoding} text (byte 0x{data[exc.start]:02x}); "
            f"save it as UTF-8, or name its encoding (e.g. cp1252)", field="encoding"
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
    return parse_table(data, encoding=encoding, json_suffix=path.suffix.lower() == ".json")


_WORKBOOKS = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
              (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"))


def parse_table(data: bytes, *, encoding: str | None = None, json_suffix: bool = False) -> Table:
    for magic, what in _WORKBOOKS:
        if data.startswith(magic):
            raise InvalidInput(f"this is {what}, not text; open it and save it as CSV (UTF-8), "
                               f"then import that")
    text, used = decode(data, encoding)
    if not text.strip():
        raise InvalidInput("the file is empty: a CSV file starts with a header row")
    if json_suffix or re.match(r"\s*\[\s*[{\]]", text):
        return _parse_json(text, used)
    separator = guess_separator(_first_record(text))
    # csv's own limit (128 KiB) would fail with its own words; ours is checked below.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    rows: list[SourceRow] = []
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            if cells and max(map(len, cells)) > MAX_CELL:
                raise InvalidInput(
                    f"line {start}: a cell is longer than {MAX_CELL:,} characters, more than any deal "
                    f"field holds (a quote left open would do that: it takes in the rest of the file)"
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


def _parse_json(text: str, encoding: str) -> Table:
    """A list of objects; each object's line is where it starts."""
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        raise InvalidInput("line 1: a JSON file to import holds a list of deals ([{...}, ...])")
    position += 1
    line, counted = 1, 0
    objects: list[tuple[int, dict]] = []
    while True:
        position = _skip_space(text, position)
        if text.startswith("]", position):
            break
        line += text.count("\n", counted, position)
        counted = position
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {exc.lineno}: not valid JSON ({exc.msg}); nothing was imported") from None
        except RecursionError:
            raise InvalidInput(f"line {line}: the JSON is nested too deeply to be a deal") from None
        if not isinstance(item, dict):
            raise InvalidInput(f"line {line}: a JSON file to import holds a list of deal objects, "
                               f"not {type(item).__name__}s")
        objects.append((line, item))
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            lineno = text.count("\n", 0, position) + 1
            raise InvalidInput(f"line {lineno}: not valid JSON (expected , or ]); nothing was imported")
    if text[position + 1:].strip():
        lineno = text.count("\n", 0, position + 1) + 1
        raise InvalidInput(f"line {lineno}: not valid JSON (more after the list); nothing was imported")
    if not objects:
        raise InvalidInput("the JSON file holds no deals ([])")
    header: dict[str, None] = {}
    for _line, item in objects:
        header.update(dict.fromkeys(item))
    names = list(header)
    rows = [SourceRow(at, [_json_cell(item.get(name)) for name in names]) for at, item in objects]
    return Table(names, rows, None, encoding)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)
