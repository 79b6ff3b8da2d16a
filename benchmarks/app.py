"""Benchmarks of the app itself: opening, cursor and card moves, memory, bytes.

Each scenario runs in a fresh process (``python benchmarks/app.py SCENARIO
DB``) and prints one JSON line; ``benchmarks/run.py`` runs them and compares.
The app runs headless; every frame Textual would send to a terminal is
rendered to text (truecolor) as it would be, timed and counted, so the
figures are frames, not Pilot's pauses. Opening is timed from the launch of the
process (``PIPETUI_BENCH_LAUNCHED``, set by the parent) to the first frame
that shows cards, and apart from that from the moment the modules are
imported (for the board: opening the database included).
"""

from __future__ import annotations

import time

STARTED = time.time()  # noqa: E402 - before the other imports, to time the interpreter's start

import asyncio
import json
import os
import resource
import statistics
import sys

os.environ["TEXTUAL_COLOR_SYSTEM"] = "truecolor"

SIZE = (120, 40)
QUIET = 0.15  # seconds without a frame: the screen has settled


class FrameLog:
    """Replaces App._display: renders each update as the terminal would get it."""

    def __init__(self, app) -> None:
        self.app = app
        self.frames: list[tuple[float, int]] = []  # (time, bytes)
        app._display = self.display

    def display(self, screen, renderable) -> None:
        from textual._compositor import CompositorUpdate

        if isinstance(renderable, CompositorUpdate):
            text = renderable.render_segments(self.app.console)
            self.frames.append((time.perf_counter(), len(text.encode())))

    async def settle(self, since: float) -> tuple[float, int]:
        """Wait until no frame came for QUIET seconds; time of the last frame
        after ``since`` (relative to it) and the bytes sent since."""
        while True:
            await asyncio.sleep(0.01)
            last = self.frames[-1][0] if self.frames else since
            if time.perf_counter() - max(last, since) >= QUIET:
                break
        after = [(t, n) for t, n in self.frames if t >= since]
        if not after:
            return 0.0, 0
        return after[-1][0] - since, sum(n for _, n in after)


async def open_board(db_path: str) -> dict:
    imports = time.perf_counter()
    from pipetui.store import open_database
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.widgets.board import BoardView

    # The moment the board first holds cards; its next frame is the first full one.
    filled: list[float] = []
    set_columns = BoardView.set_columns

    def timed_set_columns(board, *args, **kwargs):
        set_columns(board, *args, **kwargs)
        if not filled and board.current_card is not None:
            filled.append(time.perf_counter())

    BoardView.set_columns = timed_set_columns
    start = time.perf_counter()
    db = open_database(db_path)
    app = PipetuiApp(db=db, location=db_path)
    log = FrameLog(app)
    async with app.run_test(size=SIZE):
        deadline = time.perf_counter() + 60
        while not (filled and [t for t, _ in log.frames if t >= filled[0]]):
            await asyncio.sleep(0.002)
            if time.perf_counter() > deadline:
                status = app.screen.query_one("#status").render()
                raise SystemExit(f"the board did not open within 60 s: {status}")
        first_full = next(t for t, _ in log.frames if t >= filled[0])
        result = {"open_s": first_full - start, "imports_s": start - imports,
                  "launch_s": since_launch(first_full), "boot_s": since_launch(None)}
        result.update(await _moves(app, log))
    result["peak_rss_mb"] = peak_memory_mb()
    return result


def since_launch(moment: float | None) -> float:
    """Seconds from the parent starting this process (interpreter start-up and
    imports included: what a person waits for) to ``moment`` (perf_counter),
    or to the start of this script when None."""
    launched = float(os.environ["PIPETUI_BENCH_LAUNCHED"])
    if moment is None:
        return STARTED - launched
    return moment + (time.time() - time.perf_counter()) - launched


def peak_memory_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage: ru_maxrss
    survives exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _press(app, log: FrameLog, keys: str, times: int) -> tuple[float, float]:
    """Press the keys in turn ``times`` times; median ms to the settled frame
    and median bytes sent, per press."""
    from textual import events

    elapsed_ms, sent_bytes = [], []
    for index in range(times):
        key = keys[index % len(keys)]
        since = time.perf_counter()
        app.post_message(events.Key(key, key))
        elapsed, sent = await log.settle(since)
        elapsed_ms.append(elapsed * 1000)
        sent_bytes.append(sent)
    return statistics.median(elapsed_ms), statistics.median(sent_bytes)


async def _moves(app, log: FrameLog) -> dict:
    await log.settle(time.perf_counter())
    cursor_ms, cursor_bytes = await _press(app, log, "jk", 30)
    card_ms, card_bytes = await _press(app, log, "LH", 16)  # there and back: the data stays
    return {"cursor_ms": cursor_ms, "cursor_bytes": cursor_bytes,
            "card_ms": card_ms, "card_bytes": card_bytes}


async def open_bare(_: str) -> dict:
    imports = time.perf_counter()
    from textual.app import App
    from textual.widgets import Static

    start = time.perf_counter()

    class Bare(App):
        def compose(self):
            yield Static("hello")

    app = Bare()
    log = FrameLog(app)
    async with app.run_test(size=SIZE):
        while not log.frames:
            await asyncio.sleep(0.001)
        result = {"open_s": log.frames[0][0] - start, "imports_s": start - imports,
                  "launch_s": since_launch(log.frames[0][0]), "boot_s": since_launch(None)}
    result["peak_rss_mb"] = peak_memory_mb()
    return result


SCENARIOS = {"board": open_board, "bare": open_bare}


def main() -> None:
    scenario, db_path = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    print(json.dumps(asyncio.run(SCENARIOS[scenario](db_path))))


if __name__ == "__main__":
    main()
