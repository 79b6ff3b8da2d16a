"""The funnel and the stays read the columns each stage change carries
(core/history_columns.py) instead of walking every history: whatever
happened to the deals, they give exactly what the plain definitions give,
and the bulk writers' way of filling the columns gives what the services'
way does. On both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipetui.core import clock, deals, history_columns, lookup, metrics, people, stages
from pipetui.core.dates import Period
from pipetui.core.errors import ConflictError, InvalidInput
from pipetui.core.money import Money
from pipetui.core.undo import Change, UndoLog
from pipetui.store import Stage, StageChange
from pipetui.store import database_proxy as database

START = dt.datetime(2026, 1, 5, 9, 0)
KINDS = ["create", "move", "step", "back", "win", "lose", "reopen", "undo", "redo", "delete", "restore",
         "assign", "reorder"]
OPERATION = st.tuples(st.sampled_from(KINDS), st.integers(0, 7), st.integers(0, 6),
                      st.sampled_from([0, 0, 1, 30, 600, 1440, 4320, 20160]))
PERIODS = [Period(dt.date(2026, 1, 5), dt.date(2026, 1, 5), "range"),
           Period(dt.date(2026, 1, 6), dt.date(2026, 1, 20), "range"),
           Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31), "quarter"),
           Period(dt.date(2025, 12, 1), dt.date(2027, 1, 1), "range")]
HISTORY = (StageChange.id, StageChange.to_position, StageChange.previous_entry_at, StageChange.went_on,
           StageChange.deal_owner_id, StageChange.deal_pipeline_id, StageChange.deal_won, StageChange.deal_live)


def _play(operations, reps) -> None:
    """Run the operations through the services; one refused is skipped, as a user's would be."""
    log, made, now = UndoLog(), [], START
    for kind, which, arg, minutes in operations:
        now += dt.timedelta(minutes=minutes)
        with clock.frozen(now):
            deal_id = made[which % len(made)] if made else None
            try:
                if kind == "create" or deal_id is None:
                    stage = lookup.stages()[arg % len(lookup.stages())]
                    made.append(deals.create_deal(f"D{len(made)}", Money(100 * (arg + 1), "USD"),
                                                  stage=stage, owner=reps[arg % 2]).id)
                elif kind in ("move", "step", "back", "win", "lose", "reopen"):
                    before = deals.get_deal(deal_id)
                    if kind == "move":
                        after = deals.move_deal(deal_id, lookup.stages()[arg % len(lookup.stages())])
                    elif kind in ("step", "back"):
                        after = deals.step_deal(deal_id, 1 if kind == "step" else -1)
                    elif kind == "win":
                        after = deals.win_deal(deal_id)
                    elif kind == "lose":
                        after = deals.lose_deal(deal_id, "Price")
                    else:
                        after = deals.reopen_deal(deal_id)
                    change_kind = {"step": "move", "back": "move", "reopen": "move"}.get(kind, kind)
                    if kind != "reopen":
                        log.record(Change(kind, deal_id, change_kind, before.stage_id, after.stage_id,
                                          after.version))
                elif kind == "undo":
                    log.undo()
                elif kind == "redo":
                    log.redo()
                elif kind == "delete":
                    deals.delete_deal(deal_id)
                elif kind == "restore":
                    deals.restore_deal(deal_id)
                elif kind == "assign":
                    deals.edit_deal(deal_id, owner=reps[arg % 2])
                else:
                    stage = lookup.stages()[which % len(lookup.stages())]
                    stages.move_stage(stage.name, position=arg % len(lookup.stages()) + 1)
            except (InvalidInput, ConflictError):
                pass


def _assert_fast_is_defined(rep_id) -> None:
    stage_ids = [s for (s,) in Stage.select(Stage.id).tuples()]
    pipeline_id = lookup.default_pipeline().id
    for period in PERIODS:
        for scope in ((None, None), (rep_id, None), (None, pipeline_id), (rep_id, pipeline_id)):
            defined = metrics.funnel_entries_by_definition(period, *scope)
            assert metrics.funnel_entries(period, stage_ids, *scope) == {
                stage: counts for stage, counts in defined.items() if stage in stage_ids}, (period, scope)
            fast, slow = metrics.average_stays(period, *scope), metrics.average_stays_by_definition(period, *scope)
            assert fast.keys() == slow.keys(), (period, scope)
            for stage in fast:
                assert fast[stage] == pytest.approx(slow[stage], rel=1e-9, abs=1e-9), (period, scope, stage)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATION, min_size=1, max_size=40))
