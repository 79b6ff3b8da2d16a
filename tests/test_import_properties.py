"""Properties of the import: whatever the file holds, no traceback and no
half-import; and the figures computed after an import are the figures the
file itself gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_cli import dump, opened, run

from pipetui.core import metrics
from pipetui.core.dates import Period
from pipetui.core.integrity import deals_with_inconsistent_history
from pipetui.store import Rep

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])

# Headers the importer knows (from its presets and guesses) and some it does not.
HEADERS = ["Deal Name", "title", "Amount", "value", "Deal Stage", "stage", "status", "Deal - Status",
           "Close Date", "created", "Create Date", "owner", "Deal owner", "Company", "contact", "id",
           "Record ID", "currency", "probability", "Lost reason", "IsWon", "IsClosed", "product",
           "expected close", "closed on", "notes", "Deal - Title", "Deal - Value", "whatever", ""]
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["Won", "Lost", "Closed Won", "open", "Qualified", "Proposal", "$1,234.50", "12,5",
                     "1.234,50 €", "-5", "1e5", "3/1/2017", "13/1/2017", "2017-03-01", "2030-01-01",
                     "01-03-17", "true", "false", "EUR", "usd", "=1+1", "'=1", "\x1b[31mred", "[bold]x",
                     "a\nb", "", " ", "50%", "0.4", "101"]),
)


def _outcome_is_clean(result) -> None:
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything and "unexpected error" not in everything, everything
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, everything)
    event(f"exit status {result.exit_code}")


@pytest.fixture
def sqlite_url(tmp_path):
    url = str(tmp_path / "pipeline.db")
    with opened(url):
        pass
    return url


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_and_never_half_import(sqlite_url, tmp_path, data):
    path = tmp_path / "input.csv"
    path.write_bytes(data)
    before = dump(sqlite_url)
    result = run(sqlite_url, "import", str(path))
    _outcome_is_clean(result)
    if result.exit_code != 0:
        assert dump(sqlite_url) == before


@PROPERTY_SETTINGS
@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       rows=st.lists(st.lists(CELL, max_size=9), max_size=6),
       separator=st.sampled_from([",", ";", "\t"]), skip_bad=st.booleans())
def test_arbitrary_cells_import_whole_or_not_at_all(sqlite_url, tmp_path, header, rows, separator, skip_bad):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "input.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    rejects.unlink(missing_ok=True)
    before = dump(sqlite_url)
    result = run(sqlite_url, "import", str(path), *(["--skip-bad", str(rejects)] if skip_bad else []))
    _outcome_is_clean(result)
    after = dump(sqlite_url)
    if result.exit_code != 0:
        assert after == before
        assert not rejects.exists()
        return
    with opened(sqlite_url):
        assert deals_with_inconsistent_history() == []
    created = len(after["deal"]) - len(before["deal"])
    assert f"Imported: {created:,} deal{'' if created == 1 else 's'} created" in result.stdout
    if rejects.exists():
        bad = list(csv.reader(rejects.open(encoding="utf-8", newline="")))
        assert bad[0][:2] == ["import line", "import error"] and len(bad) > 1


# --- metrics after an import ---------------------------------------------------------------

REPS = ["Ana Lima", "Ben Cole", "Cyd Park"]
Q2 = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026-Q2")


def _story(seed: int) -> list[dict]:
    """Deals created in 2026's first half, some closed in Q2, each with its dates."""
    rng = random.Random(seed)
    deals = []
    for n in range(120):
        created = dt.datetime(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 170), hours=rng.choice([0, 9, 15]))
        status = rng.choice(["open", "won", "won", "lost"])
        closed = created + dt.timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 8)) if status != "open" else None
        if closed and closed > dt.datetime(2026, 11, 1):
            closed = dt.datetime(2026, 11, 1)
        deals.append({"id": f"D{n}", "rep": rng.choice(REPS), "status": status, "created": created,
                      "closed": closed, "value": rng.randint(1, 900) * 100 + rng.choice([0, 50])})
    return deals


