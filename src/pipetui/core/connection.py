"""Database connections for threads: each worker uses its own and closes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pipetui.store import database_proxy

T = TypeVar("T")


def on_own_connection(work: Callable[[], T]) -> T:
    """Run ``work`` on this thread's own connection and close it afterwards,
    so that short-lived worker threads leave no connection behind."""
    with database_proxy.connection_context():
        return work()


def watch_changes():
    """A watcher of the open database: ``changed()`` is True once after
    other connections committed. See :mod:`pipetui.store.changes`."""
    from pipetui.store.changes import ChangeWatcher

    return ChangeWatcher(database_proxy.obj)
