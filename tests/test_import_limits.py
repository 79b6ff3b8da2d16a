"""The import reads with bounded memory and time: a file with no line ends,
a huge line, a huge cell, too many columns or a device gets one clear line
naming where and which limit, within seconds."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import (  # noqa: F401 - isolated_environment is an autouse fixture
    assert_one_line_failure,
    isolated_environment,
    run,
)

from pipetui.core.imports import source

MEMORY_LIMIT = 1 << 30  # bytes of address space for an import run apart


def refused(tmp_path: Path, path: Path | str) -> str:
    """The one line with which a dry run of ``path`` is refused (exit 2), within seconds."""
    started = time.monotonic()
    result = run(str(tmp_path / "pipeline.db"), "import", str(path), "--dry-run")
    line = assert_one_line_failure(result, 2)
    assert time.monotonic() - started < 20, "a file that cannot be a table of deals took long to refuse"
    return line


def test_fifty_megabytes_without_a_line_end_are_refused_at_the_limit(tmp_path):
    path = tmp_path / "deals.csv"
    with path.open("wb") as out:
        out.write(b"Title,Notes\nA,b\n")
        for _ in range(50):
            out.write(b"x" * 1_000_000)
    line = refused(tmp_path, path)
    assert line == ("pipetui: line 3: no line end in 32,000,000 bytes; a CSV file has a row a line, and a JSON "
                    "file this large should have a deal a line (as pipetui's export writes it); nothing was "
                    "imported")


def test_a_cell_over_the_limit_that_spans_many_lines_is_refused_on_its_first_line(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text('Title,Notes\nA,b\nB,"' + ("x" * 99 + "\n") * 20_000 + '"\n', encoding="utf-8")
    assert "line 3: a cell is longer than 100,000 characters" in refused(tmp_path, path)


def test_a_cell_at_the_limit_is_read(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text('Title,Notes\nA,"' + "x" * source.MAX_CELL + '"\n', encoding="utf-8")
    table = source.read_table(path)
    assert len(table.rows[0].cells[1]) == source.MAX_CELL


def test_a_row_spanning_lines_is_refused_once_longer_than_the_limit(tmp_path):
    # Every cell is short, but a stray quote per line makes one row of them all.
    path = tmp_path / "deals.csv"
    path.write_text("Title,Notes\n" + ",".join(['"a\nb"'] * 300_000) + "\n", encoding="utf-8")
    assert "line 2: a row runs over 1,000,000 characters" in refused(tmp_path, path)


def test_too_many_columns_are_refused(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Title\nA\n" + "," * 900_000 + "\n", encoding="utf-8")
    assert "line 3: more than 5,000 columns" in refused(tmp_path, path)
    header = tmp_path / "wide.csv"
    header.write_text(",".join(f"c{n}" for n in range(5_001)) + "\n", encoding="utf-8")
    assert "line 1: more than 5,000 columns" in refused(tmp_path, header)


def test_json_objects_with_too_many_keys_or_a_huge_value_are_refused(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text("[\n" + ",\n".join(json.dumps({f"k{n}": 1}) for n in range(6_000)) + "\n]\n")
    assert "line 5002: the objects have more than 5,000 different keys" in refused(tmp_path, keys)
    value = tmp_path / "value.json"
    value.write_text('[\n{"title": "A"},\n{"title": "' + "x" * 200_000 + '"}\n]\n')
    assert "line 3: a value is longer than 100,000 characters" in refused(tmp_path, value)


def test_reading_leaves_the_process_wide_csv_field_limit_as_it_was(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Title\n" + "A deal\n" * 50_000, encoding="utf-8")  # longer than csv's own limit
    before = csv.field_size_limit()
    source.read_table(path)
    assert csv.field_size_limit() == before


# --- run apart, with a memory limit and a timeout: a regression cannot eat the machine ---


def _huge_line(tmp_path: Path) -> Path:
    path = tmp_path / "one-line.csv"
    with path.open("wb") as out:
        out.truncate(300_000_000)  # sparse: 300 MB of zero bytes, no line end, no disk used
    return path


def _huge_cell(tmp_path: Path) -> Path:
    path = tmp_path / "cell.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write('Title,Notes\nA,"')
        for _ in range(120):
            out.write(("x" * 999 + "\n") * 1_000)  # 120 MB in one quoted cell
        out.write('"\n')
    return path


def _named_pipe(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    os.mkfifo(path)  # with no writer: reading it would wait forever
    return path


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.skipif(not Path("/dev/zero").exists() or sys.platform == "win32",
                    reason="needs /dev/zero and resource limits")
@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp_path: Path("/dev/zero"), "/dev/zero is a device, not a file"),
    (_huge_line, "line 1: no line end in 32,000,000 bytes"),
    (_huge_cell, "line 2: a cell is longer than 100,000 characters"),
    (_named_pipe, "deals.csv is a pipe, not a file; save the data to a file and import that"),
], ids=["dev-zero", "300-MB-line", "120-MB-cell", "named-pipe"])
def test_hostile_files_are_refused_within_seconds_in_bounded_memory(tmp_path, make, expected):
    path = make(tmp_path)
    command = [sys.executable, "-m", "pipetui", "--db", str(tmp_path / "pipeline.db"), "import", str(path),
               "--dry-run"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"importing {path.name} was still running after a minute")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
