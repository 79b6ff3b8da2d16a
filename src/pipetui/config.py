"""Settings from ``config.toml`` and where the data lives.

Nothing here runs at import time; the front doors call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import platformdirs

from pipetui.core.context import Context
from pipetui.core.errors import PipetuiError
from pipetui.core.money import validate_currency
from pipetui.store.database import Location, parse_location

APP_NAME = "pipetui"
ENV_DB = "PIPETUI_DB"
ENV_CONFIG = "PIPETUI_CONFIG"


class ConfigError(PipetuiError):
    """The config file is unreadable or holds a wrong value."""


@dataclass(frozen=True)
class Settings:
    db: str | None = None
    me: str | None = None
    currency: str = "USD"
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    # What one unit of a currency is worth in ``currency``, for figures that
    # add deals of several currencies (metrics, quotas).
    rates: dict[str, Decimal] = field(default_factory=dict)
    # Automation rules ([[rules]]), and what was wrong with the ones left out.
    rules: list = field(default_factory=list)
    rotting_days: dict[str, int] = field(default_factory=dict)  # stage name -> days
    rule_problems: list[str] = field(default_factory=list)
    path: Path | None = None


def config_path() -> Path:
    """``$PIPETUI_CONFIG``, else ``config.toml`` in the user config dir."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG]).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def default_db_path() -> Path:
    return data_dir() / "pipeline.db"


def demo_db_path() -> Path:
    """The demo pipeline lives in its own file, apart from real data."""
    return data_dir() / "demo.db"


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings(path=path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    for key in ("db", "me", "currency"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{path}: '{key}' must be a string")
    currency = data.get("currency", "USD")
    try:
        currency = validate_currency(currency)
    except PipetuiError as exc:
        raise ConfigError(f"{path}: currency: {exc}") from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise ConfigError(f'{path}: [keys] maps binding ids to keys, e.g. "board.column_left" = "a"')
    rates = _parse_rates(data.get("rates", {}), path)
    from pipetui.core import rules

    found, problems = rules.parse(data.get("rules"), text)
    rotting, rotting_problems = rules.parse_rotting(data.get("rotting_days"), text)
    return Settings(db=data.get("db"), me=data.get("me"), currency=currency, keys=keys,
                    rates=rates, rules=found, rotting_days=rotting,
                    rule_problems=[f"{path}: {p}" for p in problems + rotting_problems], path=path)


def build_context(settings: Settings) -> Context:
    """The context of this process: the settings, and the rules and rotting
    days checked against the open database's stages (a broken one is left
    out, and said in ``problems``)."""
    from pipetui.core import rules

    book, problems = rules.compile(settings.rules, settings.rotting_days)
    where = f"{settings.path}: " if settings.path else ""
    return Context(currency=settings.currency, rates=dict(settings.rates), rules=book,
                   keys=dict(settings.keys), me=settings.me,
                   problems=tuple(settings.rule_problems + [where + p for p in problems]))


def _parse_rates(table: object, path: Path) -> dict[str, Decimal]:
    example = '[rates] gives what one unit is worth in your currency, e.g. EUR = 1.08'
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {example}")
    rates = {}
    for code, rate in table.items():
        try:
            code = validate_currency(code)
        except PipetuiError as exc:
            raise ConfigError(f"{path}: [rates]: {exc}") from None
        try:
            value = Decimal(str(rate)) if isinstance(rate, (int, float, str)) and not isinstance(rate, bool) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value <= 0:
            raise ConfigError(f"{path}: [rates] {code} = {rate!r} is not a positive number; {example}")
        rates[code] = value
    return rates


def resolve_location(cli_db: str | None, settings: Settings, *, demo: bool = False) -> tuple[Location, bool]:
    """Which database: ``--db``, else ``$PIPETUI_DB``, else ``db`` in the
    config file, else ``pipeline.db`` in the user data dir.

    Returns the location and whether it is the default one (whose folder may
    be created).
    """
    for chosen in (cli_db, os.environ.get(ENV_DB), settings.db):
        if chosen:
            return parse_location(chosen), False
    path = demo_db_path() if demo else default_db_path()
    return Location(str(path)), True


def state_path() -> Path:
    """Where the app remembers things between runs (the theme)."""
    return platformdirs.user_state_path(APP_NAME) / "state.json"


def crash_log_path() -> Path:
    """Where the screens write the details of an unexpected error."""
    return platformdirs.user_state_path(APP_NAME) / "crash.log"


def load_state(path: Path) -> dict:
    """What the app remembered; an unreadable file is ignored, not fatal."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: Path, state: dict) -> None:
    """Write the state whole or not at all, readable by its owner only."""
    import json

    from pipetui.core.files import private_file

    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    with private_file(path) as handle:
        json.dump(state, handle)