def _csv(deals: list[dict]) -> str:
    """One stage column with outcomes (Won/Closed Lost), US dates with times, $ amounts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Opportunity ID", "Sales Rep", "Stage", "Amount", "Created", "Close Date"])
    for d in deals:
        stage = {"open": "Qualified", "won": "Won", "lost": "Closed Lost"}[d["status"]]
        closed = f"{d['closed']:%-m/%-d/%Y %H:%M}" if d["closed"] else ""
        writer.writerow([d["id"], d["rep"], stage, f"${d['value'] / 100:,.2f}",
                         f"{d['created']:%-m/%-d/%Y %H:%M}", closed])
    return out.getvalue()


def _expected(deals: list[dict], period: Period, rep: str | None) -> dict:
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    mine = [d for d in deals if rep is None or d["rep"] == rep]
    closed = [d for d in mine if d["closed"] and start <= d["closed"] < end]
    won = [d for d in closed if d["status"] == "won"]
    lost = [d for d in closed if d["status"] == "lost"]
    open_at_end = [d for d in mine if d["created"] < end and (d["closed"] is None or d["closed"] >= end)]
    cycle = [(d["closed"] - d["created"]).total_seconds() / 86400 for d in won]
    return {
        "won": len(won), "lost": len(lost), "won_value": sum(d["value"] for d in won),
        "win_rate": len(won) / (len(won) + len(lost)) if won or lost else None,
        "cycle": sum(cycle) / len(cycle) if cycle else None, "open": len(open_at_end),
    }


def test_metrics_after_an_import_are_the_figures_of_the_file(backend_url, tmp_path):
    deals = _story(seed=11)
    path = tmp_path / "export.csv"
    path.write_text(_csv(deals), encoding="utf-8")
    result = run(backend_url, "import", str(path))
    assert result.exit_code == 0, result.stderr
    with opened(backend_url):
        assert deals_with_inconsistent_history() == []
        per_rep = defaultdict(int)
        for rep in [None, *REPS]:
            want = _expected(deals, Q2, rep)
            scope = Rep.get(Rep.name == rep) if rep else None
            got = metrics.report(Q2, rep=scope, today=dt.date(2026, 11, 27)).health
            assert (got.won_deals, got.lost_deals, got.won_value, got.open_deals) == (
                want["won"], want["lost"], want["won_value"], want["open"]), rep
            assert got.win_rate == pytest.approx(want["win_rate"])
            assert got.cycle_days == pytest.approx(want["cycle"], abs=1e-6)
            if rep:
                per_rep[rep] = got.won_value
        assert sum(per_rep.values()) == _expected(deals, Q2, None)["won_value"]
        assert _expected(deals, Q2, None)["won"] > 10  # the story has something to measure


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CELL,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(HEADERS), inner, max_size=6),
    max_leaves=20,
)


@PROPERTY_SETTINGS
@given(items=st.lists(st.dictionaries(st.sampled_from(HEADERS), st.none() | CELL | JSON_VALUES, max_size=6)
                      | JSON_VALUES, max_size=4))
def test_arbitrary_json_never_crashes_and_never_half_imports(sqlite_url, tmp_path, items):
    import json

    path = tmp_path / "input.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    before = dump(sqlite_url)
    result = run(sqlite_url, "import", str(path))
    _outcome_is_clean(result)
    if result.exit_code != 0:
        assert dump(sqlite_url) == before


def test_an_import_stamps_its_changes_with_the_servers_clock_on_postgresql(db, tmp_path, monkeypatch):
    """Like every other change: a client whose clock is off cannot date an
    import's history on a shared PostgreSQL database."""
    from pipetui.core import clock, imports
    from pipetui.store import Deal, StageChange, is_postgres

    wrong = dt.datetime(2001, 1, 1)
    monkeypatch.setattr(clock, "now", lambda: wrong)
    path = tmp_path / "deals.csv"
    path.write_text("id,Title,Value\nc1,Clocked,5\n", encoding="utf-8")
    imports.run_import(path, imports.Options())
    deal = Deal.get(Deal.external_id == "c1")
    created = StageChange.get(StageChange.deal == deal.id).changed_at
    real = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if is_postgres(db):
        assert abs((created - real).total_seconds()) < 300 and abs((deal.updated_at - real).total_seconds()) < 300
    else:
        assert created == deal.updated_at == wrong


STAGE_CELLS = ["Qualified", "Proposal", "Won", "Closed Lost", "", "open"]
STATUS_OF = {"Qualified": "open", "Proposal": "open", "Won": "won", "Closed Lost": "lost", "open": "open"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(STAGE_CELLS),
                                         st.integers(min_value=0, max_value=3)), max_size=4),
                      min_size=1, max_size=4))
def test_imports_one_after_another_keep_history_and_follow_the_file(tmp_path, files):
    """Files that move, close, reopen and re-price the same deals, imported in turn: every
    history stays whole, and each deal ends as the last file to name its outcome says."""
    import uuid

    from pipetui.store import Deal

    sqlite_url = str(tmp_path / f"{uuid.uuid4().hex}.db")  # a new database for each example
    expected: dict[str, str] = {}
    for number, rows in enumerate(files):
        unique = {key: (stage, value) for key, stage, value in rows}  # an id once per file
        lines = ["id,Title,Stage,Value,Created,Close Date"]
        lines += [f"{key},Deal {key},{stage},{value},2026-01-0{1 + value},2026-02-01" for key, (stage, value)
                  in unique.items()]
        path = tmp_path / f"file{number}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run(sqlite_url, "import", str(path))
        _outcome_is_clean(result)
        assert result.exit_code == 0, result.stderr
        for key, (stage, _value) in unique.items():
            if stage:
                expected[key] = STATUS_OF[stage]
            else:
                expected.setdefault(key, "open")  # new and told nothing: open
        with opened(sqlite_url):
            assert deals_with_inconsistent_history() == []
            got = {d.external_id: d.status for d in Deal.select() if d.external_id in expected}
            assert got == expected
