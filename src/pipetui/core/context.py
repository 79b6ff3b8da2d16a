"""What a front door hands to everything it calls, built once per process.

The CLI builds it when it opens the database (:func:`pipetui.config.build_context`)
and passes it to the app's constructor; the screens read it from their app
and pass the parts a core call needs (``rules=``, ``currency=``, ``rates=``).
No module keeps settings of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pipetui.core.rules import NO_RULES, Rulebook


@dataclass(frozen=True)
class Context:
    """Settings, automation rules and rotting days in force."""

    currency: str = "USD"  # for amounts typed without one, and money figures
    rates: dict[str, Decimal] = field(default_factory=dict)  # what a unit of each is worth in ``currency``
    rules: Rulebook = NO_RULES
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> keys, as remapped
    me: str | None = None  # who you are, when your login is not a rep's
    problems: tuple[str, ...] = ()  # what was wrong with the rules left out
