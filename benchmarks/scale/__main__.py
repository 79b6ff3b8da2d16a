"""``python -m benchmarks.scale [--sizes 1000,1000000] [--backends sqlite,postgresql] [--only PART]``"""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmarks.scale import BACKENDS, print_table

# Each part: a module of this package with figures(sizes, backends) -> list[Figure].
PARTS = ("report",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py bench --scale", description=__doc__)
    parser.add_argument("--sizes", default="1000,1000000",
                        help="deal counts, comma-separated (default: %(default)s); the largest is the one "
                             "the targets are about, the smallest a baseline")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="default: %(default)s")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend: {', '.join(sorted(unknown))}")
    missed = []
    for part in args.only or PARTS:
        module = importlib.import_module(f"benchmarks.scale.{part}")
        print(f"\n{part}: {module.__doc__.strip().splitlines()[0]}", flush=True)
        missed += print_table(module.figures(sizes, backends))
    if missed:
        print("\nMissed targets:")
        for line in missed:
            print(f"  {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
