"""One action on several deals: all of them in one transaction, or none.

Each deal goes through the same service as when it is acted on alone
(:mod:`pipetui.core.deals`): its version as it was read is checked and the
rules apply. The first deal that fails stops the whole action; nothing is
written and the error names that deal. A dry run makes every change in the
transaction, then takes it back: what it reports is what would be done,
checked as it would be.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pipetui.core import deals as services
from pipetui.core import fields
from pipetui.core.board import FilterTerms, filter_condition
from pipetui.core.errors import ConflictError, InvalidInput
from pipetui.core.lookup import resolve_deal
from pipetui.core.rows import DealRow, RepRef, StageRef, deal_rows
from pipetui.core.rules import NO_RULES, Rulebook
from pipetui.core.text import clean_line
from pipetui.store import Deal
from pipetui.store import database_proxy as db


class BulkConflict(ConflictError):
    """One deal of a bulk action was changed by someone else since it was
    chosen: the action as a whole was refused, like bad input."""

    exit_code = 2


class DealRef(NamedTuple):
    """A deal as a screen showed it: enough to act on it with the version
    the user saw checked (a screen holds cards and rows, not DealRows)."""

    id: int
    title: str
    version: int
    stage_id: int | None = None  # where it was: what undo of a move records


@dataclass(frozen=True)
class Outcome:
    """A deal before and after the action (after: as it would be, in a dry run)."""

    before: DealRow
    after: DealRow
    # A change of custom fields: the deal's values before and after ({key: canonical}).
    values_before: dict[str, str] | None = None
    values_after: dict[str, str] | None = None


def choose(references: Iterable[str | int], where: FilterTerms | None = None, *,
           acting_on: Collection[str]) -> list[DealRow]:
    """The deals named by ``references`` (ids or titles, as
    :func:`pipetui.core.lookup.resolve_deal` reads them) and those matching
    ``where``, each once, in that order. ``where`` without a ``status:``
    term takes the deals with a status in ``acting_on``."""
    chosen: dict[int, DealRow] = {}
    for reference in references:
        deal = resolve_deal(reference, acting_on=acting_on)
        chosen.setdefault(deal.id, deal)
    if where is not None:
        condition = filter_condition(where, strict=True)
        if not where.statuses:
            status = Deal.status.in_(list(acting_on))
            condition = status if condition is None else condition & status
        for deal in deal_rows(status=None, where=condition):
            chosen.setdefault(deal.id, deal)
    return list(chosen.values())


def _naming(deal: DealRow, exc: Exception) -> str:
    message = str(exc)
    return message if f"#{deal.id}" in message else f"deal #{deal.id} {deal.title!r}: {message}"


def apply(deals: Iterable[DealRow], change: Callable[[DealRow], DealRow], *,
          dry_run: bool = False) -> list[Outcome]:
    """``change`` on each deal, in one transaction: all or nothing."""
    done = []
    with db.atomic() as transaction:
        for deal in deals:
            try:
                after = change(deal)
            except ConflictError as exc:
                raise BulkConflict(_naming(deal, exc)) from None
            except InvalidInput as exc:
                raise type(exc)(_naming(deal, exc), field=exc.field) from None
            done.append(Outcome(deal, after))
        if dry_run:
            transaction.rollback()
    return done


def move(deals: Iterable[DealRow], stage: StageRef, *, actor: RepRef | None = None,
         rules: Rulebook = NO_RULES, dry_run: bool = False) -> list[Outcome]:
    return apply(deals, lambda d: services.move_deal(d.id, stage, expected_version=d.version,
                                                     actor=actor, rules=rules), dry_run=dry_run)


def step(deals: Iterable[DealRow], steps: int, *, actor: RepRef | None = None,
         rules: Rulebook = NO_RULES, dry_run: bool = False) -> list[Outcome]:
    """Each deal ``steps`` stages on from its own stage (back when negative)."""
    return apply(deals, lambda d: services.step_deal(d.id, steps, expected_version=d.version,
                                                     actor=actor, rules=rules), dry_run=dry_run)


def win(deals: Iterable[DealRow], *, actor: RepRef | None = None, rules: Rulebook = NO_RULES,
        dry_run: bool = False) -> list[Outcome]:
    return apply(deals, lambda d: services.win_deal(d.id, expected_version=d.version, actor=actor,
                                                    rules=rules), dry_run=dry_run)


def lose(deals: Iterable[DealRow], reason: str, *, actor: RepRef | None = None,
         dry_run: bool = False) -> list[Outcome]:
    # Checked once, before any deal: a missing reason is no one deal's fault.
    reason = clean_line(reason or "", "lost reason", max_length=500)
    return apply(deals, lambda d: services.lose_deal(d.id, reason, expected_version=d.version,
                                                     actor=actor), dry_run=dry_run)


def reopen(deals: Iterable[DealRow], stage: StageRef | None = None, *, actor: RepRef | None = None,
           dry_run: bool = False) -> list[Outcome]:
    return apply(deals, lambda d: services.reopen_deal(d.id, stage, expected_version=d.version,
                                                       actor=actor), dry_run=dry_run)


def delete(deals: Iterable[DealRow], *, dry_run: bool = False) -> list[Outcome]:
    return apply(deals, lambda d: services.delete_deal(d.id, expected_version=d.version),
                 dry_run=dry_run)


def assign(deals: Iterable[DealRow], owner: RepRef, *, actor: RepRef | None = None,
           dry_run: bool = False) -> list[Outcome]:
    return apply(deals, lambda d: services.edit_deal(d.id, expected_version=d.version, owner=owner,
                                                     actor=actor), dry_run=dry_run)


def set_fields(deals: Iterable[DealRow], values: Mapping[str, str], *, actor: RepRef | None = None,
               dry_run: bool = False) -> list[Outcome]:
    """Set custom fields ({name: text}, empty text clears) on each deal, as
    :func:`pipetui.core.fields.set_values` does for one."""
    done = []

    def change(deal: DealRow) -> DealRow:
        held = fields.held_values(deal.id)
        after = fields.set_values(deal.id, values, actor=actor, expected_version=deal.version)
        done.append((held, fields.held_values(deal.id)))
        return after

    outcomes = apply(deals, change, dry_run=dry_run)
    return [Outcome(o.before, o.after, held, now) for o, (held, now) in zip(outcomes, done, strict=True)]
