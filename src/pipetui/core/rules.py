"""Automation rules from the config file, applied by the deal services
themselves, so the TUI and the CLI (and anything else) fire them alike.

    [[rules]]
    on = "enter"              # a deal enters a stage ...
    stage = "Proposal"
    require = ["value", "expected_close"]   # ... only with these set
    probability = 60          # ... and takes this win probability
    activity = "task Send proposal"         # ... and gets this activity
    due_in_days = 2

    [[rules]]
    on = "won"
    activity = "call Kick-off call"
    due_in_days = 3

A rule's ``activity`` is one line as anywhere else: a kind (call, meeting,
email, task) and a subject. Stage names are checked against the pipeline
when the rules are installed; a problem is reported with the line of the
config file it is on, and the rule is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipetui.core.errors import InvalidInput
from pipetui.core.text import clean_line
from pipetui.store.models import ACTIVITY_KINDS

EVENTS = ("enter", "won")
FIELDS = {"value": "a value", "expected_close": "an expected close date", "owner": "an owner",
          "organization": "an organization", "contact": "a contact"}
# The option of ``pipetui edit`` that sets each field a rule can require.
EDIT_OPTIONS = {"value": "--value", "expected_close": "--close", "owner": "--owner",
                "organization": "--org", "contact": "--contact"}
KEYS = {"on", "stage", "require", "probability", "activity", "due_in_days"}


@dataclass(frozen=True)
class Rule:
    on: str
    stage: str | None = None  # for "enter": the stage's name, as written
    require: tuple[str, ...] = ()
    probability: int | None = None
    activity: tuple[str, str] | None = None  # (kind, subject)
    due_in_days: int = 0
    line: int = 0  # where it is in the config file


def parse(table: object, text: str = "") -> tuple[list[Rule], list[str]]:
    """The rules of a config file's ``[[rules]]`` array, and one message per
    problem ("line 12: ..."); a rule with a problem is left out."""
    lines = _rule_lines(text)
    if table is None:
        return [], []
    if not isinstance(table, list):
        return [], ["'rules' must be a list of [[rules]] tables"]
    rules, problems = [], []
    for index, entry in enumerate(table):
        where = f"line {lines[index]}" if index < len(lines) else f"rule {index + 1}"
        try:
            rules.append(_rule(entry, lines[index] if index < len(lines) else 0))
        except InvalidInput as exc:
            problems.append(f"{where}: {exc}")
    return rules, problems


def _rule_lines(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), start=1)
            if line.strip().replace(" ", "") == "[[rules]]"]


def _rule(entry: object, line: int) -> Rule:
    if not isinstance(entry, dict):
        raise InvalidInput("a rule is a table of keys")
    unknown = set(entry) - KEYS
    if unknown:
        raise InvalidInput(f"unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(KEYS))})")
    on = entry.get("on")
    if on not in EVENTS:
        raise InvalidInput(f"'on' must be \"enter\" or \"won\", not {on!r}")
    stage = entry.get("stage")
    if on == "enter" and not isinstance(stage, str):
        raise InvalidInput("an \"enter\" rule names its stage: stage = \"Proposal\"")
    if on == "won" and stage is not None:
        raise InvalidInput("a \"won\" rule has no stage")
    require = entry.get("require", [])
    if isinstance(require, str):
        require = [require]
    if not isinstance(require, list) or not all(isinstance(f, str) and f in FIELDS for f in require):
        raise InvalidInput(f"'require' lists fields among {', '.join(FIELDS)}")
    if require and on != "enter":
        raise InvalidInput("only an \"enter\" rule can require fields")
    probability = entry.get("probability")
    if probability is not None and (not isinstance(probability, int) or isinstance(probability, bool)
                                    or not 0 <= probability <= 100):
        raise InvalidInput("'probability' is a whole number from 0 to 100")
    activity = entry.get("activity")
    parsed = None
    if activity is not None:
        kind, _, subject = str(activity).strip().partition(" ")
        if kind.lower() not in ACTIVITY_KINDS or not subject.strip():
            raise InvalidInput(f"'activity' is a kind ({', '.join(ACTIVITY_KINDS)}) and a subject, "
                               f"e.g. \"task Send proposal\", not {activity!r}")
        parsed = (kind.lower(), clean_line(subject, "the activity's subject"))
    due = entry.get("due_in_days", 0)
    if not isinstance(due, int) or isinstance(due, bool) or not 0 <= due <= 365:
        raise InvalidInput("'due_in_days' is a whole number of days from 0 to 365")
    if not (require or probability is not None or parsed):
        raise InvalidInput("a rule does something: require, probability or activity")
    return Rule(on, stage, tuple(require), probability, parsed, due, line)


def parse_rotting(table: object, text: str = "") -> tuple[dict[str, int], list[str]]:
    """``[rotting_days]``: stage name -> days without activity before a deal
    in it rots, overriding the stage's own."""
    if table is None:
        return {}, []
    if not isinstance(table, dict):
        return {}, ["[rotting_days] maps stage names to days, e.g. Proposal = 7"]
    found, problems = {}, []
    for name, days in table.items():
        line = next((n for n, row in enumerate(text.splitlines(), start=1)
                     if row.strip().split("=")[0].strip().strip('"') == name), 0)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            problems.append(f"line {line}: rotting days of {name!r} must be a whole number from 1 to 365")
        else:
            found[name] = days
    return found, problems


