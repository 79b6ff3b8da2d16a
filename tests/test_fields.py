"""Custom fields: their definitions, their values (parsed like the built-in
fields, recorded in history), the board's filter and cards, and the
commands ``pipetui field …`` and ``pipetui set``; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipetui.core import board, deals, fields
from pipetui.core.errors import InvalidInput, NotFound
from pipetui.core.money import Money
from pipetui.store import CustomField, CustomValue, Deal, FieldChange, Pipeline, Stage
from test_cli import assert_one_line_failure, dump, isolated_environment, ok, opened, run  # noqa: F401

# --- definitions and values in the core --------------------------------------------


@pytest.fixture
def source(db):
    return fields.add_field("Source", "choice", choices="Web,Referral,Event")


def _deal(title: str = "Acme", value: int = 1000_00, **extra):
    return deals.create_deal(title, Money(value, "EUR"), **extra)


def test_each_type_reads_what_people_type_into_one_canonical_form(db):
    made = {kind: fields.add_field(f"F {kind}", kind, choices="Web,Referral,Event" if kind in ("choice", "multi")
                                   else None) for kind in ("text", "number", "money", "date", "choice",
                                                          "multi", "checkbox")}
    read = {kind: fields.parse_value(field, text, "EUR") for kind, field, text in [
        ("text", made["text"], "  plain words "),
        ("number", made["number"], "1,200.50"),
        ("money", made["money"], "12.5k"),
        ("date", made["date"], "2027-01-31"),
        ("choice", made["choice"], "web"),
        ("multi", made["multi"], "event, web"),
        ("checkbox", made["checkbox"], "Yes"),
    ]}
    assert read == {"text": "plain words", "number": "1200.5", "money": "12500.00 EUR",
                    "date": "2027-01-31", "choice": "Web", "multi": "Web, Event", "checkbox": "yes"}
    assert fields.parse_value(made["number"], "  ") is None
    assert fields.display_text(made["money"], "12500.00 EUR") == "12,500 EUR"
    assert fields.json_value(made["money"], "12500.00 EUR") == {"amount": 1250000, "currency": "EUR"}
    assert fields.json_value(made["multi"], "Web, Event") == ["Web", "Event"]
    assert fields.json_value(made["checkbox"], None) is False


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("choice", "Webb", "Source 'Webb' is not one of Web, Referral, Event"),
    ("number", "12abc", "Source '12abc' is not a number"),
    ("money", "1e5", "Source '1e5' is in scientific notation"),
    ("money", "-5", "Source '-5' is negative"),
    ("date", "2027-02-30", "Source '2027-02-30' is not a real date"),
    ("checkbox", "maybe", "Source 'maybe' is not yes or no"),
    ("text", "a\x1b[31m", "Source contains a control character"),
])
def test_a_value_that_fails_its_type_is_refused_naming_the_field(db, kind, text, message):
    field = fields.add_field("Source", kind, choices="Web,Referral,Event" if kind == "choice" else None)
    with pytest.raises(InvalidInput) as refused:
        fields.parse_value(field, text, "EUR")
    assert str(refused.value).startswith(message)


def test_setting_values_bumps_the_version_and_records_each_change_under_the_key(db, source):
    renewal = fields.add_field("Renewal date", "date")
    deal = _deal()
    saved = fields.set_values(deal.id, {"source": "ref", "Renewal date": "2027-01-31"}, expected_version=1)
    assert saved.version == 2
    again = fields.set_values(deal.id, {"Source": "Web", "Renewal date": "2027-01-31"}, expected_version=2)
    assert again.version == 3
    changes = [(c.field, c.old_value, c.new_value) for c in FieldChange.select().order_by(FieldChange.id)]
    assert changes == [("source", None, "Referral"), ("renewal_date", None, "2027-01-31"),
                       ("source", "Referral", "Web")]
    assert fields.set_values(deal.id, {"Source": "web"}).version == 3  # nothing changed, nothing written
    cleared = fields.set_values(deal.id, {"Renewal": ""})
    assert CustomValue.select().where(CustomValue.field == renewal.id).count() == 0
    assert cleared.version == 4


def test_a_stale_version_or_a_bad_value_writes_nothing(db, source):
    deal = _deal()
    fields.set_values(deal.id, {"Source": "Web"})
    from pipetui.core.errors import ConflictError

    with pytest.raises(ConflictError):
        fields.set_values(deal.id, {"Source": "Event"}, expected_version=1)
    with pytest.raises(InvalidInput, match="not one of"):
        fields.set_values(deal.id, {"Source": "Webb"})
    with pytest.raises(NotFound, match="no deal field 'Budget'"):
        fields.set_values(deal.id, {"Source": "Event", "Budget": "5"})
    assert [v.value for v in CustomValue.select()] == ["Web"]
    assert Deal.get_by_id(deal.id).version == 2
    assert FieldChange.select().count() == 1


def test_a_required_field_is_needed_to_add_or_save_a_deal_of_its_pipeline(db):
    fields.add_field("Budget", "money", required=True)
    with pytest.raises(InvalidInput, match="Budget is required"):
        fields.add_deal("Acme", "100", default_currency="EUR")
    assert Deal.select().count() == 0
    made = fields.add_deal("Acme", "100", default_currency="EUR", fields={"Budget": "EUR 900"})
    assert fields.json_value(fields.resolve_field("budget"), CustomValue.get().value) == {
        "amount": 900_00, "currency": "EUR"}
    with pytest.raises(InvalidInput, match="Budget is required"):
        fields.set_values(made.id, {"Budget": ""})
    with pytest.raises(InvalidInput, match="Budget is required"):
        fields.update_deal(made.id, made.version, default_currency="EUR", title="Acme 2", value="100",
                          stage="Prospecting", owner=None, organization=None, contact=None,
                          expected_close=None, probability=None, fields={"Budget": " "})
    assert Deal.get_by_id(made.id).title == "Acme"
    saved = fields.update_deal(made.id, made.version, default_currency="EUR", title="Acme 2", value="100",
                              stage="Qualified", owner=None, organization=None, contact=None,
                              expected_close=None, probability=None, fields={"Budget": "1k"})
    assert (saved.title, saved.stage) == ("Acme 2", "Qualified")
    assert CustomValue.get().value == "1000.00 EUR"
    assert FieldChange.get(FieldChange.field == "budget").new_value == "1,000 EUR"


def test_a_field_of_one_pipeline_applies_to_its_deals_only(db):
    renewals = Pipeline.create(name="Renewals", created_at=dt.datetime(2026, 1, 1))
    first = Stage.create(pipeline=renewals, name="Due", position=0, probability=50)
    fields.add_field("Term", "number", pipeline="renewals", required=True)
    sales_deal = _deal("Sales deal")  # the required field is Renewals' only
    renewal = _deal("Renewal", stage=first)
    with pytest.raises(InvalidInput, match="pipeline Renewals"):
        fields.set_values(sales_deal.id, {"Term": "12"})
    fields.set_values(renewal.id, {"Term": "12"})
    assert [f.name for f, _ in fields.deal_field_texts(sales_deal)] == []
    assert fields.deal_field_texts(renewal)[0][1] == "12"


def test_renaming_keeps_the_key_the_values_and_the_history(db, source):
    deal = _deal()
    fields.set_values(deal.id, {"Source": "Web"})
    renamed = fields.rename_field("source", "Lead source")
    assert (renamed.key, renamed.name) == ("source", "Lead source")
    assert fields.deal_field_texts(deal)[0][1] == "Web"
    fields.set_values(deal.id, {"Lead source": "Event"})
    assert [c.field for c in FieldChange.select()] == ["source", "source"]
    with pytest.raises(InvalidInput, match="already a deal field 'Lead source'"):
        fields.add_field("lead SOURCE", "text")
    with pytest.raises(InvalidInput, match="built-in field"):
        fields.add_field("Title", "text")


def test_a_type_change_that_would_lose_values_is_refused_with_the_count(db, source):
    for title, choice in (("A", "Web"), ("B", "Referral"), ("C", "Event")):
        fields.set_values(_deal(title).id, {"Source": choice})
    with pytest.raises(InvalidInput, match=r"changing Source would lose 3 values"):
        fields.change_field("Source", type_="number")
    with pytest.raises(InvalidInput, match=r"changing Source would lose 1 value \(e\.g\. #\d+: Source 'Event'"):
        fields.change_field("Source", choices="Web,Referral")
    assert fields.resolve_field("Source").type == "choice"
    assert sorted(v.value for v in CustomValue.select()) == ["Event", "Referral", "Web"]
    widened = fields.change_field("Source", type_="multi")
    assert widened.choices == ("Web", "Referral", "Event")
    as_text = fields.change_field("Source", type_="text")
    assert as_text.choices == ()
    fields.add_field("Seats", "text")
    fields.set_values(Deal.get(Deal.title == "A").id, {"Seats": " 1,200 "})
    fields.change_field("Seats", type_="number")
    assert CustomValue.get(CustomValue.field == fields.resolve_field("Seats").id).value == "1200"


def test_delete_takes_the_values_only_when_forced(db, source):
    fields.set_values(_deal().id, {"Source": "Web"})
    with pytest.raises(InvalidInput, match="Source holds 1 value"):
        fields.delete_field("Source")
    assert CustomField.select().count() == 1
    gone, held = fields.delete_field("Source", force=True)
    assert (gone.name, held) == ("Source", 1)
    assert CustomValue.select().count() == 0
    assert FieldChange.select().count() == 1  # the history stays


def test_value_counts_say_what_a_delete_would_take(db, source):
    budget = fields.add_field("Budget", "money")
    empty = fields.add_field("Notes", "text")
    for title in ("Acme", "Beta"):
        fields.set_values(_deal(title).id, {"Source": "Web"})
    fields.set_values(_deal("Gamma").id, {"Budget": "900"})
    assert fields.value_counts([source.id, budget.id, empty.id]) == {source.id: 2, budget.id: 1}
    assert fields.value_counts([]) == {}


def test_at_most_two_fields_show_on_the_cards_of_a_pipeline(db):
    fields.add_field("Source", "choice", choices="Web,Event", on_card=True)
    fields.add_field("Budget", "money", on_card=True)
    with pytest.raises(InvalidInput, match=r"already show 2 fields \(Source, Budget\)"):
        fields.add_field("Term", "number", on_card=True)
    fields.add_field("Term", "number")
    with pytest.raises(InvalidInput, match="already show 2 fields"):
        fields.change_field("Term", on_card=True)
    fields.change_field("Budget", on_card=False)
    assert fields.change_field("Term", on_card=True).on_card


def test_cards_show_their_on_card_values_and_the_filter_finds_them(db):
    fields.add_field("Source", "choice", choices="Web,Referral,Event", on_card=True)
    fields.add_field("Budget", "money", on_card=True)
    fields.add_field("Tags", "multi", choices="Hot,Cold,Big")
    first = stages_first()
    web = _deal("Web deal", 3000_00)
    fields.set_values(web.id, {"Source": "Web", "Budget": "EUR 900", "Tags": "big,hot"})
    event = _deal("Event deal", 2000_00)
    fields.set_values(event.id, {"Source": "Event", "Tags": "Cold"})
    _deal("Bare deal", 1000_00)
    shown = {c.title: c.fields for c in board.cards(first)}
    assert shown == {"Web deal": ("Web", "900 EUR"), "Event deal": ("Event",), "Bare deal": ()}

    def titles(text):
        return [c.title for c in board.cards(first, flt=board.BoardFilter(text))]

    assert titles("source:web") == ["Web deal"]
    assert titles("SOURCE:ev") == ["Event deal"]
    assert titles("source:nothing") == []
    assert titles("tags:hot") == ["Web deal"]
    assert titles("tags:cold deal") == ["Event deal"]
    assert titles("budget:900") == ["Web deal"]
    assert titles("source:web event") == []  # the rest of the text still filters titles
    assert titles("re:deal") == []  # no field "re": plain text, found in no title
    assert board.columns(board.BoardFilter("source:web"))[0].count == 1
    assert board.index_of(event.id, board.BoardFilter("source:event")) == (first, 0)


def stages_first() -> int:
    return Stage.select().order_by(Stage.position).first().id


def test_fields_of_organizations_and_contacts_hold_their_own_values(db):
    from pipetui.core.people import find_or_create_organization

    fields.add_field("Tier", "choice", choices="Gold,Silver", entity="organization")
    org = find_or_create_organization("Acme")
    fields.set_record_values("organization", org.id, {"tier": "gold"})
    tier = fields.resolve_field("Tier", "organization")
    assert fields.stored_values([org.id], [tier]) == {org.id: {tier.id: "Gold"}}
    with pytest.raises(NotFound):
        fields.resolve_field("Tier", "deal")
    with pytest.raises(InvalidInput, match="only deal fields belong to a pipeline"):
        fields.add_field("Region", "text", entity="contact", pipeline="Sales")


# --- the command line ---------------------------------------------------------------


def test_field_commands_define_list_rename_change_and_delete(backend_url):
    url = backend_url
    added = ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event",
                   "--required", "--on", "cards"))
    assert added.stdout.strip() == ("Added deal field Source (choice: Web, Referral, Event; required; "
                                    "every pipeline; on cards)")
    ok(run(url, "field", "add", "Renewal", "--type", "date"))
    listed = json.loads(ok(run(url, "field", "list", "--json")).stdout)
    assert [(f["key"], f["type"], f["required"], f["on_card"]) for f in listed] == [
        ("source", "choice", True, True), ("renewal", "date", False, False)]
    assert listed[0]["choices"] == ["Web", "Referral", "Event"]
    assert ok(run(url, "field", "list", "--format", "ids")).stdout == "Source\nRenewal\n"
    assert ok(run(url, "field", "rename", "source", "Lead source")).stdout.strip() == "Renamed Source to Lead source"
    changed = ok(run(url, "field", "set", "Lead source", "--optional", "--off", "cards"))
    assert changed.stdout.strip() == "Changed Lead source (choice: Web, Referral, Event; every pipeline)"
    assert "Renewal (date; every pipeline)" in ok(run(url, "field")).stdout
    assert ok(run(url, "field", "delete", "Renewal")).stdout.strip() == "Deleted field Renewal"
    with opened(url):
        assert [(f.key, f.name, f.required, f.on_card) for f in CustomField.select()] == [
            ("source", "Lead source", False, False)]


def test_set_and_add_fill_fields_and_deals_json_shows_them(backend_url):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event"))
    ok(run(url, "field", "add", "Budget", "--type", "money"))
    ok(run(url, "field", "add", "Signed", "--type", "checkbox"))
    ok(run(url, "add", "Acme", "--value", "EUR 100", "--set", "Source=ref"))
    result = ok(run(url, "set", "Acme", "Source=Web", "budget=1.5k", "Signed=y"))
    assert result.stdout.strip() == "Set Source=Web, Budget=1,500 EUR, Signed=yes on #1 Acme"
    (deal,) = json.loads(ok(run(url, "deals", "--json")).stdout)
    assert deal["fields"] == {"Source": "Web", "Budget": {"amount": 150000, "currency": "EUR"}, "Signed": True}
    assert deal["version"] == 2
    ok(run(url, "set", "1", "Budget="))
    (deal,) = json.loads(ok(run(url, "deals", "--json")).stdout)
    assert deal["fields"]["Budget"] is None
    with opened(url):
        assert [(c.field, c.old_value, c.new_value) for c in FieldChange.select().order_by(FieldChange.id)] == [
            ("source", "Referral", "Web"), ("budget", None, "1,500 EUR"), ("signed", None, "yes"),
            ("budget", "1,500 EUR", None)]


@pytest.mark.parametrize(("args", "message"), [
    (("set", "Acme", "Source=Webb"), "pipetui: deal #1 'Acme': Source 'Webb' is not one of Web, Referral, Event"),
    (("set", "Acme", "Budget=ten"), "pipetui: deal #1 'Acme': Budget 'ten' is not an amount"),
    (("set", "Acme", "Nope=1"), "pipetui: no deal field 'Nope'; the fields are: Source, Budget"),
    (("set", "Acme", "Source"), "pipetui: no FIELD=VALUE given (e.g. pipetui set 42 Source=Web)"),
    (("set", "Acme", "=Web"), "pipetui: '=Web' is not FIELD=VALUE (e.g. Source=Web)"),
    (("set", "Acme", "Source=Web", "Budget=-3"), "pipetui: deal #1 'Acme': Budget '-3' is negative"),
    (("add", "Other", "--value", "5", "--set", "Source=Webb"), "pipetui: Source 'Webb' is not one of"),
    (("field", "add", "source"), "pipetui: there is already a deal field 'Source'"),
    (("field", "add", "Stage"), "pipetui: 'Stage' is a built-in field of a deal"),
    (("field", "add", "Kind", "--type", "choice"), "pipetui: a choice field needs its choices"),
    (("field", "add", "Kind", "--pipeline", "Nowhere"), "pipetui: no pipeline 'Nowhere'"),
    (("field", "set", "Source", "--type", "number"), "pipetui: changing Source would lose 1 value"),
    (("field", "set", "Source", "--choices", "Referral,Event"), "pipetui: changing Source would lose 1 value"),
    (("field", "set", "Source"), "pipetui: nothing to change"),
    (("field", "delete", "Source"), "pipetui: Source holds 1 value"),
    (("field", "rename", "Source", "Budget"), "pipetui: there is already a deal field 'Budget'"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(backend_url, args, message):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event"))
    ok(run(url, "field", "add", "Budget", "--type", "money"))
    ok(run(url, "add", "Acme", "--value", "100", "--set", "Source=Web"))
    before = dump(url)
    line = assert_one_line_failure(run(url, *args), 2)
    assert line.startswith(message), line
    assert dump(url) == before


def test_a_required_field_must_be_given_to_add_a_deal(backend_url):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Event", "--required"))
    before = dump(url)
    line = assert_one_line_failure(run(url, "add", "Acme", "--value", "100"), 2)
    assert line == "pipetui: Source is required for this deal; give it a value"
    assert dump(url) == before
    ok(run(url, "add", "Acme", "--value", "100", "--set", "source=event"))


def test_export_writes_a_column_per_field_and_import_reads_it_back(backend_url, tmp_path):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event"))
    ok(run(url, "field", "add", "Budget", "--type", "money"))
    ok(run(url, "add", "Acme", "--value", "100", "--set", "Source=Web", "--set", "Budget=EUR 1,500"))
    ok(run(url, "add", "Globex", "--value", "200"))
    exported = tmp_path / "deals.csv"
    ok(run(url, "export", str(exported)))
    header, acme, globex = exported.read_text().splitlines()
    assert header.endswith(",lost_reason,pipeline,Source,Budget")
    assert acme.endswith(",Web,1500.00 EUR") and globex.endswith(",,")

    other = tmp_path / "crm.csv"
    other.write_text("Name,Amount,Lead origin\nInitech,300,referral\nUmbrella,400,\n")
    ok(run(url, "import", str(other), "--map", "Lead origin=field:source"))
    with opened(url):
        source = fields.resolve_field("Source")
        values = {Deal.get_by_id(v.entity_id).title: v.value
                  for v in CustomValue.select().where(CustomValue.field == source.id)}
        assert values == {"Acme": "Web", "Initech": "Referral"}

    # The export read back into the same database updates the changed value, with history.
    exported.write_text(exported.read_text().replace(",Web,", ",Event,"))
    ok(run(url, "import", str(exported)))
    with opened(url):
        acme_id = Deal.get(Deal.title == "Acme").id
        assert CustomValue.get(CustomValue.entity_id == acme_id, CustomValue.field == source.id).value == "Event"
        last = FieldChange.select().where(FieldChange.deal == acme_id).order_by(FieldChange.id.desc()).first()
        assert (last.field, last.old_value, last.new_value) == ("source", "Web", "Event")


def test_an_import_with_a_bad_custom_value_or_field_writes_nothing(backend_url, tmp_path):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event"))
    other = tmp_path / "crm.csv"
    other.write_text("Name,Amount,Lead origin\nInitech,300,Webb\n")
    before = dump(url)
    result = run(url, "import", str(other), "--map", "Lead origin=field:Nope")
    assert assert_one_line_failure(result, 2).startswith("pipetui: Lead origin=field:Nope: no deal field 'Nope'")
    result = run(url, "import", str(other), "--map", "Lead origin=field:Source")
    assert result.exit_code == 2 and "Source 'Webb' is not one of Web, Referral, Event" in result.stdout + result.stderr
    assert dump(url) == before


# --- the screens ---------------------------------------------------------------------


SCREEN_NOW = dt.datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def field_app(sqlite_db):
    from pipetui.core import clock, people
    from pipetui.tui.app import PipetuiApp

    with clock.frozen(SCREEN_NOW - dt.timedelta(days=3)):
        maya = people.add_rep("Maya Patel", username="maya")
        fields.add_field("Source", "choice", choices="Web,Referral,Event", on_card=True, required=True)
        fields.add_field("Budget", "money", on_card=True)
        fields.add_field("Renewal", "date")
        acme = deals.create_deal("Acme rollout", Money(30_000_00, "USD"), owner=maya)
        fields.set_values(acme.id, {"Source": "Web", "Budget": "USD 900"})
        deals.create_deal("Beta pilot", Money(20_000_00, "USD"), owner=maya)
    with clock.frozen(SCREEN_NOW):
        yield PipetuiApp(db=sqlite_db, location="test.db", actor=maya)


async def _settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _type(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector)
    field.value = ""
    field.focus()
    await pilot.press(*text)


def _board_text(app) -> str:
    from pipetui.tui.widgets.board import BoardView

    view = app.screen.query_one(BoardView)
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def test_cards_show_the_fields_chosen_for_cards(field_app):
    async with field_app.run_test(size=(120, 30)) as pilot:
        await _settle(pilot)
        lines = _board_text(field_app).splitlines()
        title_line = next(i for i, line in enumerate(lines) if "Acme rollout" in line)
        assert "Web · 900 USD" in lines[title_line + 3]
        beta = next(i for i, line in enumerate(lines) if "Beta pilot" in line)
        assert beta - title_line == 5  # a line more per card: title, who, value, fields, gap
        await pilot.press("slash", *"source:web", "enter")
        await _settle(pilot)
        text = _board_text(field_app)
        assert "Acme rollout" in text and "Beta pilot" not in text


async def test_the_editor_shows_checks_and_saves_custom_fields(field_app):
    from pipetui.tui.screens.board import BoardScreen
    from pipetui.tui.screens.editor import DealEditor

    async with field_app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        editor = field_app.screen
        assert isinstance(editor, DealEditor)
        source, budget, renewal = (f"#custom-{fields.resolve_field(n).id}" for n in ("Source", "Budget", "Renewal"))
        assert (editor.query_one(source).value, editor.query_one(budget).value) == ("Web", "900 USD")
        await _type(pilot, source, "Webb")
        assert "Source 'Webb' is not one of Web, Referral, Event" in str(
            editor.query_one(f"{source}-error").render())
        await _type(pilot, renewal, "someday")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(field_app.screen, DealEditor)
        assert "not a date" in str(editor.query_one(f"{renewal}-error").render())
        assert Deal.get(Deal.title == "Acme rollout").version == 2
        await _type(pilot, source, "event")
        await _type(pilot, renewal, "2027-01-31")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(field_app.screen, BoardScreen)
        saved = Deal.get(Deal.title == "Acme rollout")
        assert [(f.name, value) for f, value in fields.deal_field_texts(deals.get_deal(saved.id))] == [
            ("Source", "Event"), ("Budget", "900.00 USD"), ("Renewal", "2027-01-31")]
        assert sorted(c.field for c in FieldChange.select().where(FieldChange.deal == saved.id)) == [
            "budget", "renewal", "source", "source"]
        await pilot.press("u")  # the save is taken back, custom values with it
        await _settle(pilot)
        assert [value for _, value in fields.deal_field_texts(deals.get_deal(saved.id))] == [
            "Web", "900.00 USD", None]


async def test_the_editor_refuses_to_save_a_deal_without_its_required_field(field_app):
    from pipetui.tui.screens.editor import DealEditor

    async with field_app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("down", "enter")  # Beta pilot has no source yet
        await _settle(pilot)
        editor = field_app.screen
        assert isinstance(editor, DealEditor)
        await _type(pilot, "#title", "Beta pilot 2")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(field_app.screen, DealEditor)
        source = f"#custom-{fields.resolve_field('Source').id}"
        assert "Source is required" in str(editor.query_one(f"{source}-error").render())
        assert Deal.get(Deal.title == "Beta pilot").version == 1


def test_a_window_of_cards_reads_its_values_by_the_unique_index(sqlite_db):
    """SQLite has no statistics: an index led by field_id alone would look
    cheaper and read every value of the field for 25 cards."""
    source = fields.add_field("Source", "choice", choices="Web,Event", on_card=True)
    query = (CustomValue.select(CustomValue.entity_id, CustomValue.field, CustomValue.value)
             .where(CustomValue.field.in_([source.id]), CustomValue.entity_id.in_([1, 2, 3])))
    sql, params = query.sql()
    plan = " | ".join(row[3] for row in sqlite_db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX custom_value_entity" in plan
    condition = fields.filter_terms("source:web")[1][0]
    sql, params = Deal.select(Deal.id).where(condition).sql()
    plan = " | ".join(row[3] for row in sqlite_db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "custom_value_value" in plan and "SCAN t2" not in plan, plan


def test_deals_where_and_the_bulk_forms_read_custom_field_terms(backend_url):
    url = backend_url
    ok(run(url, "field", "add", "Lead source", "--type", "choice", "--choices", "Web,Trade fair,Event"))
    ok(run(url, "add", "Acme", "--value", "100", "--set", "Lead source=trade fair"))
    ok(run(url, "add", "Globex", "--value", "200", "--set", "Lead source=Web"))
    found = json.loads(ok(run(url, "deals", "--json", "--where", 'lead_source:"trade fair"')).stdout)
    assert [d["title"] for d in found] == ["Acme"]
    assert found[0]["fields"] == {"Lead source": "Trade fair"}
    assert ok(run(url, "deals", "--format", "ids", "--where", "lead_source:web stage:Prospecting")).stdout == "2\n"
    before = dump(url)
    line = assert_one_line_failure(run(url, "deals", "--where", "lead_source:webb"), 2)
    assert line == "pipetui: Lead source 'webb' is not one of Web, Trade fair, Event"
    ok(run(url, "win", "--where", "lead_source:web"))
    with opened(url):
        assert Deal.get(Deal.title == "Globex").status == "won"
        assert Deal.get(Deal.title == "Acme").status == "open"
    assert dump(url) != before


def test_organizations_and_contacts_take_their_fields_from_edit_and_show_them(backend_url):
    url = backend_url
    ok(run(url, "field", "add", "Tier", "--type", "choice", "--choices", "Gold,Silver", "--entity", "organization"))
    ok(run(url, "field", "add", "Birthday", "--type", "date", "--entity", "contact"))
    ok(run(url, "org", "add", "Acme"))
    ok(run(url, "contact", "add", "Ann Lee", "--org", "Acme"))
    ok(run(url, "org", "edit", "Acme", "--set", "tier=gold"))
    shown = json.loads(ok(run(url, "org", "show", "Acme", "--json")).stdout)
    assert shown["fields"] == {"Tier": "Gold"}
    assert "  Tier: Gold" in ok(run(url, "org", "show", "Acme")).stdout.splitlines()
    before = dump(url)
    line = assert_one_line_failure(run(url, "contact", "edit", "Ann Lee", "--name", "Ann", "--set",
                                       "Birthday=someday"), 2)
    assert line.startswith("pipetui: Birthday 'someday' is not a date")
    line = assert_one_line_failure(run(url, "org", "edit", "Acme", "--set", "Birthday=2000-01-01"), 2)
    assert line.startswith("pipetui: no organization field 'Birthday'")
    assert dump(url) == before
    ok(run(url, "contact", "edit", "Ann Lee", "--set", "Birthday=1990-05-17"))
    shown = json.loads(ok(run(url, "contact", "show", "Ann Lee", "--json")).stdout)
    assert shown["fields"] == {"Birthday": "1990-05-17"}


def test_edit_sets_custom_fields_with_the_built_in_ones_in_one_transaction(backend_url):
    url = backend_url
    ok(run(url, "field", "add", "Source", "--type", "choice", "--choices", "Web,Referral,Event"))
    ok(run(url, "add", "Acme", "--value", "100"))
    result = ok(run(url, "edit", "Acme", "--value", "250", "--set", "Source=ref"))
    assert result.stdout.strip() == "Edited #1 Acme: value: 100 USD → 250 USD; Source: (none) → Referral"
    assert ok(run(url, "edit", "1", "--set", "Source=Event")).stdout.strip() == (
        "Edited #1 Acme: Source: Referral → Event")
    before = dump(url)
    line = assert_one_line_failure(run(url, "edit", "Acme", "--title", "Acme 2", "--set", "Source=Webb"), 2)
    assert line == "pipetui: Source 'Webb' is not one of Web, Referral, Event"
    assert dump(url) == before
    (deal,) = json.loads(ok(run(url, "deals", "--json")).stdout)
    assert (deal["title"], deal["value"], deal["fields"], deal["version"]) == ("Acme", 25000, {"Source": "Event"}, 4)


def test_a_contact_and_its_fields_are_saved_in_one_transaction(db):
    from pipetui.core import customers
    from pipetui.store import Contact

    fields.add_field("Birthday", "date", entity="contact")
    ann = customers.save_contact("Ann Lee")
    # A field that fails as the values are written takes the rename back with it.
    with pytest.raises(InvalidInput):
        customers.save_contact("Ann", contact_id=ann.id, custom={"Birthday": "1990-05-17", "Shoe size": "42"})
    assert Contact.get_by_id(ann.id).name == "Ann Lee"
    customers.save_contact("Ann", contact_id=ann.id, custom={"Birthday": "1990-05-17"})
    assert (Contact.get_by_id(ann.id).name, fields.record_fields_json("contact", ann.id)) == (
        "Ann", {"Birthday": "1990-05-17"})
