"""Products: a catalogue, and the line items of a deal whose sum can set
its value.

A product has a name (unique without regard to case), a unit price in minor
units and a currency. A line item puts a product on a deal with a quantity
(up to two decimals, kept as hundredths), a unit price (the product's,
copied when the item is added, or one given) and a discount in whole
percent. An item is in its deal's currency: a product priced in another
currency goes on a deal only with a price given in the deal's.

An item's total is quantity x unit price x (1 - discount), rounded half up
to the currency's minor unit; the items' sum is the sum of these totals.

Every change of a deal's items is one transaction that checks and bumps the
deal's version and records a ``FieldChange`` of the field ``items`` (the
items before and after, as text); when asked, the sum becomes the deal's
value through :func:`pipetui.core.deals.edit_deal`, which records the value
change as every edit does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peewee import JOIN, IntegrityError, fn

from pipetui.core import deals
from pipetui.core.errors import Ambiguous, InvalidInput, NotFound
from pipetui.core.money import MAX_MINOR, Money, format_money, parse_money, validate_currency
from pipetui.core.rows import DealRow, RepRef, fetch, id_of
from pipetui.core.text import clean_line
from pipetui.store import FieldChange, LineItem, Product, Rep
from pipetui.store import database_proxy as db

_UNSET: Any = object()

PRODUCT_NAME_MAX_LENGTH = 200
# Far beyond any order, and small enough that quantity x price stays exact in 64 bits.
MAX_QUANTITY = 1_000_000
ITEMS_FIELD = "items"  # the FieldChange rows of a deal's line items

_QUANTITY = re.compile(r"^(?:\d+(?:\.\d{1,2})?|\.\d{1,2})$", re.ASCII)
_DECIMALS = re.compile(r"^\d*\.\d{3,}$", re.ASCII)


# --- reading what a person types ------------------------------------------------------


def parse_quantity(text: str | int) -> int:
    """A quantity in hundredths: ``3`` is 300, ``1.5`` is 150; more than
    zero, at most two decimals, ASCII digits."""
    shown = str(text).strip()
    if _DECIMALS.match(shown):
        raise InvalidInput(f"quantity {shown!r} has more than two decimals")
    if not _QUANTITY.match(shown):
        raise InvalidInput(f"quantity {shown!r} is not a quantity: write a number such as 3 or 1.5")
    hundredths = int(Decimal(shown) * 100)
    if hundredths <= 0:
        raise InvalidInput(f"quantity {shown!r} must be more than zero")
    if hundredths > MAX_QUANTITY * 100:
        raise InvalidInput(f"quantity {shown!r} is too large (at most {MAX_QUANTITY:,})")
    return hundredths


def parse_discount(text: str | int) -> int:
    """A discount in whole percent from 0 to 100: ``10`` or ``10%``."""
    shown = str(text).strip()
    digits = shown.removesuffix("%").rstrip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 3 or int(digits) > 100:
        raise InvalidInput(f"discount {shown!r} is not a discount: write a whole percent from 0 to 100 "
                           "(e.g. 10 or 10%)")
    return int(digits)


def parse_price(text: str, *, currency: str | None, default_currency: str) -> Money:
    """A unit price typed with an optional currency option, as ``add`` reads a value."""
    code = validate_currency(currency) if currency else None
    price = parse_money(text, code or default_currency, what="price")
    if code and price.currency != code:
        raise InvalidInput(f"price is in {price.currency} but the currency given is {code}",
                           field="currency")
    return price


def format_quantity(hundredths: int) -> str:
    """``300`` -> ``3``, ``150`` -> ``1.5``, ``125`` -> ``1.25``."""
    whole, part = divmod(hundredths, 100)
    return f"{whole}" if not part else f"{whole}.{part:02d}".rstrip("0")


def line_total(quantity_hundredths: int, unit_price: int, discount: int) -> int:
    """quantity x unit price x (1 - discount), in minor units, rounded half up (exact integers)."""
    scaled = quantity_hundredths * unit_price * (100 - discount)  # in 1/10,000 of a minor unit
    return (scaled + 5_000) // 10_000


# --- the catalogue --------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    id: int
    name: str
    unit_price: int  # minor units
    currency: str
    archived: bool
    created_at: dt.datetime

    @property
    def price(self) -> Money:
        return Money(self.unit_price, self.currency)

    def as_json(self) -> dict[str, Any]:
        """The object ``pipetui product list --json`` prints (price in minor units)."""
        return {"id": self.id, "name": self.name, "unit_price": self.unit_price, "currency": self.currency,
                "archived": self.archived, "created_at": self.created_at.isoformat()}


def _product_row(product: Product) -> ProductRow:
    return ProductRow(product.id, product.name, product.unit_price, product.currency, bool(product.archived),
                      product.created_at)


def list_products(*, include_archived: bool = False) -> list[ProductRow]:
    """The catalogue by name; archived products only when asked."""
    query = Product.select().order_by(fn.lower(Product.name), Product.id)
    if not include_archived:
        query = query.where(Product.archived == False)  # noqa: E712
    return [_product_row(p) for p in query]


def resolve_product(text: str | int, *, include_archived: bool = False) -> ProductRow:
    """A product by id (``#3``), name without regard to case, or unique name prefix."""
    ref = str(text).strip()
    if not ref:
        raise InvalidInput("no product given")
    every = list_products(include_archived=True)
    digits = ref.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        by_id = [p for p in every if p.id == int(digits)]
        if by_id:
            return _offered(by_id[0], include_archived)
        if ref.startswith("#"):
            raise NotFound(f"no product #{digits}")
    folded = ref.casefold()
    exact = [p for p in every if p.name.casefold() == folded]
    if exact:
        return _offered(exact[0], include_archived)
    candidates = every if include_archived else [p for p in every if not p.archived]
    matches = [p for p in candidates if p.name.casefold().startswith(folded)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Ambiguous(f"product {ref!r} is ambiguous: {', '.join(p.name for p in matches[:10])}")
    if not candidates:
        raise NotFound(f"no product {ref!r}: the catalogue is empty (add one with 'pipetui product add')")
    raise NotFound(f"no product {ref!r}; the products are: {', '.join(p.name for p in candidates[:20])}")


def _offered(product: ProductRow, include_archived: bool) -> ProductRow:
    if product.archived and not include_archived:
        raise InvalidInput(f"product {product.name!r} is archived")
    return product


def _clean_name(name: str) -> str:
    return clean_line(name, "product name", max_length=PRODUCT_NAME_MAX_LENGTH)


def _refuse_taken(name: str, other_than: int | None = None) -> None:
    query = Product.select().where(fn.lower(Product.name) == name.lower())
    if other_than is not None:
        query = query.where(Product.id != other_than)
    taken = query.first()
    if taken is not None:
        state = " (archived)" if taken.archived else ""
        raise InvalidInput(f"there is already a product {taken.name!r}{state}")


def _check_price(price: Money) -> Money:
    if price.amount < 0:
        raise InvalidInput("price must not be negative")
    return Money(price.amount, validate_currency(price.currency))


def add_product(name: str, price: Money) -> ProductRow:
    """Add a product to the catalogue."""
    name, price = _clean_name(name), _check_price(price)
    try:
        with db.atomic():
            _refuse_taken(name)
            product = Product.create(name=name, unit_price=price.amount, currency=price.currency,
                                     archived=False, created_at=deals.change_time())
    except IntegrityError:  # another writer added it meanwhile
        raise InvalidInput(f"there is already a product {name!r}") from None
    return _product_row(product)


def edit_product(ref: str | int, *, name: str = _UNSET, price: Money = _UNSET) -> ProductRow:
    """Rename a product or change its price (and currency); the deals'
    items keep the price they were given."""
    changes: dict[str, Any] = {}
    if name is not _UNSET:
        changes["name"] = _clean_name(name)
    if price is not _UNSET:
        price = _check_price(price)
        changes["unit_price"], changes["currency"] = price.amount, price.currency
    if not changes:
        raise InvalidInput("nothing to change: give a new name or price")
    with db.atomic():
        product = resolve_product(ref, include_archived=True)
        if "name" in changes:
            _refuse_taken(changes["name"], other_than=product.id)
        Product.update(**changes).where(Product.id == product.id).execute()
        return _product_row(Product.get_by_id(product.id))


def archive_product(ref: str | int, *, archived: bool = True) -> ProductRow:
    """Stop offering a product (or offer it again); deals keep their items of it."""
    with db.atomic():
        product = resolve_product(ref, include_archived=True)
        if product.archived == archived:
            raise InvalidInput(f"product {product.name!r} is already {'archived' if archived else 'offered'}")
        Product.update(archived=archived).where(Product.id == product.id).execute()
        return _product_row(Product.get_by_id(product.id))


# --- a deal's line items --------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    id: int
    number: int  # 1, 2, … in the deal's order: how a person names the item
    product_id: int
    product: str
    quantity_hundredths: int
    unit_price: int  # minor units
    currency: str
    discount: int  # whole percent

    @property
    def quantity(self) -> str:
        return format_quantity(self.quantity_hundredths)

    @property
    def total(self) -> int:
        return line_total(self.quantity_hundredths, self.unit_price, self.discount)

    def describe(self) -> str:
        """``3 × Widget at 12.50 EUR, −10 %``: the item as history keeps it."""
        text = f"{self.quantity} × {self.product} at {format_money(self.unit_price, self.currency)}"
        return f"{text}, −{self.discount} %" if self.discount else text

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "id": self.id, "product": self.product, "product_id": self.product_id,
                "quantity": self.quantity, "unit_price": self.unit_price, "currency": self.currency,
                "discount": self.discount, "total": self.total}


@dataclass(frozen=True)
class DealItems:
    """A deal's line items and their sum."""

    deal_id: int
    deal_title: str
    deal_value: int
    deal_currency: str
    version: int
    items: tuple[ItemRow, ...]

    @property
    def total(self) -> int:
        return sum(item.total for item in self.items)

    @property
    def currency(self) -> str:
        """The items' currency: the deal's (see :func:`_check_one_currency`)."""
        return self.items[0].currency if self.items else self.deal_currency

    def describe(self) -> str | None:
        """The items as history keeps them, None for none."""
        return "; ".join(item.describe() for item in self.items) or None

    def as_json(self) -> dict[str, Any]:
        return {"deal": self.deal_id, "title": self.deal_title, "value": self.deal_value,
                "currency": self.currency, "version": self.version,
                "items": [item.as_json() for item in self.items], "total": self.total}


def item_rows(deal_id: int) -> list[ItemRow]:
    """The deal's items in order, with their products' names (one query)."""
    query = (LineItem.select(LineItem.id, LineItem.product, Product.name, LineItem.quantity_hundredths,
                             LineItem.unit_price, LineItem.currency, LineItem.discount)
             .join(Product, JOIN.INNER, on=(Product.id == LineItem.product))
             .where(LineItem.deal == deal_id)
             .order_by(LineItem.position, LineItem.id))
    return [ItemRow(row[0], number, *row[1:]) for number, row in enumerate(fetch(query), 1)]


def _deal_items(deal: DealRow) -> DealItems:
    return DealItems(deal.id, deal.title, deal.value, deal.currency, deal.version, tuple(item_rows(deal.id)))


def deal_items(deal_id: int) -> DealItems:
    """A live deal's items and their sum."""
    return _deal_items(deals.get_deal(deal_id))


def resolve_item(items: DealItems, text: str | int) -> ItemRow:
    """An item of the deal by its number (``2``) or its product's name or unique prefix."""
    ref = str(text).strip()
    if not items.items:
        raise NotFound(f"deal #{items.deal_id} has no line items")
    if ref.isascii() and ref.isdigit():
        for item in items.items:
            if item.number == int(ref):
                return item
        raise NotFound(f"deal #{items.deal_id} has no item {ref} (its items are numbered 1 to "
                       f"{len(items.items)})")
    folded = ref.casefold()
    exact = [i for i in items.items if i.product.casefold() == folded]
    matches = exact or [i for i in items.items if i.product.casefold().startswith(folded)]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{i.number}. {i.product}" for i in items.items)
    if not matches:
        raise NotFound(f"deal #{items.deal_id} has no item {ref!r}; its items: {listed}")
    raise Ambiguous(f"{ref!r} names several items of deal #{items.deal_id}: {listed}; give the number")


def _check_total(quantity_hundredths: int, unit_price: int, discount: int) -> None:
    if line_total(quantity_hundredths, unit_price, discount) > MAX_MINOR:
        raise InvalidInput("the item's total is too large")


def _item_price(deal: DealRow, product: ProductRow, price: Money | None) -> int:
    """The item's unit price in the deal's currency: ``price``, else the product's."""
    if price is None:
        if product.currency != deal.currency:
            raise InvalidInput(f"product {product.name!r} is priced in {product.currency} but deal "
                               f"#{deal.id} is in {deal.currency}: give the item's price in {deal.currency}")
        return product.unit_price
    price = _check_price(price)
    if price.currency != deal.currency:
        raise InvalidInput(f"price is in {price.currency} but deal #{deal.id} is in {deal.currency}; "
                           "a deal's items are in its currency")
    return price.amount


def _check_one_currency(items: DealItems, deal: DealRow) -> None:
    """The sum becomes the deal's value only in the deal's currency."""
    others = sorted({i.currency for i in items.items} - {deal.currency})
    if others:
        raise InvalidInput(f"deal #{deal.id} is in {deal.currency} but its items are in "
                           f"{', '.join(others)}: their sum cannot be its value")


def _finish(deal: DealRow, before: DealItems, *, update_value: bool, actor: RepRef | Rep | None) -> DealItems:
    """After a change of the items: the deal's version bumped (its value set
    to the sum if ``update_value``), the change recorded; in the caller's
    transaction."""
    now = deals.change_time()
    after = _deal_items(deal)
    unchanged = before.describe() == after.describe()  # the text holds every field of every item
    if unchanged and not update_value:
        return after
    if update_value:
        _check_one_currency(after, deal)
        saved = deals.edit_deal(deal.id, expected_version=deal.version, value=Money(after.total, deal.currency),
                                actor=actor)
    else:
        saved = deals._save(deal, {}, now)  # the version moves: the deal's items are part of it
    if not unchanged:
        FieldChange.create(deal=deal.id, field=ITEMS_FIELD, old_value=before.describe(),
                           new_value=after.describe(), changed_at=now,
                           changed_by=id_of(actor) if actor is not None else None)
    return _deal_items(saved)


def add_item(deal_id: int, product: str | int | ProductRow, *, quantity_hundredths: int = 100,
             price: Money | None = None, discount: int = 0, update_value: bool = False,
             expected_version: int | None = None, actor: RepRef | Rep | None = None) -> DealItems:
    """Put ``product`` on the deal, at its catalogue price unless ``price`` is given."""
    _check_quantity(quantity_hundredths)
    _check_discount(discount)
    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        found = product if isinstance(product, ProductRow) else resolve_product(product)
        unit_price = _item_price(deal, found, price)
        _check_total(quantity_hundredths, unit_price, discount)
        before = _deal_items(deal)
        last = LineItem.select(fn.MAX(LineItem.position)).where(LineItem.deal == deal.id).scalar()
        LineItem.create(deal=deal.id, product=found.id, quantity_hundredths=quantity_hundredths,
                        unit_price=unit_price, currency=deal.currency, discount=discount,
                        position=(last or 0) + 1, created_at=deals.change_time())
        return _finish(deal, before, update_value=update_value, actor=actor)


def edit_item(deal_id: int, item: str | int, *, quantity_hundredths: int = _UNSET, price: Money = _UNSET,
              discount: int = _UNSET, update_value: bool = False, expected_version: int | None = None,
              actor: RepRef | Rep | None = None) -> DealItems:
    """Change an item's quantity, unit price or discount."""
    if quantity_hundredths is not _UNSET:
        _check_quantity(quantity_hundredths)
    if discount is not _UNSET:
        _check_discount(discount)
    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        before = _deal_items(deal)
        found = resolve_item(before, item)
        changes: dict[str, Any] = {}
        if quantity_hundredths is not _UNSET:
            changes["quantity_hundredths"] = quantity_hundredths
        if discount is not _UNSET:
            changes["discount"] = discount
        if price is not _UNSET:
            product = _product_row(Product.get_by_id(found.product_id))
            changes["unit_price"] = _item_price(deal, product, price)
            changes["currency"] = deal.currency
        if not changes and not update_value:
            raise InvalidInput("nothing to change: give a quantity, a price or a discount")
        _check_total(changes.get("quantity_hundredths", found.quantity_hundredths),
                     changes.get("unit_price", found.unit_price), changes.get("discount", found.discount))
        if changes:
            LineItem.update(**changes).where(LineItem.id == found.id).execute()
        return _finish(deal, before, update_value=update_value, actor=actor)


def remove_item(deal_id: int, item: str | int, *, update_value: bool = False,
                expected_version: int | None = None, actor: RepRef | Rep | None = None) -> DealItems:
    """Take an item off the deal; the items after it move up a number."""
    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        before = _deal_items(deal)
        found = resolve_item(before, item)
        LineItem.delete().where(LineItem.id == found.id).execute()
        return _finish(deal, before, update_value=update_value, actor=actor)


def set_value_from_items(deal_id: int, *, expected_version: int | None = None,
                         actor: RepRef | Rep | None = None) -> DealItems:
    """Make the items' sum the deal's value (a value change in its history)."""
    with db.atomic():
        deal = deals.current_deal(deal_id, expected_version=expected_version)
        items = _deal_items(deal)
        if not items.items:
            raise InvalidInput(f"deal #{deal.id} has no line items to sum")
        _check_one_currency(items, deal)
        if items.total == deal.value:
            return items
        saved = deals.edit_deal(deal.id, expected_version=deal.version, value=Money(items.total, deal.currency),
                                actor=actor)
        return _deal_items(saved)


def _check_quantity(hundredths: int) -> None:
    if not 0 < hundredths <= MAX_QUANTITY * 100:
        raise InvalidInput(f"a quantity is more than 0 and at most {MAX_QUANTITY:,}")


def _check_discount(discount: int) -> None:
    if not 0 <= discount <= 100:
        raise InvalidInput(f"discount {discount} is out of range: a discount is from 0 to 100 %")
