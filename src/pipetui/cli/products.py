"""Products: the catalogue (``pipetui product …``) and a deal's line items
(``pipetui item …``)."""

from __future__ import annotations

import json

import click

from pipetui.cli.session import FriendlyGroup, Listing, Session, command, echo, echo_json, list_options

UPDATE_VALUE_HELP = "Also make the items' sum the deal's value (recorded in its history)."


@click.group(cls=FriendlyGroup)
def product() -> None:
    """The products catalogue: name, unit price and currency."""


@command(name="add", parent=product)
@click.argument("name")
@click.option("--price", "-p", required=True, help="Unit price: 1200, 12.50, EUR 900 …")
@click.option("--currency", help="ISO currency code (default from the config, else USD).")
def product_add(state: Session, name: str, price: str, currency: str | None) -> None:
    """Add a product to the catalogue."""
    from pipetui.core import products

    added = products.add_product(name, products.parse_price(price, currency=currency,
                                                           default_currency=state.context.currency))
    echo(f"Added product #{added.id} {added.name} at {added.price}")


@command(name="edit", parent=product)
@click.argument("ref", metavar="PRODUCT")
@click.option("--name", help="New name.")
@click.option("--price", "-p", help="New unit price (deals keep the price their items have).")
@click.option("--currency", help="Currency of the new price (default: the product's).")
def product_edit(state: Session, ref: str, name: str | None, price: str | None, currency: str | None) -> None:
    """Rename PRODUCT (id or name) or change its price."""
    from pipetui.core import products
    from pipetui.core.errors import InvalidInput

    changes = {}
    if name is not None:
        changes["name"] = name
    if price is not None:
        current = products.resolve_product(ref, include_archived=True)
        changes["price"] = products.parse_price(price, currency=currency, default_currency=current.currency)
    elif currency is not None:
        raise InvalidInput("--currency goes with --price: give the price in the new currency")
    edited = products.edit_product(ref, **changes)
    echo(f"Product #{edited.id} {edited.name} at {edited.price}")


@command(name="archive", parent=product)
@click.argument("ref", metavar="PRODUCT")
@click.option("--restore", is_flag=True, help="Offer an archived product again.")
def product_archive(state: Session, ref: str, restore: bool) -> None:
    """Stop offering PRODUCT; the deals that have it keep their items."""
    from pipetui.core import products

    done = products.archive_product(ref, archived=not restore)
    echo(f"{'Restored' if restore else 'Archived'} product #{done.id} {done.name}")


@command(name="list", parent=product)
@click.option("--all", "include_archived", is_flag=True, help="Archived products too.")
@list_options
def product_list(state: Session, include_archived: bool, listing: Listing) -> None:
    """List the catalogue."""
    from pipetui.core import products

    listing.emit(products.list_products(include_archived=include_archived), to_json=lambda p: p.as_json(),
                 text=lambda p: f"#{p.id:<5} {str(p.price):>16}  {p.name}{'  (archived)' if p.archived else ''}",
                 empty="No products yet; add one with 'pipetui product add NAME --price AMOUNT'.")


@click.group(cls=FriendlyGroup)
def item() -> None:
    """The line items of a deal: products with a quantity, a price and a discount."""


def _deal(ref: str):
    from pipetui.cli.deals import ANY_STATUS
    from pipetui.core import lookup

    return lookup.resolve_deal(ref, acting_on=ANY_STATUS)


def _show(items, *, as_json: bool) -> None:
    from pipetui.core.money import format_money

    if as_json:
        echo_json(json.dumps(items.as_json(), indent=2, ensure_ascii=False))
        return
    if not items.items:
        echo(f"#{items.deal_id} {items.deal_title}: no line items")
        return
    echo(f"#{items.deal_id} {items.deal_title}")
    for i in items.items:
        discount = f"-{i.discount}%" if i.discount else ""
        echo(f"{i.number:>3}. {i.quantity:>8} × {format_money(i.unit_price, i.currency):>14} {discount:>5} "
             f"{format_money(i.total, i.currency):>16}  {i.product}")
    value = format_money(items.deal_value, items.deal_currency)
    echo(f"     total {format_money(items.total, items.currency):>43}  (deal value {value})")


