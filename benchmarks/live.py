"""The monitor, live: how soon it shows another process's commit, and how
little CPU it uses while nothing changes.

    python benchmarks/live.py DB [--idle-seconds 60] [--updates 10]

The monitor runs headless at 40x12 in this process; another process writes
(``pipetui add``) and reports the moment its commit returned; the latency is
from that moment to the first frame showing the new deal. Idle CPU is this
process's CPU time over ``--idle-seconds`` with nothing changing, as a share
of one core. Targets (issue 4): under 1 s, under 1 %.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time

os.environ["TEXTUAL_COLOR_SYSTEM"] = "truecolor"

WRITER = """
import sys, time
from pipetui.core import deals
from pipetui.core.money import Money
from pipetui.store import open_database
open_database(sys.argv[1])
deals.create_deal(sys.argv[2], Money(100, "USD"))
print(time.time(), flush=True)
"""


def plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(db_path: str, idle_seconds: float, updates: int) -> dict:
    from textual._compositor import CompositorUpdate

    from pipetui.core.dates import quarter_period
    from pipetui.store import open_database
    from pipetui.tui.monitor import MonitorApp

    open_database(db_path)
    app = MonitorApp(period=quarter_period(__import__("datetime").date.today()), currency="USD")
    frames: list[tuple[float, str]] = []

    def display(screen, renderable) -> None:
        if isinstance(renderable, CompositorUpdate):
            frames.append((time.time(), renderable.render_segments(app.console)))

    app._display = display
    latencies, sizes = [], []
    async with app.run_test(size=(40, 12)):
        await asyncio.sleep(2)  # the first figures
        for n in range(updates):
            title = f"Zq{n}"  # short: the pane is narrow
            seen = len(frames)
            written = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-c", WRITER, db_path, title],
                capture_output=True, text=True, check=True)
            committed = float(written.stdout.strip())
            deadline = time.time() + 10
            while not any(title in plain(text) for _, text in frames[seen:]):
                if time.time() > deadline:
                    raise SystemExit(f"the monitor did not show {title!r} within 10 s")
                await asyncio.sleep(0.005)
            shown = next(t for t, text in frames[seen:] if title in plain(text))
            latencies.append(shown - committed)
            sizes.append(sum(len(text.encode()) for _, text in frames[seen:]))
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
        before_frames, before_cpu, started = len(frames), cpu_seconds(), time.perf_counter()
        await asyncio.sleep(idle_seconds)
        idle_cpu = (cpu_seconds() - before_cpu) / (time.perf_counter() - started)
        idle_frames = len(frames) - before_frames
    return {"latency_median_ms": statistics.median(latencies) * 1000,
            "latency_max_ms": max(latencies) * 1000,
            "bytes_per_update": statistics.median(sizes),
            "idle_cpu_percent": idle_cpu * 100, "idle_frames": idle_frames,
            "idle_seconds": idle_seconds, "updates": updates}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="a SQLite file or a postgresql:// URL with a pipeline in it")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--updates", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(measure(args.db, args.idle_seconds, args.updates))
    ok_latency = result["latency_max_ms"] < 1000
    ok_cpu = result["idle_cpu_percent"] < 1
    print(f"monitor at 40x12, {result['updates']} commits by another process:")
    print(f"  update latency   median {result['latency_median_ms']:.0f} ms, max "
          f"{result['latency_max_ms']:.0f} ms; target < 1000 ms {'ok' if ok_latency else 'MISSED'}")
    print(f"  bytes per update median {result['bytes_per_update']:.0f} B")
    print(f"  idle CPU         {result['idle_cpu_percent']:.2f} % of a core over "
          f"{result['idle_seconds']:.0f} s ({result['idle_frames']} frames); target < 1 % "
          f"{'ok' if ok_cpu else 'MISSED'}")
    return 0 if ok_latency and ok_cpu else 1


if __name__ == "__main__":
    sys.exit(main())
