"""A realistic, deterministic demo pipeline.

Deals are created over the past twelve months and walk the stages the way
real deals do: most drop out early, some go back a stage, the survivors are
won or lost in the last stages, and the youngest are still open. Every step
is written as a StageChange row, so history, metrics and the board agree.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import math
import multiprocessing
import os
import random
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipetui.core import clock, history_columns
from pipetui.core.dates import add_months, month_period, quarter_period
from pipetui.core.errors import InvalidInput, PipetuiError
from pipetui.core.lookup import default_pipeline, stages
from pipetui.store import (
    LOST,
    OPEN,
    WON,
    Activity,
    Contact,
    Deal,
    LostReason,
    Note,
    Organization,
    Quota,
    Rep,
    StageChange,
)
from pipetui.store import (
    database_proxy as db,
)
from pipetui.store.bulk import indexes_deferred, insert_rows, next_id, sync_id_sequence

MAX_DEALS = 2_000_000

REP_NAMES = [
    ("Maya Patel", "maya"), ("Jonas Weber", "jonas"), ("Sofia Alvarez", "sofia"),
    ("Liam O'Connor", "liam"), ("Chen Wei", "chen"), ("Amara Okafor", "amara"),
    ("Noah Kowalski", "noah"), ("Elena Rossi", "elena"),
]
_ORG_HEADS = [
    "North", "Blue", "Silver", "Bright", "Red", "Green", "Iron", "Summit", "Harbor", "Pine",
    "Stone", "Clear", "Swift", "Golden", "River", "Oak", "Cedar", "Maple", "Atlas", "Nova",
    "Apex", "Vertex", "Lumen", "Key", "Ever", "Falcon", "Granite", "Horizon", "Pioneer", "Sterling",
]
_ORG_TAILS = [
    "wind", "peak", "field", "bridge", "line", "gate", "works", "point", "view", "stone",
    "wave", "light", "crest", "mark", "path", "ridge", "bay", "forge", "haven", "vale",
]
_ORG_TRADES = [
    "Logistics", "Systems", "Labs", "Foods", "Health", "Energy", "Capital", "Media", "Robotics",
    "Retail", "Analytics", "Partners", "Manufacturing", "Software", "Insurance", "Biotech",
    "Consulting", "Networks", "Motors", "Textiles",
]
_LEGAL = ["Inc.", "GmbH", "Ltd", "AG", "LLC", "BV", "SA", "", "", ""]
_FIRST = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jack", "Kira",
    "Lucas", "Mia", "Nils", "Olivia", "Paul", "Rosa", "Sam", "Tara", "Victor", "Yara", "Zoe",
    "Omar", "Priya", "Kenji", "Lena", "Mateo", "Nadia", "Oscar", "Ruth",
]
_LAST = [
    "Schmidt", "Johnson", "Garcia", "Müller", "Smith", "Nguyen", "Kim", "Brown", "Dubois",
    "Jansen", "Novak", "Silva", "Berg", "Costa", "Fischer", "Moreau", "Larsen", "Walsh",
    "Ito", "Haddad", "Keller", "Romano", "Svensson", "Young", "Adeyemi", "Lopez",
]
_PRODUCTS = [
    "CRM rollout", "Annual licence", "50 seats", "Pilot", "Expansion", "Renewal",
    "Onboarding package", "Data migration", "Support plan", "Analytics add-on",
    "Enterprise upgrade", "Team plan", "Integration project", "Training days",
]
_ACTIVITY_SUBJECTS = {
    "call": ["Discovery call", "Follow-up call", "Check in on budget", "Call the decision maker"],
    "meeting": ["Product demo", "On-site workshop", "Pricing review", "Kick-off meeting"],
    "email": ["Send proposal", "Send case study", "Email the contract", "Recap email"],
    "task": ["Prepare quote", "Update forecast", "Draft contract", "Research competitor"],
}
_NOTES = [
    "Budget approved for next quarter.",
    "Champion is the head of operations; CFO signs.",
    "Comparing us with two competitors.",
    "Asked for a discount on a three-year term.",
    "Legal review takes about two weeks.",
    "Wants a pilot with one team first.",
]
# Mean days spent in each stage, and the chance of moving on from it.
_STAGE_DAYS = [9, 8, 11, 10, 13, 11, 9]
_ADVANCE = [0.80, 0.85, 0.80, 0.85, 0.78, 0.85, 0.85]
_BACKWARD = 0.04
_CURRENCIES = [("USD", 0.88), ("EUR", 0.09), ("GBP", 0.03)]


@dataclass(frozen=True)
class DemoSummary:
    deals: int
    open: int
    won: int
    lost: int
    reps: int
    stage_changes: int
    activities: int


def _ts(moment: dt.datetime) -> str:
    return moment.isoformat(" ", "seconds")


def existing_deals() -> int:
    return Deal.select().count()


def clear_demo_data() -> None:
    """Remove every deal, person, quota, activity and note; keep stages and reasons."""
    with db.atomic():
        for model in (Note, Activity, StageChange, Deal, Quota, Contact, Organization, Rep):
            model.delete().execute()


def generate(deals: int = 300, *, seed: int = 1, force: bool = False, progress=None) -> DemoSummary:
    """Fill the database with a demo pipeline of ``deals`` deals.

    Refuses a database that has deals unless ``force``, which first removes
    all deals and people. Everything is written in one transaction: a crash
    leaves the database as it was.
    """
    if not 1 <= deals <= MAX_DEALS:
        raise InvalidInput(f"number of deals must be from 1 to {MAX_DEALS:,}, not {deals:,}")
    with db.atomic():
        if existing_deals() and not force:
            raise InvalidInput(
                f"the database already has {existing_deals():,} deals; replace them to go on", field="force"
            )
        if force:
            clear_demo_data()
        return _Generator(deals, seed, progress).run()


# Deals per batch handed from the generator to the writer.
CHUNK_DEALS = 10_000
# From this many deals on, rows are generated in a forked process while this
# one writes the previous batch: the two halves of the work overlap.
PARALLEL_FROM = 2 * CHUNK_DEALS


@dataclass
class _Plan:
    """Everything the row generator needs, so that it can run in another process."""

    count: int
    rng: random.Random
    now: dt.datetime
    today: dt.date
    pipeline_id: int
    stage_ids: list[int]
    stage_positions: list[int]
    reasons: list[str]
    reps: list[int]
    org_ids: list[int]
    org_names: dict[int, str]
    contacts_by_org: dict[int, list[int]]
    first_ids: tuple[int, int, int, int]  # deal, stage change, activity, note


@dataclass
class _Chunk:
    deals: list[tuple] = field(default_factory=list)
    changes: list[tuple] = field(default_factory=list)
    activities: list[tuple] = field(default_factory=list)
    notes: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {OPEN: 0, WON: 0, LOST: 0})
    won_by_rep_month: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))


def _deal_rows(plan: _Plan) -> Iterator[_Chunk]:
    """The rows of every deal, its history, activities and notes, in batches."""
    rng = plan.rng
    random_ = rng.random
    deal_id, change_id, activity_id, note_id = plan.first_ids
    last_stage = len(plan.stage_ids) - 1
    kinds = ("call", "meeting", "email", "task")
    currencies = [c for c, _ in _CURRENCIES]
    currency_weights = [w for _, w in _CURRENCIES]

    # Times are seconds since midnight a year and a day ago, turned into
    # text through tables of day and minute strings: far cheaper than datetimes.
    base = dt.datetime.combine(plan.today - dt.timedelta(days=366), dt.time())
    now_s = (plan.now - base).total_seconds()
    day_text = [(base + dt.timedelta(days=d)).date().isoformat()
                for d in range(int(now_s // 86400) + 100)]
    clock_text = [f" {m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]

    def ts(seconds: float) -> str:
        day, minute = divmod(int(seconds) // 60, 1440)
        return day_text[day] + clock_text[minute]

    today_index = (plan.today - base.date()).days
    year_start = now_s - 365 * 86400
    chunk = _Chunk()
    deal_rows, change_rows = chunk.deals, chunk.changes
    activity_rows, note_rows = chunk.activities, chunk.notes

    for n in range(plan.count):
        if n and n % CHUNK_DEALS == 0:
            yield chunk
            chunk = _Chunk()
            deal_rows, change_rows = chunk.deals, chunk.changes
            activity_rows, note_rows = chunk.activities, chunk.notes
        # Recent months carry a little more new business than old ones.
        created = float(int(year_start + 365 * 86400 * math.sqrt(random_())))
        owner_id = plan.reps[int(random_() * len(plan.reps))]
        org_id = plan.org_ids[int(random_() * len(plan.org_ids))]
        people = plan.contacts_by_org[org_id]
        contact_id = people[int(random_() * len(people))]
        currency = rng.choices(currencies, currency_weights)[0]
        value = int(round(rng.lognormvariate(9.39, 0.9), -2)) or 500  # median about 12,000
        title = f"{plan.org_names[org_id]} - {_PRODUCTS[int(random_() * len(_PRODUCTS))]}"

        changes = [(None, 0, None, OPEN, created)]
        index, moment, status, stage_entered = 0, created, OPEN, created
        while True:
            moment += int(rng.expovariate(1 / _STAGE_DAYS[index]) * 86400) + 60
            if moment >= now_s:
                break
            draw = random_()
            if index > 0 and draw < _BACKWARD:
                changes.append((index, index - 1, OPEN, OPEN, moment))
                index -= 1
                stage_entered = moment
            elif draw < _ADVANCE[index]:
                if index == last_stage:
                    status = WON
                    changes.append((index, index, OPEN, WON, moment))
                    break
                changes.append((index, index + 1, OPEN, OPEN, moment))
                index += 1
                stage_entered = moment
            else:
                status = LOST
                changes.append((index, index, OPEN, LOST, moment))
                break
        chunk.counts[status] += 1
        last_change = changes[-1][4]
        closed_at = last_change if status != OPEN else None
        lost_reason = plan.reasons[int(random_() * len(plan.reasons))] if status == LOST else None
        if status == OPEN:
            expected_close = None if random_() < 0.12 else \
                day_text[today_index + int(random_() * 90) - 10]
        else:
            expected_close = day_text[int(closed_at // 86400)]
        probability = (20, 35, 50, 80)[int(random_() * 4)] \
            if status == OPEN and random_() < 0.05 else None

        last_activity = stage_entered
        # Past activities, done; most open deals were touched recently.
        for _ in range((0, 1, 1, 2)[int(random_() * 4)]):
            done_at = created + int((last_change - created) * random_())
            kind = kinds[int(random_() * 4)]
            subjects = _ACTIVITY_SUBJECTS[kind]
            done_text = ts(done_at)
            activity_rows.append((activity_id, deal_id, contact_id, owner_id, kind,
                                  subjects[int(random_() * len(subjects))], done_text[:10],
                                  None, True, done_text, done_text))
            activity_id += 1
            last_activity = max(last_activity, done_at)
        if status == OPEN:
            if random_() < 0.85:
                touched = now_s - 3600 - int(random_() * 6 * 86400)
                last_activity = max(last_activity, touched, stage_entered)
            if random_() < 0.85:  # the next step; the rest have none
                kind = kinds[int(random_() * 4)]
                subjects = _ACTIVITY_SUBJECTS[kind]
                due = day_text[today_index + int(random_() * 21) - 6]
                due_time = f"{8 + int(random_() * 10):02d}:{(0, 30)[int(random_() * 2)]:02d}:00" \
                    if kind in ("call", "meeting") else None
                activity_rows.append((activity_id, deal_id, contact_id, owner_id, kind,
                                      subjects[int(random_() * len(subjects))], due,
                                      due_time, False, None, ts(last_activity)))
                activity_id += 1
        if random_() < 0.2:
            note_rows.append((note_id, deal_id, owner_id, _NOTES[int(random_() * len(_NOTES))],
                              ts(created + int((last_change - created) * random_()))))
            note_id += 1
        # The history columns (core/history_columns.py), known here as the path
        # is drawn; times are written to the minute, and so are the stays.
        won = int(status == WON)
        furthest, went_on = -1, []
        for _, to_index, _, to_status, _ in reversed(changes):
            went_on.append(int(won or furthest > to_index))  # a path's times all differ
            furthest = max(furthest, to_index)
        went_on.reverse()
        entered: dict[int, float] = {}
        previous = None
        for (from_index, to_index, from_status, to_status, when), gone_on in zip(changes, went_on):
            entry = from_index != to_index
            previous_entry = entered.get(to_index) if entry else None
            if entry:
                entered[to_index] = when
            change_rows.append((change_id, deal_id,
                                None if from_index is None else plan.stage_ids[from_index],
                                plan.stage_ids[to_index], from_status, to_status, ts(when), owner_id,
                                plan.stage_positions[to_index],
                                None if previous is None else (int(when) // 60 - int(previous) // 60) / 1440,
                                None if previous_entry is None else ts(previous_entry), gone_on,
                                owner_id, plan.pipeline_id, won, 1))
            previous = when
            change_id += 1
        closed_text = None if closed_at is None else ts(closed_at)
        deal_rows.append((
            deal_id, plan.pipeline_id, plan.stage_ids[index], title, value * 100, currency, probability,
            owner_id, org_id, contact_id, expected_close, status, lost_reason, ts(created),
            ts(last_change), closed_text, ts(stage_entered), ts(last_activity), len(changes),
        ))
        if status == WON and currency == "USD":
            chunk.won_by_rep_month[(owner_id, closed_text[:7])] += value * 100
        deal_id += 1

    yield chunk


def _produce(plan: _Plan, sender, receiver, parent_pid: int) -> None:
    """Child process: send the batches down the pipe, then None (or the error).

    It ends with its parent: a killed parent must not leave it holding the
    database and the caller's terminal or pipes, blocked on a full pipe."""
    # Left open here, the read end would keep a send blocking forever once the
    # parent is gone, instead of failing with a broken pipe.
    receiver.close()
    _end_with_parent(parent_pid)
    _let_go_of_caller_files()
    try:
        for chunk in _deal_rows(plan):
            sender.send(chunk)
        last = None
    except BrokenPipeError:
        return  # the parent is gone: nobody left to tell
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        last = f"{type(exc).__name__}: {exc}"
    with contextlib.suppress(BrokenPipeError):
        sender.send(last)
    sender.close()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _end_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux); on
    other systems the next send fails with a broken pipe instead."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the request above took hold
        os._exit(1)


