"""Which column of a CSV file holds which deal field.

Presets hold the headers Pipedrive, HubSpot and Salesforce write in their
deal exports, and pipetui's own export. The vendors' names were looked up,
not guessed; where each came from is noted at its preset. An export holds
only the columns its user chose, so no preset column is required. Without a
preset the mapping is guessed from the usual words; the user's ``--map
COLUMN=FIELD`` always wins. Headers are compared without regard to case,
spaces, ``_`` or ``-``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipetui.core.errors import InvalidInput

# Field -> what the printed mapping says it becomes.
FIELDS = {
    "source_id": "source id (re-importing updates these deals)",
    "title": "title",
    "stage": "stage",
    "pipeline": "pipeline (one the database has)",
    "status": "status (open, won, lost)",
    "value": "value",
    "currency": "currency",
    "probability": "probability",
    "owner": "owner (rep)",
    "organization": "organization",
    "contact": "contact",
    "product": "product (a new deal's line item; added to the catalogue if new)",
    "created": "created date",
    "expected_close": "expected close date",
    "close_date": "close date (closed on for won and lost deals, else expected)",
    "closed": "closed date",
    "lost_reason": "lost reason",
    "note": "note (added to a new deal)",
    "is_won": "won flag",
    "is_closed": "closed flag",
    "pipetui_id": "pipetui deal id (the same deal when imported back)",
}
IGNORE = "ignore"
# pipetui_id only means something in pipetui's own export.
MAPPABLE = [name for name in FIELDS if name != "pipetui_id"]

# The words a generic file uses for each field, normalized (see ``normal``).
GUESS_WORDS: dict[str, tuple[str, ...]] = {
    "source_id": ("id", "deal id", "opportunity id", "record id", "external id", "source id",
                  "crm id", "deal number"),
    "title": ("title", "name", "deal name", "deal title", "deal", "opportunity name", "opportunity",
              "subject"),
    "owner": ("owner", "rep", "sales rep", "agent", "sales agent", "salesperson", "sales person",
              "assigned to", "deal owner", "opportunity owner", "account manager", "owner name"),
    "organization": ("organization", "organisation", "company", "account", "account name",
                     "company name", "organization name", "customer", "client", "associated company"),
    "contact": ("contact", "contact name", "contact person", "person", "primary contact",
                "associated contact"),
    "value": ("value", "amount", "deal value", "deal amount", "close value", "revenue",
              "opportunity amount", "deal size"),
    "currency": ("currency", "currency code", "deal currency", "currency iso code"),
    "probability": ("probability", "win probability", "deal probability", "probability %",
                    "probability (%)", "win chance"),
    "stage": ("stage", "deal stage", "pipeline stage", "stage name", "sales stage", "status"),
    "pipeline": ("pipeline", "deal pipeline", "pipeline name", "sales pipeline"),
    "status": ("outcome", "result", "deal status", "won lost", "won/lost"),
    "product": ("product", "product name", "products"),
    "created": ("created", "create date", "created date", "created at", "created on",
                "creation date", "date created", "engage date", "engaged", "opened", "opened on",
                "open date", "start date", "add time"),
    "expected_close": ("expected close", "expected close date", "expected closing date",
                       "forecast close date"),
    "close_date": ("close date", "closing date", "close"),
    "closed": ("closed on", "closed at", "closed date", "date closed", "actual close date",
               "won date", "lost date", "won time", "lost time"),
    "lost_reason": ("lost reason", "loss reason", "reason lost", "closed lost reason", "lost because"),
    "note": ("note", "notes", "description", "deal description", "comments", "comment", "details"),
    "is_won": ("is won", "won"),
    "is_closed": ("is closed", "closed"),
}

PRESETS: dict[str, dict[str, str]] = {
    # Pipedrive: list view -> Export. Headers are "Deal - <label>" (as in code
    # that reads real exports: "Deal - Currency of Value", "Deal - Deal
    # created", "Deal - Won time", "Deal - Deal closed on"); the names of
    # Pipedrive's import template ("Creation date", "Closed on", "Pipedrive
    # System ID") are accepted as well. Datetimes are 2026-01-30 15:55:37.
    "pipedrive": {
        "Deal - ID": "source_id", "Deal - Pipedrive System ID": "source_id",
        "Deal - Title": "title", "Deal - Owner": "owner", "Deal - Value": "value",
        "Deal - Currency of Value": "currency", "Deal - Currency": "currency",
        "Deal - Probability": "probability", "Deal - Organization": "organization",
        "Deal - Contact person": "contact", "Deal - Stage": "stage",
        "Deal - Stage (pipeline)": "stage", "Deal - Pipeline": "pipeline", "Deal - Status": "status",
        "Deal - Deal created": "created", "Deal - Deal created on": "created",
        "Deal - Creation date": "created", "Deal - Expected close date": "expected_close",
        "Deal - Won time": "closed", "Deal - Lost time": "closed", "Deal - Deal closed on": "closed",
        "Deal - Closed on": "closed", "Deal - Lost reason": "lost_reason",
        "Deal - Product name": "product", "Deal - Note": "note",
    },
    # HubSpot: Deals -> Export. Headers are the property labels ("Record ID"
    # first, "Deal owner" with a small o; older files "Deal ID"), every cell
    # quoted; won and lost are the stages "Closed Won" and "Closed Lost".
    "hubspot": {
        "Record ID": "source_id", "Deal ID": "source_id", "Deal Name": "title",
        "Deal Stage": "stage", "Pipeline": "pipeline", "Amount": "value", "Currency": "currency",
        "Close Date": "close_date", "Create Date": "created", "Deal owner": "owner",
        "Deal probability": "probability", "Closed Lost Reason": "lost_reason",
        "Associated Company": "organization", "Associated Contact": "contact",
        "Associated Contacts": "contact", "Associated Product": "product",
        "Deal Description": "note",
    },
    # Salesforce: a Data Loader extract (the field reference's API names,
    # all capitals in older Data Loader versions) or an opportunity report
    # exported "Details Only" (column labels; dates in the user's locale,
    # and a footer of totals and copyright lines, which plan.py leaves out).
    "salesforce": {
        "Id": "source_id", "Name": "title", "StageName": "stage", "Amount": "value",
        "CloseDate": "close_date", "CreatedDate": "created", "OwnerId": "owner",
        "Owner.Name": "owner", "AccountId": "organization", "Account.Name": "organization",
        "Probability": "probability", "IsWon": "is_won", "IsClosed": "is_closed",
        "CurrencyIsoCode": "currency", "Description": "note",
        "Opportunity ID": "source_id", "Opportunity Name": "title", "Stage": "stage",
        "Close Date": "close_date", "Created Date": "created", "Opportunity Owner": "owner",
        "Account Name": "organization", "Probability (%)": "probability", "Won": "is_won",
        "Closed": "is_closed", "Amount Currency": "currency", "Opportunity Currency": "currency",
        "Product Name": "product", "Contact Name": "contact",
    },
    # What ``pipetui export`` writes.
    "pipetui": {
        "id": "pipetui_id", "external_id": "source_id", "title": "title", "stage": "stage",
        "status": "status", "value": "value", "currency": "currency", "probability": "probability",
        "owner": "owner", "organization": "organization", "contact": "contact",
        "expected_close": "expected_close", "created_at": "created", "closed_at": "closed",
        "lost_reason": "lost_reason", "pipeline": "pipeline",
    },
}
# Columns of pipetui's export that older exports lack: not needed to tell one.
PIPETUI_LATER_COLUMNS = ("pipeline",)
# A column read only when the better one is missing: Data Loader's record ids
# name a rep or an account far worse than the names beside them.
FALLBACKS = {"salesforce": {"OwnerId": "Owner.Name", "AccountId": "Account.Name"}}
PRESET_CHOICES = ("pipedrive", "hubspot", "salesforce", "generic", "pipetui")
# Ids of different systems could collide; each preset's ids get their own prefix.
ID_PREFIXES = {"pipedrive": "pipedrive:", "hubspot": "hubspot:", "salesforce": "salesforce:"}


def normal(header: str) -> str:
    """``Deal_Stage``, ``deal-stage`` and ``Deal Stage`` all read ``deal stage``."""
    return re.sub(r"[\s_\-]+", " ", header.strip().lower()).strip()


_NORMAL_PRESETS = {name: {normal(h): f for h, f in columns.items()} for name, columns in PRESETS.items()}
_GUESSES = {word: name for name, words in GUESS_WORDS.items() for word in words}
_QUALIFIERS = ("deal ", "opportunity ", "opp ", "sales ")


@dataclass
class Column:
    index: int
    header: str
    field: str | None  # None: not imported
    how: str  # "preset", "guessed", "--map" or "" (ignored)


@dataclass
class Mapping:
    preset: str
    detected: bool  # the preset came from the header, not from --preset
    columns: list[Column]
    notes: list[str] = field(default_factory=list)

    def indexes(self, name: str) -> list[int]:
        return [c.index for c in self.columns if c.field == name]

    def has(self, name: str) -> bool:
        return any(c.field == name for c in self.columns)

    @property
    def id_prefix(self) -> str:
        return ID_PREFIXES.get(self.preset, "")


# Headers that tell whose export a file is, and how surely: plain words such
# as "Amount", "Stage" or "Name" fit any spreadsheet and tell nothing; an API
# name such as "StageName" tells it alone.
_TELLING = {
    "hubspot": {"Record ID": 1, "Deal owner": 1, "Create Date": 1, "Deal probability": 1,
                "Associated Company": 2, "Associated Contact": 2, "Closed Lost Reason": 2,
                "Amount in company currency": 2},
    "salesforce": {"Opportunity ID": 1, "Opportunity Name": 1, "Opportunity Owner": 1, "Probability (%)": 1,
                   "StageName": 2, "CloseDate": 2, "CreatedDate": 2, "OwnerId": 2, "AccountId": 2, "IsWon": 2,
                   "IsClosed": 2, "CurrencyIsoCode": 2, "Owner.Name": 2, "Account.Name": 2},
}
_NORMAL_TELLING = {name: {normal(h): w for h, w in headers.items()} for name, headers in _TELLING.items()}


def detect_preset(header: list[str]) -> str:
    """The vendor the header tells of (a weight of two at least), else generic."""
    names = {normal(h) for h in header}
    if set(_NORMAL_PRESETS["pipetui"]) - {normal(c) for c in PIPETUI_LATER_COLUMNS} <= names:
        return "pipetui"
    if sum(1 for h in header if re.match(r"(?i)\s*deal - ", h)) >= 2:  # Pipedrive's own way of naming
        return "pipedrive"
    scores = {name: sum(w for h, w in telling.items() if h in names) for name, telling in _NORMAL_TELLING.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] >= 2 else "generic"


def guess_field(header: str) -> str | None:
    name = normal(header)
    if name in _GUESSES:
        return _GUESSES[name]
    for qualifier in _QUALIFIERS:
        if name.startswith(qualifier) and name[len(qualifier):] in _GUESSES:
            return _GUESSES[name[len(qualifier):]]
    return None


def parse_pairs(pairs: list[str], field: str) -> list[tuple[str, str]]:
    """The column map (``COLUMN=FIELD``) or the stage map (``SOURCE=STAGE``)
    as pairs; the last ``=`` splits, so a column or stage name may hold one.
    ``field`` says which, for the error."""
    parsed = []
    for pair in pairs:
        left, sep, right = pair.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            raise InvalidInput(f"a mapping is NAME=VALUE, not {pair!r}", field=field)
        parsed.append((left.strip(), right.strip()))
    return parsed


def build_mapping(header: list[str], *, preset: str | None = None,
                  overrides: list[tuple[str, str]] = ()) -> Mapping:
    """The mapping for ``header``: the preset's columns, then guesses for
    the fields it left open, then ``overrides`` (the user's column map)."""
    if preset is not None and preset not in PRESET_CHOICES:
        raise InvalidInput(f"no preset {preset!r}; presets: {', '.join(PRESET_CHOICES)}")
    detected = preset is None
    chosen = detect_preset(header) if preset is None else preset
    known = _NORMAL_PRESETS.get(chosen, {})
    columns = []
    present = {normal(h) for h in header}
    second_best = {normal(worse) for worse, better in FALLBACKS.get(chosen, {}).items() if normal(better) in present}
    for index, header_name in enumerate(header):
        name = normal(header_name)
        if name in known and name not in second_best:
            columns.append(Column(index, header_name, known[name], "preset"))
        else:
            columns.append(Column(index, header_name, None, ""))
    taken = {c.field for c in columns if c.field}
    # "Status" is the stage when nothing else is, else the outcome: guess it last.
    for column in sorted(columns, key=lambda c: normal(c.header) == "status"):
        if column.field is None and column.header:
            guess = guess_field(column.header)
            if guess == "stage" and normal(column.header) == "status" and "stage" in taken:
                guess = "status"
            if guess and guess not in taken and not (guess == "closed" and "close_date" in taken):
                column.field, column.how = guess, "guessed"
                taken.add(guess)
    _apply_overrides(columns, header, overrides)
    mapping = Mapping(chosen, detected, columns)
    if not any(c.field for c in mapping.columns):
        raise InvalidInput("no column of the file is one pipetui knows; map them to fields "
                           f"(fields: {', '.join(sorted(MAPPABLE))})", field="column_map")
    return mapping


def _apply_overrides(columns: list[Column], header: list[str], overrides) -> None:
    by_name: dict[str, list[Column]] = {}
    for column in columns:
        by_name.setdefault(normal(column.header), []).append(column)
    for column_name, target in overrides:
        matches = by_name.get(normal(column_name), [])
        if not matches:
            shown = ", ".join(repr(h) for h in header[:40])
            raise InvalidInput(f"{column_name}={target}: the file has no column {column_name!r} "
                               f"(its columns: {shown})", field="column_map")
        if len(matches) > 1:
            raise InvalidInput(f"{column_name}={target}: the header names {column_name!r} twice",
                               field="column_map")
        field_name = target.strip().lower().replace("-", "_").replace(" ", "_")
        field_name = {"id": "source_id", "external_id": "source_id", "name": "title",
                      "created_at": "created", "closed_at": "closed", "skip": IGNORE}.get(field_name, field_name)
        if field_name != IGNORE and field_name not in MAPPABLE:
            raise InvalidInput(f"{column_name}={target}: no field {target!r}; fields: "
                               f"{', '.join(sorted(MAPPABLE))} or ignore", field="column_map")
        if field_name != IGNORE:
            for other in columns:
                if other.field == field_name and other.how != "--map":
                    other.field, other.how = None, ""
        matches[0].field, matches[0].how = (None, "") if field_name == IGNORE else (field_name, "--map")
