"""Files pipetui writes (exports, backups, rejects, its own state): readable
by their owner only from the first byte, and whole or not at all.

A file is written under a temporary name beside its target,
``<target name>.<host>.<pid>.<random>.partial``, created exclusively and
never through a symbolic link, with mode 0600 whatever the umask. It is
synced, then renamed over the target (and the folder synced), so that the
target is the old file or the whole new one.

A partial that a killed run left behind is removed at the next write to the
same target once it is abandoned: the process named in it is gone from this
machine, or the file has not changed for an hour (a run on another machine
sharing the folder, or one that hangs). The ``<target name>.partial`` files
of earlier releases, which everyone could read, go too.

:func:`refuse_database_files` is the one check that a file about to be
written is not the database in use or a file SQLite keeps beside it.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from pipetui.core.errors import InvalidInput
from pipetui.store import database_proxy
from pipetui.store.database import is_postgres

PRIVATE = 0o600
ABANDONED_AFTER_SECONDS = 3600
PARTIAL = ".partial"
# SQLite keeps a database's recent writes beside it: writing over one of these loses them.
DATABASE_SIDE_FILES = ("-wal", "-shm", "-journal")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@contextmanager
def private_file(target: Path, *, encoding: str = "utf-8", newline: str = "") -> Iterator[TextIO]:
    """A text file to write ``target`` through: it replaces ``target`` when
    the block ends, and disappears if the block raises (or the process dies)."""
    partial, descriptor = _create_partial(target)
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline=newline) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        _publish(partial, target)
    except BaseException:
        _discard(partial)
        raise


@contextmanager
def private_path(target: Path) -> Iterator[Path]:
    """The path of an empty private file for a writer that opens files by
    name (SQLite's backup); it replaces ``target`` when the block ends."""
    partial, descriptor = _create_partial(target)
    os.close(descriptor)
    try:
        yield partial
        descriptor = os.open(partial, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        _publish(partial, target)
    except BaseException:
        _discard(partial)
        raise


def refuse_database_files(target: Path) -> None:
    """Refuse ``target`` when it is the SQLite database in use or one of the
    files SQLite keeps beside it: writing there would destroy the data."""
    db = database_proxy.obj
    if db is None or is_postgres(db):
        return
    database = Path(db.database)
    where = target.resolve()
    for suffix in ("", *DATABASE_SIDE_FILES):
        kept = database.with_name(database.name + suffix)
        if where == kept.resolve() or _same_file(target, kept):
            what = "the database itself" if not suffix else f"the database's {suffix} file"
            raise InvalidInput(f"cannot write {target}: that is {what}; name another file")


def remove_abandoned_partials(target: Path) -> None:
    """Remove the partial files of ``target`` that no live run is writing."""
    pattern = re.compile(re.escape(target.name)
                         + r"(?:\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>[0-9]+)\.[0-9a-f]+)?\.partial(?:-journal)?")
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if _abandoned(match, entry.stat(follow_symlinks=False).st_mtime, now):
                os.unlink(entry.path)
        except OSError:
            continue  # gone already, or not ours to remove: the write itself goes on


def _abandoned(match: re.Match, modified: float, now: float) -> bool:
    if match["pid"] is None:
        return True  # an earlier release's, never written again
    if match["host"] == _host() and not _running(int(match["pid"])):
        return True
    return now - modified > ABANDONED_AFTER_SECONDS


def _create_partial(target: Path) -> tuple[Path, int]:
    remove_abandoned_partials(target)
    partial = target.with_name(f"{target.name}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}{PARTIAL}")
    descriptor = os.open(partial, _CREATE, PRIVATE)
    try:
        os.fchmod(descriptor, PRIVATE)  # exactly 0600, whatever the umask took away
    except BaseException:
        os.close(descriptor)
        _discard(partial)
        raise
    return partial, descriptor


def _publish(partial: Path, target: Path) -> None:
    os.replace(partial, target)
    try:
        folder = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a folder that cannot be opened cannot be synced either; the rename stands
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    except OSError:
        pass
    finally:
        os.close(folder)


def _discard(partial: Path) -> None:
    for leftover in (partial, partial.with_name(partial.name + "-journal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass


def _same_file(one: Path, other: Path) -> bool:
    """Hard links to the same file count, which paths alone cannot tell."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"


def _running(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill would end it there; the age decides instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True
