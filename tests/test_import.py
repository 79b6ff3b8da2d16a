"""``pipetui import``: CSV files from Pipedrive, HubSpot, Salesforce, the Maven
CRM data set, any other CRM or spreadsheet, and pipetui's own export.

Every test runs the real command (click's CliRunner) on SQLite and on
PostgreSQL and checks the database afterwards. An import that succeeds
leaves a history that explains every deal's stage and status; one that
fails writes nothing at all (every table compared before and after).

"Now" is frozen (conftest's ``FROZEN_NOW``, 2026-11-27 09:30): deals the
file gives no created date are dated then, and closed deals must close
before it, so the files use past dates for won and lost deals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from test_cli import (  # noqa: F401 - isolated_environment is an autouse fixture
    assert_one_line_failure,
    by_title,
    deals_json,
    dump,
    fresh_database,
    isolated_environment,
    ok,
    opened,
    run,
)

from pipetui.core import integrity
from pipetui.core.imports.mapping import FIELDS, guess_field
from pipetui.store import (
    LOST,
    OPEN,
    WON,
    Contact,
    Deal,
    Note,
    Organization,
    Rep,
    Stage,
    StageChange,
)

DATA = Path(__file__).parent / "data" / "imports"
NOW = "2026-11-27T09:30:00"  # conftest.FROZEN_NOW as the JSON shows it

# A generic header: no preset claims it, every column is guessed.
GENERIC = ["Deal Number", "Opportunity", "Company", "Sales Rep", "Deal Value", "Pipeline Stage",
           "Created", "Close Date"]


# --- helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _frozen_now(frozen_clock):
    """The same "now" in every run, so that dates the file leaves open are known."""
    return frozen_clock


def write(tmp_path: Path, text: str, name: str = "deals.csv", encoding: str = "utf-8") -> Path:
    """``text`` as the file's exact bytes (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    return out.getvalue()


def generic_file(tmp_path: Path, *rows: list[str], header: list[str] = GENERIC, sep: str = ",",
                 name: str = "deals.csv") -> Path:
    return write(tmp_path, csv_text([header, *rows], sep), name)


def run_import(url: str, path: Path | str, *options: str):
    return run(url, "import", str(path), *options)


def assert_history_consistent(url: str) -> None:
    with opened(url):
        assert integrity.deals_with_inconsistent_history() == []


def imported(url: str, path: Path | str, *options: str):
    """A successful import (exit 0, nothing on stderr) whose history is consistent."""
    result = ok(run_import(url, path, *options))
    assert_history_consistent(url)
    return result


def refused(result) -> list[str]:
    """Exit 2 without a traceback, nothing imported; the lines of stderr."""
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("pipetui: ") and "nothing was imported" in lines[-1]
    assert "Imported:" not in result.stdout
    return lines


def all_deals(url: str) -> dict[str, dict]:
    return by_title(deals_json(url, "--status", "all"))


def summary(result) -> str:
    """The last line: what the import did (or would do)."""
    return result.stdout.strip().splitlines()[-1]


_MAPPING_LINE = re.compile(r"^  (?P<header>.+?)\s+-> (?P<target>.+?)(?:  \[(?P<how>guessed|--map)\])?$")


def printed_mapping(stdout: str) -> dict[str, tuple[str, str | None]]:
    """Header -> (what the printed mapping says it becomes, "guessed"/"--map"/None)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Preset: ")) + 1
    found = {}
    for line in lines[start:]:
        match = _MAPPING_LINE.match(line)
        if not match:
            break
        found[match["header"]] = (match["target"], match["how"])
    return found


def history(url: str, title: str) -> list[tuple]:
    """A deal's StageChange rows as (from stage, to stage, from status, to status, at)."""
    with opened(url):
        deal = Deal.get(Deal.title == title)
        names = {s.id: s.name for s in Stage.select()}
        return [(names.get(c.from_stage_id), names[c.to_stage_id], c.from_status, c.to_status,
                 c.changed_at.isoformat())
                for c in StageChange.select().where(StageChange.deal == deal.id)
                .order_by(StageChange.changed_at, StageChange.id)]


def counts(url: str) -> tuple[int, int, int, int]:
    """Deals, reps, organizations, contacts."""
    with opened(url):
        return Deal.select().count(), Rep.select().count(), Organization.select().count(), Contact.select().count()


def fields(deal: dict, *names: str) -> tuple:
    return tuple(deal[name] for name in names)


# --- 1. presets ------------------------------------------------------------------------
# Each vendor's export layout is recognised from its header and read into
# the right deals; --preset names it when the header alone does not.


def test_pipedrive_export(backend_url):
    result = imported(backend_url, DATA / "pipedrive.csv")
    assert "Preset: pipedrive (recognised from the header); columns:" in result.stdout
    mapping = printed_mapping(result.stdout)
    assert mapping["Deal - Won time"] == (FIELDS["closed"], None)
    assert mapping["Deal - Creator"] == ("(not imported)", None)
    assert summary(result) == ("Imported: 3 deals created, 0 updated, 0 unchanged; "
                               "new: 2 reps, 3 organizations, 2 contacts")
    deals = all_deals(backend_url)
    assert set(deals) == {"Acme rollout", "Globex renewal", "Initech pilot"}
    acme, globex, initech = deals["Acme rollout"], deals["Globex renewal"], deals["Initech pilot"]
    assert fields(acme, "stage", "status", "value", "currency", "probability", "owner", "organization",
                  "contact", "expected_close", "created_at", "closed_at", "external_id") == (
        "Proposal", OPEN, 25_000_00, "EUR", 40, "Maya Patel", "Acme GmbH", "Anna Schmidt", "2026-12-15",
        "2026-01-30T15:55:37", None, "pipedrive:101")
    assert fields(globex, "stage", "status", "value", "currency", "owner", "contact", "created_at",
                  "closed_at") == (
        "Negotiation", WON, 1_200_50, "USD", "Jonas Weber", "Hank Scorpio", "2026-02-01T09:00:00",
        "2026-03-10T11:30:00")
    assert fields(initech, "stage", "status", "value", "lost_reason", "closed_at", "contact") == (
        "Qualified", LOST, 800_00, "No budget", "2026-04-01T16:00:00", None)
    assert counts(backend_url) == (3, 2, 3, 2)


def test_hubspot_export(backend_url):
    result = imported(backend_url, DATA / "hubspot.csv")
    assert "Preset: hubspot (recognised from the header); columns:" in result.stdout
    assert printed_mapping(result.stdout)["Close Date"] == (FIELDS["close_date"], None)
    deals = all_deals(backend_url)
    stark, wayne, oscorp = (deals["Stark Industries expansion"], deals["Wayne Enterprises pilot"],
                            deals["Oscorp licence"])
    # "Closed Won" / "Closed Lost" are outcomes, not stages: the deal keeps the first stage.
    assert fields(stark, "stage", "status", "value", "currency", "owner", "organization", "contact",
                  "created_at", "closed_at", "external_id") == (
        "Prospecting", WON, 50_000_00, "USD", "Pepper Potts", "Stark Industries", "Tony Stark",
        "2023-09-01T08:15:00", "2023-11-15T20:09:00", "hubspot:9876543210")
    assert fields(wayne, "status", "value", "lost_reason", "closed_at", "contact") == (
        LOST, 12_000_00, "Lost to competitor", "2023-12-20T17:45:00", None)
    assert fields(oscorp, "stage", "status", "value", "expected_close", "closed_at", "created_at") == (
        "Qualified", OPEN, 7_500_50, "2027-01-31", None, "2023-11-20T14:00:00")
    assert counts(backend_url) == (3, 2, 3, 2)  # Pepper Potts owns two deals: one rep


def test_salesforce_report_without_its_footer(backend_url):
    result = imported(backend_url, DATA / "salesforce_report.csv")
    assert "Preset: salesforce (recognised from the header); columns:" in result.stdout
    assert "Note: left out the footer at the end of the file (3 lines)" in result.stdout
    assert "Dates read as month/day/year (line 2 has 1/15/2017)" in result.stdout
    deals = all_deals(backend_url)
    assert set(deals) == {"Umbrella renewal", "Cyberdyne upgrade", "Tyrell replicants"}
    assert not any("Grand Totals" in t or "salesforce.com" in t or "Confidential" in t for t in deals)
    assert fields(deals["Umbrella renewal"], "status", "value", "currency", "probability", "owner",
                  "organization", "created_at", "closed_at", "external_id") == (
        WON, 1_000_00, "USD", 100, "Ada Wong", "Umbrella Corp", "2017-01-15T12:00:00", "2017-03-01T12:00:00",
        "salesforce:0065g00000AbCdE")
    assert fields(deals["Cyberdyne upgrade"], "status", "value", "owner", "closed_at") == (
        LOST, 12_500_50, "Miles Dyson", "2017-04-20T12:00:00")
    assert fields(deals["Tyrell replicants"], "stage", "status", "value", "probability", "expected_close",
                  "created_at") == ("Negotiation", OPEN, 3_000_00, 75, "2026-12-31", "2026-10-13T12:00:00")
    assert counts(backend_url) == (3, 2, 3, 0)


def test_salesforce_data_loader_extract_won_and_closed_flags_decide(backend_url):
    """ALL-CAPS API names; IsWon/IsClosed give the outcome whatever the stage says."""
    result = imported(backend_url, DATA / "salesforce_dataloader.csv")
    assert "Preset: salesforce (recognised from the header); columns:" in result.stdout
    mapping = printed_mapping(result.stdout)
    assert mapping["ISWON"] == (FIELDS["is_won"], None) and mapping["ISCLOSED"] == (FIELDS["is_closed"], None)
    deals = all_deals(backend_url)
    assert fields(deals["Soylent supply"], "stage", "status", "value", "created_at", "closed_at", "owner",
                  "external_id") == (
        "Negotiation", WON, 15_000_00, "2017-01-10T14:22:33", "2017-03-01T12:00:00", "0055g00000XyZ01",
        "salesforce:0061U00000AaAaAQAV")
    assert fields(deals["Vandelay import"], "stage", "status", "closed_at") == (
        "Proposal", LOST, "2017-04-15T12:00:00")
    assert fields(deals["Massive Dynamic trial"], "stage", "status", "value", "probability",
                  "expected_close", "closed_at") == (
        "Qualified", OPEN, 9_999_99, 30, "2026-12-20", None)


def test_maven_sales_pipeline(backend_url):
    """Maven's file has no title column and a stage ("Engaging") pipetui lacks."""
    result = imported(backend_url, DATA / "maven.csv", "--stage-map", "Engaging=Contacted")
    assert "Preset: generic (columns guessed from the header); columns:" in result.stdout
    deals = all_deals(backend_url)
    assert set(deals) == {"Cancity – GTX Plus Basic #1C1I7A6R",
                          "Genco Pura Olive Oil Company – GTXPro #KWVA7VR1",
                          "MG Advanced #HAXMC4IX", "Cancity – GTX Basic #ZZPRSP01"}
    won = deals["Cancity – GTX Plus Basic #1C1I7A6R"]
    assert fields(won, "status", "value", "currency", "owner", "organization", "created_at", "closed_at",
                  "external_id") == (
        WON, 1054_00, "USD", "Moses Frase", "Cancity", "2016-10-20T12:00:00", "2017-03-01T12:00:00", "1C1I7A6R")
    lost = deals["Genco Pura Olive Oil Company – GTXPro #KWVA7VR1"]
    assert fields(lost, "status", "value", "closed_at") == (LOST, 0, "2017-03-18T12:00:00")
    engaging = deals["MG Advanced #HAXMC4IX"]
    assert fields(engaging, "stage", "status", "value", "organization", "created_at", "expected_close") == (
        "Contacted", OPEN, 0, None, "2016-11-03T12:00:00", None)
    prospect = deals["Cancity – GTX Basic #ZZPRSP01"]
    assert fields(prospect, "stage", "status", "created_at") == ("Prospecting", OPEN, NOW)
    assert counts(backend_url) == (4, 3, 2, 0)  # Moses Frase and Cancity twice, made once


