"""Bulk forms of move, win, lose, reopen, delete and assign, the filter
language of ``--where`` (the board's ``/``), and the pipe between ``deals
--format ids`` and ``move -``.

A bulk action is all or nothing: one deal that fails leaves every deal as it
was, with one line naming that deal and exit status 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import (  # noqa: F401 - isolated_environment is an autouse fixture
    assert_one_line_failure,
    dump,
    isolated_environment,
    ok,
    opened,
    run,
)

import pipetui
from pipetui.store import LOST, OPEN, WON, Deal, FieldChange, Rep, StageChange

SRC = Path(pipetui.__file__).resolve().parents[1]  # the sources under test, for a child process


@pytest.fixture
def pipeline(backend_url):
    """Five open deals: 1-3 in Proposal, 4 in Qualified (Maya's), 5 in Prospecting."""
    url = backend_url
    ok(run(url, "rep", "add", "Maya Patel", "--login", "maya"))
    ok(run(url, "rep", "add", "Jonas Weber"))
    for title, stage in (("Acme one", "Proposal"), ("Acme two", "Proposal"), ("Beta", "Proposal"),
                         ("Gamma", "Qualified"), ("Delta", "Prospecting")):
        options = ["--owner", "Maya Patel"] if title == "Gamma" else []
        ok(run(url, "add", title, "--value", "1000", "--stage", stage, *options))
    return url


def stages_of(url: str) -> dict[int, tuple[str, str]]:
    with opened(url):
        return {d.id: (d.stage.name, d.status) for d in Deal.select()}


def test_move_takes_several_deals_and_records_each_change(pipeline):
    result = ok(run(pipeline, "move", "1", "#2", "Delta", "Negotiation"))
    assert result.stdout.splitlines() == ["Moved #1 Acme one to Negotiation", "Moved #2 Acme two to Negotiation",
                                          "Moved #5 Delta to Negotiation"]
    assert stages_of(pipeline) == {1: ("Negotiation", OPEN), 2: ("Negotiation", OPEN), 3: ("Proposal", OPEN),
                                   4: ("Qualified", OPEN), 5: ("Negotiation", OPEN)}
    with opened(pipeline):
        assert StageChange.select().where(StageChange.to_stage == Deal.get_by_id(1).stage_id).count() == 3


def test_one_deal_keeps_its_one_line(pipeline):
    assert ok(run(pipeline, "move", "Beta", "Closing")).stdout == "Moved #3 Beta to Closing\n"
    assert ok(run(pipeline, "win", "3")).stdout == "Won #3 Beta\n"
    assert ok(run(pipeline, "reopen", "3")).stdout == "Reopened #3 Beta in Closing\n"


def test_a_failing_deal_in_the_middle_leaves_every_deal_unchanged(pipeline):
    ok(run(pipeline, "win", "2"))
    before = dump(pipeline)
    line = assert_one_line_failure(run(pipeline, "move", "1", "2", "3", "Negotiation"), 2)
    assert "#2" in line and "won" in line
    assert dump(pipeline) == before


def test_a_rule_that_refuses_one_deal_refuses_them_all(pipeline, tmp_path):
    config = tmp_path / "xdg-config" / "pipetui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[rules]]\non = "enter"\nstage = "Negotiation"\nrequire = ["owner"]\n')
    before = dump(pipeline)
    # Gamma has an owner, Acme one has none: the rule stops the move of Acme one.
    line = assert_one_line_failure(run(pipeline, "move", "Gamma", "Acme one", "Negotiation"), 2)
    assert line.startswith("pipetui: deal #1 'Acme one': ")
    assert dump(pipeline) == before


def test_dry_run_says_what_would_change_and_writes_nothing(pipeline):
    before = dump(pipeline)
    result = ok(run(pipeline, "move", "--where", "stage:Proposal", "Closing", "--dry-run"))
    assert result.stdout.splitlines() == [
        "Would move #1 Acme one from Proposal to Closing", "Would move #2 Acme two from Proposal to Closing",
        "Would move #3 Beta from Proposal to Closing"]
    ok(run(pipeline, "lose", "1", "2", "--reason", "No budget", "--dry-run"))
    ok(run(pipeline, "delete", "--where", "acme", "--dry-run"))
    ok(run(pipeline, "assign", "1", "5", "Jonas", "--dry-run"))
    assert dump(pipeline) == before
    # A dry run checks as the action would: a deal that would fail fails.
    ok(run(pipeline, "win", "3"))
    assert_one_line_failure(run(pipeline, "win", "1", "3", "--dry-run"), 2)


def test_where_uses_the_filter_language(pipeline):
    ok(run(pipeline, "win", "--where", "stage:prop acme"))
    assert stages_of(pipeline)[1][1] == WON and stages_of(pipeline)[2][1] == WON
    assert stages_of(pipeline)[3][1] == OPEN
    reopened = ok(run(pipeline, "reopen", "--where", "acme two"))
    assert reopened.stdout == "Reopened #2 Acme two in Proposal\n"
    unowned = ok(run(pipeline, "deals", "--where", "owner:none", "--format", "ids"))
    assert sorted(unowned.stdout.split()) == ["2", "3", "5"]
    ok(run(pipeline, "lose", "--where", "owner:maya", "--reason", "No budget"))
    with opened(pipeline):
        gamma = Deal.get_by_id(4)
        assert (gamma.status, gamma.lost_reason) == (LOST, "No budget")


def test_where_that_names_no_stage_is_refused(pipeline):
    before = dump(pipeline)
    line = assert_one_line_failure(run(pipeline, "move", "--where", "stage:Nowhere", "Closing"), 2)
    assert "no stage 'Nowhere'" in line
    assert_one_line_failure(run(pipeline, "deals", "--where", "status:maybe"), 2)
    assert_one_line_failure(run(pipeline, "win", "--where", "owner:Nobody"), 2)
    assert dump(pipeline) == before


def test_no_deal_given_is_bad_input(pipeline):
    before = dump(pipeline)
    line = assert_one_line_failure(run(pipeline, "lose", "1", "2", "--reason", "  "), 2)
    assert "#" not in line  # a missing reason is no one deal's fault
    assert_one_line_failure(run(pipeline, "move", "Closing"), 2)
    assert_one_line_failure(run(pipeline, "win"), 2)
    assert_one_line_failure(run(pipeline, "move", "1", "999", "Closing"), 2)
    assert dump(pipeline) == before


def test_ids_on_stdin(pipeline):
    from click.testing import CliRunner

    from pipetui.cli import cli

    result = CliRunner().invoke(cli, ["--db", pipeline, "win", "-"], input="1\n\n#4\n")
    ok(result)
    assert result.stdout.splitlines() == ["Won #1 Acme one", "Won #4 Gamma"]
    nothing = CliRunner().invoke(cli, ["--db", pipeline, "move", "-", "Closing"], input="")
    assert ok(nothing).stdout == "No deals matched; nothing changed.\n"


def test_delete_and_assign_in_bulk(pipeline):
    ok(run(pipeline, "assign", "1", "2", "Jonas"))
    with opened(pipeline):
        jonas = Rep.get(Rep.name == "Jonas Weber")
        assert [d.owner_id for d in Deal.select().where(Deal.id.in_([1, 2])).order_by(Deal.id)] == [jonas.id] * 2
        assert FieldChange.select().where(FieldChange.field == "owner").count() == 2
    deleted = ok(run(pipeline, "delete", "--where", "stage:Proposal"))
    assert len(deleted.stdout.splitlines()) == 3
    with opened(pipeline):
        assert Deal.select().where(Deal.deleted_at.is_null()).count() == 2


def test_a_stale_version_refuses_the_whole_action(db):
    """The version of each deal as it was chosen is checked: someone else's
    change in between refuses them all (exit status 2)."""
    from pipetui.core import bulk, deals, lookup
    from pipetui.core.board import parse_filter
    from pipetui.core.money import parse_money

    for title in ("One", "Two", "Three"):
        deals.create_deal(title, parse_money("100", "USD"), stage=lookup.resolve_stage("Proposal"))
    chosen = bulk.choose([], parse_filter("stage:Proposal"), acting_on=("open",))
    assert len(chosen) == 3
    deals.edit_deal(chosen[1].id, title="Two, renamed")  # by someone else, meanwhile
    with pytest.raises(bulk.BulkConflict) as caught:
        bulk.move(chosen, lookup.resolve_stage("Closing"))
    assert f"#{chosen[1].id}" in str(caught.value) and caught.value.exit_code == 2
    assert {d.stage.name for d in Deal.select()} == {"Proposal"}


def test_the_board_filter_reads_the_same_terms(db):
    from pipetui.core import board, deals, lookup
    from pipetui.core.board import BoardFilter, parse_filter
    from pipetui.core.money import parse_money

    deals.create_deal("Acme one", parse_money("100", "USD"), stage=lookup.resolve_stage("Proposal"))
    deals.create_deal("Acme two", parse_money("100", "USD"), stage=lookup.resolve_stage("Qualified"))
    assert parse_filter('stage:"Contact made" owner:maya big  deal') == board.FilterTerms(
        "big deal", ("Contact made",), ("maya",), ())
    assert parse_filter("re:invent") == board.FilterTerms("re:invent")
    counts = {c.name: c.count for c in board.columns(BoardFilter("stage:prop acme"))}
    assert counts["Proposal"] == 1 and counts["Qualified"] == 0
    assert sum(c.count for c in board.columns(BoardFilter("acme"))) == 2


def test_the_pipe_from_deals_to_move(pipeline):
    """The README's example, as two real processes joined by a pipe."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    lister = subprocess.Popen([sys.executable, "-m", "pipetui", "--db", pipeline, "deals", "--format", "ids",
                               "--where", "stage:Proposal"], stdout=subprocess.PIPE, env=env)
    mover = subprocess.run([sys.executable, "-m", "pipetui", "--db", pipeline, "move", "-", "Negotiation"],
                           stdin=lister.stdout, capture_output=True, text=True, env=env, timeout=120)
    lister.stdout.close()
    assert lister.wait(timeout=120) == 0
    assert mover.returncode == 0, mover.stderr
    assert mover.stderr == ""
    assert sorted(mover.stdout.splitlines()) == ["Moved #1 Acme one to Negotiation",
                                                 "Moved #2 Acme two to Negotiation",
                                                 "Moved #3 Beta to Negotiation"]
    assert stages_of(pipeline) == {1: ("Negotiation", OPEN), 2: ("Negotiation", OPEN),
                                   3: ("Negotiation", OPEN), 4: ("Qualified", OPEN), 5: ("Prospecting", OPEN)}


def test_set_fills_a_field_on_several_deals_in_one_transaction(pipeline):
    from pipetui.store import CustomValue

    ok(run(pipeline, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral"))
    dry = ok(run(pipeline, "set", "1", "Beta", "Source=Web", "--dry-run"))
    assert dry.stdout.splitlines() == ["Would set Source=Web on #1 Acme one", "Would set Source=Web on #3 Beta"]
    with opened(pipeline):
        assert CustomValue.select().count() == 0
    result = ok(run(pipeline, "set", "--where", "stage:Proposal", "Source=Referral"))
    assert result.stdout.splitlines() == ["Set Source=Referral on #1 Acme one", "Set Source=Referral on #2 Acme two",
                                          "Set Source=Referral on #3 Beta"]
    with opened(pipeline):
        assert sorted(CustomValue.select(CustomValue.entity_id).tuples()) == [(1,), (2,), (3,)]
        assert FieldChange.select().where(FieldChange.field == "source").count() == 3


def test_set_on_several_deals_is_all_or_nothing(pipeline):
    from pipetui.store import CustomValue

    ok(run(pipeline, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral"))
    ok(run(pipeline, "field", "add", "Region", "--pipeline", "Sales"))
    ok(run(pipeline, "pipeline", "add", "Renewals", "--stages", "Due,Signed"))
    ok(run(pipeline, "move-pipeline", "Delta", "Renewals"))
    result = run(pipeline, "set", "1", "Delta", "Region=North")
    line = assert_one_line_failure(result, 2)
    assert "#5" in line and "Region" in line
    with opened(pipeline):
        assert CustomValue.select().count() == 0
    assert "FIELD=VALUE" in assert_one_line_failure(run(pipeline, "set", "1", "2"), 2)
