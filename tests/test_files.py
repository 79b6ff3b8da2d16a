"""Every file pipetui writes is readable by its owner only from its first
byte, synced before it takes its name, and whole or absent; a partial that a
killed run left is removed at the next write; nothing is written over the
database in use.

The modes are checked under the usual umask 022, set here, not inherited.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipetui.core import deals, files
from pipetui.core.money import Money

USUAL_UMASK = 0o022


@pytest.fixture
def usual_umask():
    previous = os.umask(USUAL_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def partials(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".partial" in p.name)


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def some_deals(count: int = 3) -> None:
    for n in range(count):
        deals.create_deal(f"Deal {n}", Money(100_00 + n, "EUR"))


# --- the module itself -------------------------------------------------------------------------


def test_a_written_file_is_private_from_its_first_byte(usual_umask, tmp_path):
    target = tmp_path / "out.csv"
    with files.private_file(target) as out:
        out.write("first")
        out.flush()
        [partial] = partials(tmp_path)
        assert mode(partial) == 0o600 and partial.read_text() == "first"
        assert not target.exists()
    assert target.read_text() == "first" and mode(target) == 0o600
    assert partials(tmp_path) == []


def test_an_earlier_file_readable_by_all_is_replaced_by_a_private_one(usual_umask, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o644)
    with files.private_file(target) as out:
        out.write("new")
    assert target.read_text() == "new" and mode(target) == 0o600


def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_partial(usual_umask, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with files.private_file(target) as out:
            out.write("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and partials(tmp_path) == []


def test_the_file_is_synced_before_it_takes_its_name(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    with files.private_file(tmp_path / "out.csv") as out:
        out.write("x")
    assert events[:2] == ["fsync", "replace"]
    events.clear()
    with files.private_path(tmp_path / "copy.db") as partial:
        partial.write_bytes(b"y")
    assert events[:2] == ["fsync", "replace"]


def test_a_symbolic_link_at_the_target_is_replaced_not_written_through(usual_umask, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = tmp_path / "out.csv"
    target.symlink_to(victim)
    with files.private_file(target) as out:
        out.write("new")
    assert victim.read_text() == "keep"
    assert not target.is_symlink() and target.read_text() == "new"


def test_the_temporary_file_is_never_opened_through_a_link_or_shared(tmp_path, monkeypatch):
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, flags, *rest: (opened.append((Path(path), flags)),
                                                                real_open(path, flags, *rest))[1])
    with files.private_file(tmp_path / "a.csv"):
        with files.private_file(tmp_path / "a.csv"):  # two writers of one target: two temporary files
            pass
    created = [(path, flags) for path, flags in opened if flags & os.O_CREAT]
    assert len({path for path, _ in created}) == 2
    assert all(flags & os.O_EXCL and flags & os.O_NOFOLLOW for _, flags in created)


def test_a_private_path_exists_empty_and_private_before_its_writer_opens_it(usual_umask, tmp_path):
    with files.private_path(tmp_path / "copy.db") as partial:
        assert partial.stat().st_size == 0 and mode(partial) == 0o600
        with sqlite3.connect(partial) as copy:
            copy.execute("CREATE TABLE t (x)")
        copy.close()
    assert mode(tmp_path / "copy.db") == 0o600 and partials(tmp_path) == []


def test_partials_of_dead_runs_and_of_earlier_releases_go_at_the_next_write(tmp_path):
    target = tmp_path / "out.csv"
    host = files._host()
    dead = tmp_path / f"out.csv.{host}.{dead_pid()}.0a1b2c3d.partial"
    dead_journal = tmp_path / f"out.csv.{host}.{dead_pid()}.0a1b2c3d.partial-journal"
    earlier_release = tmp_path / "out.csv.partial"
    live = tmp_path / f"out.csv.{host}.{os.getppid()}.0a1b2c3d.partial"  # a run still writing
    elsewhere = tmp_path / f"out.csv.other-host.{dead_pid()}.0a1b2c3d.partial"  # its pid means nothing here
    hung = tmp_path / f"out.csv.{host}.{os.getppid()}.ffff0000.partial"
    other_target = tmp_path / f"other.csv.{host}.{dead_pid()}.0a1b2c3d.partial"
    own = tmp_path / "out.csv.notes"
    for path in (dead, dead_journal, earlier_release, live, elsewhere, hung, other_target, own):
        path.write_text("names and e-mails")
    an_hour_ago = time.time() - files.ABANDONED_AFTER_SECONDS - 60
    os.utime(hung, (an_hour_ago, an_hour_ago))
    with files.private_file(target) as out:
        out.write("x")
    assert partials(tmp_path) == sorted([live, elsewhere, other_target])
    assert own.exists()


# --- the CLI: export, backup, rejects ----------------------------------------------------------


def test_exports_are_private_under_the_usual_umask(usual_umask, sqlite_db, tmp_path):
    from test_cli import ok, run

    some_deals()
    for name in ("deals.csv", "deals.json"):
        ok(run(sqlite_db.database, "export", str(tmp_path / name)))
        assert mode(tmp_path / name) == 0o600
    assert partials(tmp_path) == []


def test_an_export_is_private_while_it_is_written(usual_umask, sqlite_db, tmp_path, monkeypatch):
    from pipetui.core import export

    some_deals()
    seen = []
    real_rows = export.deal_rows

    def rows_then_look(status, custom=None):
        for row in real_rows(status, custom):
            seen.extend(mode(p) for p in partials(tmp_path))
            yield row

    monkeypatch.setattr(export, "deal_rows", rows_then_look)
    assert export.export(tmp_path / "deals.csv") == 3
    assert seen and set(seen) == {0o600}


def test_an_export_that_fails_midway_leaves_the_old_file_and_no_partial(usual_umask, sqlite_db, tmp_path,
                                                                        monkeypatch):
    from pipetui.core import export

    some_deals()
    target = tmp_path / "deals.csv"
    target.write_text("yesterday's")
    real_rows = export.deal_rows

    def rows_then_fail(status, custom=None):
        yield next(real_rows(status, custom))
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(export, "deal_rows", rows_then_fail)
    with pytest.raises(sqlite3.OperationalError):
        export.export(target)
    assert target.read_text() == "yesterday's" and partials(tmp_path) == []


KILLED_EXPORT = """
import os, sys, time
from pathlib import Path
from pipetui.core import export
from pipetui.store import open_database
os.umask(0o022)
open_database(sys.argv[1])
real_rows = export.deal_rows
def rows_then_hang(status, custom=None):
    for row in real_rows(status, custom):
        yield row
    print("ready", flush=True)
    time.sleep(60)
