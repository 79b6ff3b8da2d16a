"""Shaping the pipelines: stages and pipelines through the core and the CLI,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from test_cli import assert_one_line_failure, dump, isolated_environment, ok, opened, run  # noqa: F401

from pipetui.core import deals, lookup, rows, stages
from pipetui.core.errors import InvalidInput, NotFound
from pipetui.core.money import Money
from pipetui.store import FieldChange, Pipeline, Stage, StageChange

DEFAULT = ["Prospecting", "Contacted", "Qualified", "Meeting", "Proposal", "Negotiation", "Closing"]


def names(pipeline=None) -> list[str]:
    return [s.name for s in lookup.stages(pipeline)]


def new_deal(title: str, stage: str | None = None, pipeline=None):
    where = lookup.resolve_stage(stage, pipeline) if stage else (lookup.stages(pipeline)[0] if pipeline else None)
    return deals.create_deal(title, Money(1_000_00, "USD"), stage=where)


# --- stages ------------------------------------------------------------------


def test_a_stage_is_added_at_the_place_asked(db):
    added = stages.add_stage("Discovery", after="Qualified", probability=35, rotting_days=14)
    assert names()[:5] == ["Prospecting", "Contacted", "Qualified", "Discovery", "Meeting"]
    assert (added.position, added.probability, added.rotting_days) == (3, 35, 14)
    stages.add_stage("Lead", position=1)
    stages.add_stage("Contract", before="closing", rotting_days="never")
    assert names() == ["Lead", "Prospecting", "Contacted", "Qualified", "Discovery", "Meeting", "Proposal",
                       "Negotiation", "Contract", "Closing"]
    assert [s.position for s in lookup.stages()] == list(range(10))
    lead, contract = lookup.resolve_stage("Lead"), lookup.resolve_stage("Contract")
    assert lead.probability == 10  # as the stage after it, when first
    assert (contract.probability, contract.rotting_days) == (82, None)  # between 75 and 90


def test_rename_move_and_set_a_stage(db):
    deal = new_deal("Acme", "Proposal")
    stages.rename_stage("Proposal", "Proposal made")
    assert deals.get_deal(deal.id).stage == "Proposal made"  # its deals follow
    stages.move_stage("Proposal made", before="Prospecting")
    assert names()[:2] == ["Proposal made", "Prospecting"]
    stages.move_stage("proposal m", position=7)
    assert names()[-1] == "Proposal made"
    stages.move_stage("Proposal made", after="Meeting")
    assert names() == DEFAULT[:4] + ["Proposal made"] + DEFAULT[5:]
    changed = stages.set_stage("Meeting", probability="50%", rotting_days=3)
    assert (changed.probability, changed.rotting_days) == (50, 3)
    assert stages.set_stage("Meeting", rotting_days="never").rotting_days is None


@pytest.mark.parametrize("call, message", [
    (lambda: stages.add_stage("qualified"), "already has a stage 'Qualified'"),
    (lambda: stages.add_stage("  "), "stage name must not be empty"),
    (lambda: stages.add_stage("X", after="Nowhere"), "no stage 'Nowhere'"),
    (lambda: stages.add_stage("X", after="Meeting", before="Closing"), "give one of --after, --before"),
    (lambda: stages.add_stage("X", position=9), "position 9 is past the end"),
    (lambda: stages.add_stage("X", position="0"), "too small"),
    (lambda: stages.add_stage("X", probability=101), "probability"),
    (lambda: stages.add_stage("X", rotting_days=400), "too large"),
    (lambda: stages.rename_stage("Meeting", "closing"), "already has a stage 'Closing'"),
    (lambda: stages.move_stage("Meeting"), "say where the stage goes"),
    (lambda: stages.move_stage("Meeting", after="Meeting"), "cannot go after itself"),
    (lambda: stages.set_stage("Meeting"), "nothing to set"),
    (lambda: stages.add_stage("X", pipeline="Nope"), "no pipeline 'Nope'"),
])
def test_bad_stage_input_is_refused_and_changes_nothing(db, call, message):
    before = [(s.id, s.name, s.position, s.probability, s.rotting_days) for s in Stage.select().order_by(Stage.id)]
    with pytest.raises(InvalidInput, match=message):
        call()
    assert [(s.id, s.name, s.position, s.probability, s.rotting_days)
            for s in Stage.select().order_by(Stage.id)] == before


def test_a_stage_holding_deals_is_deleted_only_with_a_target(db):
    open_deal = new_deal("Open one", "Meeting")
    won = deals.win_deal(new_deal("Won one", "Meeting").id)
    with pytest.raises(InvalidInput, match="2 deals are in stage 'Meeting'; give a stage to move them to"):
        stages.delete_stage("Meeting")
    assert "Meeting" in names()
    removed, moved = stages.delete_stage("Meeting", to="Proposal")
    assert (removed.name, moved) == ("Meeting", 2)
    assert names() == [n for n in DEFAULT if n != "Meeting"]
    assert [s.position for s in lookup.stages()] == list(range(6))
    proposal = lookup.resolve_stage("Proposal")
    for deal, status in ((open_deal, "open"), (won, "won")):
        after = deals.get_deal(deal.id)
        assert (after.stage, after.status) == ("Proposal", status)
        last = deals.history(deal.id)[-1]
        assert (last.from_stage_id, last.to_stage_id, last.to_status) == (removed.id, proposal.id, status)
    # The history still names the removed stage; the name is free again.
    assert "Meeting → Proposal" in [entry.what for entry in rows.deal_sheet(open_deal.id).history]
    assert stages.add_stage("Meeting").name == "Meeting"


def test_an_empty_stage_is_deleted_and_the_last_one_kept(db):
    stages.delete_stage("Closing")
    assert names() == DEFAULT[:-1]
    stages.add_pipeline("Solo", stages=["Only"])
    with pytest.raises(InvalidInput, match="the only stage of pipeline 'Solo'"):
        stages.delete_stage("Only", pipeline="Solo")
    with pytest.raises(InvalidInput, match="cannot move to the stage being deleted"):
        stages.delete_stage("Meeting", to="Meeting")


# --- pipelines ---------------------------------------------------------------


def test_pipelines_are_added_renamed_archived_and_listed(db):
    renewals = stages.add_pipeline("Renewals", stages=["Up for renewal", "Negotiating", "Renewed"])
    assert names(renewals) == ["Up for renewal", "Negotiating", "Renewed"]
    assert [s.probability for s in lookup.stages(renewals)] == [25, 50, 75]
    # The same stage name in two pipelines is fine.
    stages.add_stage("Meeting", pipeline="Renewals", position=1)
    assert names(renewals)[0] == "Meeting"
    stages.rename_pipeline("renewals", "Renewals 2027")
    listed = {p.name: p for p in stages.pipeline_list()}
    assert listed["Renewals 2027"].stages == 4 and listed["Renewals 2027"].open_deals == 0
    stages.archive_pipeline("Renewals 2027")
    assert [p.name for p in stages.pipeline_list()] == ["Sales"]
    assert [p.archived for p in stages.pipeline_list(include_archived=True)] == [False, True]
    with pytest.raises(InvalidInput, match="'Sales' is the only pipeline in use"):
        stages.archive_pipeline("Sales")
    stages.restore_pipeline("Renewals 2027")
    new_deal("Open", pipeline=renewals)
    with pytest.raises(InvalidInput, match="has 1 open deal; move or close them"):
        stages.archive_pipeline("Renewals 2027")


def test_pipeline_names_are_unique(db):
    stages.add_pipeline("Renewals")
    with pytest.raises(InvalidInput, match="already a pipeline 'Renewals'"):
        stages.add_pipeline("RENEWALS")
    with pytest.raises(InvalidInput, match="already a pipeline 'Sales'"):
        stages.rename_pipeline("Renewals", "sales")
    with pytest.raises(InvalidInput, match="named twice"):
        stages.add_pipeline("Other", stages=["A", "a"])
    assert Pipeline.select().count() == 2


def test_a_deal_moves_to_another_pipeline_with_its_stage_mapped(db):
    renewals = stages.add_pipeline("Renewals", stages=["Qualified", "Renewed"])
    mapped = new_deal("By name", "Qualified")
    first = new_deal("To the first", "Meeting")
    given = new_deal("Given", "Meeting")
    assert stages.move_deal_to_pipeline(mapped.id, "Renewals").stage == "Qualified"
    assert stages.move_deal_to_pipeline(first.id, renewals).stage == "Qualified"
    moved = stages.move_deal_to_pipeline(given.id, "Renewals", stage="Renewed")
    assert (moved.stage, moved.pipeline_id, moved.status) == ("Renewed", renewals.id, "open")
    last = deals.history(given.id)[-1]
    assert (last.from_stage_id, last.to_stage_id) == (lookup.resolve_stage("Meeting").id, moved.stage_id)
    change = FieldChange.get(FieldChange.deal == given.id)
    assert (change.field, change.old_value, change.new_value) == ("pipeline", "Sales", "Renewals")
    with pytest.raises(InvalidInput, match="already in pipeline 'Renewals'"):
        stages.move_deal_to_pipeline(given.id, "Renewals")
    with pytest.raises(NotFound, match="no stage 'Meeting'"):
        stages.move_deal_to_pipeline(new_deal("x").id, "Renewals", stage="Meeting")
    stages.add_pipeline("Empty")
    with pytest.raises(InvalidInput, match="has no stages yet"):
        stages.move_deal_to_pipeline(new_deal("y").id, "Empty")
    assert [d.title for d in rows.deal_rows(pipeline=renewals)] == ["By name", "To the first", "Given"]


def test_stages_of_a_pipeline_and_the_deal_editor_stay_in_it(db):
    renewals = stages.add_pipeline("Renewals", stages=["Up", "Renewed"])
    added = deals.add_deal("R", "100", default_currency="USD", stage="Renewed", pipeline=renewals)
    assert (added.stage, added.pipeline_id) == ("Renewed", renewals.id)
    first = deals.add_deal("F", "100", default_currency="USD", pipeline=renewals)
    assert first.stage == "Up"
    edited = deals.update_deal(added.id, added.version, default_currency="USD", title="R", value="100",
                               stage="Up", owner=None, organization=None, contact=None, expected_close=None,
                               probability=None)
    assert edited.stage == "Up"


# --- the command line -----------------------------------------------------------


def test_the_command_line_shapes_a_pipeline(backend_url):
    url = backend_url
    out = ok(run(url, "stage", "add", "Discovery", "--after", "Qualified", "--probability", "35",
                 "--rotting-days", "14")).stdout
    assert out == "Added stage Discovery at 4 (35%, rots after 14 days)\n"
    ok(run(url, "stage", "rename", "Discovery", "Demo scheduled"))
    ok(run(url, "stage", "move", "Demo scheduled", "--position", "1"))
    ok(run(url, "stage", "set", "Demo scheduled", "--probability", "40", "--rotting-days", "never"))
    listed = json.loads(ok(run(url, "stage", "list", "--json")).stdout)
    assert listed[0] == {"id": listed[0]["id"], "name": "Demo scheduled", "position": 1, "probability": 40,
                         "rotting_days": None, "stage_rotting_days": None, "pipeline": "Sales",
                         "open_deals": 0}
    assert ok(run(url, "stages")).stdout.splitlines()[0] == "1. Demo scheduled  40%  never rots"
    ok(run(url, "add", "Acme", "-v", "100", "-s", "Demo"))
    ok(run(url, "stage", "delete", "Demo scheduled", "--to", "Proposal"))
    assert [d["stage"] for d in json.loads(ok(run(url, "deals", "--json")).stdout)] == ["Proposal"]

    assert ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Negotiating,Renewed")).stdout == \
        "Added pipeline Renewals with 3 stages\n"
    pipelines = json.loads(ok(run(url, "pipeline", "list", "--json")).stdout)
    assert [(p["name"], p["stages"], p["open_deals"]) for p in pipelines] == [("Sales", 7, 1), ("Renewals", 3, 0)]
    assert "Negotiating" in ok(run(url, "stage", "list", "--pipeline", "Ren")).stdout
    out = ok(run(url, "move-pipeline", "Acme", "Renewals", "--stage", "Negotiating")).stdout
    assert out == "Moved #1 Acme to Renewals, stage Negotiating\n"
    assert ok(run(url, "deals", "--pipeline", "Sales")).stdout == "No deals.\n"
    assert [d["stage"] for d in json.loads(ok(run(url, "deals", "--pipeline", "Renewals", "--json")).stdout)] \
        == ["Negotiating"]
    ok(run(url, "move", "Acme", "Renewed"))  # a stage of the deal's own pipeline
    ok(run(url, "pipeline", "move", "Acme", "Sales"))
    ok(run(url, "pipeline", "rename", "Renewals", "Renewals 2027"))
    ok(run(url, "pipeline", "archive", "Renewals 2027"))
    assert ok(run(url, "pipeline", "list")).stdout.splitlines() == ["Sales" + " " * 22 + "7 stages      1 open deal"]


@pytest.mark.parametrize("args", [
    ["stage", "add", "Qualified"],
    ["stage", "add", "X", "--after", "Nowhere"],
    ["stage", "add", "X", "--after", "Meeting", "--position", "2"],
    ["stage", "add", "X", "--probability", "120"],
    ["stage", "add", "X", "--rotting-days", "often"],
    ["stage", "add", "X", "--pipeline", "Nope"],
    ["stage", "rename", "Meeting", "Closing"],
    ["stage", "move", "Meeting", "--position", "99"],
    ["stage", "set", "Meeting"],
    ["stage", "delete", "Meeting"],
    ["stage", "delete", "Meeting", "--to", "Nowhere"],
    ["pipeline", "add", "sales"],
    ["pipeline", "archive", "Sales"],
    ["move-pipeline", "Acme", "Sales"],
])
def test_bad_shaping_input_exits_2_with_one_line_and_writes_nothing(backend_url, args):
    ok(run(backend_url, "add", "Acme", "-v", "100", "-s", "Meeting"))
    before = dump(backend_url)
    assert_one_line_failure(run(backend_url, *args), 2)
    assert dump(backend_url) == before


def test_migration_keeps_removed_stages_for_history(db):
    deal = new_deal("Kept", "Meeting")
    stages.delete_stage("Meeting", to="Proposal")
    removed = Stage.get(Stage.name == "Meeting")
    assert removed.removed_at is not None
    assert StageChange.select().where(StageChange.to_stage == removed.id, StageChange.deal == deal.id).count() == 1


def test_migration_0009_goes_back_keeping_a_removed_stage_under_another_name(db):
    from pipetui.store.database import migration_runner

    deal = new_deal("Kept", "Meeting")
    removed, _ = stages.delete_stage("Meeting", to="Proposal")
    stages.add_stage("Meeting", after="Qualified")
    migration_runner(db).down("0009_shaped_pipelines")  # and every later one
    found = sorted(name for (name,) in db.execute_sql(f"SELECT name FROM stage WHERE name LIKE {db.param}", ("Meeting%",)))
    assert found == ["Meeting", f"Meeting (removed #{removed.id})"]
    assert db.execute_sql(f"SELECT COUNT(*) FROM stage_change WHERE deal_id = {db.param}", (deal.id,)).fetchone()[0] == 2


# --- figures over one pipeline or all ----------------------------------------


def test_figures_cover_one_pipeline_or_add_up_over_all(db):
    from pipetui.core import board, metrics, triage
    from pipetui.core.dates import parse_period

    renewals = stages.add_pipeline("Renewals", stages=["Up", "Renewed"])
    new_deal("Sales deal", "Meeting")
    deals.create_deal("Renewal deal", Money(500_00, "USD"), stage=lookup.stages(renewals)[0])
    period = parse_period("this-quarter")
    everything = metrics.report(period)
    one = metrics.report(period, pipeline=renewals)
    assert (everything.health.open_deals, one.health.open_deals) == (2, 1)
    assert one.health.open_value == 500_00 and everything.health.open_value == 1_500_00
    assert [f.name for f in one.funnel] == ["Up", "Renewed"]
    assert [f.name for f in everything.funnel][-2:] == ["Renewals: Up", "Renewals: Renewed"]
    assert "Sales: Meeting" in [f.name for f in everything.funnel]
    assert one.scope == "team, pipeline Renewals"
    assert metrics.as_json(one)["pipeline"] == "Renewals" and "pipeline" not in metrics.as_json(everything)
    assert metrics.summary(period, pipeline=renewals).scope == "team, Renewals"
    columns = board.columns(board.BoardFilter(pipeline_id=renewals.id))
    assert [(c.name, c.count) for c in columns] == [("Up", 1), ("Renewed", 0)]
    assert [c.name for c in board.columns()] == DEFAULT  # the first pipeline, as before
    sales_deal = Deal_id("Sales deal")
    assert board.index_of(sales_deal, board.BoardFilter(pipeline_id=renewals.id)) is None
    import datetime as dt

    from pipetui.core import clock

    deals.edit_deal(sales_deal, expected_close=clock.today() - dt.timedelta(days=3))
    assert [item.title for item in triage.queue()] == ["Sales deal"]
    assert triage.queue(pipeline_id=renewals.id) == []


def Deal_id(title: str) -> int:  # noqa: N802
    from pipetui.store import Deal

    return Deal.get(Deal.title == title).id


def test_report_and_today_take_a_pipeline_on_the_command_line(backend_url):
    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Renewed"))
    ok(run(url, "add", "Sales deal", "-v", "1000"))
    ok(run(url, "add", "Renewal deal", "-v", "500", "--pipeline", "Renewals"))
    report = json.loads(ok(run(url, "report", "--pipeline", "Renewals", "--json")).stdout)
    assert (report["pipeline"], report["health"]["open_deals"]) == ("Renewals", 1)
    assert json.loads(ok(run(url, "report", "--json")).stdout)["health"]["open_deals"] == 2
    assert ok(run(url, "report", "--pipeline", "Ren")).stdout.startswith("Pipeline report: team, pipeline Renewals")
    assert json.loads(ok(run(url, "today", "--all", "--pipeline", "Renewals", "--json")).stdout) == []
    before = dump(url)
    assert_one_line_failure(run(url, "report", "--pipeline", "Nope"), 2)
    assert_one_line_failure(run(url, "today", "--pipeline", "Nope"), 2)
    assert_one_line_failure(run(url, "deals", "--pipeline", "Nope"), 2)
    assert dump(url) == before


# --- the import's pipeline column ----------------------------------------------


PIPEDRIVE_HEADER = "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Pipeline,Deal - Stage,Deal - Status\n"


def test_the_import_puts_deals_in_the_pipelines_the_file_names(backend_url, tmp_path):
    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Renewed"))
    path = tmp_path / "deals.csv"
    path.write_text(PIPEDRIVE_HEADER + "1,A,100,USD,Sales,Meeting,Open\n2,B,200,USD,renewals,Renewed,Open\n"
                    "3,C,300,USD,Renewals,Signed,Open\n4,D,50,USD,,Proposal,Open\n")
    refused = run(url, "import", str(path), "--preset", "pipedrive")
    assert refused.exit_code == 2 and "'Renewals: Signed': 1 row" in refused.stderr
    ok(run(url, "import", str(path), "--preset", "pipedrive", "--create-stages"))
    rows = {d["title"]: d["stage"] for d in json.loads(ok(run(url, "deals", "--json", "--pipeline", "Renewals")).stdout)}
    assert rows == {"B": "Renewed", "C": "Signed"}
    assert [s["name"] for s in json.loads(ok(run(url, "stage", "list", "--pipeline", "Renewals", "--json")).stdout)] \
        == ["Up", "Renewed", "Signed"]
    sales = {d["title"]: d["stage"] for d in json.loads(ok(run(url, "deals", "--json", "--pipeline", "Sales")).stdout)}
    assert sales == {"A": "Meeting", "D": "Proposal"}
    # Imported again with B in Sales: it moves there, and its pipeline with it.
    path.write_text(PIPEDRIVE_HEADER + "2,B,200,USD,Sales,Qualified,Open\n")
    ok(run(url, "import", str(path), "--preset", "pipedrive"))
    assert [d["title"] for d in json.loads(ok(run(url, "deals", "--json", "--pipeline", "Renewals")).stdout)] == ["C"]


def test_an_unknown_pipeline_is_refused_with_a_hint_and_nothing_is_written(backend_url, tmp_path):
    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Renewed"))
    path = tmp_path / "deals.csv"
    path.write_text(PIPEDRIVE_HEADER + "1,A,100,USD,Renewals,Up,Open\n2,B,200,USD,Partners,Up,Open\n")
    before = dump(url)
    refused = run(url, "import", str(path), "--preset", "pipedrive", "--create-stages")
    assert refused.exit_code == 2 and "Traceback" not in refused.stderr
    assert "pipelines the database does not have:" in refused.stderr and "'Partners': 1 row" in refused.stderr
    assert "1 row in pipelines the database does not have" in refused.stderr.splitlines()[-1]
    assert dump(url) == before


def test_a_file_with_one_pipeline_of_its_own_imports_into_the_first(backend_url, tmp_path):
    url = backend_url
    path = tmp_path / "deals.csv"
    path.write_text(PIPEDRIVE_HEADER + "1,A,100,USD,Default,Meeting,Open\n")
    out = ok(run(url, "import", str(path), "--preset", "pipedrive")).stdout
    assert "the file's pipeline 'Default' is imported into 'Sales'" in out
    assert [d["stage"] for d in json.loads(ok(run(url, "deals", "--json")).stdout)] == ["Meeting"]


def test_the_export_names_each_deal_s_pipeline_and_imports_back(backend_url, tmp_path):
    from test_cli import fresh_database

    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Renewed"))
    ok(run(url, "add", "Renewal deal", "-v", "500", "--pipeline", "Renewals", "--stage", "Renewed"))
    ok(run(url, "add", "Sales deal", "-v", "100"))
    exported = tmp_path / "deals.csv"
    ok(run(url, "export", str(exported)))
    header, *lines = exported.read_text().splitlines()
    assert header.split(",")[-1] == "pipeline" and lines[0].endswith(",Renewals") and lines[1].endswith(",Sales")
    other = fresh_database(url, tmp_path, "other.db")
    ok(run(other, "pipeline", "add", "Renewals", "--stages", "Renewed"))
    ok(run(other, "import", str(exported)))
    assert [(d["title"], d["stage"]) for d in json.loads(ok(run(other, "deals", "--json", "--pipeline", "Renewals")).stdout)] \
        == [("Renewal deal", "Renewed")]


def test_stage_terms_and_bulk_moves_use_the_stages_of_the_deals_pipeline(backend_url):
    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up,Renewed"))
    ok(run(url, "add", "R1", "-v", "1", "--pipeline", "Renewals"))
    ok(run(url, "add", "R2", "-v", "2", "--pipeline", "Renewals"))
    ok(run(url, "add", "S1", "-v", "3"))
    out = ok(run(url, "move", "R1", "R2", "Renewed")).stdout
    assert out.splitlines() == ["Moved #1 R1 to Renewed", "Moved #2 R2 to Renewed"]
    listed = json.loads(ok(run(url, "deals", "--pipeline", "Renewals", "--where", "stage:Renewed", "--json")).stdout)
    assert [d["title"] for d in listed] == ["R2", "R1"]
    before = dump(url)
    # A stage of one pipeline for deals of two: refused, nothing moved.
    assert_one_line_failure(run(url, "move", "R1", "S1", "Proposal"), 2)
    assert dump(url) == before


def test_the_board_filter_reads_stage_terms_in_the_pipeline_shown(db):
    from pipetui.core import board

    renewals = stages.add_pipeline("Renewals", stages=["Up", "Renewed"])
    deals.create_deal("R", Money(1_00, "USD"), stage=lookup.stages(renewals)[1])
    columns = board.columns(board.BoardFilter("stage:renewed", pipeline_id=renewals.id))
    assert [(c.name, c.count) for c in columns] == [("Up", 0), ("Renewed", 1)]


def test_monitor_and_triage_take_a_pipeline(backend_url, monkeypatch):
    import pipetui.tui.monitor
    from pipetui.tui.app import PipetuiApp

    url = backend_url
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up"))
    renewals_id = json.loads(ok(run(url, "pipeline", "list", "--json")).stdout)[1]["id"]
    seen = {}

    class Ended:
        return_code = 0

    monkeypatch.setattr(pipetui.tui.monitor, "run_monitor", lambda **kw: seen.update(kw) or Ended())
    ok(run(url, "monitor", "--team", "--pipeline", "renew"))
    assert seen["pipeline"] == renewals_id
    monkeypatch.setattr(PipetuiApp, "run", lambda app: seen.update(app_pipeline=app.pipeline_id))
    ok(run(url, "triage", "--pipeline", "Renewals"))
    assert seen["app_pipeline"] == renewals_id
    assert_one_line_failure(run(url, "triage", "--pipeline", "Nope"), 2)


def test_stage_list_says_when_the_config_overrides_the_rotting_days(backend_url, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("[rotting_days]\nProposal = 3\n")
    monkeypatch.setenv("PIPETUI_CONFIG", str(config))
    ok(run(backend_url, "stage", "set", "Proposal", "--rotting-days", "10"))
    lines = ok(run(backend_url, "stage", "list")).stdout.splitlines()
    assert lines[4] == "5. Proposal     60%  rots after 3 days (config; the stage's own: 10)"
    listed = json.loads(ok(run(backend_url, "stage", "list", "--json")).stdout)[4]
    assert (listed["rotting_days"], listed["stage_rotting_days"]) == (3, 10)
