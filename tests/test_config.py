"""The config file: what is not understood is said, with its line; what
would break the app or its figures is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from pipetui.cli import cli
from pipetui.config import ConfigError, Settings, check_keymap, load_settings
from pipetui.store import database_proxy
from pipetui.tui.keymap import keymap_scopes


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("PIPETUI_DB", "PIPETUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIPETUI_CONFIG", str(tmp_path / "config.toml"))


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"

    def write(text: str | bytes):
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        return path

    return write


def run(tmp_path, *argv: str):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "pipeline.db"), *argv])
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()
    return result


def one_line_failure(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- reading the file -------------------------------------------------------------


@pytest.mark.parametrize("nested", [
    "a = " + "[" * 5000 + "]" * 5000,
    "a = " + "{b = " * 5000 + "1" + "}" * 5000,
], ids=["arrays", "inline tables"])
def test_a_file_nested_too_deeply_is_one_clear_line(tmp_path, config, nested):
    path = config(nested + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(path)
    line = one_line_failure(run(tmp_path, "deals"))
    assert line == f"pipetui: {path}: tables or arrays are nested too deeply to read"


def test_a_byte_order_mark_is_accepted(config):
    path = config('\ufeffme = "Maya Patel"\ncurrency = "eur"\n'.encode())
    settings = load_settings(path)
    assert (settings.me, settings.currency) == ("Maya Patel", "EUR")


def test_unknown_settings_are_warned_with_their_line_and_the_command_still_runs(tmp_path, config):
    path = config('me = "Maya"\ncolour = "red"\n\n[weird]\nx = 1\n[rates]\nEUR = 1.1\n')
    assert load_settings(path).warnings == [
        f"{path}:2: unknown setting 'colour' (ignored)",
        f"{path}:4: unknown setting 'weird' (ignored)",
    ]
    result = run(tmp_path, "deals")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"pipetui: warning: {path}:2: unknown setting 'colour' (ignored)",
        f"pipetui: warning: {path}:4: unknown setting 'weird' (ignored)",
    ]


def test_known_settings_give_no_warning(config):
    path = config('db = "x.db"\nme = "Maya"\ncurrency = "EUR"\n[keys]\n"board.win" = "W"\n'
                  '[rates]\nUSD = 0.9\n[rotting_days]\nProspecting = 9\n')
    assert load_settings(path).warnings == []


# --- exchange rates ---------------------------------------------------------------


@pytest.mark.parametrize("rate", ["1e308", "1e7", "1e-7", "0.0000001"])
def test_an_exchange_rate_out_of_range_is_refused(config, rate):
    path = config(f"[rates]\nEUR = {rate}\n")
    with pytest.raises(ConfigError, match=r"out of range: a rate is between 0.000001 and 1,000,000"):
        load_settings(path)


def test_rates_at_the_ends_of_the_range_are_read(config):
    path = config("[rates]\nJPY = 0.000001\nVND = 1000000\n")
    assert load_settings(path).rates == {"JPY": Decimal("0.000001"), "VND": Decimal("1000000")}


# --- the keymap -------------------------------------------------------------------


def test_an_unknown_key_id_is_warned_with_its_line(config):
    path = config('me = "Maya"\n[keys]\n"board.win" = "W"\n"board.wn" = "V"\n')
    settings = load_settings(path)
    assert check_keymap(settings, keymap_scopes()) == [
        f"{path}:4: unknown key id 'board.wn' in [keys] (ignored)"
    ]


def test_a_key_taken_from_another_binding_is_refused(config):
    path = config('me = "Maya"\n[keys]\n"board.win" = "q"\n')
    with pytest.raises(ConfigError) as refused:
        check_keymap(load_settings(path), keymap_scopes())
    assert str(refused.value) == (
        f"{path}:3: [keys] gives 'q' to board.win and app.quit on the board: "
        "choose another key for board.win")


def test_the_app_does_not_start_on_a_conflicting_keymap(tmp_path, config, monkeypatch):
    from pipetui.tui.app import PipetuiApp

    started = []
    monkeypatch.setattr(PipetuiApp, "run", lambda app: started.append(app))
    path = config('[keys]\n"editor.save" = "escape"\n')
    line = one_line_failure(run(tmp_path))
    assert started == []
    assert line == (f"pipetui: {path}:2: [keys] gives 'escape' to editor.save and editor.cancel "
                    "on the deal editor: choose another key for editor.save")
    assert not (tmp_path / "pipeline.db").exists()  # refused before anything was opened


@pytest.mark.parametrize("keys", [
    {},
    {"board.win": "W,ctrl+w"},
    {"board.win": "x", "board.lose": "w"},  # a swap
    {"app.quit": "ctrl+q"},  # Textual's own quit: the same action
    {"board.card_down": "J", "list.down": "J", "triage.down": "J"},  # each where it acts
])
def test_keymaps_without_conflicts_are_accepted(keys):
    assert check_keymap(Settings(keys=keys), keymap_scopes()) == []


def test_every_binding_id_of_the_app_is_known():
    ids = {name for scope in keymap_scopes().values() for name in scope if "." in name}
    assert {"app.quit", "board.win", "editor.save", "list.down", "triage.back", "metrics.scope",
            "customers.edit", "customer_form.save", "confirm.yes", "dialog.cancel", "help.close",
            "monitor.quit", "stages.switch_pipeline", "fields.add", "fields.on_card"} <= ids


def test_keys_are_trimmed_as_textual_does_not(config):
    path = config('[keys]\n"board.win" = "W, ctrl+w"\n')
    assert load_settings(path).keys == {"board.win": "W,ctrl+w"}


def test_the_app_still_starts_after_warning_of_an_unknown_key_id(tmp_path, config, monkeypatch):
    from pipetui.tui.app import PipetuiApp

    started = []
    monkeypatch.setattr(PipetuiApp, "run", lambda app: started.append(app.context.keys))
    path = config('[keys]\n"board.wn" = "V"\n"board.win" = ""\n')
    result = run(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"pipetui: warning: {path}:2: unknown key id 'board.wn' in [keys] (ignored)"]
    assert started == [{"board.wn": "V", "board.win": ""}]
