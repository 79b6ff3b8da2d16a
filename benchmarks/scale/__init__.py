"""The million-deal benchmarks: ``python3 dev.py bench --scale``.

Builds (once; cached) a demo database of each size on each backend, then
runs every figure of the scale targets and prints it beside its baseline in
the same run (a bare Textual app, the raw SQL, or the same figure at 1k
deals), with the target and whether it was met. Each part lives in its own
module of this package and gives a list of :class:`Figure`; ``--only NAME``
runs one part.

SQLite databases are cached in ``benchmarks/.cache`` (or
``$PIPETUI_BENCH_CACHE``); PostgreSQL ones are databases named
``pipetui_bench_<size>`` on the server of ``$PIPETUI_BENCH_PG`` (default: the
test server, ``postgresql://postgres@127.0.0.1:5432/test``). Delete them to
rebuild. Numbers are medians: the machine is shared, so compare ratios.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("PIPETUI_BENCH_CACHE") or Path(__file__).resolve().parents[1] / ".cache")
PG_SERVER = os.environ.get("PIPETUI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``value`` beside ``baseline``; met when the
    value is below ``limit`` (an absolute target, in the value's unit) and,
    when ``ratio_limit`` is given, at most that many times the baseline."""

    name: str  # "report, this quarter, team (1M, sqlite)"
    value: float
    unit: str  # "ms", "MB", "rows/s", "%", "s"
    baseline: float | None = None
    baseline_name: str = ""  # "raw SQL", "bare app", "1k deals"
    limit: float | None = None  # an absolute target: value < limit (rows/s: value >= limit)
    ratio_limit: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def met(self) -> bool:
        if self.limit is not None:
            if self.unit.endswith("/s"):
                if self.value < self.limit:
                    return False
            elif self.value >= self.limit:
                return False
        if self.ratio_limit is not None and self.ratio is not None and self.ratio > self.ratio_limit:
            return False
        return True

    @property
    def target(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"{'>=' if self.unit.endswith('/s') else '<'} {self.limit:g} {self.unit}")
        if self.ratio_limit is not None:
            parts.append(f"<= {self.ratio_limit:g}x {self.baseline_name}")
        return ", ".join(parts)


def median(run: Callable[[], object], repeat: int = 5) -> float:
    """The median wall time of ``run`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def database_url(size: int, backend: str) -> str:
    """The URL of the cached demo database of ``size`` deals on ``backend``,
    built first when missing (see :mod:`benchmarks.scale.build`)."""
    from benchmarks.scale.build import ensure

    return ensure(size, backend)


def print_table(figures: list[Figure]) -> list[str]:
    """Print the figures; the ones that missed their target, as lines."""
    print(f"  {'figure':<52}{'value':>12}  {'baseline':>12}  {'ratio':>6}  target")
    missed = []
    for f in figures:
        base = f"{f.baseline:>10.1f} {f.unit:<2}" if f.baseline is not None else " " * 14
        ratio = f"{f.ratio:>6.2f}" if f.ratio is not None else " " * 6
        verdict = "" if not f.target else ("ok" if f.met else "MISSED")
        print(f"  {f.name:<52}{f.value:>10.1f} {f.unit:<2}{base}{ratio}  {f.target} {verdict}".rstrip())
        if not f.met:
            missed.append(f"{f.name}: {f.value:.1f} {f.unit} ({f.target})")
    return missed