@pytest.mark.parametrize(("name", "preset", "options", "ids"), [
    ("pipedrive.csv", "pipedrive", [], {"pipedrive:101", "pipedrive:102", "pipedrive:103"}),
    ("hubspot.csv", "hubspot", [], {"hubspot:9876543210", "hubspot:9876543211", "hubspot:9876543212"}),
    ("salesforce_report.csv", "salesforce", [],
     {"salesforce:0065g00000AbCdE", "salesforce:0065g00000AbCdF", "salesforce:0065g00000AbCdG"}),
    ("salesforce_dataloader.csv", "salesforce", [],
     {"salesforce:0061U00000AaAaAQAV", "salesforce:0061U00000AaAaBQAV", "salesforce:0061U00000AaAaCQAV"}),
    ("maven.csv", "generic", ["--stage-map", "Engaging=Contacted"], {"1C1I7A6R", "KWVA7VR1", "HAXMC4IX", "ZZPRSP01"}),
], ids=["pipedrive", "hubspot", "salesforce-report", "salesforce-dataloader", "maven"])
def test_preset_option_names_the_layout(backend_url, name, preset, options, ids):
    result = imported(backend_url, DATA / name, "--preset", preset, *options)
    assert f"Preset: {preset} (as asked); columns:" in result.stdout
    assert {d["external_id"] for d in deals_json(backend_url, "--status", "all")} == ids


def test_preset_option_for_a_header_no_preset_recognises(backend_url, tmp_path):
    """A HubSpot file cut down to two columns is guessed as generic; --preset hubspot reads it."""
    path = write(tmp_path, "Deal ID,Deal Amount\n7,100\n")
    guessed = imported(backend_url, path)
    assert "Preset: generic (columns guessed from the header)" in guessed.stdout
    second = write(tmp_path, "Deal ID,Deal Amount\n8,100\n", name="second.csv")
    asked = imported(backend_url, second, "--preset", "hubspot")
    assert "Preset: hubspot (as asked)" in asked.stdout
    assert printed_mapping(asked.stdout)["Deal ID"] == (FIELDS["source_id"], None)
    assert {d["external_id"] for d in deals_json(backend_url)} == {"7", "hubspot:8"}


def test_pipedrives_way_of_naming_columns_is_recognised_in_a_short_file(backend_url, tmp_path):
    result = imported(backend_url, write(tmp_path, "Deal - ID,Deal - Value\n7,100\n"))
    assert "Preset: pipedrive (recognised from the header)" in result.stdout
    assert {d["external_id"] for d in deals_json(backend_url)} == {"pipedrive:7"}


# --- 2. guessing the columns of any other file ----------------------------------------------
# Without a preset each column is guessed from its header, whatever the
# case and whether words are joined by "_", "-" or spaces; --map wins.


GUESSED_FILES = {
    # header -> field, and the row's cells in the same order
    "maven-like": ([("opportunity_id", "source_id"), ("sales_agent", "owner"), ("account", "organization"),
                    ("close_value", "value"), ("deal_stage", "stage"), ("engage_date", "created"),
                    ("close_date", "close_date"), ("subject", "title")],
                   ["G-1", "Maya Patel", "Acme", "1500", "Qualified", "2026-03-02", "2026-12-24", "Deal one"]),
    "spaced": ([("Record-Id", "source_id"), ("Assigned To", "owner"), ("COMPANY", "organization"),
                ("Revenue", "value"), ("Pipeline Stage", "stage"), ("Opened", "created"),
                ("Expected Close", "expected_close"), ("Deal Title", "title")],
               ["G-1", "Maya Patel", "Acme", "1500", "Qualified", "2026-03-02", "2026-12-24", "Deal one"]),
    "status-as-stage": ([("deal_id", "source_id"), ("salesperson", "owner"), ("organization", "organization"),
                         ("deal value", "value"), ("status", "stage"), ("created", "created"),
                         ("closed on", "closed"), ("name", "title")],
                        ["G-1", "Maya Patel", "Acme", "1500", "Won", "2026-03-02", "2026-04-24", "Deal one"]),
    "short": ([("ID", "source_id"), ("Rep", "owner"), ("Company", "organization"), ("Amount", "value"),
               ("Sales Stage", "stage"), ("Create Date", "created"), ("Expected Close", "expected_close"),
               ("Opportunity", "title")],
              ["G-1", "Maya Patel", "Acme", "1500", "Qualified", "2026-03-02", "2026-12-24", "Deal one"]),
    "upper": ([("OPPORTUNITY ID", "source_id"), ("AGENT", "owner"), ("ACCOUNT", "organization"),
               ("DEAL-VALUE", "value"), ("DEAL-STAGE", "stage"), ("ENGAGE-DATE", "created"),
               ("CLOSE DATE", "close_date"), ("DEAL", "title")],
              ["G-1", "Maya Patel", "Acme", "1500", "Qualified", "2026-03-02", "2026-12-24", "Deal one"]),
}


@pytest.mark.parametrize("variant", list(GUESSED_FILES))
def test_columns_are_guessed_from_common_header_words(backend_url, tmp_path, variant):
    columns, row = GUESSED_FILES[variant]
    path = write(tmp_path, csv_text([[h for h, _ in columns], row]))
    result = imported(backend_url, path)
    assert "Preset: generic (columns guessed from the header); columns:" in result.stdout
    assert printed_mapping(result.stdout) == {h: (FIELDS[f], "guessed") for h, f in columns}
    deal = all_deals(backend_url)["Deal one"]
    assert fields(deal, "owner", "organization", "value", "currency", "created_at", "external_id") == (
        "Maya Patel", "Acme", 1500_00, "USD", "2026-03-02T12:00:00", "G-1")
    if variant == "status-as-stage":
        # a closed deal keeps no expected close the file did not give
        assert fields(deal, "status", "closed_at", "expected_close") == (WON, "2026-04-24T12:00:00", None)
    else:
        assert fields(deal, "stage", "status", "closed_at", "expected_close") == (
            "Qualified", OPEN, None, "2026-12-24")


@pytest.mark.parametrize(("header", "field"), [
    *[(h, "owner") for h in ("owner", "Rep", "SALES REP", "sales_rep", "Agent", "Sales-Agent", "salesperson",
                             "Assigned To", "assigned_to", "Deal Owner", "Opportunity Owner")],
    *[(h, "organization") for h in ("Organization", "organisation", "COMPANY", "company_name", "Account",
                                    "Account-Name", "Customer")],
    *[(h, "value") for h in ("Value", "amount", "Deal Value", "deal_value", "Close Value", "close-value",
                             "REVENUE", "Opportunity Amount")],
    *[(h, "stage") for h in ("Stage", "deal stage", "Deal_Stage", "Pipeline-Stage", "STATUS", "Stage Name")],
    *[(h, "source_id") for h in ("ID", "id", "Deal ID", "deal-id", "Opportunity_ID", "Record ID", "record-id")],
    *[(h, "created") for h in ("Created", "Create Date", "create_date", "Engage Date", "engage-date", "Opened",
                               "Created At", "date created")],
    *[(h, "close_date") for h in ("Close Date", "close_date", "CLOSE-DATE", "Closing Date")],
    *[(h, "expected_close") for h in ("Expected Close", "expected_close", "Expected Close Date")],
    *[(h, "closed") for h in ("Closed On", "closed_on", "Closed-At", "Won Time")],
    *[(h, "title") for h in ("Title", "Name", "Deal Name", "deal_title", "Opportunity Name", "Subject")],
    *[(h, "pipeline") for h in ("Pipeline", "Deal Pipeline", "pipeline_name")],
    *[(h, None) for h in ("Kunde", "Lead Source")],
])
def test_guessed_field_of_a_header(header, field):
    assert guess_field(header) == field


def test_plain_words_of_pipetuis_own_export_do_not_make_a_file_a_pipetui_export(backend_url, tmp_path):
    """ID, Title, Owner are any CRM's words: the ID column is a source id, whatever its ids look like."""
    path = write(tmp_path, "ID,Title,Owner,Status,Value\nX-17,Alpha,Maya Patel,Qualified,100\n")
    result = imported(backend_url, path)
    assert "Preset: generic (columns guessed from the header)" in result.stdout
    assert printed_mapping(result.stdout)["ID"] == (FIELDS["source_id"], "guessed")
    assert fields(all_deals(backend_url)["Alpha"], "external_id", "owner", "stage", "value") == (
        "X-17", "Maya Patel", "Qualified", 100_00)


def test_status_is_the_outcome_when_a_stage_column_exists(backend_url, tmp_path):
    header = ["Deal Number", "Opportunity", "Deal Value", "Stage", "Created", "Close Date", "Status"]
    path = generic_file(tmp_path, ["S-1", "Deal one", "10", "Proposal", "2026-03-02", "2026-04-01", "Won"],
                        header=header)
    result = imported(backend_url, path)
    mapping = printed_mapping(result.stdout)
    assert mapping["Stage"] == (FIELDS["stage"], "guessed") and mapping["Status"] == (FIELDS["status"], "guessed")
    assert fields(all_deals(backend_url)["Deal one"], "stage", "status", "closed_at") == (
        "Proposal", WON, "2026-04-01T12:00:00")


def test_map_option_names_a_column_and_ignore_drops_one(backend_url, tmp_path):
    header = ["Opportunity", "Kunde", "Company", "Deal Value", "Notes"]
    path = generic_file(tmp_path, ["Deal one", "Initech", "Acme", "10", "call back"], header=header)
    result = imported(backend_url, path, "--map", "kunde=organization", "--map", "NOTES=ignore")
    mapping = printed_mapping(result.stdout)
    assert mapping["Kunde"] == (FIELDS["organization"], "--map")
    assert mapping["Company"] == ("(not imported)", None)  # --map took organization from it
    assert mapping["Notes"] == ("(not imported)", None)
    assert "Note: the file has no id column: importing it again will create its deals again" in result.stdout
    assert all_deals(backend_url)["Deal one"]["organization"] == "Initech"
    with opened(backend_url):
        assert Note.select().count() == 0
        assert [o.name for o in Organization.select()] == ["Initech"]


def test_map_option_can_turn_a_guessed_column_into_another_field(backend_url, tmp_path):
    header = ["Opportunity", "Deal Value", "Status", "Close"]
    path = generic_file(tmp_path, ["Deal one", "10", "Qualified", "2027-02-01"], header=header)
    result = imported(backend_url, path, "--map", "Close=expected_close", "--map", "Deal Value=ignore")
    assert printed_mapping(result.stdout)["Close"] == (FIELDS["expected_close"], "--map")
    assert fields(all_deals(backend_url)["Deal one"], "expected_close", "value", "stage") == (
        "2027-02-01", 0, "Qualified")


@pytest.mark.parametrize(("option", "words"), [
    ("Nope=title", ["Nope=title: ", "no column 'Nope'", "'Opportunity'", "(--map)"]),
    ("Opportunity=colour", ["no field 'colour'", "ignore", "(--map)"]),
    ("Opportunity", ["a mapping is NAME=VALUE, not 'Opportunity' (--map)"]),
])
def test_map_option_with_an_unknown_column_or_field_fails_in_one_line(backend_url, tmp_path, option, words):
    path = generic_file(tmp_path, ["G-1", "Deal one", "Acme", "Maya", "10", "Qualified", "2026-03-02", ""])
    before = dump(backend_url)
    message = assert_one_line_failure(run_import(backend_url, path, "--map", option), 2)
    for word in words:
        assert word in message
    assert dump(backend_url) == before


# --- 3. titles made up when the file has none -----------------------------------------------


def test_missing_title_is_made_from_organization_product_and_id(backend_url, tmp_path):
    path = generic_file(tmp_path, ["Acme", "Widgets", "7"], ["", "Gadgets", "8"], ["Acme", "", ""],
                        ["", "", "9"], header=["Company", "Product", "Deal ID"])
    result = imported(backend_url, path)
    assert ("Note: the file has no title column: titles are made from the organization, product and "
            "source id") in result.stdout
    assert printed_mapping(result.stdout)["Product"] == (FIELDS["product"], "guessed")
    assert set(all_deals(backend_url)) == {"Acme – Widgets #7", "Gadgets #8", "Acme", "Deal #9"}


def test_a_row_with_nothing_to_make_a_title_from_is_bad(backend_url, tmp_path):
    path = generic_file(tmp_path, ["Acme", "10"], ["", "20"], header=["Company", "Amount"])
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path))
    assert "line 3: has no title, and no organization, product or id to make one from" in lines
    assert dump(backend_url) == before