def test_the_fast_funnel_and_stays_are_the_definitions(db, operations):
    with database.atomic() as transaction:
        reps = [people.add_rep("Ann Lee"), people.add_rep("Bob Roy")]
        _play(operations, reps)
        _assert_fast_is_defined(reps[0].id)
        # The bulk writers' way (one set-wise rebuild) fills what the services kept.
        kept = list(StageChange.select(*HISTORY).order_by(StageChange.id).tuples())
        stays = dict(StageChange.select(StageChange.id, StageChange.stay_days).tuples())
        StageChange.update(to_position=None, stay_days=None, previous_entry_at=None, went_on=0,
                           deal_owner_id=None, deal_pipeline_id=None, deal_won=0, deal_live=1).execute()
        live = StageChange.undone_at.is_null()
        positions = {row[0]: row[1] for row in kept}
        for row_id, position in positions.items():  # the positions recorded then, which a rebuild cannot know
            StageChange.update(to_position=position).where(StageChange.id == row_id).execute()
        history_columns.rebuild(0)
        rebuilt = list(StageChange.select(*HISTORY).order_by(StageChange.id).tuples())
        undone = {r for (r,) in StageChange.select(StageChange.id).where(~live).tuples()}
        assert [r for r in rebuilt if r[0] not in undone] == [r for r in kept if r[0] not in undone]
        for row_id, days in StageChange.select(StageChange.id, StageChange.stay_days).tuples():
            if row_id not in undone:
                assert days == pytest.approx(stays[row_id], abs=1e-6), row_id  # SQL's arithmetic, Python's
        transaction.rollback()


def test_a_later_move_further_along_marks_the_entry_gone_on_and_undo_takes_it_back(db):
    with clock.frozen(START):
        deal = deals.create_deal("Acme", Money(100, "USD"), stage=lookup.resolve_stage("Prospecting"))
    with clock.frozen(START + dt.timedelta(days=2)):
        moved = deals.step_deal(deal.id, 1)
    first, second = StageChange.select().order_by(StageChange.id)
    assert (first.went_on, first.stay_days, second.stay_days) == (1, None, 2.0)
    log = UndoLog()
    log.record(Change("move", deal.id, "move", deal.stage_id, moved.stage_id, moved.version))
    with clock.frozen(START + dt.timedelta(days=3)):
        log.undo()
    assert StageChange.get_by_id(first.id).went_on == 0
    with clock.frozen(START + dt.timedelta(days=4)):
        deals.edit_deal(deal.id, owner=people.add_rep("Ann Lee"))
        deals.delete_deal(deal.id)
    row = StageChange.get_by_id(first.id)
    assert (row.deal_owner_id is not None, row.deal_live) == (True, 0)  # the deal's trigger followed it


def _columns() -> list[tuple]:
    return list(StageChange.select(StageChange.id, *HISTORY[1:], StageChange.stay_days)
                .order_by(StageChange.id).tuples())


def _as_rebuilt() -> list[tuple]:
    """The columns as a set-wise rebuild from the rows themselves gives them."""
    with database.atomic() as transaction:
        StageChange.update(stay_days=None, previous_entry_at=None, went_on=0, deal_owner_id=None,
                           deal_pipeline_id=None, deal_won=0, deal_live=1).execute()
        history_columns.rebuild(0)
        rebuilt = _columns()
        transaction.rollback()
    return rebuilt


def _same(written: list[tuple], rebuilt: list[tuple]) -> None:
    assert [r[:-1] for r in written] == [r[:-1] for r in rebuilt]
    for mine, theirs in zip(written, rebuilt, strict=True):
        assert mine[-1] == pytest.approx(theirs[-1], abs=1e-6)


def test_the_demo_writes_the_history_columns_a_rebuild_gives(db):
    from pipetui.core import demo

    with clock.frozen(START):
        demo.generate(300, seed=3)
    written = _columns()
    assert sum(1 for row in written if row[4]) > 0  # some entries went on
    _same(written, _as_rebuilt())


def test_an_import_writes_the_history_columns_a_rebuild_gives(db, tmp_path):
    from pipetui.core import imports

    path = tmp_path / "deals.csv"
    path.write_text("title,value,stage,status,created,close_date,owner\n"
                    "Acme,100,Proposal,won,2025-01-02,2025-02-03,Ann Lee\n"
                    "Beta,200,Qualified,lost,2025-01-05,2025-01-05,Bob Roy\n"
                    "Gamma,300,Meeting,open,2025-03-01,,Ann Lee\n")
    with clock.frozen(START):
        imports.run_import(path, imports.Options())
    written = _columns()
    assert len(written) == 5 and [row[4] for row in written][:2] == [1, 1]
    _same(written, _as_rebuilt())
