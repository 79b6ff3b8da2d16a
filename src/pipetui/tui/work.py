"""The one way a screen does database work.

``self.run_db(read, then)`` runs ``read`` on a connection of its own in a
thread worker, then calls ``then(result)`` back on the event loop, or
``work_failed(failure)`` when it raised. Both come back as a message to the
node that asked, so the answer of a cancelled (superseded) exclusive read is
dropped, and nothing touches the database on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from textual.message import Message
from textual.worker import Worker, get_current_worker

from pipetui.core.connection import on_own_connection
from pipetui.core.errors import ConflictError, user_message

T = TypeVar("T")


def failure_text(error: BaseException) -> str:
    """The line a user reads for ``error``: its own message when it is an
    expected failure, else one wording for everything unexpected."""
    return user_message(error) or f"unexpected error: {type(error).__name__}: {error}"


@dataclass(frozen=True)
class Failure:
    """Why a piece of database work did not succeed."""

    text: str
    error: BaseException

    @property
    def conflict(self) -> bool:
        """Someone else changed the record meanwhile."""
        return isinstance(self.error, ConflictError)


class WorkDone(Message, bubble=False):
    """A worker's result, handed to the callback that was waiting for it."""

    def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
        super().__init__()
        self.callback = callback
        self.value = value


class DatabaseWork:
    """Mixed into a screen or an app: :meth:`run_db` and where failures go."""

    def run_db(self, work: Callable[[], T], then: Callable[[T], None] | None = None, *,
               failed: Callable[[Failure], None] | None = None, exclusive: bool = False,
               group: str = "db") -> Worker:
        """Run ``work`` in a thread on its own connection; ``then(result)``
        or ``failed(failure)`` (default :meth:`work_failed`) follow on the
        event loop. ``exclusive`` (reads only) cancels the earlier work of the
        same group, whose answer is then never delivered."""
        on_failure = failed or self.work_failed

        def job() -> None:
            try:
                result = on_own_connection(work)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a Failure
                outcome: tuple[Callable[[Any], None], Any] = (on_failure, Failure(failure_text(exc), exc))
            else:
                outcome = (then or (lambda _: None), result)
            if not get_current_worker().is_cancelled:
                self.post_message(WorkDone(*outcome))

        return self.run_worker(job, thread=True, exclusive=exclusive, group=group, exit_on_error=False)

    def on_work_done(self, message: WorkDone) -> None:
        message.stop()
        message.callback(message.value)

    def work_failed(self, failure: Failure) -> None:
        """Where failures go when the caller names no other place."""
        self.notify(failure.text, severity="error", markup=False)