def _let_go_of_caller_files() -> None:
    """The child writes nothing: pointing its standard streams at /dev/null
    keeps it from holding the caller's pipes open a moment longer than the parent."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def _chunks_in_parallel(plan: _Plan) -> Iterator[_Chunk]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(plan, sender, receiver, os.getpid()), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                item = receiver.recv()
            except EOFError:
                raise PipetuiError("the demo generator stopped unexpectedly") from None
            if item is None:
                return
            if isinstance(item, str):
                raise PipetuiError(f"the demo generator failed: {item}")
            yield item
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _chunks(plan: _Plan) -> Iterator[_Chunk]:
    # Forking is only safe while this process runs a single thread (the CLI);
    # inside the app, or where fork does not exist, rows are made inline.
    can_fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if plan.count >= PARALLEL_FROM and can_fork:
        return _chunks_in_parallel(plan)
    return _deal_rows(plan)


class _Generator:
    def __init__(self, count: int, seed: int, progress) -> None:
        self.count = count
        self.rng = random.Random(seed)
        # Quotas come after the deals, whose rows may be drawn in a child
        # process from its own copy of ``rng``: they need a stream of their own.
        self.quota_rng = random.Random(f"{seed}:quotas")
        self.progress = progress or (lambda done, total: None)
        self.now = clock.now().replace(microsecond=0)
        self.today = clock.today()
        self.pipeline = default_pipeline()
        self.stages = stages(self.pipeline)
        self.reasons = [r.name for r in LostReason.select().order_by(LostReason.id)] or ["Other"]

    def run(self) -> DemoSummary:
        reps = self._reps()
        org_ids, contacts_by_org = self._organizations()
        plan = _Plan(
            count=self.count, rng=self.rng, now=self.now, today=self.today,
            pipeline_id=self.pipeline.id, stage_ids=[s.id for s in self.stages],
            stage_positions=[s.position for s in self.stages],
            reasons=self.reasons, reps=reps, org_ids=org_ids, org_names=self.org_names,
            contacts_by_org=contacts_by_org,
            first_ids=(next_id(Deal), next_id(StageChange), next_id(Activity), next_id(Note)),
        )
        counts = {OPEN: 0, WON: 0, LOST: 0}
        won_by_rep_month: dict[tuple[int, str], int] = defaultdict(int)
        changes = activities = done = 0
        self.progress(0, self.count)
        with indexes_deferred(db, [Deal, StageChange, Activity, Note]):
            for chunk in _chunks(plan):
                self._insert(chunk)
                for status, n in chunk.counts.items():
                    counts[status] += n
                for key, amount in chunk.won_by_rep_month.items():
                    won_by_rep_month[key] += amount
                changes += len(chunk.changes)
                activities += len(chunk.activities)
                done += len(chunk.deals)
                self.progress(done, self.count)
        for model in (Deal, StageChange, Activity, Note):
            sync_id_sequence(db, model)
        self._quotas(reps, won_by_rep_month)
        return DemoSummary(self.count, counts[OPEN], counts[WON], counts[LOST], len(reps),
                           changes, activities)

    def _insert(self, chunk: _Chunk) -> None:
        insert_rows(db, Deal, ["id", "pipeline_id", "stage_id", "title", "value", "currency",
                               "probability", "owner_id", "organization_id", "contact_id",
                               "expected_close", "status", "lost_reason", "created_at", "updated_at",
                               "closed_at", "stage_entered_at", "last_activity_at", "version"],
                    chunk.deals)
        insert_rows(db, StageChange, ["id", "deal_id", "from_stage_id", "to_stage_id", "from_status",
                                      "to_status", "changed_at", "changed_by_id", *history_columns.COLUMNS],
                    chunk.changes)
        insert_rows(db, Activity, ["id", "deal_id", "contact_id", "owner_id", "kind", "subject",
                                   "due_date", "due_time", "done", "done_at", "created_at"],
                    chunk.activities)
        insert_rows(db, Note, ["id", "deal_id", "author_id", "body", "created_at"], chunk.notes)

    def _reps(self) -> list[int]:
        """The demo's reps; one that exists already (by name) is reused."""
        chosen = self.rng.sample(REP_NAMES, self.rng.randint(4, 6))
        ids = []
        for name, login in chosen:
            rep = Rep.get_or_none(Rep.name == name)
            if rep is None:
                login_taken = Rep.select().where(Rep.username == login).exists()
                rep = Rep.create(name=name, username=None if login_taken else login,
                                 email=f"{login}@example.com",
                                 created_at=self.now - dt.timedelta(days=400))
            ids.append(rep.id)
        return ids

    def _organizations(self) -> tuple[list[int], dict[int, list[int]]]:
        wanted = max(5, min(self.count // 3, len(_ORG_HEADS) * len(_ORG_TAILS) * len(_ORG_TRADES)))
        combos = [(h, t, trade) for h in _ORG_HEADS for t in _ORG_TAILS for trade in _ORG_TRADES]
        picked = self.rng.sample(combos, wanted)
        org_id, contact_id = next_id(Organization), next_id(Contact)
        org_rows, contact_rows = [], []
        self.org_names: dict[int, str] = {}
        contacts_by_org: dict[int, list[int]] = {}
        created = _ts(self.now - dt.timedelta(days=400))
        for head, tail, trade in picked:
            legal = _LEGAL[(len(head) * 7 + len(tail) * 3 + len(trade)) % len(_LEGAL)]
            name = f"{head}{tail} {trade} {legal}".strip()
            org_rows.append((org_id, name, f"https://{head.lower()}{tail}.example", created))
            self.org_names[org_id] = name
            people = []
            for _ in range(self.rng.choice((1, 1, 2, 3))):
                first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
                email = f"{first.lower()}.{last.lower()}@{head.lower()}{tail}.example"
                contact_rows.append((contact_id, f"{first} {last}", email, None, org_id, created))
                people.append(contact_id)
                contact_id += 1
            contacts_by_org[org_id] = people
            org_id += 1
        insert_rows(db, Organization, ["id", "name", "website", "created_at"], org_rows)
        insert_rows(db, Contact, ["id", "name", "email", "phone", "organization_id", "created_at"],
                    contact_rows)
        sync_id_sequence(db, Organization)
        sync_id_sequence(db, Contact)
        return list(self.org_names), contacts_by_org

    def _quotas(self, reps: list[int], won_by_rep_month: dict[tuple[int, str], int]) -> None:
        """Quotas a little above what each rep won in the last three whole
        months (the demo pipeline grows over its year), so that some reps
        reach this period's quota and some do not."""
        first_month = add_months(self.today.replace(day=1), -12)
        months = [add_months(first_month, i) for i in range(16)]  # a year back, three ahead
        history = [m.strftime("%Y-%m") for m in months[9:12]]
        rows = []
        team_by_quarter: dict[dt.date, int] = defaultdict(int)
        for rep_id in reps:
            average = sum(won_by_rep_month.get((rep_id, m), 0) for m in history) / len(history)
            monthly = max(1_000_000, int(round(average * self.quota_rng.uniform(1.0, 1.3), -5)))
            by_quarter: dict[dt.date, int] = defaultdict(int)
            for month in months:
                rows.append((rep_id, "month", month_period(month).start.isoformat(), monthly, "USD"))
                by_quarter[quarter_period(month).start] += monthly
            for start, amount in by_quarter.items():
                rows.append((rep_id, "quarter", start.isoformat(), amount, "USD"))
                team_by_quarter[start] += amount
        for start, amount in team_by_quarter.items():
            rows.append((None, "quarter", start.isoformat(), int(round(amount * 0.95, -5)), "USD"))
        insert_rows(db, Quota, ["rep_id", "period_kind", "period_start", "amount", "currency"], rows)