def _parsed(deal, quantity: str | None, price: str | None, discount: str | None) -> dict:
    from pipetui.core import products
    from pipetui.core.money import parse_money

    given = {}
    if quantity is not None:
        given["quantity_hundredths"] = products.parse_quantity(quantity)
    if price is not None:
        given["price"] = parse_money(price, deal.currency, what="price")
    if discount is not None:
        given["discount"] = products.parse_discount(discount)
    return given


@command(name="add", parent=item)
@click.argument("deal")
@click.argument("product_ref", metavar="PRODUCT")
@click.option("--quantity", "-q", help="How many (up to two decimals; default 1).")
@click.option("--price", "-p", help="Unit price in the deal's currency (default: the product's).")
@click.option("--discount", "-d", help="Discount in whole percent, 0-100.")
@click.option("--update-value", is_flag=True, help=UPDATE_VALUE_HELP)
@click.option("--json", "as_json", is_flag=True, help="JSON: the deal's items afterwards.")
def item_add(state: Session, deal: str, product_ref: str, quantity, price, discount, update_value: bool,
             as_json: bool) -> None:
    """Put PRODUCT on DEAL."""
    from pipetui.core import products

    found = _deal(deal)
    given = _parsed(found, quantity, price, discount)
    items = products.add_item(found.id, product_ref, update_value=update_value, actor=state.actor(), **given)
    _done(items, f"Added {items.items[-1].describe()} to", update_value, as_json)


@command(name="edit", parent=item)
@click.argument("deal")
@click.argument("which", metavar="ITEM")
@click.option("--quantity", "-q", help="How many (up to two decimals).")
@click.option("--price", "-p", help="Unit price in the deal's currency.")
@click.option("--discount", "-d", help="Discount in whole percent, 0-100.")
@click.option("--update-value", is_flag=True, help=UPDATE_VALUE_HELP)
@click.option("--json", "as_json", is_flag=True, help="JSON: the deal's items afterwards.")
def item_edit(state: Session, deal: str, which: str, quantity, price, discount, update_value: bool,
              as_json: bool) -> None:
    """Change ITEM (its number in 'item list', or its product) of DEAL."""
    from pipetui.core import products

    found = _deal(deal)
    given = _parsed(found, quantity, price, discount)
    items = products.edit_item(found.id, which, update_value=update_value, actor=state.actor(), **given)
    _done(items, "Changed an item of", update_value, as_json)


@command(name="remove", parent=item)
@click.argument("deal")
@click.argument("which", metavar="ITEM")
@click.option("--update-value", is_flag=True, help=UPDATE_VALUE_HELP)
@click.option("--json", "as_json", is_flag=True, help="JSON: the deal's items afterwards.")
def item_remove(state: Session, deal: str, which: str, update_value: bool, as_json: bool) -> None:
    """Take ITEM (its number in 'item list', or its product) off DEAL."""
    from pipetui.core import products

    found = _deal(deal)
    items = products.remove_item(found.id, which, update_value=update_value, actor=state.actor())
    _done(items, "Removed an item from", update_value, as_json)


@command(name="list", parent=item)
@click.argument("deal")
@click.option("--set-value", is_flag=True, help="Make the items' sum the deal's value first.")
@click.option("--json", "as_json", is_flag=True, help="JSON: the items, their sum and the deal's value.")
def item_list(state: Session, deal: str, set_value: bool, as_json: bool) -> None:
    """List DEAL's line items and their sum."""
    from pipetui.core import products

    found = _deal(deal)
    if set_value:
        items = products.set_value_from_items(found.id, actor=state.actor())
    else:
        items = products.deal_items(found.id)
    _show(items, as_json=as_json)


def _done(items, what: str, update_value: bool, as_json: bool) -> None:
    from pipetui.core.money import format_money

    if as_json:
        _show(items, as_json=True)
        return
    line = f"{what} #{items.deal_id} {items.deal_title}; items total {format_money(items.total, items.currency)}"
    if update_value:
        line += ", now its value"
    echo(line)
