"""One path from the store to every screen: ``pipetui deals --json --status all``
and the deal editor's reads, against the approach they replaced.

    python benchmarks/rows.py --sizes 100000

The baseline, in the same run, is a copy of what main did before the read
models (kept below, unchanged in substance): the deals as Peewee rows from
``pipeline.list_deals`` (stage, organization and owner joined, the contact
not), one ``deal_json`` per row following ``d.contact`` (a query per deal
with a contact), and one ``json.dumps`` of the whole list; the editor's
``_read_form`` following each foreign key of the deal, of every history row
and of every note. The new way is the real command (``pipetui --db DB deals
--json --status all``, in this process) and :func:`pipetui.core.rows.deal_sheet`.
Both JSON texts are compared byte for byte. Queries are counted by wrapping
Peewee's ``Database.execute_sql``, which every query goes through.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path

import peewee

TARGET_RATIO = 5.0  # the new deals --json at least this many times faster


@contextlib.contextmanager
def counting():
    """Count the SQL statements run by any database in the block."""
    seen = [0]
    original = peewee.Database.execute_sql

    def execute_sql(self, sql, params=None, *args, **kwargs):
        seen[0] += 1
        return original(self, sql, params, *args, **kwargs)

    peewee.Database.execute_sql = execute_sql
    try:
        yield seen
    finally:
        peewee.Database.execute_sql = original


# --- the baseline: main before the read models ------------------------------------


def old_list_deals(*, status=None, stage=None, owner=None, limit=None):
    """pipetui.core.pipeline.list_deals as it was."""
    from peewee import JOIN

    from pipetui.store import Deal, Organization, Rep, Stage

    query = (
        Deal.select(Deal, Stage, Organization, Rep)
        .join(Stage, on=(Deal.stage == Stage.id))
        .switch(Deal)
        .join(Organization, JOIN.LEFT_OUTER, on=(Deal.organization == Organization.id))
        .switch(Deal)
        .join(Rep, JOIN.LEFT_OUTER, on=(Deal.owner == Rep.id))
        .where(Deal.deleted_at.is_null())
        .order_by(Stage.position, Deal.value.desc(), Deal.id)
    )
    if status is not None:
        query = query.where(Deal.status == status)
    if stage is not None:
        query = query.where(Deal.stage == stage)
    if owner is not None:
        query = query.where(Deal.owner == owner)
    if limit is not None:
        query = query.limit(limit)
    return list(query)


def old_win_probability(deal) -> int:
    if deal.status == "won":
        return 100
    if deal.status == "lost":
        return 0
    return deal.probability if deal.probability is not None else deal.stage.probability


def old_deal_json(d) -> dict:
    """pipetui.cli.deals.deal_json as it was."""

    def iso(value):
        return value.isoformat() if value is not None else None

    return {
        "id": d.id,
        "title": d.title,
        "stage": d.stage.name,
        "status": d.status,
        "value": d.value,
        "currency": d.currency,
        "probability": d.probability,
        "win_probability": old_win_probability(d),
        "owner": d.owner.name if d.owner_id else None,
        "organization": d.organization.name if d.organization_id else None,
        "contact": d.contact.name if d.contact_id else None,
        "expected_close": iso(d.expected_close),
        "lost_reason": d.lost_reason,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "closed_at": iso(d.closed_at),
        "stage_entered_at": iso(d.stage_entered_at),
        "last_activity_at": iso(d.last_activity_at),
        "version": d.version,
        "external_id": d.external_id,
    }


def old_deals_json(path: Path) -> str:
    """What ``pipetui deals --json --status all`` printed on main."""
    import click

    from pipetui.store import open_database

    database = open_database(path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rows = old_list_deals(status=None)
        click.echo(json.dumps([old_deal_json(d) for d in rows], indent=2, ensure_ascii=False))
    database.close()
    return out.getvalue()


def old_read_form(deal_id: int):
    """The editor's _read_form as it was: the values and the three Rich texts."""
    from rich.text import Text

    from pipetui.core import clock
    from pipetui.core.money import format_money
    from pipetui.core.text import printable
    from pipetui.store import Activity, Deal, Note, Stage, StageChange

    deal = Deal.select().where(Deal.id == deal_id, Deal.deleted_at.is_null()).first()
    values = {
        "title": deal.title,
        "value": format_money(deal.value, deal.currency).replace(",", ""),
        "stage": deal.stage.name,
        "owner": deal.owner.name if deal.owner_id else "",
        "organization": deal.organization.name if deal.organization_id else "",
        "contact": deal.contact.name if deal.contact_id else "",
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else "",
        "probability": "" if deal.probability is None else str(deal.probability),
    }
    names = {s.id: s.name for s in Stage.select().where(Stage.pipeline == deal.pipeline)
             .order_by(Stage.position)}
    changes = list(StageChange.select().where(StageChange.deal == deal.id)
                   .order_by(StageChange.changed_at, StageChange.id))
    history = Text()
    now = clock.now()
    for index, change in enumerate(changes):
        until = changes[index + 1].changed_at if index + 1 < len(changes) else (deal.closed_at or now)
        days = max(0, (until - change.changed_at).days)
        if change.from_status is None:
            what = f"created in {names.get(change.to_stage_id, '?')}"
        elif change.from_status != change.to_status:
            what = {"won": "won", "lost": "lost"}.get(change.to_status, "reopened")
            if change.to_status == "open":
                what += f" in {names.get(change.to_stage_id, '?')}"
        else:
            what = f"{names.get(change.from_stage_id, '?')} → {names.get(change.to_stage_id, '?')}"
        who = printable(change.changed_by.name) if change.changed_by_id else "-"
        history.append(f"{change.changed_at:%Y-%m-%d} ", style="dim")
        history.append(f"{what}")
        history.append(f"  {who}, {days}d\n", style="dim")
    activities = Text()
    today = clock.today()
    open_ = list(Activity.select().where(Activity.deal == deal_id, Activity.done == False)  # noqa: E712
                 .order_by(Activity.due_date.asc(nulls="LAST"), Activity.id))
    done = list(Activity.select().where(Activity.deal == deal_id, Activity.done == True)  # noqa: E712
                .order_by(Activity.done_at.desc()).limit(20))
    for activity in open_ + done:
        mark = "✓" if activity.done else "○"
        when = activity.due_date.isoformat() if activity.due_date else "no date"
        if activity.due_time:
            when += f" {activity.due_time:%H:%M}"
        late = not activity.done and activity.due_date is not None and activity.due_date < today
        activities.append(f"{mark} {when} ", style="bold yellow" if late else "dim")
        activities.append(f"{activity.kind}: {printable(activity.subject)}\n")
    notes = Text()
    for note in Note.select().where(Note.deal == deal_id).order_by(Note.created_at.desc()).limit(50):
        who = printable(note.author.name) if note.author_id else ""
        notes.append(f"{note.created_at:%Y-%m-%d} {who}\n", style="dim")
        notes.append(printable(note.body.replace("\n", " ")) + "\n")
    return (values, deal.version, history, activities or Text("no activities", style="dim"),
            notes or Text("no notes", style="dim"))


