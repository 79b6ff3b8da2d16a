"""Checking every row of an import before anything is written.

:func:`make_plan` reads the file, maps its columns, reads each row into a
:class:`Record` (or a :class:`BadRow` with its line and reason) and finds
the deals that earlier imports made from the same source ids. It only
reads the database; :mod:`pipetui.core.imports.writer` writes the plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peewee import fn

from pipetui.core.dates import date_range_refusal
from pipetui.core.deals import change_time
from pipetui.core.errors import InvalidInput
from pipetui.core.export import unescape_cell
from pipetui.core.imports.mapping import Mapping, build_mapping
from pipetui.core.imports.source import SourceRow, Table, read_table
from pipetui.core.imports.values import (
    AmountReader,
    DateReader,
    Moment,
    ProbabilityReader,
    currency_code,
)
from pipetui.core.lookup import all_stages, default_pipeline, pipelines, resolve_stage, stages
from pipetui.core.money import validate_currency
from pipetui.core.products import PRODUCT_NAME_MAX_LENGTH
from pipetui.core.text import TITLE_MAX_LENGTH, clean_line, clean_text
from pipetui.store import (
    LOST,
    OPEN,
    WON,
    Contact,
    Deal,
    LostReason,
    Organization,
    Product,
    Rep,
    StageChange,
)
from pipetui.store.bulk import fetch_rows

DELETED = "deleted"
_OUTCOMES = {"won": WON, "closedwon": WON, "dealwon": WON, "lost": LOST, "closedlost": LOST, "deallost": LOST}
_STATUSES = {**_OUTCOMES, "open": OPEN, "active": OPEN, "inprogress": OPEN, DELETED: DELETED}
_TRUE = {"true", "1", "yes", "y", "t", "x"}
_FALSE = {"false", "0", "no", "n", "f", ""}
_FOOTER = re.compile(r"^(grand totals? \(\d[\d,]* records?\)|confidential information - do not distribute"
                     r"|copyright \(c\) .*salesforce\.com.*)$", re.IGNORECASE)
_TOTAL = re.compile(r"^(grand )?(totals?|sum|summe|gesamt)\s*:?$", re.IGNORECASE)
_NUMBER_LIKE = re.compile(r"^[^\w]*[\d.,' ]+[^\w]*(?:[A-Za-z]{3})?$")
# What spreadsheets put in a cell that has nothing to say.
PLACEHOLDERS = frozenset({"-", "–", "—", "n/a", "na", "#n/a", "null", "none", "tbd", "?"})
_LITERAL = frozenset({"title", "note"})  # where "TBD" or "-" may be meant as written
_PIPETUI_KEY = "pipetui:"
# Imported dates have no time of day; noon keeps them on their day in any time zone nearby.
_NOON = dt.time(12)
_DATE_LABELS = {"created": "created date", "expected_close": "expected close date",
                "close_date": "close date", "closed": "closed date"}
NEW_STAGE_PROBABILITY = 50


def squash(text: str) -> str:
    """``Closed Won``, ``closed-won`` and ``closedwon`` are one word."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFC", text).casefold())


