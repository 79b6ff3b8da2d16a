"""What the screens do, from the command line: activities, notes,
organizations and contacts; ``--json`` and ``--format csv|tsv|ids`` on
every list command; shell completion."""

from __future__ import annotations

import csv
import io
import json
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
from pipetui.core import clock
from pipetui.store import Activity, Contact, Deal, Note, Organization

SRC = Path(pipetui.__file__).resolve().parents[1]  # the sources under test, for a child process


@pytest.fixture
def filled(backend_url):
    """A rep with a quota, two deals, an activity, a note, an organization, a contact and a product."""
    url = backend_url
    ok(run(url, "rep", "add", "Maya Patel", "--login", "maya"))
    ok(run(url, "quota", "set", "Maya Patel", "50k", "--period", "2026-Q4"))
    ok(run(url, "add", "Acme rollout", "--value", "1000", "--stage", "Proposal", "--owner", "maya"))
    ok(run(url, "add", "=HYPERLINK(\"http://x\")", "--value", "2000"))
    ok(run(url, "activity", "add", "1", "call", "today", "pricing", "--as", "maya"))
    ok(run(url, "note", "add", "1", "First call went well"))
    ok(run(url, "org", "add", "Initech", "--website", "initech.com"))
    ok(run(url, "contact", "add", "Bill Lumbergh", "--email", "bill@initech.com", "--org", "Initech"))
    ok(run(url, "product", "add", "Widget", "--price", "12.50"))
    return url


# Every list command, with the key that --format ids prints.
LISTS = [
    (("deals",), "id"),
    (("today", "--all"), "id"),
    (("rep", "list"), "name"),
    (("stages",), "name"),
    (("reasons", "list"), "name"),
    (("quota", "list"), "id"),
    (("activity", "list"), "id"),
    (("activity", "list", "1"), "id"),
    (("note", "list", "1"), "id"),
    (("org", "list"), "id"),
    (("contact", "list"), "id"),
    (("product", "list"), "id"),
]


@pytest.mark.parametrize("command,key", LISTS, ids=[" ".join(c) for c, _ in LISTS])
def test_every_list_has_json_csv_tsv_and_ids_that_agree(filled, command, key):
    objects = json.loads(ok(run(filled, *command, "--json")).stdout)
    assert objects and objects == json.loads(ok(run(filled, *command, "--format", "json")).stdout)
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        text = ok(run(filled, *command, "--format", fmt)).stdout
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert table[0] == list(objects[0])
        assert len(table) == len(objects) + 1
        assert [row[0] for row in table[1:]] == [str(o[table[0][0]]) for o in objects]
    ids = ok(run(filled, *command, "--format", "ids")).stdout
    assert ids.splitlines() == [str(o[key]) for o in objects]


def test_json_and_another_format_together_are_refused(filled):
    assert_one_line_failure(run(filled, "deals", "--json", "--format", "csv"), 2)
    assert_one_line_failure(run(filled, "deals", "--format", "xml"), 2)


def test_csv_cells_never_run_as_formulas_and_carry_no_control_characters(filled):
    with opened(filled):  # as an older version or another program may have stored it
        Deal.update(title="Evil \x1b]0;owned\x07 title").where(Deal.id == 1).execute()
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        text = ok(run(filled, "deals", "--format", fmt)).stdout
        titles = [row["title"] for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]
        assert "'=HYPERLINK(\"http://x\")" in titles
        assert "\x1b" not in text and "\x07" not in text


def test_activity_add_done_snooze_and_list(filled):
    today = clock.today()
    added = ok(run(filled, "activity", "add", "Acme", "meeting 2099-01-05 14:30 demo"))
    assert added.stdout.startswith("Scheduled #2 meeting demo due 2099-01-05 14:30 on #1 Acme rollout")
    with opened(filled):
        meeting = Activity.get_by_id(2)
        assert (meeting.kind, meeting.subject, meeting.due_date.isoformat()) == ("meeting", "demo", "2099-01-05")
        assert Activity.get_by_id(1).owner.name == "Maya Patel"
    assert ok(run(filled, "activity", "snooze", "2", "2099-01-09")).stdout.endswith("to 2099-01-09\n")
    assert ok(run(filled, "activity", "snooze", "#2", "3")).stdout.endswith("to 2099-01-12\n")
    assert ok(run(filled, "activity", "done", "1")).stdout == "Done #1 call pricing\n"
    listed = json.loads(ok(run(filled, "activity", "list", "1", "--json")).stdout)
    assert [(a["id"], a["done"]) for a in listed] == [(2, False), (1, True)]
    open_only = json.loads(ok(run(filled, "activity", "list", "--rep", "maya", "--json")).stdout)
    assert open_only == []
    assert today.isoformat() not in ok(run(filled, "activity", "list")).stdout


