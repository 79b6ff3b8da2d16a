#!/usr/bin/env python3
"""Set-up and daily commands for a pipetui checkout; needs only python3.

    python3 dev.py app [--demo] [ARGS]   run pipetui (a demo pipeline with --demo)
    python3 dev.py test [PYTEST ARGS]    run every test
    python3 dev.py bench [ARGS]          run the benchmarks (benchmarks/run.py)
    python3 dev.py bench --scale [ARGS]  the million-deal benchmarks (benchmarks/scale)

The first call makes a virtual environment in .venv and installs pipetui
with its test tools into it, at the exact versions in constraints.txt
(pyproject.toml states only compatible ranges); later calls reinstall only
when pyproject.toml or constraints.txt has changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".pipetui-installed"
# What the install depends on: a change to either reinstalls .venv.
INSTALL_INPUTS = ("pyproject.toml", "constraints.txt")


def ensure_environment() -> None:
    digest = hashlib.sha256()
    for name in INSTALL_INPUTS:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((ROOT / name).read_bytes()).digest())
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing pipetui and its test tools into .venv", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"],
        check=True,
    )
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test", "bench"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        ensure_environment()
    except subprocess.CalledProcessError as exc:
        print(f"dev.py: installing failed (exit status {exc.returncode})", file=sys.stderr)
        return 1
    if command == "app":
        args = [str(BIN / "pipetui"), *rest]
    elif command == "test":
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    elif rest[:1] == ["--scale"]:
        args = [str(BIN / "python"), "-m", "benchmarks.scale", *rest[1:]]
    else:
        args = [str(BIN / "python"), str(ROOT / "benchmarks" / "run.py"), *rest]
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