@functools.lru_cache(maxsize=100_000)  # the same names come back row after row
def name_key(name: str) -> str:
    """What a person's or company's name is matched by: ``Anna  Schmidt``,
    ``anna schmidt`` and a name with a non-breaking space, or composed
    differently (macOS writes é as e and an accent), are one."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


@dataclass(frozen=True)
class Options:
    preset: str | None = None
    column_map: list[tuple[str, str]] = field(default_factory=list)
    stage_map: list[tuple[str, str]] = field(default_factory=list)
    create_stages: bool = False
    date_format: str | None = None
    currency: str = "USD"
    encoding: str | None = None
    skip_bad: bool = False
    strict: bool = False  # amounts read on a decimal-mark guess, or missing, make a row bad



@dataclass(slots=True)
class Record:
    line: int
    key: str | None  # the external id the deal is found by next time
    title: str
    stage: int  # a stage id, or -n for the n-th stage the import creates
    stage_known: bool  # False: the file gave only an outcome, or nothing
    status: str
    status_known: bool  # False: the file left the outcome open (an empty cell): OPEN for a new deal
    value: int
    currency: str
    probability: int | None
    owner: str | None
    organization: str | None
    contact: str | None
    expected_close: dt.date | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    lost_reason: str | None
    note: str | None
    cells: list[str]  # the row as it came, for the rejects file
    existing: ExistingDeal | None = None
    changed: dict[str, object] | None = None  # what an update changes; empty: nothing
    value_empty: bool = False  # the value cell was empty or a placeholder: 0
    value_guessed: str | None = None  # the value cell, when its reading hung on the decimal mark
    value_rounded: bool = False
    pipeline: int | None = None  # the pipeline of its stage (the file's pipeline column, else the first)
    product: str | None = None  # a new deal's line item: the product, one of it at the deal's value


@dataclass(slots=True)
class ExistingDeal:
    id: int
    version: int
    title: str
    stage: int
    status: str
    value: int
    currency: str
    probability: int | None
    owner: int | None
    organization: int | None
    contact: int | None
    expected_close: dt.date | None
    lost_reason: str | None
    created_at: dt.datetime
    deleted: bool
    closed_at: dt.datetime | None
    stage_entered_at: dt.datetime
    last_change: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str
    cells: list[str]
    unknown_stage: bool = False  # reported once per stage name, not per row


@dataclass
class Plan:
    table: Table
    mapping: Mapping
    options: Options
    dates: DateReader | None
    records: list[Record]
    bad: list[BadRow]
    unknown_stages: dict[str, int]  # as the file spells them -> rows (a pipeline's: "Pipeline: Stage")
    new_stages: list[tuple[int, str, int]]  # (-n reference, name, probability) for --create-stages
    stage_names: dict[int, str]
    reps: dict[str, int]  # name_key of a name, e-mail or login -> id
    organizations: dict[str, int]  # name_key -> id
    contacts: dict[tuple[str, int | None], int]  # (name_key, organization id) -> id
    # What each existing rep, organization and contact answers to, by id: the
    # file naming a deal's person in another case (or a namesake) is no change.
    answers: dict[str, dict[int, set]]
    left_out_deleted: int = 0
    deleted_here: int = 0  # matched deals deleted in pipetui: left alone
    footer_rows: int = 0
    rounded: int = 0  # values of the records rounded to their currency's smallest unit
    # Values of the records read with a guessed decimal mark: (line, cell, minor units, currency),
    # and the (line, cell) that showed the mark, if one did; lines whose value was empty or a placeholder.
    guessed_amounts: list[tuple[int, str, int, str]] = field(default_factory=list)
    decimal_evidence: tuple[int, str] | None = None
    empty_amounts: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    path: Path | None = None
    unknown_pipelines: dict[str, int] = field(default_factory=dict)  # as the file spells them -> rows
    new_stage_pipelines: dict[int, int] = field(default_factory=dict)  # -n reference -> pipeline id
    products: dict[str, int] = field(default_factory=dict)  # name_key -> id, of the catalogue

    def new_products(self) -> list[tuple[str, int, str]]:
        """The products the import adds to the catalogue, in file order, each
        priced at the value of the first new deal that names it: (name, minor units, currency)."""
        made: dict[str, tuple[str, int, str]] = {}
        for record in self.to_create:
            if record.product and name_key(record.product) not in self.products:
                made.setdefault(name_key(record.product), (record.product, record.value, record.currency))
        return list(made.values())

    @property
    def to_create(self) -> list[Record]:
        return [r for r in self.records if r.existing is None]

    @property
    def to_update(self) -> list[Record]:
        return [r for r in self.records if r.existing is not None and r.changed]

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.records if r.existing is not None and not r.changed)

    def change_counts(self) -> Counter:
        """What the updates change: field names, and each outcome change as "won → open"."""
        counts: Counter = Counter()
        for record in self.to_update:
            for name in record.changed:
                if name == "status":
                    counts[f"{record.existing.status} → {record.status}"] += 1
                elif name != "currency" or "value" not in record.changed:
                    counts[name] += 1
        return counts

    def new_names(self) -> tuple[list[str], list[str], list[tuple[str, str | None]]]:
        """The reps, organizations and contacts the import creates, in file order."""
        reps: dict[str, str] = {}
        organizations: dict[str, str] = {}
        contacts: dict[tuple[str, str], tuple[str, str | None]] = {}
        for record in self.records:
            if record.owner and name_key(record.owner) not in self.reps:
                reps.setdefault(name_key(record.owner), record.owner)
            if record.organization and name_key(record.organization) not in self.organizations:
                organizations.setdefault(name_key(record.organization), record.organization)
            if record.contact and self.contact_id(record) is _NEW:
                key = (name_key(record.contact), name_key(record.organization or ""))
                contacts.setdefault(key, (record.contact, record.organization))
        return list(reps.values()), list(organizations.values()), list(contacts.values())

    def contact_id(self, record: Record) -> int | None | object:
        """The contact's id; ``None`` for none, ``_NEW`` for one the import creates."""
        if not record.contact:
            return None
        org_id = self.organizations.get(name_key(record.organization)) if record.organization else None
        if record.organization and org_id is None:
            return _NEW  # a new organization has no contacts yet
        return self.contacts.get((name_key(record.contact), org_id), _NEW)

    def changes(self, record: Record) -> dict[str, object]:
        """The fields of the existing deal the record changes (names for people)."""
        old = record.existing
        if old is None or old.deleted:
            return {}
        fields = self.fields_present
        changed: dict[str, object] = {}
        if "title" in fields and record.title != old.title:
            changed["title"] = record.title
        if record.stage_known and record.stage != old.stage:
            changed["stage"] = record.stage
        if record.status_known and record.status != old.status:
            changed["status"] = record.status
        if "value" in fields and (record.value, record.currency) != (old.value, old.currency):
            changed["value"] = record.value
            changed["currency"] = record.currency
        elif "currency" in fields and record.currency != old.currency:
            changed["currency"] = record.currency
        if "probability" in fields and record.probability != old.probability:
            changed["probability"] = record.probability
        if "owner" in fields and not self._same("owner", old.owner, record.owner and name_key(record.owner)):
            changed["owner"] = record.owner
        if "organization" in fields and not self._same("organization", old.organization,
                                                        record.organization and name_key(record.organization)):
            changed["organization"] = record.organization
        if "contact" in fields and not self._same("contact", old.contact, self._contact_key(record)):
            changed["contact"] = record.contact
        # A close date column is the expected close of open deals only.
        still_open = record.status == OPEN if record.status_known else old.status == OPEN
        expected_given = "expected_close" in fields or ("close_date" in fields and still_open)
        if expected_given and record.expected_close != old.expected_close:
            changed["expected_close"] = record.expected_close
        if record.status == LOST and "lost_reason" in fields and record.lost_reason != old.lost_reason:
            changed["lost_reason"] = record.lost_reason
        return changed

    def _same(self, kind: str, stored: int | None, key) -> bool:
        """Whether the stored person (an id) is the one the file names (a key)."""
        if stored is None or key is None:
            return stored is None and key is None
        return key in self.answers[kind].get(stored, ())

    def _contact_key(self, record: Record) -> tuple[str, int | None] | None:
        if not record.contact:
            return None
        org_id = self.organizations.get(name_key(record.organization)) if record.organization else None
        if record.organization and org_id is None:
            return (name_key(record.contact), -1)  # at an organization the import creates: new
        return (name_key(record.contact), org_id)

    @property
    def fields_present(self) -> set[str]:
        present = {c.field for c in self.mapping.columns if c.field}
        if "is_won" in present or "is_closed" in present:
            present.add("status")
        return present


