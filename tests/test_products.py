"""Products: the catalogue, a deal's line items and their sum, through the
core and through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipetui.cli import cli
from pipetui.core import deals, lookup, products
from pipetui.core.errors import ConflictError, InvalidInput, NotFound
from pipetui.core.money import Money
from pipetui.store import ALL_MODELS, Deal, FieldChange, LineItem, Product, database_proxy, open_database
from pipetui.store.database import migration_names, migration_runner, pending_migrations


def deal(value: int = 1000_00, currency: str = "EUR", title: str = "Acme rollout"):
    return deals.create_deal(title, Money(value, currency))


def changes(deal_id: int, field: str) -> list[tuple[str | None, str | None]]:
    query = (FieldChange.select().where(FieldChange.deal == deal_id, FieldChange.field == field)
             .order_by(FieldChange.id))
    return [(c.old_value, c.new_value) for c in query]


# --- reading what a person types -------------------------------------------------------


@pytest.mark.parametrize(("text", "hundredths"), [("3", 300), ("1.5", 150), ("0.25", 25), (".5", 50),
                                                  (" 2 ", 200), ("1000000", 100_000_000)])
def test_quantities_have_up_to_two_decimals(text, hundredths):
    assert products.parse_quantity(text) == hundredths


@pytest.mark.parametrize(("text", "words"), [("0", "more than zero"), ("1.555", "two decimals"),
                                             ("-1", "not a quantity"), ("1e3", "not a quantity"),
                                             ("１", "not a quantity"), ("1000001", "too large"),
                                             ("", "not a quantity")])
def test_bad_quantities_are_refused_with_the_reason(text, words):
    with pytest.raises(InvalidInput, match=words):
        products.parse_quantity(text)


@pytest.mark.parametrize(("text", "percent"), [("0", 0), ("10", 10), ("10%", 10), ("100", 100)])
def test_discounts_are_whole_percents(text, percent):
    assert products.parse_discount(text) == percent


@pytest.mark.parametrize("text", ["101", "-5", "12.5", "ten", "", "1000"])
def test_bad_discounts_are_refused(text):
    with pytest.raises(InvalidInput, match="discount"):
        products.parse_discount(text)


@pytest.mark.parametrize(("quantity", "price", "discount", "total"), [
    (300, 1250, 10, 3375),  # 3 x 12.50 - 10 %
    (100, 1, 50, 1),  # half a cent rounds up
    (100, 3, 50, 2),  # 1.5 cents: up
    (150, 333, 0, 500),  # 4.995: up
    (100, 999, 100, 0),
    (33, 100, 0, 33),
])
def test_an_items_total_is_rounded_half_up_to_minor_units(quantity, price, discount, total):
    assert products.line_total(quantity, price, discount) == total


# --- the catalogue -----------------------------------------------------------------------


def test_products_are_added_edited_archived_and_listed(db, frozen_clock):
    widget = products.add_product("Widget", Money(12_50, "EUR"))
    products.add_product("Support", Money(500_00, "EUR"))
    assert [p.name for p in products.list_products()] == ["Support", "Widget"]
    assert products.resolve_product("wid") == widget
    assert products.resolve_product(f"#{widget.id}") == widget

    edited = products.edit_product("Widget", name="Widget Pro", price=Money(15_00, "USD"))
    assert (edited.name, edited.unit_price, edited.currency) == ("Widget Pro", 15_00, "USD")

    products.archive_product("Widget Pro")
    assert [p.name for p in products.list_products()] == ["Support"]
    assert [p.name for p in products.list_products(include_archived=True)] == ["Support", "Widget Pro"]
    with pytest.raises(InvalidInput, match="archived"):
        products.resolve_product("Widget Pro")
    products.archive_product("Widget Pro", archived=False)
    assert len(products.list_products()) == 2


def test_a_product_name_is_taken_whatever_its_case(db):
    products.add_product("Widget", Money(1_00, "EUR"))
    products.add_product("Gadget", Money(1_00, "EUR"))
    with pytest.raises(InvalidInput, match="already a product 'Widget'"):
        products.add_product("WIDGET", Money(2_00, "EUR"))
    with pytest.raises(InvalidInput, match="already a product 'Widget'"):
        products.edit_product("Gadget", name="widget")
    assert Product.select().count() == 2


def test_bad_products_are_refused(db):
    with pytest.raises(InvalidInput, match="must not be empty"):
        products.add_product("  ", Money(1_00, "EUR"))
    with pytest.raises(InvalidInput, match="negative"):
        products.add_product("Widget", Money(-1, "EUR"))
    with pytest.raises(InvalidInput, match="not an ISO 4217 code"):
        products.add_product("Widget", Money(1, "ABC"))
    with pytest.raises(NotFound, match="catalogue is empty"):
        products.resolve_product("Widget")
    assert Product.select().count() == 0


# --- line items ---------------------------------------------------------------------------


def test_items_are_added_at_the_catalogue_price_and_summed(db, frozen_clock):
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_product("Support", Money(500_00, "EUR"))

    items = products.add_item(acme.id, "Widget", quantity_hundredths=300, discount=10)
    items = products.add_item(acme.id, "Support", price=Money(450_00, "EUR"))

    assert [(i.number, i.product, i.quantity, i.unit_price, i.discount, i.total) for i in items.items] == [
        (1, "Widget", "3", 12_50, 10, 33_75), (2, "Support", "1", 450_00, 0, 450_00)]
    assert items.total == 483_75
    assert Deal.get_by_id(acme.id).value == 1000_00  # the value is set only when asked
    assert Deal.get_by_id(acme.id).version == acme.version + 2
    assert changes(acme.id, "items") == [
        (None, "3 × Widget at 12.50 EUR, −10 %"),
        ("3 × Widget at 12.50 EUR, −10 %", "3 × Widget at 12.50 EUR, −10 %; 1 × Support at 450 EUR")]
    assert changes(acme.id, "value") == []


def test_the_sum_sets_the_value_as_an_edit_does(db, frozen_clock):
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    items = products.add_item(acme.id, "Widget", quantity_hundredths=150, update_value=True)
    assert Deal.get_by_id(acme.id).value == items.total == 18_75
    assert changes(acme.id, "value") == [("1,000 EUR", "18.75 EUR")]
    assert Deal.get_by_id(acme.id).version == acme.version + 1  # one change, one version

    products.edit_item(acme.id, "1", quantity_hundredths=200)
    assert Deal.get_by_id(acme.id).value == 18_75
    items = products.set_value_from_items(acme.id)
    assert Deal.get_by_id(acme.id).value == items.total == 25_00
    assert changes(acme.id, "value")[-1] == ("18.75 EUR", "25 EUR")

    products.remove_item(acme.id, "widget", update_value=True)
    assert Deal.get_by_id(acme.id).value == 0
    assert LineItem.select().count() == 0
    assert changes(acme.id, "items")[-1] == ("2 × Widget at 12.50 EUR", None)


def test_an_item_in_another_currency_is_refused_with_the_way_out(db):
    acme = deal(currency="USD")
    products.add_product("Widget", Money(12_50, "EUR"))
    version = Deal.get_by_id(acme.id).version
    with pytest.raises(InvalidInput, match="priced in EUR but deal #1 is in USD: give the item's price in USD"):
        products.add_item(acme.id, "Widget")
    with pytest.raises(InvalidInput, match="price is in EUR but deal #1 is in USD"):
        products.add_item(acme.id, "Widget", price=Money(10_00, "EUR"))
    assert LineItem.select().count() == 0 and Deal.get_by_id(acme.id).version == version
    items = products.add_item(acme.id, "Widget", price=Money(14_00, "USD"))
    assert (items.items[0].unit_price, items.items[0].currency) == (14_00, "USD")


def test_the_sum_is_not_the_value_of_a_deal_now_in_another_currency(db):
    acme = deal(currency="EUR")
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_item(acme.id, "Widget")
    deals.edit_deal(acme.id, value=Money(900_00, "USD"))
    with pytest.raises(InvalidInput, match="is in USD but its items are in EUR"):
        products.set_value_from_items(acme.id)
    assert Deal.get_by_id(acme.id).value == 900_00


def test_an_edit_that_changes_nothing_leaves_the_deal_alone(db):
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_item(acme.id, "Widget", quantity_hundredths=200)
    version = Deal.get_by_id(acme.id).version
    products.edit_item(acme.id, "Widget", quantity_hundredths=200, discount=0)
    assert Deal.get_by_id(acme.id).version == version
    assert len(changes(acme.id, "items")) == 1


def test_a_stale_version_changes_no_item(db):
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    with pytest.raises(ConflictError):
        products.add_item(acme.id, "Widget", expected_version=acme.version + 1)
    assert LineItem.select().count() == 0


def test_items_are_found_by_number_or_product_and_renumbered(db):
    acme = deal()
    for name in ("Alpha", "Beta", "Gamma"):
        products.add_product(name, Money(1_00, "EUR"))
        products.add_item(acme.id, name)
    items = products.remove_item(acme.id, "2")
    assert [(i.number, i.product) for i in items.items] == [(1, "Alpha"), (2, "Gamma")]
    with pytest.raises(NotFound, match="no item 3"):
        products.edit_item(acme.id, "3", discount=5)
    with pytest.raises(NotFound, match="no item 'Beta'"):
        products.remove_item(acme.id, "Beta")
    items = products.add_item(acme.id, "Beta")
    assert [i.product for i in items.items] == ["Alpha", "Gamma", "Beta"]


def test_a_deleted_deal_takes_its_items_and_a_product_keeps_them_when_archived(db):
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_item(acme.id, "Widget")
    products.archive_product("Widget")
    assert [i.product for i in products.deal_items(acme.id).items] == ["Widget"]
    Deal.delete_by_id(acme.id)
    assert LineItem.select().count() == 0


# --- the migration ------------------------------------------------------------------------


def test_the_products_migration_goes_down_and_up_again(backend_url):
    database = open_database(backend_url)
    acme = deal()
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_item(acme.id, "Widget")
    runner = migration_runner(database)
    while "0012_products" not in pending_migrations(database):
        runner.down()
    assert "product" not in database.get_tables() and "line_item" not in database.get_tables()
    assert Deal.select().count() == 1
    database.close()
    database = open_database(backend_url)
    assert pending_migrations(database) == []
    assert Product.select().count() == 0 and Deal.select().count() == 1
    assert migration_names()[-1] >= "0012_products"
    database.close()


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def url(backend_url, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("PIPETUI_DB", "PIPETUI_CONFIG", "PIPETUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    open_database(backend_url).close()
    yield backend_url
    _close()


def _close() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()


def run(url: str, *args: str):
    result = CliRunner().invoke(cli, ["--db", url, *args])
    _close()
    return result


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result


def dump(url: str) -> dict[str, list[tuple]]:
    db = open_database(url)
    try:
        return {m._meta.table_name: [tuple(r) for r in db.execute_sql(
            f'SELECT * FROM "{m._meta.table_name}" ORDER BY 1').fetchall()] for m in ALL_MODELS}
    finally:
        db.close()


def refused(url: str, *args: str) -> str:
    """The one line a bad command prints (status 2), having changed nothing."""
    before = dump(url)
    result = run(url, *args)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert dump(url) == before
    return line


def test_the_catalogue_from_the_command_line(url):
    ok(run(url, "product", "add", "Widget", "--price", "12.50", "--currency", "EUR"))
    ok(run(url, "product", "add", "Support", "--price", "EUR 500"))
    ok(run(url, "product", "add", "Setup", "--price", "300"))  # the config's currency: USD
    listed = json.loads(ok(run(url, "product", "list", "--json")).stdout)
    assert [(p["name"], p["unit_price"], p["currency"], p["archived"]) for p in listed] == [
        ("Setup", 300_00, "USD", False), ("Support", 500_00, "EUR", False), ("Widget", 12_50, "EUR", False)]
    assert set(listed[0]) == {"id", "name", "unit_price", "currency", "archived", "created_at"}

    ok(run(url, "product", "edit", "Setup", "--price", "250", "--currency", "EUR", "--name", "Onboarding"))
    ok(run(url, "product", "archive", "Support"))
    text = ok(run(url, "product", "list")).stdout
    assert "Onboarding" in text and "250 EUR" in text and "Support" not in text
    assert "(archived)" in ok(run(url, "product", "list", "--all")).stdout
    ok(run(url, "product", "archive", "Support", "--restore"))
    assert len(json.loads(ok(run(url, "product", "list", "--json")).stdout)) == 3


@pytest.mark.parametrize(("args", "words"), [
    (("product", "add", "Widget", "--price", "-5"), "negative"),
    (("product", "add", "widget", "--price", "5"), "already a product 'Widget'"),
    (("product", "add", "Gizmo", "--price", "EUR 5", "--currency", "USD"), "price is in EUR"),
    (("product", "add", "Gizmo", "--price", "5", "--currency", "EURO"), "not a currency code"),
    (("product", "edit", "Nothing", "--price", "5"), "no product 'Nothing'"),
    (("product", "edit", "Widget"), "nothing to change"),
    (("product", "edit", "Widget", "--currency", "USD"), "--currency goes with --price"),
    (("product", "archive", "Widget", "--restore"), "already offered"),
])
def test_bad_catalogue_commands_are_one_line_and_change_nothing(url, args, words):
    ok(run(url, "product", "add", "Widget", "--price", "12.50", "--currency", "EUR"))
    assert words in refused(url, *args)


def test_line_items_from_the_command_line(url):
    ok(run(url, "add", "Acme rollout", "--value", "1000", "--currency", "EUR"))
    ok(run(url, "product", "add", "Widget", "--price", "12.50", "--currency", "EUR"))
    ok(run(url, "product", "add", "Support", "--price", "500", "--currency", "EUR"))

    added = ok(run(url, "item", "add", "Acme", "Widget", "--quantity", "3", "--discount", "10")).stdout
    assert "3 × Widget at 12.50 EUR, −10 %" in added and "items total 33.75 EUR" in added
    ok(run(url, "item", "add", "1", "Support", "--price", "450", "--update-value"))
    listed = json.loads(ok(run(url, "item", "list", "1", "--json")).stdout)
    assert (listed["total"], listed["value"], listed["currency"]) == (483_75, 483_75, "EUR")
    assert [(i["number"], i["product"], i["quantity"], i["unit_price"], i["discount"], i["total"])
            for i in listed["items"]] == [(1, "Widget", "3", 12_50, 10, 33_75), (2, "Support", "1", 450_00, 0, 450_00)]

    ok(run(url, "item", "edit", "1", "Widget", "--quantity", "1.5"))
    text = ok(run(url, "item", "list", "1")).stdout
    assert "1.5" in text and "total" in text and "(deal value 483.75 EUR)" in text
    after = json.loads(ok(run(url, "item", "list", "1", "--set-value", "--json")).stdout)
    assert after["value"] == after["total"] == 16_88 + 450_00  # 1.5 x 12.50 x 0.9 = 16.875: up

    ok(run(url, "item", "remove", "1", "2", "--update-value"))
    left = json.loads(ok(run(url, "item", "list", "1", "--json")).stdout)
    assert [i["product"] for i in left["items"]] == ["Widget"] and left["value"] == 16_88
    db = open_database(url)
    try:
        fields = [c.field for c in FieldChange.select().order_by(FieldChange.id)]
    finally:
        db.close()
    assert fields.count("items") == 4 and fields.count("value") == 3


@pytest.mark.parametrize(("args", "words"), [
    (("item", "add", "1", "Gadget"), "priced in USD but deal #1 is in EUR"),
    (("item", "add", "1", "Widget", "--price", "USD 5"), "price is in USD but deal #1 is in EUR"),
    (("item", "add", "1", "Widget", "--quantity", "0"), "more than zero"),
    (("item", "add", "1", "Widget", "--quantity", "1.234"), "two decimals"),
    (("item", "add", "1", "Widget", "--discount", "120"), "discount"),
    (("item", "add", "1", "Nothing"), "no product 'Nothing'"),
    (("item", "add", "99", "Widget"), "no deal"),
    (("item", "edit", "1", "7", "--quantity", "2"), "no item 7"),
    (("item", "edit", "1", "1"), "nothing to change"),
    (("item", "remove", "1", "Gadget"), "no item 'Gadget'"),
    (("item", "list", "2", "--set-value"), "has no line items"),
])
def test_bad_item_commands_are_one_line_and_change_nothing(url, args, words):
    ok(run(url, "add", "Acme rollout", "--value", "1000", "--currency", "EUR"))
    ok(run(url, "add", "Globex", "--value", "10", "--currency", "EUR"))
    ok(run(url, "product", "add", "Widget", "--price", "12.50", "--currency", "EUR"))
    ok(run(url, "product", "add", "Gadget", "--price", "5", "--currency", "USD"))
    ok(run(url, "item", "add", "1", "Widget"))
    assert words in refused(url, *args)


# --- the import ---------------------------------------------------------------------------

PIPEDRIVE_WITH_PRODUCTS = (
    "Deal - ID,Deal - Title,Deal - Value,Deal - Currency of Value,Deal - Stage,Deal - Product name\n"
    "201,Acme rollout,2500,EUR,Proposal,Widget Pro\n"
    "202,Globex renewal,900,EUR,Proposal,widget  pro\n"
    "203,Initech support,1200,USD,Proposal,Support\n"
    "204,Umbrella,300,EUR,Proposal,\n"
)


def items_by_deal(url: str) -> dict[str, list[tuple]]:
    db = open_database(url)
    try:
        return {d.title: [(i.product, i.quantity, i.unit_price, i.currency, i.discount)
                          for i in products.deal_items(d.id).items]
                for d in Deal.select().order_by(Deal.id)}
    finally:
        db.close()


def test_an_imported_product_column_fills_line_items_and_the_catalogue(url, tmp_path):
    ok(run(url, "product", "add", "Support", "--price", "150", "--currency", "USD"))
    path = tmp_path / "deals.csv"
    path.write_text(PIPEDRIVE_WITH_PRODUCTS, encoding="utf-8")

    before = dump(url)
    dry = ok(run(url, "import", str(path), "--dry-run")).stdout
    assert "1 product" in dry  # Widget Pro is new; Support is in the catalogue
    assert dump(url) == before
    result = ok(run(url, "import", str(path))).stdout
    assert "1 product" in result

    assert items_by_deal(url) == {
        "Acme rollout": [("Widget Pro", "1", 2500_00, "EUR", 0)],
        "Globex renewal": [("Widget Pro", "1", 900_00, "EUR", 0)],
        "Initech support": [("Support", "1", 1200_00, "USD", 0)],
        "Umbrella": [],
    }
    listed = json.loads(ok(run(url, "product", "list", "--json")).stdout)
    # A new product is priced at the first deal that names it; the catalogue's own stays as it was.
    assert [(p["name"], p["unit_price"], p["currency"]) for p in listed] == [
        ("Support", 150_00, "USD"), ("Widget Pro", 2500_00, "EUR")]

    # Importing the file again updates its deals: their items are left as they are.
    ok(run(url, "import", str(path)))
    assert [len(v) for v in items_by_deal(url).values()] == [1, 1, 1, 0]


def test_an_import_with_a_bad_row_adds_no_product(url, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(PIPEDRIVE_WITH_PRODUCTS + f"205,Too long,10,EUR,Proposal,{'P' * 201}\n", encoding="utf-8")
    before = dump(url)
    result = run(url, "import", str(path))
    assert result.exit_code == 2
    assert "product is too long" in result.stdout + result.stderr
    assert dump(url) == before


# --- the deal editor ---------------------------------------------------------------------


async def test_the_editor_shows_the_items_and_their_total_and_hides_them_when_there_are_none(sqlite_db):
    from pipetui.tui.app import PipetuiApp
    from pipetui.tui.screens.editor import DealEditor

    acme = deal(value=1000_00)
    bare = deal(title="Bare deal")
    products.add_product("Widget", Money(12_50, "EUR"))
    products.add_item(acme.id, "Widget", quantity_hundredths=300, discount=10)
    app = PipetuiApp(db=sqlite_db, location="test.db")
    async with app.run_test(size=(120, 40)) as pilot:
        for deal_id, shown in ((acme.id, True), (bare.id, False)):
            app.push_screen(DealEditor(deal_id, stages=[s.name for s in lookup.stages()], reps=[]))
            for _ in range(6):
                await app.workers.wait_for_complete()
                await pilot.pause()
            items = app.screen.query_one("#items")
            assert items.display is shown
            if shown:
                text = str(items.render())
                assert "3 × Widget at 12.50 EUR, −10 %" in text and "33.75 EUR" in text
                assert "total 33.75 EUR (the value differs)" in text
            app.pop_screen()