def test_activity_bad_input_is_one_line_and_writes_nothing(filled):
    before = dump(filled)
    for args in (("activity", "add", "1", "party tomorrow"), ("activity", "add", "99", "call"),
                 ("activity", "done", "99"), ("activity", "done", "x"), ("activity", "snooze", "1", "yesterday"),
                 ("activity", "snooze", "1", "0"), ("activity", "snooze", "1", "someday"),
                 ("note", "add", "1", "   "), ("note", "list", "99")):
        assert_one_line_failure(run(filled, *args), 2)
    assert dump(filled) == before


def test_notes_add_and_list(filled):
    ok(run(filled, "note", "add", "Acme", "Second\nline two", "--as", "maya"))
    notes = json.loads(ok(run(filled, "note", "list", "1", "--json")).stdout)
    assert [(n["body"], n["author"]) for n in notes] == [("Second\nline two", "Maya Patel"),
                                                         ("First call went well", None)]
    assert "  line two" in ok(run(filled, "note", "list", "1")).stdout
    with opened(filled):
        assert Note.select().count() == 2


def test_org_add_edit_show_list(filled):
    ok(run(filled, "add", "Initech deal", "--value", "5", "--org", "Initech"))
    ok(run(filled, "org", "edit", "init", "--name", "Initech Corp"))
    shown = json.loads(ok(run(filled, "org", "show", "Initech Corp", "--json")).stdout)
    assert (shown["name"], shown["website"], shown["people"]) == ("Initech Corp", "initech.com", ["Bill Lumbergh"])
    assert [d["title"] for d in shown["deals"]] == ["Initech deal"]
    assert "Initech Corp (organization #1)" in ok(run(filled, "org", "show", "1")).stdout
    assert json.loads(ok(run(filled, "org", "list", "corp", "--json")).stdout) == [
        {"id": 1, "name": "Initech Corp", "website": "initech.com"}]
    before = dump(filled)
    ok(run(filled, "org", "add", "Globex"))
    assert_one_line_failure(run(filled, "org", "add", "globex"), 2)
    assert_one_line_failure(run(filled, "org", "edit", "Globex", "--website", "not a site"), 2)
    assert_one_line_failure(run(filled, "org", "show", "Nope"), 2)
    assert_one_line_failure(run(filled, "org", "edit", "Globex"), 2)
    with opened(filled):
        assert Organization.select().count() == 2
    assert len(dump(filled)["organization"]) == len(before["organization"]) + 1


def test_contact_add_edit_show_list(filled):
    ok(run(filled, "contact", "edit", "Bill", "--phone", "+1 555 0100", "--org", "Globex"))
    shown = json.loads(ok(run(filled, "contact", "show", "bill", "--json")).stdout)
    assert (shown["email"], shown["phone"], shown["organization"]) == ("bill@initech.com", "+1 555 0100", "Globex")
    ok(run(filled, "contact", "edit", "Bill", "--email", ""))
    with opened(filled):
        bill = Contact.get_by_id(1)
        assert (bill.email, bill.organization.name) == (None, "Globex")
    assert json.loads(ok(run(filled, "contact", "list", "--json")).stdout) == [
        {"id": 1, "name": "Bill Lumbergh", "email": None, "organization": "Globex"}]
    before = dump(filled)
    assert_one_line_failure(run(filled, "contact", "add", "Milton", "--email", "nope"), 2)
    assert_one_line_failure(run(filled, "contact", "edit", "Bill", "--phone", "call me"), 2)
    assert_one_line_failure(run(filled, "contact", "show", "#7"), 2)
    assert dump(filled) == before


def test_deals_where_with_a_status_lists_closed_deals(filled):
    ok(run(filled, "win", "1"))
    won = json.loads(ok(run(filled, "deals", "--where", "status:won", "--json")).stdout)
    assert [d["id"] for d in won] == [1]
    assert json.loads(ok(run(filled, "deals", "--where", "acme", "--json")).stdout) == []
    with opened(filled):
        assert Deal.select().count() == 2


def test_shell_completion_scripts_and_completions(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC)}

    def complete(**variables: str) -> str:
        done = subprocess.run([sys.executable, "-m", "pipetui"], capture_output=True, text=True, timeout=60,
                              env={**env, **variables})
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "_pipetui_completion" in complete(_PIPETUI_COMPLETE="bash_source")
    assert "compdef _pipetui_completion pipetui" in complete(_PIPETUI_COMPLETE="zsh_source")
    assert "complete --no-files --command pipetui" in complete(_PIPETUI_COMPLETE="fish_source")
    words = complete(_PIPETUI_COMPLETE="bash_complete", COMP_WORDS="pipetui ac", COMP_CWORD="1")
    assert "plain,activity" in words.split()
    options = complete(_PIPETUI_COMPLETE="bash_complete", COMP_WORDS="pipetui deals --for", COMP_CWORD="2")
    assert "plain,--format" in options.split()
