"""The store and the core never pull in the TUI or the CLI libraries."""

import subprocess
import sys


def test_core_and_store_import_without_textual_or_click():
    code = (
        "import sys, pipetui.core.deals, pipetui.core.demo, pipetui.core.pipeline, "
        "pipetui.core.lookup, pipetui.core.quotas, pipetui.core.activities, pipetui.store, "
        "pipetui.config; "
        "bad = sorted(m for m in ('textual', 'click', 'rich') if m in sys.modules); "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_importing_the_cli_touches_no_database(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code = "import pipetui.cli, pipetui.tui.app"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**__import__('os').environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data").exists()
