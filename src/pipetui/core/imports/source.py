"""Reading a CSV file the way other CRMs and spreadsheets write them.

The encoding (UTF-8 with or without a byte-order mark, UTF-16 from Excel's
"Unicode text"), the separator (``,``, ``;``, tab or ``|``) and quoted cells
holding newlines are all taken as they come. A JSON list of objects (what
``pipetui export --format json`` writes) reads as a table too. A file that
cannot be read at all is refused as a whole, with the line where reading
stopped.

Every read is bounded, so that a file that is not a table of deals (no line
ends, a runaway quote, a device such as /dev/zero) is refused within moments
and with little memory: only regular files are read, and a line, a CSV row,
a cell and the number of columns each have a limit far above what a deal
export holds. The message names the line and the limit.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipetui.core.errors import InvalidInput

SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
# A cell this long is not a deal field but a broken quote swallowing the file.
MAX_CELL = 100_000
# Bytes between two line ends, in any file (a JSON list may sit on one line).
MAX_LINE_BYTES = 32_000_000
# Characters in one CSV row, its quoted line breaks included.
MAX_ROW = 1_000_000
# Columns of a CSV row, or distinct keys of the objects in a JSON file.
MAX_COLUMNS = 5_000
# The header is sniffed for its separator within this many characters.
_SNIFF = 64 * 1024


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
    return parse_table(read_bytes(path), encoding=encoding, json_suffix=path.suffix.lower() == ".json")


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file whose every line is at most MAX_LINE_BYTES long."""
    try:
        # Non-blocking, so that opening a named pipe with no writer returns at once (to be refused).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InvalidInput(f"no file {path}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"{path} is a directory, not a CSV file")
        if not stat.S_ISREG(mode):
            what = "a pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise InvalidInput(f"{path} is {what}, not a file; save the data to a file and import that")
        file = open(fd, "rb")  # noqa: SIM115 - closed below, or with fd on the way out
    except BaseException:
        os.close(fd)
        raise
    with file:
        try:
            return b"".join(_bounded_lines(file))
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None


def _bounded_lines(file) -> Iterator[bytes]:
    line = 1
    while chunk := file.readline(MAX_LINE_BYTES + 1):
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            if line == 1:
                _refuse_workbook(chunk)
            raise InvalidInput(
                f"line {line}: no line end in {MAX_LINE_BYTES:,} bytes; a CSV file has a row a line, and "
                f"a JSON file this large should have a deal a line (as pipetui's export writes it); "
                f"nothing was imported"
            )
        yield chunk
        line += 1


_WORKBOOKS = ((b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
              (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"))


def _refuse_workbook(data: bytes) -> None:
    for magic, what in _WORKBOOKS:
        if data.startswith(magic):
            raise InvalidInput(f"this is {what}, not text; open it and save it as CSV (UTF-8), "
                               f"then import that")


def parse_table(data: bytes, *, encoding: str | None = None, json_suffix: bool = False) -> Table:
    _refuse_workbook(data)
    text, used = decode(data, encoding)
    if not text.strip():
        raise InvalidInput("the file is empty: a CSV file starts with a header row")
    if json_suffix or re.match(r"\s*\[\s*[{\]]", text):
        return _parse_json(text, used)
    separator = guess_separator(_first_record(text[:_SNIFF]))
    lines = _RowLines(text)
    reader = csv.reader(lines, delimiter=separator, strict=True)
    rows: list[SourceRow] = []
    header: list[str] | None = None
    start = 1
    # csv's own limit stops a runaway cell as soon as it passes ours; it is
    # shared by the whole process, hence put back.
    field_limit = csv.field_size_limit(MAX_CELL)
    try:
        for cells in reader:
            if len(cells) > MAX_COLUMNS:
                raise InvalidInput(f"line {start}: more than {MAX_COLUMNS:,} columns, more than any "
                                   f"export of deals has; nothing was imported")
            if header is None:
                header = [cell.strip() for cell in cells]
            elif "".join(cells).strip():
                rows.append(SourceRow(start, cells))
            start = reader.line_num + 1
            lines.row_started()
    except _RowTooLong:
        raise InvalidInput(
            f"line {start}: a row runs over {MAX_ROW:,} characters, more than any deal holds "
            f"(a quote left open would do that: it takes in the lines after it); nothing was imported"
        ) from None
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):
            raise InvalidInput(
                f"line {start}: a cell is longer than {MAX_CELL:,} characters, more than any deal "
                f"field holds (a quote left open would do that: it takes in the rest of the file)"
            ) from None
        raise InvalidInput(f"line {start}: not valid CSV ({exc}); nothing was imported") from None
    finally:
        csv.field_size_limit(field_limit)
    if header is None or not any(header):
        raise InvalidInput("the first line holds no column names: a CSV file starts with a header row")
    return Table(header, rows, separator, used)


class _RowTooLong(Exception):
    pass


class _RowLines:
    """The physical lines of ``text`` for csv, refusing a row (all the lines
    one record spans) longer than MAX_ROW before csv holds it all."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self._row_length = 0

    def __iter__(self) -> _RowLines:
        return self

    def __next__(self) -> str:
        line = self._lines.readline(MAX_ROW + 1)
        if not line:
            raise StopIteration
        self._row_length += len(line)
        if self._row_length > MAX_ROW:
            raise _RowTooLong
        return line

    def row_started(self) -> None:
        self._row_length = 0


def _parse_json(text: str, encoding: str) -> Table:
    """A list of objects; each object's line is where it starts."""
    decoder = json.JSONDecoder()
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        raise InvalidInput("line 1: a JSON file to import holds a list of deals ([{...}, ...])")
    position += 1
    line, counted = 1, 0
    objects: list[tuple[int, dict]] = []
    header: dict[str, None] = {}
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
        header.update(dict.fromkeys(item))
        if len(header) > MAX_COLUMNS:
            raise InvalidInput(f"line {line}: the objects have more than {MAX_COLUMNS:,} different keys, "
                               f"more than any export of deals has; nothing was imported")
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
    names = list(header)
    rows = [SourceRow(at, [_json_cell(at, item.get(name)) for name in names]) for at, item in objects]
    return Table(names, rows, None, encoding)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_cell(line: int, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        cell = value
    elif isinstance(value, bool):
        cell = "true" if value else "false"
    else:
        cell = json.dumps(value, ensure_ascii=False)
    if len(cell) > MAX_CELL:
        raise InvalidInput(f"line {line}: a value is longer than {MAX_CELL:,} characters, more than "
                           f"any deal field holds; nothing was imported")
    return cell