# --- the new way ---------------------------------------------------------------------


def new_deals_json(path: Path) -> str:
    """The real command, in this process."""
    from pipetui.cli import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["--db", str(path), "deals", "--json", "--status", "all"], prog_name="pipetui",
                        standalone_mode=False)
    assert code in (None, 0), code
    from pipetui.store import database_proxy

    database_proxy.close()
    return out.getvalue()


def new_read_form(deal_id: int):
    from pipetui.tui.screens.editor import _read_form

    form = _read_form(deal_id, None, None)
    return form.values, form.version, form.history, form.activities, form.notes


# --- measuring ---------------------------------------------------------------------------


def timed(fn, *args):
    with counting() as queries:
        start = time.perf_counter()
        result = fn(*args)
        seconds = time.perf_counter() - start
    return result, seconds, queries[0]


def bench_deals_json(path: Path, size: int, runs: int = 3) -> list[str]:
    print(f"\npipetui deals --json --status all, {size:,} demo deals")
    old_text, old_s, old_q = timed(old_deals_json, path)
    new = [timed(new_deals_json, path) for _ in range(runs)]
    new_text, _, new_q = new[0]
    new_s = sorted(s for _, s, _ in new)[len(new) // 2]
    ratio = old_s / new_s
    same = old_text == new_text
    ok = ratio >= TARGET_RATIO and same
    print(f"  {'way':<44}{'seconds':>10}{'queries':>10}")
    print(f"  {'main: list_deals + deal_json per row (1 run)':<44}{old_s:>10.2f}{old_q:>10,}")
    print(f"  {f'rows.deal_rows, streamed (median of {runs})':<44}{new_s:>10.2f}{new_q:>10,}")
    print(f"  ratio {ratio:.1f}x, target >= {TARGET_RATIO:g}x {'ok' if ratio >= TARGET_RATIO else 'MISSED'}; "
          f"output {len(new_text):,} bytes, {'byte-identical' if same else 'DIFFERENT'} to main's")
    failures = []
    if not ok:
        failures.append(f"deals --json {size:,}: ratio {ratio:.1f}x (target {TARGET_RATIO:g}x), "
                        f"identical: {same}")
    return failures


def long_history_deal(path: Path, moves: int = 100, notes: int = 10) -> int:
    """A deal moved back and forth ``moves`` times by reps, with notes by reps."""
    from pipetui.core import activities, deals, people
    from pipetui.core.money import Money
    from pipetui.store import open_database

    database = open_database(path)
    reps = [people.add_rep(f"Rep {n}") for n in range(3)]
    deal = deals.create_deal("Long history", Money(1_000_00, "USD"), owner=reps[0], actor=reps[0],
                             organization=people.find_or_create_organization("Acme"))
    for step in range(moves):
        deals.step_deal(deal.id, 1 if step % 2 == 0 else -1, actor=reps[step % 3])
    for n in range(notes):
        activities.add_note_to_deal(deal.id, f"note {n}", author=reps[n % 3])
    activities.schedule_on_deal(deal.id, "call tomorrow 10:00 pricing", owner=reps[1])
    database.close()
    return deal.id


def bench_editor(path: Path, label: str, deal_id: int, runs: int = 5) -> list[str]:
    from pipetui.store import StageChange, open_database

    database = open_database(path)
    changes = StageChange.select().where(StageChange.deal == deal_id).count()
    old = [timed(old_read_form, deal_id) for _ in range(runs)]
    new = [timed(new_read_form, deal_id) for _ in range(runs)]
    database.close()

    def plain(form):
        values, version, *texts = form
        return values, version, [t.plain for t in texts]

    same = plain(old[0][0]) == plain(new[0][0])
    old_ms = sorted(s for _, s, _ in old)[runs // 2] * 1000
    new_ms = sorted(s for _, s, _ in new)[runs // 2] * 1000
    print(f"  {label:<36}{changes:>8}{old[0][2]:>10}{new[0][2]:>10}{old_ms:>10.1f}{new_ms:>10.1f}  "
          f"{'same text' if same else 'DIFFERENT TEXT'}")
    return [] if same and new[0][2] <= 5 else [f"editor {label}: {new[0][2]} queries, same text: {same}"]


def bench(sizes: list[int]) -> list[str]:
    """deals --json at each size, and the editor's reads on the largest
    database's longest history and on a deal moved 100 times."""
    import shutil
    import tempfile

    from run import demo_database  # benchmarks/run.py: the cached demo databases

    failures = []
    for size in sizes:
        failures += bench_deals_json(demo_database(size), size)
    if not sizes:
        return failures
    from pipetui.store import StageChange, open_database
    from peewee import fn

    biggest = demo_database(max(sizes))
    database = open_database(biggest)
    busiest = (StageChange.select(StageChange.deal, fn.COUNT(StageChange.id).alias("n"))
               .group_by(StageChange.deal).order_by(fn.COUNT(StageChange.id).desc(), StageChange.deal)
               .tuples().first())[0]
    database.close()
    print("\nthe deal editor's read (_read_form): queries and ms, main's way against deal_sheet")
    print(f"  {'deal':<36}{'history':>8}{'main q':>10}{'sheet q':>10}{'main ms':>10}{'sheet ms':>10}")
    failures += bench_editor(biggest, f"longest history of {max(sizes):,}", busiest)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "long.db"
        shutil.copy(demo_database(1_000), copy)
        long_id = long_history_deal(copy)
        failures += bench_editor(copy, "moved 100 times, 10 notes", long_id)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000", help="comma-separated numbers of demo deals")
    args = parser.parse_args(argv)
    failures = bench([int(s.replace("_", "")) for s in args.sizes.split(",") if s])
    if failures:
        print("\nMissed targets:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
