"""Quotas: an amount to win in a month or a quarter, for a rep or the team."""

from __future__ import annotations

from peewee import JOIN

from pipetui.core.dates import Period
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money, validate_currency
from pipetui.store import Quota, Rep
from pipetui.store import database_proxy as db


def set_quota(rep: Rep | None, period: Period, amount: Money) -> Quota:
    """Set (or replace) the quota of ``rep``, or of the team when ``rep`` is None."""
    if period.kind not in ("month", "quarter"):
        raise InvalidInput(f"a quota is for a month or a quarter, not {period.label}")
    if amount.amount <= 0:
        raise InvalidInput("a quota must be more than zero")
    currency = validate_currency(amount.currency)
    with db.atomic():
        rep_match = Quota.rep.is_null() if rep is None else Quota.rep == rep
        existing = (
            Quota.select()
            .where(rep_match, Quota.period_kind == period.kind, Quota.period_start == period.start)
            .first()
        )
        if existing is not None:
            existing.amount, existing.currency = amount.amount, currency
            existing.save()
            return existing
        return Quota.create(rep=rep, period_kind=period.kind, period_start=period.start,
                            amount=amount.amount, currency=currency)


def list_quotas(period: Period | None = None) -> list[Quota]:
    query = Quota.select(Quota, Rep).join(Rep, join_type=JOIN.LEFT_OUTER).order_by(
        Quota.period_start, Quota.period_kind, Rep.name
    )
    if period is not None:
        query = query.where(Quota.period_start >= period.start, Quota.period_start <= period.end)
    return list(query)
