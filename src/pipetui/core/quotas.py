"""Quotas: an amount to win in a month or a quarter, for a rep or the team."""

from __future__ import annotations

from peewee import JOIN

from pipetui.core.dates import Period
from pipetui.core.errors import InvalidInput
from pipetui.core.money import Money, validate_currency
from pipetui.core.rows import QuotaRow, RepRef, id_of
from pipetui.store import Quota, Rep
from pipetui.store import database_proxy as db


def set_quota(rep: RepRef | Rep | None, period: Period, amount: Money) -> QuotaRow:
    """Set (or replace) the quota of ``rep``, or of the team when ``rep`` is None."""
    if period.kind not in ("month", "quarter"):
        raise InvalidInput(f"a quota is for a month or a quarter, not {period.label}")
    if amount.amount <= 0:
        raise InvalidInput("a quota must be more than zero")
    currency = validate_currency(amount.currency)
    with db.atomic():
        rep_match = Quota.rep.is_null() if rep is None else Quota.rep == id_of(rep)
        existing = (
            Quota.select()
            .where(rep_match, Quota.period_kind == period.kind, Quota.period_start == period.start)
            .first()
        )
        if existing is not None:
            existing.amount, existing.currency = amount.amount, currency
            existing.save()
            quota = existing
        else:
            quota = Quota.create(rep=id_of(rep), period_kind=period.kind, period_start=period.start,
                                 amount=amount.amount, currency=currency)
    return QuotaRow(quota.id, quota.rep_id, rep.name if rep is not None else None, quota.period_kind,
                    quota.period_start, quota.amount, quota.currency)


def list_quotas(period: Period | None = None) -> list[QuotaRow]:
    """The quotas, by period, with the names of their reps (one query)."""
    query = Quota.select(Quota, Rep).join(Rep, join_type=JOIN.LEFT_OUTER).order_by(
        Quota.period_start, Quota.period_kind, Rep.name
    )
    if period is not None:
        query = query.where(Quota.period_start >= period.start, Quota.period_start <= period.end)
    return [QuotaRow(q.id, q.rep_id, q.rep.name if q.rep_id is not None else None, q.period_kind,
                     q.period_start, q.amount, q.currency) for q in query]
