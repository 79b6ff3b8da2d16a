"""The demo pipeline: realistic, consistent and repeatable."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipetui.core import demo, pipeline
from pipetui.core.errors import InvalidInput
from pipetui.core.integrity import deals_with_inconsistent_history
from pipetui.store import (
    ALL_MODELS,
    LOST,
    OPEN,
    WON,
    Activity,
    Deal,
    Quota,
    Rep,
    Stage,
    StageChange,
    open_database,
)


def dump() -> dict[str, list[tuple]]:
    """Every row of every table, in id order."""
    return {
        model._meta.table_name: [tuple(row.values()) for row in model.select().order_by(model.id).dicts()]
        for model in ALL_MODELS
    }


def test_demo_pipeline_is_consistent_and_realistic(db, frozen_clock):
    summary = demo.generate(400, seed=7)
    assert summary.deals == Deal.select().count() == 400
    assert summary.open + summary.won + summary.lost == 400
    assert deals_with_inconsistent_history() == []

    by_status = {s: Deal.select().where(Deal.status == s).count() for s in (OPEN, WON, LOST)}
    assert by_status[OPEN] >= 40 and by_status[WON] >= 30 and by_status[LOST] >= 100
    assert all(t.count > 0 for t in pipeline.stage_totals()), "every stage has open deals"
    assert 4 <= Rep.select().count() <= 6

    oldest = Deal.select().order_by(Deal.created_at).first().created_at
    assert frozen_clock - dt.timedelta(days=366) <= oldest <= frozen_clock - dt.timedelta(days=300)
    assert Deal.select().where(Deal.created_at > frozen_clock).count() == 0
    assert Deal.select().where(Deal.status == LOST, Deal.lost_reason.is_null()).count() == 0
    closed_without_date = Deal.select().where(Deal.status != OPEN, Deal.closed_at.is_null()).count()
    assert closed_without_date == 0
    assert Deal.select().where(Deal.currency != "USD").count() > 0  # more than one currency

    # Some deals go back a stage; some open deals rot; some follow-ups are overdue or due this week.
    backwards = (StageChange.select().join(Stage, on=(StageChange.to_stage == Stage.id))
                 .switch(StageChange)
                 .where(StageChange.from_stage.is_null(False), StageChange.from_stage != StageChange.to_stage))
    assert any(c.from_stage.position > c.to_stage.position for c in backwards)
    rotting = [
        d for d in Deal.select().join(Stage).where(Deal.status == OPEN)
        if (frozen_clock - d.last_activity_at).days > d.stage.rotting_days
    ]
    assert 0 < len(rotting) < by_status[OPEN] / 2
    today = frozen_clock.date()
    open_tasks = Activity.select().where(Activity.done == False)  # noqa: E712
    assert open_tasks.where(Activity.due_date < today).count() > 0
    assert open_tasks.where(Activity.due_date.between(today, today + dt.timedelta(days=6))).count() > 0

    rep_quotas = Quota.select().where(Quota.rep.is_null(False))
    assert {q.period_kind for q in rep_quotas} == {"month", "quarter"}
    assert Quota.select().where(Quota.rep.is_null(), Quota.period_kind == "quarter").count() > 0


def test_same_seed_same_pipeline(tmp_path, frozen_clock):
    dumps = []
    for name in ("a.db", "b.db"):
        db = open_database(tmp_path / name)
        demo.generate(150, seed=42)
        rows = dump()
        del rows["pipeline"]  # stamped with the real time when the database was made
        dumps.append(rows)
        db.close()
    assert dumps[0] == dumps[1]
    db = open_database(tmp_path / "c.db")
    demo.generate(150, seed=43)
    assert dump()["deal"] != dumps[0]["deal"]
    db.close()


def test_demo_refuses_a_database_with_deals_unless_forced(db, frozen_clock):
    demo.generate(30, seed=1)
    before = dump()
    with pytest.raises(InvalidInput, match="already has 30 deals; replace them to go on"):
        demo.generate(30, seed=2)
    assert dump() == before
    summary = demo.generate(20, seed=2, force=True)
    assert summary.deals == Deal.select().count() == 20
    assert deals_with_inconsistent_history() == []


@pytest.mark.parametrize("count", [0, -5, demo.MAX_DEALS + 1])
def test_demo_size_must_be_sensible(db, count):
    with pytest.raises(InvalidInput, match="number of deals"):
        demo.generate(count)


def test_the_history_check_finds_a_deal_whose_history_was_tampered_with(db, frozen_clock):
    demo.generate(20, seed=5)
    victim = Deal.select().where(Deal.status == OPEN).first()
    other_stage = Stage.select().where(Stage.id != victim.stage_id).first()
    Deal.update(stage=other_stage).where(Deal.id == victim.id).execute()
    assert deals_with_inconsistent_history() == [victim.id]


def test_rows_made_in_a_child_process_are_the_rows_made_inline(tmp_path, frozen_clock, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK_DEALS", 40)  # several batches, and a partial last one
    forked = []
    real_parallel = demo._chunks_in_parallel
    monkeypatch.setattr(demo, "_chunks_in_parallel", lambda plan: forked.append(1) or real_parallel(plan))
    dumps = []
    for name, parallel_from in (("inline.db", 10**9), ("forked.db", 1)):
        monkeypatch.setattr(demo, "PARALLEL_FROM", parallel_from)
        db = open_database(tmp_path / name)
        summary = demo.generate(130, seed=11)
        rows = dump()
        del rows["pipeline"]
        dumps.append((summary, rows))
        db.close()
    assert forked == [1], "the second run made its rows in a child process"
    assert dumps[0] == dumps[1]
    assert dumps[0][0].deals == 130


def test_a_failing_child_process_leaves_nothing_behind(db, frozen_clock, monkeypatch):
    from pipetui.core.errors import PipetuiError

    def broken_rows(plan):
        yield from ()
        raise ValueError("boom")

    monkeypatch.setattr(demo, "PARALLEL_FROM", 1)
    monkeypatch.setattr(demo, "_deal_rows", broken_rows)
    with pytest.raises(PipetuiError, match="demo generator failed: ValueError: boom"):
        demo.generate(50, seed=1)
    assert Deal.select().count() == 0 and Rep.select().count() == 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not any(Path("/proc/self/task").glob("*/children")),
                    reason="finds the child process through /proc/PID/task/*/children")
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_demo_ends_its_generator_and_leaves_the_database_as_it_was(tmp_path, signal_number):
    path = tmp_path / "pipeline.db"
    pipetui = [sys.executable, "-m", "pipetui", "--db", str(path)]
    added = subprocess.run([*pipetui, "add", "Kept", "--value", "100"], capture_output=True, text=True,
                           timeout=60)
    assert added.returncode == 0, added.stderr
    demo_run = subprocess.Popen([*pipetui, "demo", "--deals", "200000", "--force"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    generator = None
    try:
        deadline = time.monotonic() + 60
        while generator is None and demo_run.poll() is None and time.monotonic() < deadline:
            generator = next(iter(_children(demo_run.pid)), None)
            time.sleep(0.01)
        assert generator is not None, "the demo made its rows without a child process"
        demo_run.send_signal(signal_number)
        # The caller's pipes close once nobody holds them: not the parent, nor its child.
        try:
            demo_run.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the killed demo's output pipes stayed open: its generator still holds them")
        deadline = time.monotonic() + 5
        while _running(generator) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(generator), "the demo's generator outlived its parent"
    finally:
        demo_run.kill()
        if generator is not None and _running(generator):
            os.kill(generator, signal.SIGKILL)
        demo_run.communicate()
    db = open_database(path)
    assert [deal.title for deal in Deal.select()] == ["Kept"]
    assert Rep.select().count() == 0
    db.close()