_NEW = object()


class _UnknownStage(ValueError):
    pass


def make_plan(path: Path, options: Options, progress: Callable[[int, int], None] | None = None) -> Plan:
    table = read_table(path, encoding=options.encoding)
    plan = plan_table(table, options, progress)
    plan.path = path
    return plan


def plan_table(table: Table, options: Options, progress: Callable[[int, int], None] | None = None) -> Plan:
    mapping = build_mapping(table.header, preset=options.preset, overrides=options.column_map)
    rows, footer = _without_footer(table.rows)
    return _Planner(table, mapping, options, rows, footer, progress or (lambda done, total: None)).run()


def _without_footer(rows: list[SourceRow]) -> tuple[list[SourceRow], int]:
    """Salesforce reports end in totals, a confidentiality line and a copyright
    line; spreadsheets in a "Total" row. Only rows at the very end go."""
    end = len(rows)
    while end and _is_footer(rows[end - 1].cells):
        end -= 1
    return rows[:end], len(rows) - end


def _is_footer(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return False
    if _FOOTER.match(filled[0]) and len(filled) == 1:
        return True
    # A totals row: the word, then nothing but numbers.
    return bool(_TOTAL.match(filled[0])) and all(_NUMBER_LIKE.match(c) for c in filled[1:])


# What the vendors call the pipeline a new account starts with (squashed).
VENDOR_DEFAULT_PIPELINES = frozenset(squash(name) for name in (
    "Default", "Pipeline", "Default pipeline", "Sales pipeline", "Sales Pipeline"))


class _Planner:
    def __init__(self, table: Table, mapping: Mapping, options: Options, rows: list[SourceRow],
                 footer: int, progress) -> None:
        self.table, self.mapping, self.options, self.rows = table, mapping, options, rows
        self.footer, self.progress = footer, progress
        self.now = change_time()
        self.latest = self.now + dt.timedelta(days=1)
        self.currency = validate_currency(options.currency)
        self.pipetui_format = mapping.preset == "pipetui"
        self.escaped = self.pipetui_format and table.separator is not None  # JSON needs no escaping
        self.columns = {name: mapping.indexes(name) for name in {c.field for c in mapping.columns if c.field}}
        self.column_items = list(self.columns.items())
        self._row: SourceRow | None = None
        self._values: dict[str, str] = {}
        self.pipeline_stages = stages(default_pipeline())
        self.default_pipeline_id = self.pipeline_stages[0].pipeline_id
        self.stage_names = {s.id: s.name for s in self.pipeline_stages}
        self.stage_by_word = {}
        for stage in self.pipeline_stages:
            self.stage_by_word.setdefault(squash(stage.name), stage.id)
        # The other pipelines, for a pipeline column: their names, first stages and stages by word.
        self.pipeline_names = {p.id: p.name for p in pipelines()}
        self.pipeline_by_word = {squash(name): pipeline_id for pipeline_id, name in self.pipeline_names.items()}
        self.first_stage = {self.default_pipeline_id: self.pipeline_stages[0].id}
        self.words_of = {self.default_pipeline_id: self.stage_by_word}
        for stage in all_stages():
            if stage.pipeline_id != self.default_pipeline_id:
                self.first_stage.setdefault(stage.pipeline_id, stage.id)
                self.words_of.setdefault(stage.pipeline_id, {}).setdefault(squash(stage.name), stage.id)
        self.unknown_pipelines: dict[str, tuple[str, int]] = {}
        self.pipeline_notes: list[str] = []
        self.new_stage_pipelines: dict[int, int] = {}
        self.row_pipeline = self.default_pipeline_id
        self.stage_map = self._stage_map()
        self.stage_map_targets = {squash(source): squash(target) for source, target in options.stage_map}
        self.mapped_words: set[str] = set()
        self.reasons = {r.name.casefold(): r.name for r in LostReason.select().where(LostReason.active)}

    # -- the whole file ---------------------------------------------------------

    def run(self) -> Plan:
        dates = DateReader.detect(self._cells("created", "expected_close", "close_date", "closed"),
                                  self.options.date_format)
        # pipetui and JSON write plain decimals: 1.500 BHD is one and a half, never 1,500.
        plain = self.pipetui_format or self.table.separator is None
        amounts = AmountReader(".") if plain else AmountReader.detect(self._cells("value"))
        probabilities = ProbabilityReader.detect(text for _line, text in self._cells("probability"))
        self.dates, self.amounts, self.probabilities = dates, amounts, probabilities
        self.unknown: dict[str, tuple[str, int]] = {}  # squashed -> (first spelling, rows)
        self._first_pipeline_stands_for()
        self.new_stages: dict[str, int] = {}  # squashed -> -n
        self.new_stage_spelling: dict[str, str] = {}
        records: list[Record] = []
        bad: list[BadRow] = []
        seen_keys: dict[str, SourceRow] = {}
        deleted = 0
        total = len(self.rows)
        for done, row in enumerate(self.rows, 1):
            try:
                record = self._record(row)
            except ValueError as exc:
                bad.append(BadRow(row.line, str(exc), row.cells, isinstance(exc, _UnknownStage)))
                continue
            finally:
                if done % 2000 == 0:
                    self.progress(done, total)
            if record is None:
                deleted += 1
                continue
            if record.key is not None:
                first = seen_keys.setdefault(record.key, row)
                if first is not row:  # by identity: in a one-line JSON file every row is on line 1
                    bad.append(BadRow(row.line, f"has the same id as line {first.line} ({record.key})",
                                      row.cells))
                    continue
            records.append(record)
        self.progress(total, total)
        plan = Plan(
            table=self.table, mapping=self.mapping, options=self.options, dates=dates,
            records=records, bad=bad, unknown_stages=dict(self.unknown.values()),
            unknown_pipelines=dict(self.unknown_pipelines.values()),
            new_stage_pipelines=dict(self.new_stage_pipelines),
            new_stages=self._new_stage_list(records), stage_names=self.stage_names,
            **_known_people(),
            left_out_deleted=deleted, footer_rows=self.footer, decimal_evidence=amounts.evidence,
        )
        plan.products = _product_index()
        _match_existing(plan)
        # Counted on the records that stay in the plan: what the import writes.
        plan.rounded = sum(1 for r in plan.records if r.value_rounded)
        plan.guessed_amounts = [(r.line, r.value_guessed, r.value, r.currency)
                                for r in plan.records if r.value_guessed is not None]
        plan.empty_amounts = [r.line for r in plan.records if r.value_empty]
        if not self.mapping.has("title"):
            plan.notes.append("the file has no title column: titles are made from the organization, "
                              "product and source id")
        if not self.mapping.has("source_id") and not self.mapping.has("pipetui_id"):
            plan.notes.append("the file has no id column: importing it again will create its deals again")
        if not self.mapping.has("created"):
            plan.notes.append("the file has no created date: open deals are dated today, closed ones "
                              "at their close")
        plan.notes += self._stage_map_notes() + self.pipeline_notes
        currencies = Counter(r.currency for r in records)
        if len(currencies) > 1:
            listed = ", ".join(f"{code} {n:,}" for code, n in currencies.most_common())
            plan.notes.append(f"deals in {len(currencies)} currencies: {listed}")
        return plan

    def _cells(self, *names: str):
        indexes = [i for name in names for i in self.columns.get(name, [])]
        for row in self.rows:
            for index in indexes:
                if index < len(row.cells):
                    text = row.cells[index].strip()
                    if text and text.casefold() not in PLACEHOLDERS:
                        yield row.line, self._clean_cell(text)

    def _clean_cell(self, text: str) -> str:
        return unescape_cell(text) if self.escaped else text

    def _stage_map_notes(self) -> list[str]:
        unused = [source for source, _target in self.options.stage_map if squash(source) not in self.mapped_words]
        return [f"the stage map {source!r} matched no row of the file" for source in unused]

    def _stage_map(self) -> dict[str, int | str]:
        mapped: dict[str, int | str] = {}
        for source, target in self.options.stage_map:
            word = squash(target)
            if word in self.stage_by_word:
                mapped[squash(source)] = self.stage_by_word[word]
            elif word in _OUTCOMES:
                mapped[squash(source)] = _OUTCOMES[word]
            else:
                try:
                    mapped[squash(source)] = resolve_stage(target).id
                except InvalidInput as exc:
                    raise InvalidInput(f"{source}={target}: {exc} (or won, lost)", field="stage_map") from None
        return mapped

    def _new_stage_list(self, records: list[Record]) -> list[tuple[int, str, int]]:
        """The stages --create-stages makes (those a good row is in), with
        the average probability the file gives their open deals (else 50 %)."""
        shares: dict[int, list[int]] = {}
        for record in records:
            if record.stage < 0:
                shares.setdefault(record.stage, [])
                if record.status == OPEN and record.probability is not None:
                    shares[record.stage].append(record.probability)
        made = []
        for word, ref in sorted(self.new_stages.items(), key=lambda item: -item[1]):
            if ref in shares:
                found = shares[ref]
                probability = round(sum(found) / len(found)) if found else NEW_STAGE_PROBABILITY
                made.append((ref, self.new_stage_spelling[word], probability))
        return made

    # -- one row ------------------------------------------------------------------

    def _cell(self, row: SourceRow, name: str) -> str:
        """The first non-empty cell of the columns mapped to ``name``, stripped."""
        if row is not self._row:
            self._row, self._values = row, self._read_values(row)
        return self._values.get(name, "")

    def _read_values(self, row: SourceRow) -> dict[str, str]:
        cells, width, values = row.cells, len(row.cells), {}
        for name, indexes in self.column_items:
            for index in indexes:
                if index < width:
                    text = cells[index].strip()
                    if text and (name in _LITERAL or self.pipetui_format
                                 or text.casefold() not in PLACEHOLDERS):
                        values[name] = self._clean_cell(text).strip() if self.escaped else text
                        break
        return values

    def _record(self, row: SourceRow) -> Record | None:
        width = len(self.table.header)
        if len(row.cells) > width and any(c.strip() for c in row.cells[width:]):
            raise ValueError(f"has {len(row.cells)} cells but the header names {width} columns "
                             f"(a separator inside an unquoted cell?)")
        status, stage, stage_known, status_known = self._stage_and_status(row)
        if status == DELETED:
            return None
        source_id = self._text(row, "source_id", "source id", 200)
        key = self.mapping.id_prefix + source_id if source_id else None
        if key is None and self.pipetui_format:
            pipetui_id = self._cell(row, "pipetui_id")
            if pipetui_id:
                if not (pipetui_id.isascii() and pipetui_id.isdigit()) or int(pipetui_id) >= 2**63:
                    raise ValueError(f"id {pipetui_id!r} is not a deal number")
                key = _PIPETUI_KEY + str(int(pipetui_id))
        organization = self._text(row, "organization", "organization", 200)
        title = self._title(row, organization, source_id)
        value, currency, empty, guessed, rounded = self._money(row)
        probability = None
        if cell := self._cell(row, "probability"):
            try:
                probability = self.probabilities.read(cell)
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None
        created_at, closed_at, expected = self._dates(row, status)
        lost_reason = None
        if status == LOST:
            lost_reason = self._text(row, "lost_reason", "lost reason", 500)
            if lost_reason:
                lost_reason = self.reasons.get(lost_reason.casefold(), lost_reason)
        return Record(
            line=row.line, key=key, title=title, stage=stage, stage_known=stage_known, status=status,
            status_known=status_known,
            value=value, value_empty=empty, value_guessed=guessed, value_rounded=rounded,
            currency=currency, probability=probability,
            owner=self._text(row, "owner", "owner", 200), organization=organization,
            contact=self._text(row, "contact", "contact", 200), expected_close=expected,
            created_at=created_at, closed_at=closed_at, lost_reason=lost_reason, note=self._note(row),
            cells=row.cells, product=self._text(row, "product", "product", PRODUCT_NAME_MAX_LENGTH),
            pipeline=self.row_pipeline,
        )

    def _note(self, row: SourceRow) -> str | None:
        text = self._cell(row, "note")
        if not text:
            return None
        try:
            return clean_text(text.replace("\r\n", "\n").replace("\r", "\n"), "note")
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None

    def _text(self, row: SourceRow, name: str, what: str, limit: int) -> str | None:
        """A one-line field, as written but for line breaks and tabs, which
        become a space. (Names match whatever their spacing: see name_key.)"""
        text = self._cell(row, name)
        if not text:
            return None
        if "\n" in text or "\r" in text or "\t" in text:
            text = re.sub(r" *[\r\n\t]+ *", " ", text)
        try:
            return clean_line(text, what, max_length=limit)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None

    def _title(self, row: SourceRow, organization: str | None, source_id: str | None) -> str:
        title = self._text(row, "title", "title", TITLE_MAX_LENGTH)
        if title:
            return title
        product = self._text(row, "product", "product", PRODUCT_NAME_MAX_LENGTH)
        parts = " – ".join(p for p in (organization, product) if p)
        if source_id:
            parts = f"{parts} #{source_id}" if parts else f"Deal #{source_id}"
        if not parts:
            raise ValueError("has no title, and no organization, product or id to make one from")
        return parts[:TITLE_MAX_LENGTH]

    def _first_pipeline_stands_for(self) -> None:
        """A file that names a single pipeline, or the vendor's default one
        (``Default``, ``Sales Pipeline``), that the database does not have:
        that name means the first pipeline, so a one-pipeline CRM's export
        imports as before (a note says so)."""
        named = {}
        for _line, text in self._cells("pipeline"):
            named.setdefault(squash(text), text)
        unknown = {word: text for word, text in named.items() if word not in self.pipeline_by_word}
        first = self.pipeline_names[self.default_pipeline_id]
        for word, text in unknown.items():
            if len(named) == 1 or word in VENDOR_DEFAULT_PIPELINES:
                self.pipeline_by_word[word] = self.default_pipeline_id
                self.pipeline_notes.append(f"the file's pipeline {text!r} is imported into {first!r}")

    def _pipeline(self, row: SourceRow) -> int:
        """The pipeline the row's deal goes to: its pipeline cell's (a name
        the database has, any case), else the first pipeline. An unknown one
        is refused as an unknown stage is: summed up, with a hint."""
        text = self._cell(row, "pipeline")
        if not text:
            return self.default_pipeline_id
        word = squash(text)
        if word in self.pipeline_by_word:
            return self.pipeline_by_word[word]
        spelling, count = self.unknown_pipelines.get(word, (text, 0))
        self.unknown_pipelines[word] = (spelling, count + 1)
        raise _UnknownStage(f"pipeline {text!r} is not a pipeline of the database")

    def _stage_and_status(self, row: SourceRow) -> tuple[str, int, bool, bool]:
        """(status, stage, whether the file gave the stage, whether it gave the status)."""
        pipeline_id = self.row_pipeline = self._pipeline(row)
        other_pipeline = pipeline_id != self.default_pipeline_id
        words = self.words_of.get(pipeline_id, {})
        stage_text = self._cell(row, "stage")
        stage: int | None = None
        outcome: str | None = None
        if stage_text:
            word = squash(stage_text)
            target = self.stage_map.get(word)
            if target is not None:
                self.mapped_words.add(word)
            if isinstance(target, int) and other_pipeline:
                # --stage-map names a stage by name: the one of that name in the row's pipeline.
                target = words.get(self.stage_map_targets[word])
            if isinstance(target, str):
                outcome = target
            elif target is not None:
                stage, outcome = target, _OUTCOMES.get(word)
            elif word in words:
                stage = words[word]
            elif word in _OUTCOMES:
                outcome = _OUTCOMES[word]
            elif _STATUSES.get(word) == OPEN:  # a lone "Status" column read as the stage
                outcome = OPEN
            elif self.options.create_stages:
                key = word if not other_pipeline else f"{pipeline_id}:{word}"
                if key not in self.new_stages:
                    try:
                        spelling = clean_line(stage_text, "stage name", max_length=100)
                    except InvalidInput as exc:
                        raise ValueError(str(exc)) from None
                    self.new_stages[key] = -(len(self.new_stages) + 1)
                    self.new_stage_spelling[key] = spelling
                    self.new_stage_pipelines[self.new_stages[key]] = pipeline_id
                stage = self.new_stages[key]
            elif self._closed_by_flags(row):
                pass  # Salesforce's own closed stage ("Closed - Signed"): IsWon and IsClosed say the rest
            else:
                key = word if not other_pipeline else f"{pipeline_id}:{word}"
                listed = stage_text if not other_pipeline else f"{self.pipeline_names[pipeline_id]}: {stage_text}"
                spelling, count = self.unknown.get(key, (listed, 0))
                self.unknown[key] = (spelling, count + 1)
                raise _UnknownStage(f"stage {stage_text!r} is not a stage of the pipeline")
        status = self._status(row)
        if outcome and status and status != outcome and status != DELETED:
            raise ValueError(f"stage {stage_text!r} says {outcome} but the status says {status}")
        final = status or outcome or OPEN
        if final == DELETED:
            return DELETED, 0, False, False
        told_apart = bool(self.columns.get("status") or self.columns.get("is_won") or self.columns.get("is_closed"))
        # A stage named in a column of its own says nothing of the outcome when a status column
        # exists; in a mixed column an open stage means an open deal.
        known = status is not None or outcome is not None or (stage is not None and not told_apart)
        if stage is None:
            first = self.first_stage.get(pipeline_id)
            if first is None:
                raise ValueError(f"pipeline {self.pipeline_names[pipeline_id]!r} has no stages yet")
            return final, first, False, known
        return final, stage, True, known

    def _closed_by_flags(self, row: SourceRow) -> bool:
        """Whether IsWon/IsClosed columns close this row (bad flags are reported by _status)."""
        try:
            return bool(self._flag(row, "is_won") or self._flag(row, "is_closed"))
        except ValueError:
            return False

    def _status(self, row: SourceRow) -> str | None:
        text = self._cell(row, "status")
        if text:
            status = _STATUSES.get(squash(text))
            if status is None:
                raise ValueError(f"status {text!r} is not open, won or lost")
            return status
        won, closed = self._flag(row, "is_won"), self._flag(row, "is_closed")
        if won:
            return WON
        if closed is None:
            return None  # "not won" alone does not tell open from lost
        return LOST if closed else OPEN

    def _flag(self, row: SourceRow, name: str) -> bool | None:
        if not self.columns.get(name):
            return None
        text = self._cell(row, name).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{name.replace('_', ' ')} {text!r} is neither true nor false")

    def _money(self, row: SourceRow) -> tuple[int, str, bool, str | None, bool]:
        """The value in minor units and its currency; whether the cell was
        empty, the cell if its reading hung on the decimal mark, and whether
        it was rounded."""
        named_currency = self._cell(row, "currency")
        currency = self.currency
        if named_currency:
            try:
                currency = currency_code(named_currency)
            except InvalidInput as exc:
                raise ValueError(str(exc)) from None
        text = self._cell(row, "value")
        if not text:
            given = bool(self.columns.get("value"))
            if given and self.options.strict:
                placeholder = self._placeholder(row, "value")
                raise ValueError(f"value {placeholder!r} is no amount" if placeholder else "has no value")
            return 0, currency, given, None, False
        rounded_before = self.amounts.rounded
        try:
            amount, in_cell = self.amounts.read(text, currency)
        except ValueError as exc:
            raise ValueError(f"value {text!r} {exc}") from None
        except InvalidInput as exc:  # a code in the cell that is no currency
            raise ValueError(str(exc)) from None
        if in_cell and named_currency and in_cell != currency:
            raise ValueError(f"value {text!r} is in {in_cell} but the currency column says {currency}")
        guessed = self.amounts.guessed(text)
        if guessed and self.options.strict:
            if self.amounts.evidence is None:
                raise ValueError(f"value {text!r} could mean thousands or a fraction, and no amount in "
                                 f"the file shows the decimal mark")
            line, example = self.amounts.evidence
            raise ValueError(f"value {text!r} could mean thousands or a fraction; only other amounts "
                             f"show the decimal mark (line {line}: {example!r})")
        return (amount, in_cell or currency, False, text if guessed else None,
                self.amounts.rounded > rounded_before)

    def _placeholder(self, row: SourceRow, name: str) -> str:
        """The placeholder (``N/A``, ``-``) in the columns of ``name``, if any, else ""."""
        for index in self.columns.get(name, []):
            if index < len(row.cells) and row.cells[index].strip():
                return row.cells[index].strip()
        return ""

    def _moment(self, row: SourceRow, name: str) -> Moment | None:
        text = self._cell(row, name)
        if not text:
            return None
        try:
            moment = self.dates.read(text)
        except ValueError as exc:
            raise ValueError(f"{_DATE_LABELS[name]} {text!r} {exc}") from None
        if reason := date_range_refusal(moment.value.date()):
            raise ValueError(f"{_DATE_LABELS[name]} {text!r} {reason}")
        return moment

    def _dates(self, row: SourceRow, status: str) -> tuple[dt.datetime, dt.datetime | None, dt.date | None]:
        created = self._moment(row, "created")
        expected = self._moment(row, "expected_close")
        close_date = self._moment(row, "close_date")
        closed = self._moment(row, "closed") if status != OPEN else None
        if status == OPEN:
            due = expected or close_date
            created_at = _when(created) if created else self.now
            if created_at > self.latest:
                raise ValueError(f"was created on {created_at:%Y-%m-%d}, which is in the future")
            return created_at, None, due.value.date() if due else None
        closed = closed or close_date
        if closed is None:
            hint = "" if self.columns.keys() & {"closed", "close_date"} else (
                " (the file has no close date column; map one to close_date)")
            raise ValueError(f"is {status} but has no close date{hint}")
        closed_at = _when(closed)
        created_at = _when(created) if created else closed_at
        if closed_at < created_at:
            if closed_at.date() == created_at.date() and not (closed.has_time and created.has_time):
                closed_at = created_at  # the same day, one of them without a time
            else:
                raise ValueError(f"closed ({closed_at:%Y-%m-%d}) before it was created ({created_at:%Y-%m-%d})")
        if closed_at > self.latest:
            raise ValueError(f"is {status} on {closed_at:%Y-%m-%d}, which is in the future")
        if created_at > self.latest:
            raise ValueError(f"was created on {created_at:%Y-%m-%d}, which is in the future")
        return created_at, closed_at, expected.value.date() if expected else None


def _when(moment: Moment) -> dt.datetime:
    return moment.value if moment.has_time else dt.datetime.combine(moment.value.date(), _NOON)


# --- what the database holds already ----------------------------------------------

_CHUNK = 5_000


def _rep_index() -> tuple[dict[str, int], dict[int, set[str]]]:
    """Reps by name, e-mail or login (their ``name_key``); and what each answers to."""
    index: dict[str, int] = {}
    answers: dict[int, set[str]] = {}
    for rep_id, name, email, username in Rep.select(Rep.id, Rep.name, Rep.email, Rep.username).tuples():
        keys = {name_key(k) for k in (name, email, username) if k}
        answers[rep_id] = keys
        for key in keys - {name_key(name)}:
            index.setdefault(key, rep_id)
        index[name_key(name)] = rep_id
    return index, answers


def _organization_index() -> tuple[dict[str, int], dict[int, set[str]]]:
    index: dict[str, int] = {}
    answers: dict[int, set[str]] = {}
    for org_id, name in Organization.select(Organization.id, Organization.name).order_by(Organization.id).tuples():
        index.setdefault(name_key(name), org_id)
        answers[org_id] = {name_key(name)}
    return index, answers


def _contact_index() -> tuple[dict[tuple[str, int | None], int], dict[int, set[tuple[str, int | None]]]]:
    """Contacts by (name key, organization); two of one name at one
    organization are both what the name means."""
    index: dict[tuple[str, int | None], int] = {}
    answers: dict[int, set[tuple[str, int | None]]] = {}
    query = Contact.select(Contact.id, Contact.name, Contact.organization).order_by(Contact.id).tuples()
    for contact_id, name, org_id in query:
        index.setdefault((name_key(name), org_id), contact_id)
        answers[contact_id] = {(name_key(name), org_id)}
    return index, answers


def _product_index() -> dict[str, int]:
    """The catalogue by name (archived products too: an old deal may name one)."""
    index: dict[str, int] = {}
    for product_id, name in Product.select(Product.id, Product.name).order_by(Product.id).tuples():
        index.setdefault(name_key(name), product_id)
    return index


def _known_people() -> dict[str, dict]:
    reps, rep_keys = _rep_index()
    organizations, org_keys = _organization_index()
    contacts, contact_keys = _contact_index()
    return {"reps": reps, "organizations": organizations, "contacts": contacts,
            "answers": {"owner": rep_keys, "organization": org_keys, "contact": contact_keys}}


_EXISTING_FIELDS = (Deal.id, Deal.version, Deal.title, Deal.stage, Deal.status, Deal.value, Deal.currency,
                    Deal.probability, Deal.owner, Deal.organization, Deal.contact, Deal.expected_close,
                    Deal.lost_reason, Deal.created_at, Deal.deleted_at, Deal.external_id, Deal.closed_at,
                    Deal.stage_entered_at)


def _moment_of(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _existing(row) -> ExistingDeal:
    """A deal as the driver returns it (SQLite: dates as ISO text)."""
    expected = row[11]
    if isinstance(expected, str):
        expected = dt.date.fromisoformat(expected)
    return ExistingDeal(*row[:11], expected, row[12], _moment_of(row[13]), deleted=row[14] is not None,
                        closed_at=_moment_of(row[16]), stage_entered_at=_moment_of(row[17]))


def _match_existing(plan: Plan) -> None:
    """Attach to each record the deal an earlier import made from its id.

    A pipetui export's own ids find the deal in this database when it is
    the same deal (same creation time); elsewhere they become its external
    id, so that importing the file again updates instead of duplicating.
    """
    keyed = {r.key: r for r in plan.records if r.key is not None}
    keys = list(keyed)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        for row in fetch_rows(Deal.select(*_EXISTING_FIELDS).where(Deal.external_id.in_(chunk))):
            keyed[row[15]].existing = _existing(row)
    own = {int(k[len(_PIPETUI_KEY):]): r for k, r in keyed.items()
           if k.startswith(_PIPETUI_KEY) and r.existing is None}
    ids = list(own)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        query = Deal.select(*_EXISTING_FIELDS).where(Deal.id.in_(chunk), Deal.external_id.is_null())
        for row in fetch_rows(query):
            record = own[row[0]]
            if _same_moment(row[13], record.created_at):
                record.existing = _existing(row)
                record.key = None  # the deal keeps having no external id
    kept = []
    for record in plan.records:
        old = record.existing
        if old is not None and old.deleted:
            plan.deleted_here += 1
            continue
        if (old is not None and record.key and record.key.startswith(_PIPETUI_KEY)
                and not _same_moment(old.created_at, record.created_at)):
            plan.bad.append(BadRow(record.line, f"has the id {record.key} of a different deal here (created "
                                                f"{old.created_at:%Y-%m-%d %H:%M}): a file from another "
                                                f"pipetui database?", record.cells))
            continue
        kept.append(record)
    plan.records = kept
    plan.bad.sort(key=lambda bad: bad.line)
    for record in plan.records:
        if record.existing is not None:
            record.changed = plan.changes(record)
    _last_changes(plan)


def _same_moment(stored, imported: dt.datetime) -> bool:
    return abs((_moment_of(stored) - imported).total_seconds()) < 1


def _last_changes(plan: Plan) -> None:
    """When each deal whose stage or status changes last changed, so that
    its new history comes after its old."""
    moving = {r.existing.id: r.existing for r in plan.records
              if r.changed and ("stage" in r.changed or "status" in r.changed)}
    ids = list(moving)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        query = (StageChange.select(StageChange.deal, fn.MAX(StageChange.changed_at))
                 .where(StageChange.deal.in_(chunk)).group_by(StageChange.deal).tuples())
        for deal_id, last in query:
            moving[deal_id].last_change = _moment_of(last)
