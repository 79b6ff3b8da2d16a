"""Issue 14's acceptance, from the command line alone: a new database is
shaped into Pipedrive's default pipeline plus a "Renewals" pipeline of three
stages, with a choice, a money and a date field used on deals; the board
shows the deals and their fields, and the report splits by pipeline."""

from __future__ import annotations

import json

from test_cli import isolated_environment, ok, opened, run  # noqa: F401

from pipetui.core import board, lookup
from pipetui.core.stages import pipeline_of

PIPEDRIVE = ["Qualified", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"]


def test_a_new_database_is_shaped_from_the_command_line(backend_url):
    url = backend_url
    for old, new in (("Contacted", "Contact made"), ("Meeting", "Demo scheduled"),
                     ("Proposal", "Proposal made"), ("Negotiation", "Negotiations started")):
        ok(run(url, "stage", "rename", old, new))
    ok(run(url, "stage", "delete", "Prospecting"))
    ok(run(url, "stage", "delete", "Closing"))
    ok(run(url, "stage", "move", "Qualified", "--position", "1"))
    ok(run(url, "pipeline", "add", "Renewals", "--stages", "Up for renewal,Renewal proposal,Renewed"))
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event", "--on", "cards"))
    ok(run(url, "field", "add", "Budget", "--type", "money", "--on", "cards"))
    ok(run(url, "field", "add", "Renewal date", "--type", "date"))
    ok(run(url, "add", "Acme GmbH - rollout", "--value", "12000", "--stage", "Demo",
           "--set", "Source=Web", "--set", "Budget=EUR 1,500", "--set", "Renewal date=2027-06-01"))
    ok(run(url, "add", "Globex - renewal", "--value", "5000", "--pipeline", "Renewals",
           "--set", "Source=Referral"))

    stages = json.loads(ok(run(url, "stage", "list", "--json")).stdout)
    assert [s["name"] for s in stages] == PIPEDRIVE
    renewals = json.loads(ok(run(url, "stage", "list", "--pipeline", "Renewals", "--json")).stdout)
    assert [s["name"] for s in renewals] == ["Up for renewal", "Renewal proposal", "Renewed"]
    (acme,) = json.loads(ok(run(url, "deals", "--json", "--where", "source:web")).stdout)
    assert acme["stage"] == "Demo scheduled"
    assert acme["fields"] == {"Source": "Web", "Budget": {"amount": 150000, "currency": "EUR"},
                             "Renewal date": "2027-06-01"}

    with opened(url):
        sales = board.columns(board.BoardFilter(pipeline_id=lookup.default_pipeline().id))
        assert [c.name for c in sales] == PIPEDRIVE
        demo = next(c for c in sales if c.name == "Demo scheduled")
        (card,) = board.cards(demo.stage_id)
        assert card.title == "Acme GmbH - rollout" and "Web" in " ".join(card.fields)
        renewals_board = board.columns(board.BoardFilter(pipeline_id=pipeline_of("Renewals").id))
        assert [c.count for c in renewals_board] == [1, 0, 0]

    both = json.loads(ok(run(url, "report", "--json")).stdout)
    only_renewals = json.loads(ok(run(url, "report", "--json", "--pipeline", "Renewals")).stdout)
    assert both["health"]["open_deals"] == 2
    assert only_renewals["health"]["open_deals"] == 1 and only_renewals["pipeline"] == "Renewals"