export.deal_rows = rows_then_hang
export.export(Path(sys.argv[2]))
"""


def test_a_killed_export_leaves_a_private_partial_that_the_next_export_removes(usual_umask, sqlite_db, tmp_path):
    from test_cli import ok, run

    some_deals()
    target = tmp_path / "deals.csv"
    child = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, sqlite_db.database, str(target)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    [left] = partials(tmp_path)
    assert mode(left) == 0o600
    assert not target.exists()
    ok(run(sqlite_db.database, "export", str(target)))
    assert partials(tmp_path) == []
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == 3


def test_a_backup_is_private_from_the_moment_sqlite_opens_it(usual_umask, sqlite_db, tmp_path, monkeypatch):
    from test_cli import ok, run

    some_deals()
    modes = []
    real_connect = sqlite3.connect

    def connect_and_look(path, *args, **kwargs):
        connection = real_connect(path, *args, **kwargs)
        if ".partial" in str(path):
            modes.append(mode(Path(path)))
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect_and_look)
    ok(run(sqlite_db.database, "backup", str(tmp_path / "copy.db")))
    assert modes == [0o600]
    assert mode(tmp_path / "copy.db") == 0o600 and partials(tmp_path) == []


def test_a_backup_removes_what_a_killed_backup_left(usual_umask, sqlite_db, tmp_path):
    from test_cli import ok, run

    some_deals()
    left = tmp_path / f"copy.db.{files._host()}.{dead_pid()}.12345678.partial"
    left.write_bytes(b"SQLite format 3\x00 half a copy")
    left.with_name(left.name + "-journal").write_bytes(b"journal")
    ok(run(sqlite_db.database, "backup", str(tmp_path / "copy.db")))
    assert partials(tmp_path) == []
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM deal").fetchone()[0] == 3
    copy.close()


def test_a_rejects_file_is_private(usual_umask, sqlite_db, tmp_path):
    from test_cli import run

    source = tmp_path / "in.csv"
    source.write_text("Title,Value\nGood,5\nBad,lots\n")
    rejects = tmp_path / "rejects.csv"
    result = run(sqlite_db.database, "import", str(source), "--skip-bad", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert mode(rejects) == 0o600 and "lots" in rejects.read_text()
    assert partials(tmp_path) == []


def test_the_apps_state_file_is_private_and_synced(usual_umask, tmp_path, monkeypatch):
    from pipetui.config import load_state, save_state

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    path = tmp_path / "state" / "state.json"
    save_state(path, {"theme": "nord"})
    assert load_state(path) == {"theme": "nord"} and mode(path) == 0o600
    assert synced and [p.name for p in path.parent.iterdir()] == ["state.json"]


# --- nothing over the database in use ----------------------------------------------------------


@contextmanager
def untouched(database: Path):
    """The database's deals are all there afterwards."""
    yield
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM deal").fetchone()[0] == 3
    check.close()