@dataclass(frozen=True)
class Rulebook:
    """The automation rules and rotting days in force, checked against the
    pipeline's stages. Built once per process (:func:`compile`) and handed to
    the services that fire rules and the queries that judge rotting; the
    empty book (:data:`NO_RULES`) fires nothing and keeps the stages' own
    rotting days."""

    rules: tuple[Rule, ...] = ()
    rotting: tuple[tuple[int, int], ...] = ()  # (stage id, days) from the config

    def rotting_days(self, stage_id: int, own: int | None) -> int | None:
        """Days without activity before a deal in the stage rots: the
        config's, else the stage's own."""
        return dict(self.rotting).get(stage_id, own)

    def _matching(self, on: str, stage_name: str | None) -> list[Rule]:
        return [r for r in self.rules
                if r.on == on and (r.stage is None or (stage_name or "").casefold() == r.stage.casefold())]

    def check_entry(self, deal, stage_name: str) -> None:
        """Refuse a move into ``stage_name`` that a rule requires more for."""
        present = {"value": deal.value, "expected_close": deal.expected_close, "owner": deal.owner_id,
                   "organization": deal.organization_id, "contact": deal.contact_id}
        missing = []
        for rule in self._matching("enter", stage_name):
            missing += [name for name in rule.require if not present[name] and name not in missing]
        if missing:
            wanted = " and ".join(FIELDS[name] for name in missing)
            options = " ".join(f"{EDIT_OPTIONS[name]} …" for name in missing)
            raise InvalidInput(f"{stage_name} needs {wanted} first; set it (in the deal editor, or "
                               f"pipetui edit DEAL {options}), then move the deal")

    def after_entry(self, deal, stage_name: str, actor, now: dt.datetime) -> dict:
        """Changes the rules make to a deal entering ``stage_name`` (to save
        with the move), after creating their activities."""
        changes = {}
        for rule in self._matching("enter", stage_name):
            if rule.probability is not None:
                changes["probability"] = rule.probability
            _create_activity(rule, deal, actor, now)
        return changes

    def after_win(self, deal, actor, now: dt.datetime) -> None:
        for rule in self._matching("won", None):
            _create_activity(rule, deal, actor, now)


NO_RULES = Rulebook()


def compile(rules: list[Rule], rotting: dict[str, int] | None = None) -> tuple[Rulebook, list[str]]:
    """The rulebook of ``rules`` and the rotting days by stage name, for the
    pipeline's stages; rules and days naming a stage the pipeline does not
    have are left out, with a message each."""
    from pipetui.core.lookup import all_stages

    # A stage name means the stages of that name in every pipeline.
    by_name: dict[str, list] = {}
    for stage in all_stages():
        by_name.setdefault(stage.name.casefold(), []).append(stage)
    kept, problems = [], []
    for rule in rules:
        if rule.stage is not None and rule.stage.casefold() not in by_name:
            problems.append(f"line {rule.line}: no stage {rule.stage!r} in the pipeline")
        else:
            kept.append(rule)
    days_by_stage = []
    for name, days in (rotting or {}).items():
        named = by_name.get(name.casefold())
        if named is None:
            problems.append(f"[rotting_days]: no stage {name!r} in the pipeline")
        else:
            days_by_stage += [(stage.id, days) for stage in named]
    return Rulebook(tuple(kept), tuple(days_by_stage)), problems


def _create_activity(rule: Rule, deal, actor, now: dt.datetime) -> None:
    if rule.activity is None:
        return
    from pipetui.store import Activity

    kind, subject = rule.activity
    Activity.create(deal=deal.id, owner=deal.owner_id or (actor.id if actor else None), kind=kind,
                    subject=subject, due_date=now.date() + dt.timedelta(days=rule.due_in_days),
                    created_at=now)