# --- 4. reps, organizations and contacts: made once, found again ------------------------------


def test_people_and_companies_are_created_once_and_reused(backend_url, tmp_path):
    ok(run(backend_url, "rep", "add", "Jonas Weber", "--login", "jonas"))
    ok(run(backend_url, "add", "Older deal", "--value", "1", "--org", "Initech"))
    header = ["Deal Number", "Opportunity", "Company", "Sales Rep", "Contact"]
    path = generic_file(tmp_path,
                        ["P-1", "One", "Acme", "Maya Patel", "Anna Schmidt"],
                        ["P-2", "Two", "ACME", "Maya Patel", "Anna Schmidt"],
                        ["P-3", "Three", "acme", "MAYA PATEL", "anna schmidt"],
                        ["P-4", "Four", "INITECH", "jonas weber", "Bill"],  # the rep by name
                        ["P-5", "Five", "Initech", "jonas", "bill"],  # the rep by login
                        header=header)
    result = imported(backend_url, path)
    assert summary(result).endswith("new: 1 rep, 1 organization, 2 contacts")
    with opened(backend_url):
        assert sorted(r.name for r in Rep.select()) == ["Jonas Weber", "Maya Patel"]
        assert sorted(o.name for o in Organization.select()) == ["Acme", "Initech"]
        jonas = Rep.get(Rep.name == "Jonas Weber")
        assert {d.title for d in Deal.select().where(Deal.owner == jonas)} == {"Four", "Five"}
        maya = Rep.get(Rep.name == "Maya Patel")
        assert Deal.select().where(Deal.owner == maya).count() == 3
        acme = Organization.get(Organization.name == "Acme")
        assert Deal.select().where(Deal.organization == acme).count() == 3
        initech = Organization.get(Organization.name == "Initech")
        assert {d.title for d in Deal.select().where(Deal.organization == initech)} == {"Older deal", "Four", "Five"}
        assert sorted((c.name, c.organization.name) for c in Contact.select()) == [
            ("Anna Schmidt", "Acme"), ("Bill", "Initech")]
    # A second file names them again: nothing new.
    again = generic_file(tmp_path, ["P-6", "Six", "acme", "maya patel", "ANNA SCHMIDT"], header=header,
                         name="again.csv")
    assert summary(imported(backend_url, again)).endswith("new: 0 reps, 0 organizations, 0 contacts")
    assert counts(backend_url)[1:] == (2, 2, 2)


# --- 5. messy files ------------------------------------------------------------------------


def test_one_stage_column_holds_open_stages_and_outcomes(backend_url, tmp_path):
    rows = [["S-1", "Open one", "", "", "1", "Qualified", "2026-03-01", "2027-01-01"],
            ["S-2", "Won one", "", "", "1", "Won", "2026-03-01", "2026-03-05"],
            ["S-3", "Lost one", "", "", "1", "lost", "2026-03-01", "2026-03-06"],
            ["S-4", "Closed won one", "", "", "1", "Closed Won", "2026-03-01", "2026-03-07"],
            ["S-5", "Closed lost one", "", "", "1", "CLOSED LOST", "2026-03-01", "2026-03-08"],
            ["S-6", "closedwon one", "", "", "1", "closedwon", "2026-03-01", "2026-03-09"],
            ["S-7", "Proposal one", "", "", "1", "proposal", "2026-03-01", ""]]
    imported(backend_url, generic_file(tmp_path, *rows))
    deals = all_deals(backend_url)
    got = {title: (d["stage"], d["status"], d["closed_at"]) for title, d in deals.items()}
    assert got == {
        "Open one": ("Qualified", OPEN, None),
        "Won one": ("Prospecting", WON, "2026-03-05T12:00:00"),
        "Lost one": ("Prospecting", LOST, "2026-03-06T12:00:00"),
        "Closed won one": ("Prospecting", WON, "2026-03-07T12:00:00"),
        "Closed lost one": ("Prospecting", LOST, "2026-03-08T12:00:00"),
        "closedwon one": ("Prospecting", WON, "2026-03-09T12:00:00"),
        "Proposal one": ("Proposal", OPEN, None),
    }


@pytest.mark.parametrize(("created", "closed", "order"), [
    (["2017-03-01", "2017-02-10"], ["2017-03-20", "2017-02-11"], None),
    (["3/1/2017", "2/10/2017"], ["3/20/2017", "2/11/2017"], "month/day/year (line 2 has 3/20/2017)"),
    (["01-03-17", "10-02-17"], ["20-03-17", "11-02-17"], "day/month/year (line 2 has 20-03-17)"),
], ids=["iso", "us", "day-first"])
def test_date_order_is_read_from_the_file(backend_url, tmp_path, created, closed, order):
    path = generic_file(tmp_path,
                        ["D-1", "March deal", "", "", "1", "Won", created[0], closed[0]],
                        ["D-2", "February deal", "", "", "1", "Lost", created[1], closed[1]])
    result = imported(backend_url, path)
    if order:
        assert f"Dates read as {order}" in result.stdout
    else:
        assert "Dates read as" not in result.stdout
    deals = all_deals(backend_url)
    assert fields(deals["March deal"], "created_at", "closed_at") == ("2017-03-01T12:00:00", "2017-03-20T12:00:00")
    assert fields(deals["February deal"], "created_at", "closed_at") == (
        "2017-02-10T12:00:00", "2017-02-11T12:00:00")


def test_ambiguous_dates_ask_for_date_format(backend_url, tmp_path):
    path = generic_file(tmp_path,
                        ["D-1", "First", "", "", "1", "Won", "3/1/2017", "4/2/2017"],
                        ["D-2", "Second", "", "", "1", "Qualified", "5/3/2017", ""])
    before = dump(backend_url)
    message = assert_one_line_failure(run_import(backend_url, path), 2)
    assert "line 2" in message and "'3/1/2017'" in message and "--date-format" in message
    assert dump(backend_url) == before


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "DD/MM/YYYY"])
def test_date_format_option_settles_ambiguous_dates(backend_url, tmp_path, fmt):
    path = generic_file(tmp_path,
                        ["D-1", "First", "", "", "1", "Won", "3/1/2017", "4/2/2017"],
                        ["D-2", "Second", "", "", "1", "Qualified", "5/3/2017", "2027-06-01"])
    imported(backend_url, path, "--date-format", fmt)
    deals = all_deals(backend_url)
    assert fields(deals["First"], "created_at", "closed_at") == ("2017-01-03T12:00:00", "2017-02-04T12:00:00")
    assert fields(deals["Second"], "created_at", "expected_close") == ("2017-03-05T12:00:00", "2027-06-01")


def test_empty_cells_of_open_deals_stay_empty(backend_url, tmp_path):
    header = [*GENERIC, "Probability", "Contact"]
    path = generic_file(tmp_path, ["E-1", "Bare deal", "", "", "", "Qualified", "", "", "", ""],
                        ["E-2", "Dated deal", "Acme", "", " ", "", "2026-05-05", "", "", ""], header=header)
    result = imported(backend_url, path)
    assert summary(result).endswith("new: 0 reps, 1 organization, 0 contacts")
    deals = all_deals(backend_url)
    assert fields(deals["Bare deal"], "stage", "status", "value", "currency", "probability", "owner",
                  "organization", "contact", "expected_close", "created_at", "closed_at") == (
        "Qualified", OPEN, 0, "USD", None, None, None, None, None, NOW, None)
    assert fields(deals["Dated deal"], "stage", "value", "created_at", "expected_close") == (
        "Prospecting", 0, "2026-05-05T12:00:00", None)


def test_a_closed_deal_without_a_close_date_is_bad(backend_url, tmp_path):
    path = generic_file(tmp_path, ["C-1", "Fine", "", "", "1", "Qualified", "", ""],
                        ["C-2", "Won sometime", "", "", "1", "Won", "2026-01-01", ""])
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path))
    assert "line 3: is won but has no close date" in lines
    assert dump(backend_url) == before


def test_amounts_with_thousands_separators_and_currency_symbols(backend_url, tmp_path):
    path = generic_file(tmp_path, ["A-1", "Dollars", "", "", "$12,500.50", "Qualified", "", ""],
                        ["A-2", "Plain", "", "", "3,000", "Qualified", "", ""],
                        ["A-3", "Pounds", "", "", "£99.99", "Qualified", "", ""],
                        ["A-4", "Code first", "", "", "USD 1,000.00", "Qualified", "", ""])
    imported(backend_url, path)
    got = {t: (d["value"], d["currency"]) for t, d in all_deals(backend_url).items()}
    assert got == {"Dollars": (12_500_50, "USD"), "Plain": (3_000_00, "USD"), "Pounds": (99_99, "GBP"),
                   "Code first": (1_000_00, "USD")}


def test_semicolon_file_with_decimal_commas(backend_url, tmp_path):
    path = generic_file(tmp_path, ["A-1", "Euros", "", "", "1.234,50 €", "Qualified", "", ""],
                        ["A-2", "Small", "", "", "12,5", "Qualified", "", ""],
                        ["A-3", "Named", "", "", "EUR 2.000", "Qualified", "", ""], sep=";")
    result = imported(backend_url, path, "--currency", "EUR")
    assert "semicolon-separated" in result.stdout
    got = {t: (d["value"], d["currency"]) for t, d in all_deals(backend_url).items()}
    assert got == {"Euros": (1_234_50, "EUR"), "Small": (12_50, "EUR"), "Named": (2_000_00, "EUR")}


def test_value_cells_that_are_no_amount_are_bad_rows(backend_url, tmp_path):
    path = generic_file(tmp_path, *[[f"V-{n}", f"Deal {n}", "", "", value, "Qualified", "", ""]
                                    for n, value in enumerate(["1.2E+05", "-500", "$5 EUR", "12 apples",
                                                               "1,2,3", "100"], 2)])
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path))
    assert lines[:-1] == [
        "line 2: value '1.2E+05' is in scientific notation (a spreadsheet rewrote it); write the number out",
        "line 3: value '-500' is negative; a deal's value is zero or more",
        "line 4: value '$5 EUR' names two currencies",
        "line 5: value '12 apples' is not an amount: use digits with an optional decimal mark "
        "(e.g. 12500, 12,500.50, $3,000 or EUR 900)",
        "line 6: value '1,2,3' has its thousands marks in the wrong places",
    ]
    assert dump(backend_url) == before


@pytest.mark.parametrize(("rows", "words"), [
    ([["M-1", "A", "", "", "1,234.50", "Qualified", "", ""], ["M-2", "B", "", "", "1.234,50", "Qualified", "", ""]],
     ["the amounts mix two decimal marks", "'1,234.50' (line 2)", "'1.234,50' (line 3)"]),
    ([["M-1", "A", "", "", "1", "Qualified", "25/03/2017", ""], ["M-2", "B", "", "", "1", "Qualified", "3/25/2017", ""]],
     ["the dates mix two orders", "'25/03/2017' (line 2) is day first", "'3/25/2017' (line 3) is month first",
      "--date-format"]),
], ids=["decimal-marks", "date-orders"])
def test_a_file_that_mixes_two_conventions_fails_in_one_line(backend_url, tmp_path, rows, words):
    before = dump(backend_url)
    message = assert_one_line_failure(run_import(backend_url, generic_file(tmp_path, *rows)), 2)
    for word in words:
        assert word in message
    assert dump(backend_url) == before


@pytest.mark.parametrize(("option", "words"), [
    (["--date-format", "YYYY"], ["the date format 'YYYY' has no day and month", "(--date-format)"]),
    (["--currency", "EURO"], ["currency 'EURO' is not a currency code"]),
    (["--preset", "nope"], ["'nope' is not one of"]),
    (["--stage-map", "novalue"], ["a mapping is NAME=VALUE, not 'novalue' (--stage-map)"]),
], ids=["date-format", "currency", "preset", "stage-map"])
def test_bad_options_fail_in_one_line(backend_url, tmp_path, option, words):
    path = generic_file(tmp_path, ["G-1", "Deal", "", "", "1", "Qualified", "3/1/2017", ""])
    before = dump(backend_url)
    message = assert_one_line_failure(run_import(backend_url, path, *option), 2)
    for word in words:
        assert word in message
    assert dump(backend_url) == before