def database_names(database: Path, tmp_path: Path) -> list[tuple[str, str]]:
    """Names that reach the database or its side files (the working folder is
    the database's), and what the refusal calls each."""
    link = tmp_path / "link.db"
    link.symlink_to(database)
    hard = tmp_path / "hard.db"
    os.link(database, hard)
    return [(str(database), "the database itself"), ("pipeline.db", "the database itself"),
            (str(link), "the database itself"), (str(hard), "the database itself"),
            (str(database) + "-wal", "the database's -wal file"),
            (str(database) + "-shm", "the database's -shm file"),
            (str(database) + "-journal", "the database's -journal file")]


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "json"], ["backup"]])
def test_export_and_backup_never_write_over_the_database(sqlite_db, tmp_path, monkeypatch, command):
    from test_cli import assert_one_line_failure, run

    monkeypatch.chdir(tmp_path)
    some_deals()
    database = Path(sqlite_db.database)
    for name, what in database_names(database, tmp_path):
        with untouched(database):
            line = assert_one_line_failure(run(str(database), *command, name), 2)
        assert line == f"pipetui: cannot write {name}: that is {what}; name another file"
    assert partials(tmp_path) == []


def test_rejects_never_go_over_the_database_or_its_side_files(sqlite_db, tmp_path, monkeypatch):
    from test_cli import assert_one_line_failure, run

    monkeypatch.chdir(tmp_path)
    some_deals()
    source = tmp_path / "in.csv"
    source.write_text("Title,Value\nGood,5\nBad,lots\n")
    database = Path(sqlite_db.database)
    for name, what in database_names(database, tmp_path):
        with untouched(database):
            line = assert_one_line_failure(run(str(database), "import", str(source), "--skip-bad", name), 2)
        assert what in line


def test_export_to_a_new_file_beside_the_database_still_works(sqlite_db, tmp_path):
    from test_cli import ok, run

    some_deals()
    result = ok(run(sqlite_db.database, "export", str(tmp_path / "pipeline.db.csv")))
    assert result.stdout.startswith("Exported 3 deals")
    assert len(list(csv.DictReader((tmp_path / "pipeline.db.csv").open(encoding="utf-8")))) == 3
