"""The customers screen, driven by keys, checked against the database."""

from __future__ import annotations

from test_customers import book  # noqa: F401 - the fixture

from pipetui.store import Contact, Deal, Organization
from pipetui.tui.app import PipetuiApp
from pipetui.tui.screens.customers import CustomerForm, CustomersScreen


async def settle(pilot) -> None:
    for _ in range(6):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_customers(pilot, app) -> None:
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_search_as_you_type_and_the_profile_follows(book, db):  # noqa: F811
    app = PipetuiApp(db=db, location="t")
    async with app.run_test(size=(110, 32)) as pilot:
        await open_customers(pilot, app)
        assert [c.name for c in app.screen.rows] == ["Acme GmbH", "Ann Baker", "Bo Chen"]
        assert "open 2 (7,000 EUR + 30,000 USD)" in shown(app, "#customer-profile")
        await pilot.press("slash", *"bo")
        await settle(pilot)
        assert [c.name for c in app.screen.rows] == ["Bo Chen"]
        assert "bo@example.com" in shown(app, "#customer-profile")


async def test_the_list_moves_with_the_boards_keys(book, db):  # noqa: F811
    app = PipetuiApp(db=db, location="t")
    async with app.run_test(size=(110, 32)) as pilot:
        await open_customers(pilot, app)
        listing = app.screen.query_one("#customer-list")
        for key, row in (("j", 1), ("j", 2), ("k", 1), ("G", 2), ("g", 0), ("end", 2), ("home", 0)):
            await pilot.press(key)
            await settle(pilot)
            assert listing.highlighted == row, key
        assert app.screen.current.name == "Acme GmbH"


async def test_add_refuses_bad_fields_in_the_form_then_saves(book, db):  # noqa: F811
    app = PipetuiApp(db=db, location="t")
    async with app.run_test(size=(110, 32)) as pilot:
        await open_customers(pilot, app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, CustomerForm)
        app.screen.query_one("#name").value = "Cy Diaz"
        app.screen.query_one("#email").value = "cy@"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not an email address" in shown(app, "#form-error")
        assert Contact.get_or_none(Contact.name == "Cy Diaz") is None  # nothing saved
        app.screen.query_one("#email").value = "cy@example.com"
        app.screen.query_one("#organization").value = "Diaz & Co"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        cy = Contact.get(Contact.name == "Cy Diaz")
        assert (cy.email, cy.organization.name) == ("cy@example.com", "Diaz & Co")
        assert "Saved Cy Diaz" in shown(app, "#customer-status")


async def test_edit_and_delete_with_a_question_first(book, db):  # noqa: F811
    app = PipetuiApp(db=db, location="t")
    async with app.run_test(size=(110, 32)) as pilot:
        await open_customers(pilot, app)
        await pilot.press("e")  # Acme GmbH
        await settle(pilot)
        app.screen.query_one("#website").value = "acme.example/de"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Organization.get_by_id(book["acme"].id).website == "acme.example/de"
        await pilot.press("D")
        await settle(pilot)
        assert "3 deals will stay" in str(app.screen.query_one("#dialog-title").render())
        await pilot.press("n")  # keeps it
        await settle(pilot)
        assert Organization.get_or_none(Organization.id == book["acme"].id) is not None
        await pilot.press("D", "y")
        await settle(pilot)
        assert Organization.get_or_none(Organization.id == book["acme"].id) is None
        assert Deal.select().where(Deal.organization.is_null(False)).count() == 0
        assert Deal.select().count() == 3
        assert [c.name for c in app.screen.rows] == ["Ann Baker", "Bo Chen"]