def test_long_titles_fit_up_to_the_limit(backend_url, tmp_path):
    """Other CRMs allow long titles: 500 characters are kept whole on both backends."""
    longest, too_long = "L" * 499 + "é", "T" * 501
    path = generic_file(tmp_path, ["L-1", longest, "", "", "1", "Qualified", "", ""],
                        ["L-2", too_long, "", "", "1", "Qualified", "", ""])
    assert "line 3: title is too long (501 characters, at most 500)" in refused(run_import(backend_url, path))
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, path, "--skip-bad", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert list(all_deals(backend_url)) == [longest]


def test_utf8_byte_order_mark_does_not_hide_the_first_column(backend_url, tmp_path):
    text = (DATA / "pipedrive.csv").read_text(encoding="utf-8")
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = imported(backend_url, path)
    assert "Preset: pipedrive (recognised from the header)" in result.stdout
    assert printed_mapping(result.stdout)["Deal - ID"] == (FIELDS["source_id"], None)
    assert {d["external_id"] for d in deals_json(backend_url, "--status", "all")} == {
        "pipedrive:101", "pipedrive:102", "pipedrive:103"}


def test_quoted_newlines_stay_in_notes_and_become_spaces_in_titles(backend_url, tmp_path):
    header = ["Deal Number", "Opportunity", "Description", "Company"]
    text = csv_text([header, ["N-1", "Two\nline title", "First line\r\nsecond line", "Acme\nInc"],
                     ["N-2", "Plain", "", ""]])
    result = imported(backend_url, write(tmp_path, text))
    assert "Read " in result.stdout and ": 2 rows, comma-separated, utf-8" in result.stdout
    deals = all_deals(backend_url)
    assert set(deals) == {"Two line title", "Plain"}
    assert deals["Two line title"]["organization"] == "Acme Inc"
    with opened(backend_url):
        notes = [(n.deal.title, n.body) for n in Note.select()]
    assert notes == [("Two line title", "First line\nsecond line")]


def test_quotes_backslashes_and_copy_markers_are_stored_as_they_are(backend_url, tmp_path):
    """Cells that look like SQL or COPY syntax (\\N, a lone \\. line) are plain text."""
    header = ["Deal Number", "Opportunity", "Company", "Description"]
    text = csv_text([header,
                     ["Q-1", 'He said "hi", then \\ left', 'Back\\slash, "Inc"', "first\n\\.\nthird"],
                     ["Q-2", "\\N", "Ünïcödé ☃", "\\N"],
                     ["Q-3", "Tab\tinside", "", "last\n\\.\n"]])
    imported(backend_url, write(tmp_path, text))
    deals = all_deals(backend_url)
    assert set(deals) == {'He said "hi", then \\ left', "\\N", "Tab inside"}
    assert deals['He said "hi", then \\ left']["organization"] == 'Back\\slash, "Inc"'
    assert fields(deals["\\N"], "organization", "contact") == ("Ünïcödé ☃", None)
    with opened(backend_url):
        notes = {n.deal.title: n.body for n in Note.select()}
    assert notes == {'He said "hi", then \\ left': "first\n\\.\nthird", "\\N": "\\N", "Tab inside": "last\n\\."}


def test_utf16_file_with_tabs(backend_url, tmp_path):
    text = csv_text([["Opportunity", "Company", "Deal Value", "Pipeline Stage"],
                     ["Café Ünïcode", "Société Générale", "1.500,25 €", "Meeting"]], sep="\t")
    path = tmp_path / "excel.txt"
    path.write_bytes(text.encode("utf-16"))  # with its byte-order mark, as Excel writes it
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    result = imported(backend_url, path)
    assert ": 1 row, tab-separated, utf-16" in result.stdout
    deal = all_deals(backend_url)["Café Ünïcode"]
    assert fields(deal, "organization", "value", "currency", "stage") == ("Société Générale", 1_500_25, "EUR",
                                                                          "Meeting")


# --- 6. stages the pipeline does not have ----------------------------------------------------


def _unknown_stage_file(tmp_path: Path) -> Path:
    header = [*GENERIC, "Probability"]
    return generic_file(tmp_path,
                        ["U-1", "Engaged one", "", "", "1", "Engaging", "2026-03-01", "", "20"],
                        ["U-2", "Engaged two", "", "", "1", "ENGAGING", "2026-03-01", "", "40"],
                        ["U-3", "Qualify one", "", "", "1", "Qualify", "2026-03-01", "", ""],
                        ["U-4", "Known one", "", "", "1", "Qualified", "2026-03-01", "", ""],
                        ["U-5", "Won engaged", "", "", "1", "Engaging", "2026-03-01", "", ""],
                        header=header)


def test_unknown_stages_are_listed_and_nothing_is_written(backend_url, tmp_path):
    path = _unknown_stage_file(tmp_path)
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path))
    assert lines[0] == "stages the pipeline does not have:"
    assert "  'Engaging': 3 rows (--stage-map Engaging=STAGE)" in lines
    assert "  'Qualify': 1 row (--stage-map Qualify=Qualified)" in lines
    assert any("--create-stages" in line for line in lines[:-1])
    assert lines[-1].startswith("pipetui: 4 rows in stages the pipeline does not have; nothing was imported")
    assert "--create-stages" in lines[-1]
    assert not any(line.startswith("line ") for line in lines)  # summed up per stage, not per row
    assert dump(backend_url) == before


def test_stage_map_places_unknown_stages(backend_url, tmp_path):
    path = _unknown_stage_file(tmp_path)
    imported(backend_url, path, "--stage-map", "Engaging=Contacted", "--stage-map", "qualify=QUALIFIED")
    got = {t: (d["stage"], d["status"]) for t, d in all_deals(backend_url).items()}
    assert got == {"Engaged one": ("Contacted", OPEN), "Engaged two": ("Contacted", OPEN),
                   "Qualify one": ("Qualified", OPEN), "Known one": ("Qualified", OPEN),
                   "Won engaged": ("Contacted", OPEN)}
    with opened(backend_url):
        assert Stage.select().count() == 7


def test_stage_map_to_an_outcome(backend_url, tmp_path):
    path = generic_file(tmp_path, ["O-1", "Signed", "", "", "1", "Signed", "2026-03-01", "2026-03-02"])
    imported(backend_url, path, "--stage-map", "Signed=won")
    assert fields(all_deals(backend_url)["Signed"], "status", "closed_at") == (WON, "2026-03-02T12:00:00")


def test_stage_map_to_a_stage_that_does_not_exist_fails_in_one_line(backend_url, tmp_path):
    before = dump(backend_url)
    message = assert_one_line_failure(
        run_import(backend_url, _unknown_stage_file(tmp_path), "--stage-map", "Engaging=Nowhere"), 2)
    assert "Engaging=Nowhere: " in message and message.endswith("(--stage-map)")
    assert dump(backend_url) == before


def test_create_stages_adds_them_after_the_existing_ones(backend_url, tmp_path):
    result = imported(backend_url, _unknown_stage_file(tmp_path), "--create-stages")
    # New stages take the average probability of their open deals, else 50 %.
    assert summary(result).endswith("; stages Engaging (30 %), Qualify (50 %)")
    with opened(backend_url):
        ordered = [(s.name, s.position, s.probability) for s in Stage.select().order_by(Stage.position)]
    assert ordered[:7] == [("Prospecting", 0, 10), ("Contacted", 1, 20), ("Qualified", 2, 30),
                           ("Meeting", 3, 45), ("Proposal", 4, 60), ("Negotiation", 5, 75), ("Closing", 6, 90)]
    assert ordered[7:] == [("Engaging", 7, 30), ("Qualify", 8, 50)]
    got = {t: d["stage"] for t, d in all_deals(backend_url).items()}
    assert got == {"Engaged one": "Engaging", "Engaged two": "Engaging", "Won engaged": "Engaging",
                   "Qualify one": "Qualify", "Known one": "Qualified"}
    # The next import finds them: no stage is made twice.
    again = imported(backend_url, _unknown_stage_file(tmp_path), "--create-stages")
    assert "stages" not in summary(again)
    with opened(backend_url):
        assert Stage.select().count() == 9


# --- 7. importing again --------------------------------------------------------------------
# Rows with an id update the deal an earlier import made from them.


def test_importing_the_same_file_twice_changes_nothing(backend_url):
    imported(backend_url, DATA / "pipedrive.csv")
    before = dump(backend_url)
    second = imported(backend_url, DATA / "pipedrive.csv")
    assert summary(second) == ("Imported: 0 deals created, 0 updated, 3 unchanged; "
                               "new: 0 reps, 0 organizations, 0 contacts")
    assert dump(backend_url) == before


@pytest.mark.parametrize("name", ["hubspot.csv", "salesforce_report.csv", "salesforce_dataloader.csv"])
def test_other_presets_import_twice_without_change(backend_url, name):
    imported(backend_url, DATA / name)
    before = dump(backend_url)
    assert summary(imported(backend_url, DATA / name)).startswith(
        "Imported: 0 deals created, 0 updated, 3 unchanged")
    assert dump(backend_url) == before


def test_a_changed_row_updates_its_deal(backend_url, tmp_path):
    imported(backend_url, DATA / "pipedrive.csv")
    with opened(backend_url):
        acme_id = Deal.get(Deal.title == "Acme rollout").id
    text = (DATA / "pipedrive.csv").read_text(encoding="utf-8")
    changed = text.replace("Acme rollout,Maya Patel,Maya Patel,25000,EUR,40,Acme GmbH,Default,Anna Schmidt,Proposal",
                           "Acme rollout,Maya Patel,Jonas Weber,30000,EUR,40,Acme GmbH,Default,Anna Schmidt,Negotiation")
    assert changed != text
    dry = ok(run_import(backend_url, write(tmp_path, changed), "--dry-run"))
    assert summary(dry) == ("Dry run, nothing written. Would create 0 deals, update 1, leave 2 unchanged; "
                            "new: 0 reps, 0 organizations, 0 contacts")
    result = imported(backend_url, write(tmp_path, changed))
    assert summary(result).startswith("Imported: 0 deals created, 1 updated, 2 unchanged")
    deals = all_deals(backend_url)
    assert len(deals) == 3
    acme = deals["Acme rollout"]
    assert fields(acme, "id", "stage", "value", "owner", "version", "stage_entered_at", "created_at") == (
        acme_id, "Negotiation", 30_000_00, "Jonas Weber", 2, NOW, "2026-01-30T15:55:37")
    assert history(backend_url, "Acme rollout") == [
        (None, "Proposal", None, OPEN, "2026-01-30T15:55:37"),
        ("Proposal", "Negotiation", OPEN, OPEN, NOW),
    ]
    assert deals["Globex renewal"]["version"] == 1


def test_a_row_now_won_closes_its_deal_at_the_source_close(backend_url, tmp_path):
    imported(backend_url, DATA / "hubspot.csv")
    text = (DATA / "hubspot.csv").read_text(encoding="utf-8")
    changed = text.replace('"Oscorp licence","","Qualified","2027-01-31 12:00"',
                           '"Oscorp licence","","Closed Won","2026-11-02 10:00"')
    assert changed != text
    result = imported(backend_url, write(tmp_path, changed))
    assert summary(result).startswith("Imported: 0 deals created, 1 updated, 2 unchanged")
    oscorp = all_deals(backend_url)["Oscorp licence"]
    assert fields(oscorp, "stage", "status", "closed_at", "version") == (
        "Qualified", WON, "2026-11-02T10:00:00", 2)
    assert history(backend_url, "Oscorp licence") == [
        (None, "Qualified", None, OPEN, "2023-11-20T14:00:00"),
        ("Qualified", "Qualified", OPEN, WON, "2026-11-02T10:00:00"),
    ]


def test_ids_of_different_sources_do_not_collide(backend_url, tmp_path):
    files = {
        "pipedrive.csv": "Deal - ID,Deal - Title,Deal - Value\n101,Pipedrive deal,10\n",
        "hubspot.csv": '"Record ID","Deal Name","Amount","Deal Stage"\n"101","HubSpot deal","10","Qualified"\n',
        "salesforce.csv": "Id,Name,StageName,Amount\n101,Salesforce deal,Qualified,10\n",
        "generic.csv": "Deal Number,Opportunity,Deal Value\n101,Generic deal,10\n",
    }
    presets = {"hubspot.csv": ["--preset", "hubspot"]}  # too few columns to tell whose it is
    for name, text in files.items():
        result = imported(backend_url, write(tmp_path, text, name=name), *presets.get(name, []))
        assert summary(result).startswith("Imported: 1 deal created, 0 updated, 0 unchanged")
    ids = {t: d["external_id"] for t, d in all_deals(backend_url).items()}
    assert ids == {"Pipedrive deal": "pipedrive:101", "HubSpot deal": "hubspot:101",
                   "Salesforce deal": "salesforce:101", "Generic deal": "101"}


def test_rows_marked_deleted_and_deals_deleted_here_are_left_out(backend_url, tmp_path):
    text = ("Deal - ID,Deal - Title,Deal - Status,Deal - Value\n"
            "1,Kept,Open,10\n2,Gone there,deleted,10\n3,Gone here,Open,5\n")
    path = write(tmp_path, text)
    first = imported(backend_url, path)
    assert "Note: left out 1 deal marked deleted" in first.stdout
    assert summary(first).startswith("Imported: 2 deals created")
    ok(run(backend_url, "delete", "Gone here"))
    before = dump(backend_url)
    second = imported(backend_url, write(tmp_path, text.replace("Gone here,Open,5", "Gone here,Open,7")))
    assert "Note: left alone 1 deal deleted here since an earlier import" in second.stdout
    assert summary(second).startswith("Imported: 0 deals created, 0 updated, 1 unchanged")
    assert dump(backend_url) == before  # the deleted deal is not brought back, nor changed
    assert set(all_deals(backend_url)) == {"Kept"}


def test_the_same_id_twice_in_one_file_is_bad(backend_url, tmp_path):
    path = generic_file(tmp_path, ["X-1", "First", "", "", "1", "Qualified", "", ""],
                        ["X-1", "Second", "", "", "1", "Qualified", "", ""])
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path))
    assert "line 3: has the same id as line 2 (X-1)" in lines
    assert dump(backend_url) == before


# --- 8. history --------------------------------------------------------------------------


def test_a_won_deal_has_its_creation_and_its_win_in_the_history(backend_url):
    imported(backend_url, DATA / "hubspot.csv")
    assert history(backend_url, "Stark Industries expansion") == [
        (None, "Prospecting", None, OPEN, "2023-09-01T08:15:00"),
        ("Prospecting", "Prospecting", OPEN, WON, "2023-11-15T20:09:00"),
    ]
    assert history(backend_url, "Wayne Enterprises pilot") == [
        (None, "Prospecting", None, OPEN, "2023-10-02T09:30:00"),
        ("Prospecting", "Prospecting", OPEN, LOST, "2023-12-20T17:45:00"),
    ]
    assert history(backend_url, "Oscorp licence") == [(None, "Qualified", None, OPEN, "2023-11-20T14:00:00")]
    stark = all_deals(backend_url)["Stark Industries expansion"]
    assert fields(stark, "created_at", "closed_at", "stage_entered_at", "last_activity_at") == (
        "2023-09-01T08:15:00", "2023-11-15T20:09:00", "2023-09-01T08:15:00", "2023-11-15T20:09:00")


def test_closed_the_day_it_was_created_without_a_time(backend_url, tmp_path):
    """A close date without a time on the day of a created datetime is not "before" it."""
    path = generic_file(tmp_path, ["H-1", "Same day", "", "", "1", "Won", "2026-03-01 15:30", "2026-03-01"])
    imported(backend_url, path)
    deal = all_deals(backend_url)["Same day"]
    assert fields(deal, "created_at", "closed_at") == ("2026-03-01T15:30:00", "2026-03-01T15:30:00")


@pytest.mark.parametrize(("created", "closed", "reason"), [
    ("2026-03-10", "2026-03-01", "closed (2026-03-01) before it was created (2026-03-10)"),
    ("2026-03-10", "2026-12-24", "is won on 2026-12-24, which is in the future"),
], ids=["closed-before-created", "closed-in-the-future"])
def test_impossible_histories_are_bad_rows(backend_url, tmp_path, created, closed, reason):
    path = generic_file(tmp_path, ["H-1", "Odd", "", "", "1", "Won", created, closed])
    before = dump(backend_url)
    assert f"line 2: {reason}" in refused(run_import(backend_url, path))
    assert dump(backend_url) == before


# --- 9. all or nothing ---------------------------------------------------------------------
# Bad rows are named with their line; without --skip-bad nothing is written.


def _file_with_bad_rows(tmp_path: Path) -> Path:
    header = [*GENERIC, "Description"]
    text = csv_text([
        header,
        ["B-1", "Good one", "Acme", "Maya Patel", "100", "Qualified", "2026-03-01", "", "two\nlines"],  # lines 2-3
        ["B-2", "Bad amount", "", "", "12 apples", "Qualified", "2026-03-01", "", ""],  # line 4
        ["B-3", "Good two", "Globex", "", "200", "Won", "2026-03-01", "2026-03-05", ""],  # line 5
        ["B-4", "Bad date", "", "", "1", "Qualified", "2026-02-30", "", ""],  # line 6
        ["B-5", "Evil \x1b[31mred", "", "", "1", "Qualified", "2026-03-01", "", ""],  # line 7
        ["B-6", "Too wide", "", "", "1", "Qualified", "2026-03-01", "", "", "extra"],  # line 8
        ["B-7", "Good three", "", "", "300", "Lost", "2026-03-01", "2026-03-06", ""],  # line 9
    ])
    return write(tmp_path, text)


BAD_LINES = [
    "line 4: value '12 apples' is not an amount: use digits with an optional decimal mark "
    "(e.g. 12500, 12,500.50, $3,000 or EUR 900)",
    "line 6: created date '2026-02-30' is not a real date",
    "line 7: title contains a control character ('\\x1b'); type plain text",
    "line 8: has 10 cells but the header names 9 columns (a separator inside an unquoted cell?)",
]


def test_bad_rows_are_each_named_and_nothing_is_written(backend_url, tmp_path):
    path = _file_with_bad_rows(tmp_path)
    before = dump(backend_url)
    result = run_import(backend_url, path)
    lines = refused(result)
    assert lines[:-1] == BAD_LINES
    assert lines[-1] == ("pipetui: 4 bad rows; nothing was imported (fix them, or add --skip-bad REJECTS.csv "
                         "to import the good rows and list the bad ones there)")
    assert "\x1b" not in result.stdout + result.stderr  # the escape is shown, never sent to the terminal
    assert dump(backend_url) == before


def test_skip_bad_with_one_bad_row_says_so_in_the_singular(backend_url, tmp_path):
    path = write(tmp_path, csv_text([
        [*GENERIC, "Description"],
        ["S-1", "Good one", "Acme", "", "100", "Qualified", "2026-03-01", "", ""],
        ["S-2", "Bad amount", "", "", "12 apples", "Qualified", "2026-03-01", "", ""],  # line 3
    ]))
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, path, "--skip-bad", str(rejects))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.splitlines()[-1] == f"1 bad row left out, listed with its reason in {rejects}"


def test_skip_bad_imports_the_good_rows_and_lists_the_bad_ones(backend_url, tmp_path):
    path = _file_with_bad_rows(tmp_path)
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, path, "--skip-bad", str(rejects))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr.splitlines() == BAD_LINES
    assert "Imported: 3 deals created, 0 updated, 0 unchanged; new: 1 rep, 2 organizations" in result.stdout
    assert f"4 bad rows left out, listed with their reasons in {rejects}" in result.stdout
    assert_history_consistent(backend_url)
    deals = all_deals(backend_url)
    assert {t: d["status"] for t, d in deals.items()} == {"Good one": OPEN, "Good two": WON, "Good three": LOST}
    with opened(backend_url):
        assert [n.body for n in Note.select()] == ["two\nlines"]
    rows = list(csv.reader(rejects.open(encoding="utf-8", newline="")))
    assert rows[0] == ["import line", "import error", *GENERIC, "Description"]
    assert [row[0] for row in rows[1:]] == ["4", "6", "7", "8"]
    assert [f"line {row[0]}: {row[1]}" for row in rows[1:]] == BAD_LINES
    assert rows[1][2:] == ["B-2", "Bad amount", "", "", "12 apples", "Qualified", "2026-03-01", "", ""]
    assert rows[3][3] == "Evil \x1b[31mred"  # the cells as they came
    assert rows[4][2:] == ["B-6", "Too wide", "", "", "1", "Qualified", "2026-03-01", "", "", "extra"]
    assert not (tmp_path / "rejects.csv.partial").exists()


def test_skip_bad_puts_rows_in_unknown_stages_in_the_rejects(backend_url, tmp_path):
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, _unknown_stage_file(tmp_path), "--skip-bad", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert "'Engaging': 3 rows" in result.stderr
    assert set(all_deals(backend_url)) == {"Known one"}
    rows = list(csv.DictReader(rejects.open(encoding="utf-8", newline="")))
    assert sorted(r["Opportunity"] for r in rows) == ["Engaged one", "Engaged two", "Qualify one", "Won engaged"]
    assert rows[0]["import error"] == "stage 'Engaging' is not a stage of the pipeline"


def test_skip_bad_refuses_to_overwrite_the_imported_file(backend_url, tmp_path):
    path = _file_with_bad_rows(tmp_path)
    original = path.read_bytes()
    before = dump(backend_url)
    result = run_import(backend_url, path, "--skip-bad", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("pipetui: the rejects file would overwrite the file being "
                                              "imported; name another")
    assert path.read_bytes() == original
    assert dump(backend_url) == before


def test_skip_bad_on_a_clean_file_writes_no_rejects_file(backend_url, tmp_path):
    rejects = tmp_path / "rejects.csv"
    result = imported(backend_url, DATA / "hubspot.csv", "--skip-bad", str(rejects))
    assert "bad rows left out" not in result.stdout
    assert not rejects.exists()


def test_dry_run_counts_and_writes_nothing(backend_url, tmp_path):
    before = dump(backend_url)
    result = ok(run_import(backend_url, DATA / "pipedrive.csv", "--dry-run"))
    assert summary(result) == ("Dry run, nothing written. Would create 3 deals, update 0, leave 0 unchanged; "
                               "new: 2 reps, 3 organizations, 2 contacts")
    assert dump(backend_url) == before


def test_dry_run_with_skip_bad_and_create_stages_writes_no_file_and_no_stage(backend_url, tmp_path):
    rejects = tmp_path / "rejects.csv"
    before = dump(backend_url)
    result = run_import(backend_url, _file_with_bad_rows(tmp_path), "--dry-run", "--skip-bad", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert summary(result).startswith("Dry run, nothing written. Would create 3 deals")
    staged = ok(run_import(backend_url, _unknown_stage_file(tmp_path), "--dry-run", "--create-stages"))
    assert summary(staged).endswith("; stages Engaging (30 %), Qualify (50 %)")
    assert dump(backend_url) == before
    assert not rejects.exists() and not (tmp_path / "rejects.csv.partial").exists()


# --- 10. pipetui export, then import --------------------------------------------------------


ROUND_TRIP_FIELDS = ("stage", "status", "value", "currency", "probability", "owner", "organization", "contact",
                     "expected_close", "created_at", "closed_at", "lost_reason", "external_id")


def _deal_id(url: str, title: str) -> str:
    with opened(url):
        return str(Deal.get(Deal.title == title).id)


def _source_pipeline(url: str, tmp_path: Path) -> None:
    """Deals with every field the export writes, titles a spreadsheet would run as formulas
    among them, and one deal an earlier import made (it has an external id)."""
    ok(run(url, "rep", "add", "Maya Patel"))
    ok(run(url, "rep", "add", "=Jonas Weber"))
    imported(url, write(tmp_path, "Deal - ID,Deal - Title,Deal - Value,Deal - Stage,Deal - Expected close date\n"
                                  "55,From Pipedrive,700,Meeting,2027-03-01\n", name="earlier.csv"))
    ok(run(url, "add", "=SUM(A1) rollout", "--value", "1234.56", "--stage", "Proposal", "--owner", "Maya",
           "--org", "Acme", "--contact", "Anna Schmidt", "--close", "2026-12-01", "--probability", "70"))
    ok(run(url, "add", "+1 seat upgrade", "--value", "EUR 900", "--owner", "=Jonas Weber",
           "--org", "@Globex", "--contact", "-Hank", "--close", "2026-11-20"))
    ok(run(url, "win", _deal_id(url, "+1 seat upgrade")))
    ok(run(url, "add", "--value", "250", "--close", "2026-11-25", "--stage", "Negotiation", "--", "-5 seats"))
    ok(run(url, "lose", _deal_id(url, "-5 seats"), "--reason", "no budget"))
    ok(run(url, "add", "@channel rollout", "--value", "JPY 5000", "--stage", "Closing", "--org", "Initech",
           "--contact", "Bill Lumbergh", "--close", "2027-01-15"))
    ok(run(url, "add", "'quoted' plain deal", "--value", "1", "--close", "2027-02-01"))


def test_export_then_import_into_a_fresh_database_gives_the_same_deals(backend_url, tmp_path):
    _source_pipeline(backend_url, tmp_path)
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    source = all_deals(backend_url)
    assert len(source) == 6
    target = fresh_database(backend_url, tmp_path, "fresh.db")
    result = imported(target, exported)
    assert "Preset: pipetui (recognised from the header)" in result.stdout
    assert summary(result) == ("Imported: 6 deals created, 0 updated, 0 unchanged; "
                               "new: 2 reps, 3 organizations, 3 contacts")
    copy = all_deals(target)
    assert set(copy) == set(source) == {"=SUM(A1) rollout", "+1 seat upgrade", "-5 seats", "@channel rollout",
                                        "'quoted' plain deal", "From Pipedrive"}
    for title, deal in source.items():
        expected = [deal[name] for name in ROUND_TRIP_FIELDS]
        if expected[-1] is None:  # pipetui's own deals: their id becomes the external id there
            expected[-1] = f"pipetui:{deal['id']}"
        assert [copy[title][name] for name in ROUND_TRIP_FIELDS] == expected, title
    assert fields(copy["-5 seats"], "status", "lost_reason") == (LOST, "No budget")
    assert fields(copy["+1 seat upgrade"], "owner", "organization", "contact", "value", "currency") == (
        "=Jonas Weber", "@Globex", "-Hank", 900_00, "EUR")
    assert copy["@channel rollout"]["value"] == 5000  # yen: no minor unit
    # The deal keeps its Pipedrive id through the export: the Pipedrive file finds it there too.
    again = imported(target, tmp_path / "earlier.csv")
    assert summary(again).startswith("Imported: 0 deals created, 0 updated, 1 unchanged")


def test_export_imported_back_into_the_same_database_changes_nothing(backend_url, tmp_path):
    _source_pipeline(backend_url, tmp_path)
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    before = dump(backend_url)
    result = imported(backend_url, exported)
    assert summary(result) == ("Imported: 0 deals created, 0 updated, 6 unchanged; "
                               "new: 0 reps, 0 organizations, 0 contacts")
    assert dump(backend_url) == before


def test_an_export_from_another_database_does_not_touch_this_ones_deals(backend_url, tmp_path):
    """Deal #1 there is not deal #1 here (the creation times differ): the row becomes a new
    deal whose external id is the other database's id, and a second import finds it by that."""
    ok(run(backend_url, "add", "Local deal", "--value", "5"))
    other = write(tmp_path, "id,external_id,title,stage,status,value,currency,probability,owner,organization,"
                            "contact,expected_close,created_at,closed_at,lost_reason\n"
                            "1,,Foreign deal,Qualified,open,9.00,USD,,,,,,2025-01-02T03:04:05,,\n")
    result = imported(backend_url, other)
    assert "Preset: pipetui (recognised from the header)" in result.stdout
    assert summary(result).startswith("Imported: 1 deal created, 0 updated, 0 unchanged")
    deals = all_deals(backend_url)
    assert fields(deals["Local deal"], "id", "value", "version", "external_id") == (1, 5_00, 1, None)
    assert fields(deals["Foreign deal"], "value", "created_at", "external_id") == (
        9_00, "2025-01-02T03:04:05", "pipetui:1")
    before = dump(backend_url)
    assert summary(imported(backend_url, other)).startswith("Imported: 0 deals created, 0 updated, 1 unchanged")
    assert dump(backend_url) == before


# --- 11. files that cannot be read ----------------------------------------------------------


@pytest.mark.parametrize(("content", "words"), [
    (b"", ["the file is empty"]),
    (b"  \n\n", ["the file is empty"]),
    (b'Opportunity,Deal Value\n"Unclosed,5\nNext,6\n', ["line 2", "not valid CSV"]),
    (b"Opportunity,Deal Value\nCaf\xe9 deal,5\n", ["line 2", "not utf-8", "--encoding", "cp1252"]),
    (b",,\nA,B,C\n", ["no column names"]),
], ids=["empty", "blank", "unterminated-quote", "not-utf8", "no-header"])
def test_unreadable_file_fails_in_one_line_and_writes_nothing(backend_url, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = dump(backend_url)
    message = assert_one_line_failure(run_import(backend_url, path), 2)
    for word in words:
        assert word in message
    assert dump(backend_url) == before


def test_a_directory_or_a_missing_file_fails_in_one_line(backend_url, tmp_path):
    before = dump(backend_url)
    assert "is a directory" in assert_one_line_failure(run_import(backend_url, tmp_path), 2)
    missing = tmp_path / "missing.csv"
    assert "missing.csv" in assert_one_line_failure(run_import(backend_url, missing), 2)
    assert dump(backend_url) == before


def test_encoding_option_reads_a_cp1252_file(backend_url, tmp_path):
    path = tmp_path / "windows.csv"
    path.write_bytes("Opportunity,Company,Deal Value\nCafé deal,Müller GmbH,€5\n".encode("cp1252"))
    assert_one_line_failure(run_import(backend_url, path), 2)
    result = imported(backend_url, path, "--encoding", "cp1252")
    assert ": 1 row, comma-separated, cp1252" in result.stdout
    deal = all_deals(backend_url)["Café deal"]
    assert fields(deal, "organization", "value", "currency") == ("Müller GmbH", 5_00, "EUR")


def test_unknown_encoding_fails_in_one_line(backend_url, tmp_path):
    path = generic_file(tmp_path, ["G-1", "Deal", "", "", "1", "Qualified", "", ""])
    assert "unknown encoding 'klingon'" in assert_one_line_failure(
        run_import(backend_url, path, "--encoding", "klingon"), 2)


def test_header_only_imports_nothing(backend_url, tmp_path):
    """A header without rows is a valid, empty export: nothing to do, and it says so."""
    path = write(tmp_path, ",".join(GENERIC) + "\n")
    before = dump(backend_url)
    result = ok(run_import(backend_url, path))
    assert ": 0 rows, comma-separated" in result.stdout
    assert summary(result) == ("Imported: 0 deals created, 0 updated, 0 unchanged; "
                               "new: 0 reps, 0 organizations, 0 contacts")
    assert dump(backend_url) == before


# --- once bugs: closed deals without expected close, three-decimal currencies, partial re-imports ---


def test_round_trip_keeps_a_closed_deal_without_expected_close(backend_url, tmp_path):
    ok(run(backend_url, "add", "Won plain", "--value", "10"))
    ok(run(backend_url, "win", "Won plain"))
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    target = fresh_database(backend_url, tmp_path, "fresh.db")
    imported(target, exported)
    assert all_deals(target)["Won plain"]["expected_close"] is None


def test_export_imported_back_leaves_closed_deals_without_expected_close_alone(backend_url, tmp_path):
    ok(run(backend_url, "add", "Won plain", "--value", "10"))
    ok(run(backend_url, "win", "Won plain"))
    ok(run(backend_url, "add", "Lost plain", "--value", "10"))
    ok(run(backend_url, "lose", "Lost plain", "--reason", "No budget"))
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    before = dump(backend_url)
    result = imported(backend_url, exported)
    assert summary(result).startswith("Imported: 0 deals created, 0 updated, 2 unchanged")
    assert dump(backend_url) == before


def test_round_trip_keeps_a_three_decimal_currency_value(backend_url, tmp_path):
    ok(run(backend_url, "add", "Gulf deal", "--value", "BHD 1.5"))
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    target = fresh_database(backend_url, tmp_path, "fresh.db")
    imported(target, exported)
    assert fields(all_deals(target)["Gulf deal"], "value", "currency") == (1_500, "BHD")


def test_reimport_without_stage_or_status_leaves_a_deal_won_here_alone(backend_url, tmp_path):
    path = generic_file(tmp_path, ["W-1", "Alpha", "10"], ["W-2", "Beta", "20"],
                        header=["Deal Number", "Opportunity", "Deal Value"])
    imported(backend_url, path)
    ok(run(backend_url, "win", "Alpha"))
    result = imported(backend_url, path)
    assert summary(result).startswith("Imported: 0 deals created, 0 updated, 2 unchanged")
    assert all_deals(backend_url)["Alpha"]["status"] == WON


# --- another writer between the check and the commit ------------------------------------


def _checked(path: Path):
    from pipetui.core import imports

    return imports.check(path, imports.Options())


def test_deals_added_meanwhile_under_the_same_ids_stop_the_commit(db, tmp_path):
    from pipetui.core import imports
    from pipetui.core.errors import ConflictError

    path = generic_file(tmp_path, ["M-1", "Meanwhile", "Acme", "Maya Patel", "100", "Qualified",
                                   "2026-03-02", "2026-12-01"])
    plan = _checked(path)
    imports.run_import(path, imports.Options())  # someone else imports the same file first
    with pytest.raises(ConflictError, match="run the import again"):
        imports.commit(plan)
    assert Deal.select().count() == 1
    assert integrity.deals_with_inconsistent_history() == []


def test_a_deal_edited_meanwhile_is_not_overwritten(db, tmp_path):
    from pipetui.core import deals, imports
    from pipetui.core.errors import ConflictError

    row = ["M-2", "Edited", "Acme", "Maya Patel", "100", "Qualified", "2026-03-02", "2026-12-01"]
    imports.run_import(generic_file(tmp_path, row), imports.Options())
    plan = _checked(generic_file(tmp_path, [*row[:4], "250", *row[5:]], name="changed.csv"))
    assert len(plan.to_update) == 1
    deal = Deal.get(Deal.external_id == "M-2")
    deals.edit_deal(deal.id, title="Edited by hand", expected_version=deal.version)
    with pytest.raises(ConflictError, match="changed by someone else"):
        imports.commit(plan)
    kept = Deal.get_by_id(deal.id)
    assert (kept.title, kept.value, kept.version) == ("Edited by hand", 100_00, deal.version + 1)


# --- JSON and workbooks ------------------------------------------------------------------


def test_json_export_reads_back_without_loss(backend_url, tmp_path):
    """``export --format json`` goes back in, into the same database and into a new one;
    JSON is not escaped, so a title that begins with ' stays as it is."""
    ok(run(backend_url, "add", "'=not a formula", "--value", "1.5 BHD", "--org", "+Plus Org"))
    ok(run(backend_url, "add", "Won deal", "--value", "2,500.50", "--close", "2026-12-24"))
    ok(run(backend_url, "win", "Won deal"))
    exported = tmp_path / "deals.json"
    ok(run(backend_url, "export", str(exported)))
    before = dump(backend_url)
    same = ok(run(backend_url, "import", str(exported)))
    assert ": 2 rows, JSON, utf-8" in same.stdout
    assert summary(same).startswith("Imported: 0 deals created, 0 updated, 2 unchanged")
    assert dump(backend_url) == before

    other = fresh_database(backend_url, tmp_path, "other")
    ok(run(other, "import", str(exported)))
    again = tmp_path / "again.json"
    ok(run(other, "export", str(again)))
    keep = ("title", "stage", "status", "value", "currency", "owner", "organization", "expected_close",
            "created_at", "closed_at")
    import json

    def rows(path):
        return sorted(tuple(d[k] for k in keep) for d in json.loads(path.read_text(encoding="utf-8")))

    assert rows(again) == rows(exported)
    assert ("'=not a formula", "Prospecting", OPEN, "1.500", "BHD") in {r[:5] for r in rows(again)}


@pytest.mark.parametrize(("text", "message"), [
    ('[\n  {"title": "One"},\n  {"title": "Two"\n]\n', "line 4: not valid JSON (Expecting ','"),  # where the } is missing
    ('[\n  {"title": "One"},\n  "Two"\n]\n', "line 3: a JSON file to import holds a list of deal objects"),
    ('[{"title": "One"}] extra', "line 1: not valid JSON (more after the list)"),
])
def test_a_broken_json_file_names_its_line(backend_url, tmp_path, text, message):
    path = write(tmp_path, text, name="deals.json")
    before = dump(backend_url)
    line = assert_one_line_failure(run(backend_url, "import", str(path)), 2)
    assert message in line
    assert dump(backend_url) == before


@pytest.mark.parametrize(("magic", "what"), [(b"PK\x03\x04", ".xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1", ".xls")])
def test_a_workbook_is_refused_with_what_to_do(backend_url, tmp_path, magic, what):
    path = tmp_path / "deals.xlsx"
    path.write_bytes(magic + b"\x00" * 64)
    line = assert_one_line_failure(run(backend_url, "import", str(path)), 2)
    assert what in line and "save it as CSV" in line


def test_the_help_names_every_field_of_map():
    from pipetui.cli import IMPORT_FIELDS
    from pipetui.core.imports.mapping import MAPPABLE

    assert set(IMPORT_FIELDS.split()) == set(MAPPABLE)
    assert "Fields for --map: source_id" in ok(run(None, "import", "--help")).stdout


def test_namesakes_and_other_cases_of_a_deals_people_are_no_change(backend_url, tmp_path):
    """Two contacts of one name at one organization, and the file naming the
    organization and rep in other cases: importing the export back changes nothing."""
    from pipetui.core import deals, people
    from pipetui.core.money import Money

    with opened(backend_url):
        acme = people.find_or_create_organization("Acme")
        people.find_or_create_contact("Kim Lee", acme)
        second = Contact.create(name="Kim Lee", organization=acme, created_at=dt.datetime(2026, 11, 1))
        maya = people.add_rep("Maya Patel")
        deals.create_deal("Namesake", Money(100_00, "USD"), owner=maya, organization=acme, contact=second)
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    shouted = exported.read_text(encoding="utf-8").replace("Acme", "ACME").replace("Maya Patel", "maya patel")
    path = write(tmp_path, shouted, name="shouted.csv")
    before = dump(backend_url)
    assert summary(ok(run(backend_url, "import", str(path)))).startswith(
        "Imported: 0 deals created, 0 updated, 1 unchanged")
    assert dump(backend_url) == before


def test_skip_bad_creates_no_stage_whose_rows_were_all_bad(backend_url, tmp_path):
    path = generic_file(tmp_path,
                        ["S-1", "Good", "Acme", "Maya", "100", "Discovery", "2026-03-02", "2026-12-01"],
                        ["S-2", "Bad", "Acme", "Maya", "lots", "Scoping", "2026-03-02", "2026-12-01"])
    result = run(backend_url, "import", str(path), "--create-stages", "--skip-bad", str(tmp_path / "rejects.csv"))
    assert result.exit_code == 0 and result.stderr.startswith("line 3: value 'lots'")
    assert "stages Discovery (50 %)" in result.stdout and "Scoping" not in result.stdout
    with opened(backend_url):
        assert Stage.select().where(Stage.name.in_(["Discovery", "Scoping"])).count() == 1


# --- what a newcomer ran into ------------------------------------------------------------


def test_a_spreadsheets_totals_row_is_left_out(backend_url, tmp_path):
    text = ("Title;Company;Amount;Stage\nBig deal;Acme GmbH;1.234,50 €;Proposal\n"
            "Small deal;Beta AG;12,50 €;Qualified\nTotal;;1.247,00;\n")
    result = imported(backend_url, write(tmp_path, text))
    assert "Note: left out the footer at the end of the file (1 line)" in result.stdout
    assert set(all_deals(backend_url)) == {"Big deal", "Small deal"}


def test_a_deal_named_total_in_the_middle_stays(backend_url, tmp_path):
    text = "Title,Amount,Stage\nTotal,5,Proposal\nOther,6,Proposal\n"
    imported(backend_url, write(tmp_path, text))
    assert set(all_deals(backend_url)) == {"Total", "Other"}


def test_a_created_date_in_the_future_is_a_bad_row(backend_url, tmp_path):
    path = generic_file(tmp_path, ["F-1", "Future", "Acme", "Maya", "100", "Qualified", "2031-01-01", ""])
    before = dump(backend_url)
    result = run(backend_url, "import", str(path))
    assert result.exit_code == 2
    assert "line 2: was created on 2031-01-01, which is in the future" in result.stderr
    assert dump(backend_url) == before


def test_placeholders_are_empty_except_in_titles(backend_url, tmp_path):
    path = generic_file(tmp_path, ["P-1", "TBD", "N/A", "-", "-", "Qualified", "n/a", "TBD"])
    imported(backend_url, path)
    deal = all_deals(backend_url)["TBD"]
    assert fields(deal, "organization", "owner", "value", "expected_close") == (None, None, 0, None)
    assert counts(backend_url) == (1, 0, 0, 0)


def test_names_with_extra_spaces_are_one_person(backend_url, tmp_path):
    path = generic_file(tmp_path, ["S-1", "One", "Acme  Corp", "Anna  Schmidt", "1", "Qualified", "", ""],
                        ["S-2", "Two", "Acme Corp", "Anna Schmidt", "1", "Qualified", "", ""])
    imported(backend_url, path)
    assert counts(backend_url) == (2, 1, 1, 0)


def test_a_currency_column_may_hold_a_symbol(backend_url, tmp_path):
    path = write(tmp_path, "Title,Amount,Currency\nEuro deal,100,€\nPound deal,5,£\n")
    result = imported(backend_url, path)
    deals = all_deals(backend_url)
    assert (deals["Euro deal"]["currency"], deals["Pound deal"]["currency"]) == ("EUR", "GBP")
    assert "Note: deals in 2 currencies: EUR 1, GBP 1" in result.stdout


def test_date_advice_follows_the_files_separator_and_a_serial_number_is_explained(backend_url, tmp_path):
    dotted = write(tmp_path, "Title,Close Date\nA,01.02.2026\nB,03.04.2026\n")
    line = assert_one_line_failure(run(backend_url, "import", str(dotted)), 2)
    assert "say which with a date format: %m.%d.%Y or %d.%m.%Y (--date-format)" in line
    ok(run(backend_url, "import", str(dotted), "--date-format", "%d.%m.%Y"))
    serial = write(tmp_path, "Title,Created\nC,45678\n", name="serial.csv")
    result = run(backend_url, "import", str(serial))
    assert "created date '45678' is a number, perhaps a spreadsheet's date serial" in result.stderr


def test_an_impossible_date_does_not_decide_the_order(backend_url, tmp_path):
    path = write(tmp_path, "Title,Created\nA,31.02.2025\nB,01.02.2025\n")
    line = run(backend_url, "import", str(path)).stderr
    assert "could be day first or month first" in line  # 31.02 is no date: it tells nothing


def test_a_date_format_without_a_month_is_refused(backend_url, tmp_path):
    path = write(tmp_path, "Title,Close Date\nA,2026/15\n")
    line = assert_one_line_failure(run(backend_url, "import", str(path), "--date-format", "YYYY/DD"), 2)
    assert "has no month" in line


def test_plain_spreadsheet_words_are_no_vendors_export(backend_url, tmp_path):
    for header in ("Title;Company;Amount;Stage", "ID,Name,Amount,Stage"):
        sep = ";" if ";" in header else ","
        path = write(tmp_path, header + "\n" + sep.join(["7", "X", "1", "Qualified"]) + "\n")
        result = ok(run(fresh_database(backend_url, tmp_path, header[:2]), "import", str(path), "--dry-run"))
        assert "Preset: generic (columns guessed from the header)" in result.stdout


def test_thousands_read_for_want_of_a_decimal_mark_are_said(backend_url, tmp_path):
    result = imported(backend_url, write(tmp_path, "Title,Amount\nA,1.500\nB,20\n"))
    assert "Note: 1 amount was read with a guessed decimal mark ('1.500' as 1,500 USD on line 2)" in result.stdout
    assert all_deals(backend_url)["A"]["value"] == 1500_00


# --- amounts read on a guess, and amounts that are not there ------------------------

PIPEDRIVE_HEADER = "Deal - ID,Deal - Title,Deal - Value,Deal - Currency of Value,Deal - Stage,Deal - Status\n"


def test_amounts_read_by_the_decimal_mark_of_other_cells_are_named(backend_url, tmp_path):
    # 9.900 alone is nine thousand nine hundred or nine point nine: only line 2 decides.
    path = write(tmp_path, PIPEDRIVE_HEADER + "1,Small,12.5,EUR,Qualified,open\n"
                                              "2,Big,100,EUR,Qualified,open\n"
                                              "3,Which,9.900,EUR,Qualified,open\n")
    result = imported(backend_url, path)
    assert ("Note: 1 amount was read with a guessed decimal mark, the one line 2 shows ('12.5'): "
            "'9.900' as 9.90 EUR on line 4") in result.stdout
    assert all_deals(backend_url)["Which"]["value"] == 9_90


def test_guessed_amounts_are_counted_and_the_first_few_named(backend_url, tmp_path):
    rows = "".join(f"D{n},{v}\n" for n, v in enumerate(["1.500", "20", "\"2,000\"", "3.250", "7.000"]))
    result = imported(backend_url, write(tmp_path, "Title,Amount\n" + rows))
    assert ("Note: 4 amounts were read with a guessed decimal mark ('1.500' as 1,500 USD on line 2, "
            "'2,000' as 2,000 USD on line 4, '3.250' as 3,250 USD on line 5, …)") in result.stdout


def test_rows_without_an_amount_are_said_to_be_imported_as_zero(backend_url, tmp_path):
    path = write(tmp_path, "Title,Amount\nA,100\nB,\nC,N/A\nD,TBD\nE,-\nF,5\n")
    result = imported(backend_url, path)
    assert "Note: 4 rows have no amount (lines 3, 4, 5, 6); they were imported as 0" in result.stdout
    assert {t: d["value"] for t, d in all_deals(backend_url).items()} == {
        "A": 100_00, "B": 0, "C": 0, "D": 0, "E": 0, "F": 5_00}
    one = imported(backend_url, write(tmp_path, "Title,Amount\nG,1\nH,\n", "one.csv"))
    assert "Note: 1 row has no amount (line 3); it was imported as 0" in one.stdout
    dry = ok(run_import(backend_url, write(tmp_path, "Title,Amount\nI,\n", "dry.csv"), "--dry-run"))
    assert "Note: 1 row has no amount (line 2); it would be imported as 0" in dry.stdout


def test_a_file_whose_amounts_are_all_there_and_plain_says_nothing_of_them(backend_url, tmp_path):
    result = imported(backend_url, write(tmp_path, "Title,Amount\nA,100\nB,\"12,500.50\"\nC,7\n"))
    assert [line for line in result.stdout.splitlines() if "amount" in line and line.startswith("Note:")] == []


def test_the_notes_count_only_the_rows_that_are_imported(backend_url, tmp_path):
    path = write(tmp_path, "Title,Amount,Created\nA,1.500,2026-01-01\nB,,2026-01-01\n"
                           "C,2.500,2026-02-30\nD,,2026-02-30\nE,\"1.2345\",2026-02-30\n")
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, path, "--skip-bad", str(rejects))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert ("Note: 1 amount was read with a guessed decimal mark, the one line 6 shows ('1.2345'): "
            "'1.500' as 1.50 USD on line 2") in result.stdout
    assert "Note: 1 row has no amount (line 3); it was imported as 0" in result.stdout
    assert "rounded" not in result.stdout  # 1.2345 was rounded, but its row was left out
    assert {t: d["value"] for t, d in all_deals(backend_url).items()} == {"A": 1_50, "B": 0}


def test_strict_makes_guessed_and_missing_amounts_bad_rows(backend_url, tmp_path):
    path = write(tmp_path, PIPEDRIVE_HEADER + "1,Small,12.5,EUR,Qualified,open\n"
                                              "2,Which,9.900,EUR,Qualified,open\n"
                                              "3,Empty,,EUR,Qualified,open\n"
                                              "4,Unknown,N/A,EUR,Qualified,open\n"
                                              "5,Fine,100,EUR,Qualified,open\n")
    before = dump(backend_url)
    lines = refused(run_import(backend_url, path, "--strict"))
    assert lines[:-1] == [
        "line 3: value '9.900' could mean thousands or a fraction; only other amounts show the decimal "
        "mark (line 2: '12.5')",
        "line 4: has no value",
        "line 5: value 'N/A' is no amount",
    ]
    assert lines[-1].startswith("pipetui: 3 bad rows; nothing was imported")
    assert dump(backend_url) == before
    rejects = tmp_path / "rejects.csv"
    result = run_import(backend_url, path, "--strict", "--skip-bad", str(rejects))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "guessed decimal mark" not in result.stdout and "no amount" not in result.stdout
    assert {t: d["value"] for t, d in all_deals(backend_url).items()} == {"Small": 12_50, "Fine": 100_00}
    rows = list(csv.reader(rejects.open(encoding="utf-8", newline="")))
    assert [row[0] for row in rows[1:]] == ["3", "4", "5"]


def test_strict_refuses_thousands_read_for_want_of_a_decimal_mark(backend_url, tmp_path):
    lines = refused(run_import(backend_url, write(tmp_path, "Title,Amount\nA,1.500\nB,20\n"), "--strict"))
    assert lines[:-1] == ["line 2: value '1.500' could mean thousands or a fraction, and no amount in the file "
                          "shows the decimal mark"]


def test_strict_passes_a_file_that_leaves_nothing_to_guess(backend_url, tmp_path):
    result = imported(backend_url, write(tmp_path, "Title,Amount\nA,\"12,500.50\"\nB,1234.567\nC,7\n"),
                      "--strict")
    assert {t: d["value"] for t, d in all_deals(backend_url).items()} == {
        "A": 12_500_50, "B": 1_234_57, "C": 7_00}


def test_updates_say_what_they_change(backend_url, tmp_path):
    path = generic_file(tmp_path, ["U-1", "Won here", "Acme", "Maya", "100", "Qualified", "2026-03-02", ""])
    imported(backend_url, path)
    ok(run(backend_url, "win", "Won here"))
    again = ok(run(backend_url, "import", str(path), "--dry-run"))
    assert "Updates change: won → open 1" in again.stdout


def test_a_stage_map_that_matches_nothing_is_said(backend_url, tmp_path):
    path = generic_file(tmp_path, ["M-1", "A", "Acme", "Maya", "1", "Qualified", "", ""])
    result = imported(backend_url, path, "--stage-map", "Nothere=Proposal")
    assert "Note: the stage map 'Nothere' matched no row of the file" in result.stdout


def test_a_won_deal_without_any_close_date_column_says_how_to_name_one(backend_url, tmp_path):
    path = write(tmp_path, "Title,Stage,Finished\nA,Won,2026-03-01\n")
    result = run(backend_url, "import", str(path))
    assert "line 2: is won but has no close date (the file has no close date column; map one to " \
           "close_date)" in result.stderr
    assert ok(run(backend_url, "import", str(path), "--map", "Finished=close_date"))


def test_an_empty_json_list_and_a_long_quoted_cell_fail_clearly(backend_url, tmp_path):
    empty = write(tmp_path, "[]\n", name="deals.json")
    assert "the JSON file holds no deals" in assert_one_line_failure(run(backend_url, "import", str(empty)), 2)
    long = write(tmp_path, 'Title,Notes\nA,"' + "x" * 200_000 + '"\n', name="long.csv")
    line = assert_one_line_failure(run(backend_url, "import", str(long)), 2)
    assert "line 2: a cell is longer than 100,000 characters" in line


def test_one_line_json_with_a_repeated_id_is_a_bad_row_not_a_conflict(backend_url, tmp_path):
    path = write(tmp_path, '[{"id": "0", "Deal Name": "A"}, {"id": "0", "Deal Name": "B"}]', name="d.json")
    result = run(backend_url, "import", str(path))
    assert result.exit_code == 2 and "has the same id as line 1 (0)" in result.stderr


# --- what a code review found --------------------------------------------------------------


def test_names_spaced_oddly_round_trip_without_a_change(backend_url, tmp_path):
    ok(run(backend_url, "rep", "add", "Anna  Schmidt"))
    ok(run(backend_url, "add", "Q3  renewal", "--value", "10", "--owner", "Anna  Schmidt",
           "--org", "Acme  Corp", "--contact", "Jo  Doe"))
    ok(run(backend_url, "add", "Umlaut", "--value", "10", "--org", "Müller\u00a0GmbH"))
    ok(run(backend_url, "add", "Placeholder org", "--value", "10", "--org", "N/A"))
    exported = tmp_path / "export.csv"
    ok(run(backend_url, "export", str(exported)))
    before = dump(backend_url)
    result = ok(run(backend_url, "import", str(exported)))
    assert summary(result).startswith("Imported: 0 deals created, 0 updated, 3 unchanged; new: 0 reps, "
                                      "0 organizations, 0 contacts")
    assert dump(backend_url) == before


def test_a_lone_status_column_of_open_deals_imports_them(backend_url, tmp_path):
    text = "Title,Status,Value,Close Date\nA,open,100,\nB,Active,5,\nC,Won,7,2026-11-01\n"
    result = imported(backend_url, write(tmp_path, text))
    assert printed_mapping(result.stdout)["Status"] == (FIELDS["stage"], "guessed")
    deals = all_deals(backend_url)
    assert [deals[t]["status"] for t in "ABC"] == [OPEN, OPEN, WON]
    assert deals["A"]["stage"] == "Prospecting"


def test_an_empty_outcome_leaves_a_closed_deal_closed(backend_url, tmp_path):
    header = "id,Title,Stage,Created,Close Date\n"
    imported(backend_url, write(tmp_path, header + "k1,A,Won,2020-01-01,2020-03-01\n"))
    again = ok(run(backend_url, "import", str(write(tmp_path, header + "k1,A,,2020-01-01,2020-03-01\n",
                                                    name="again.csv"))))
    assert summary(again).startswith("Imported: 0 deals created, 0 updated, 1 unchanged")
    assert all_deals(backend_url)["A"]["status"] == WON
    repriced = write(tmp_path, "id,Title,Stage,Created,Close Date,Value\nk1,A,,2020-01-01,2020-03-01,99\n",
                     name="repriced.csv")
    assert summary(ok(run(backend_url, "import", str(repriced)))).startswith("Imported: 0 deals created, 1 updated")
    assert fields(all_deals(backend_url)["A"], "status", "value") == (WON, 99_00)  # the value, nothing else
    with opened(backend_url):
        assert integrity.deals_with_inconsistent_history() == []


def test_nan_and_huge_cells_are_bad_rows_not_crashes(backend_url, tmp_path):
    result = run(backend_url, "import", str(write(tmp_path, "Title,Probability,Value\nA,NaN,100\n")))
    assert result.exit_code == 2 and "probability 'NaN' is not a probability" in result.stderr
    long = write(tmp_path, f'Title,Value\nB,"1{" " * 90_000}@"\n', name="long.csv")
    result = run(backend_url, "import", str(long))  # refused at once, not after minutes of matching
    assert result.exit_code == 2 and "is not an amount" in result.stderr
    deep = write(tmp_path, "[" + "[" * 100_000 + "]" * 100_000 + "]", name="deep.json")
    assert "nested too deeply" in assert_one_line_failure(run(backend_url, "import", str(deep)), 2)
    huge = write(tmp_path, 'id,external_id,title,stage,status,value,currency,probability,owner,organization,'
                           'contact,expected_close,created_at,closed_at,lost_reason\n'
                           '99999999999999999999,,X,Prospecting,open,1,USD,,,,,,2026-01-01T00:00:00,,\n',
                 name="huge.csv")
    result = run(backend_url, "import", str(huge))
    assert result.exit_code == 2 and "id '99999999999999999999' is not a deal number" in result.stderr


def test_salesforce_names_win_over_record_ids(backend_url, tmp_path):
    text = ("Id,Name,StageName,Amount,CloseDate,OwnerId,Owner.Name,AccountId,Account.Name,IsWon,IsClosed\n"
            "006X,Deal,Qualified,5,2026-12-01,005AAA,Jane Roe,001BBB,Acme,false,false\n")
    imported(backend_url, write(tmp_path, text))
    assert fields(all_deals(backend_url)["Deal"], "owner", "organization") == ("Jane Roe", "Acme")


def test_a_bom_read_with_encoding_utf8_is_no_part_of_the_first_header(backend_url, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffDeal - ID,Deal - Title,Deal - Value\n1,A,5\n".encode())
    result = imported(backend_url, path, "--encoding", "utf-8")
    assert printed_mapping(result.stdout)["Deal - ID"] == (FIELDS["source_id"], None)


def test_json_numbers_and_short_iso_dates_read_as_written(backend_url, tmp_path):
    path = write(tmp_path, '[{"title": "J", "amount": 1.5, "created": "2017-3-1 9:05"}]', name="d.json")
    imported(backend_url, path)
    assert fields(all_deals(backend_url)["J"], "value", "created_at") == (1_50, "2017-03-01T09:05:00")


def test_a_bare_dollar_sign_is_the_rows_dollar_currency(backend_url, tmp_path):
    imported(backend_url, write(tmp_path, "Title,Amount,Currency\nMaple,$5,CAD\nEagle,$7,\n"))
    deals = all_deals(backend_url)
    assert (deals["Maple"]["currency"], deals["Eagle"]["currency"]) == ("CAD", "USD")


def test_a_close_date_column_does_not_clear_a_closed_deals_expected_close(backend_url, tmp_path):
    header = "id,Title,Stage,Created,Expected close,Close Date\n"
    imported(backend_url, write(tmp_path, header + "k2,B,Won,2020-01-01,2020-02-15,2020-03-01\n"))
    later = write(tmp_path, "id,Title,Stage,Created,Close Date\nk2,B,Won,2020-01-01,2020-03-01\n", name="l.csv")
    assert summary(ok(run(backend_url, "import", str(later)))).startswith("Imported: 0 deals created, 0 updated")
    assert all_deals(backend_url)["B"]["expected_close"] == "2020-02-15"


def test_the_rejects_file_may_not_be_the_database(sqlite_db, tmp_path):
    url = str(tmp_path / "pipeline.db")
    path = write(tmp_path, "Title,Value\nA,lots\n")
    line = assert_one_line_failure(run(url, "import", str(path), "--skip-bad", url), 2)
    assert "that is the database itself" in line


def test_salesforce_closed_stages_of_its_own_need_no_stage_map(backend_url, tmp_path):
    """On close, Salesforce sets StageName to one of its closed stages; with IsWon and
    IsClosed in the file such a name says nothing a stage map must place."""
    text = ("Id,Name,StageName,Amount,CloseDate,CreatedDate,IsWon,IsClosed\n"
            "1,Signed,Closed - Signed,5,2026-03-01,2026-01-01T10:00:00.000Z,true,true\n"
            "2,Dropped,Closed - No Decision,5,2026-03-02,2026-01-01T10:00:00.000Z,false,true\n"
            "3,Open one,Needs Review,5,2026-12-01,2026-01-01T10:00:00.000Z,false,false\n")
    result = run(backend_url, "import", str(write(tmp_path, text)))
    assert result.exit_code == 2 and "'Needs Review': 1 row" in result.stderr  # an open deal's stage is needed
    assert "Closed - Signed" not in result.stderr and "No Decision" not in result.stderr
    imported(backend_url, write(tmp_path, text, name="again.csv"), "--stage-map", "Needs Review=Qualified")
    deals = all_deals(backend_url)
    assert [fields(deals[t], "stage", "status") for t in ("Signed", "Dropped", "Open one")] == [
        ("Prospecting", WON), ("Prospecting", LOST), ("Qualified", OPEN)]
