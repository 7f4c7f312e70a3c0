"""Reading settlement offers: one by id, a loan's offers, an offer's instalments, and the
views shared by the services and the API."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.settlement_models import SettlementInstalment, SettlementOffer
from core.errors import NotFoundError


def percent(ratio: Decimal) -> str:
    """A discount ratio for people, rounded up so that anything above 10% never reads 10%."""
    return f"{(ratio * 100).quantize(Decimal('0.01'), rounding=ROUND_UP)}%"


def view(offer: SettlementOffer) -> dict[str, object]:
    """The offer as recorded in the audit trail."""
    return {"status": offer.status, "loan_id": offer.loan_id, "kind": offer.kind,
            "balance": offer.balance, "amount": offer.amount, "discount": offer.discount,
            "bucket": offer.bucket, "approved_by": offer.approved_by_staff_id,
            "accepted_on": offer.accepted_on, "closed_on": offer.closed_on,
            "close_reason": offer.close_reason}


async def load_offer(session: AsyncSession, offer_id: int, *, lock: bool = False
                     ) -> SettlementOffer:
    """The offer (locked for this transaction when `lock`); `NotFoundError` when none."""
    query = select(SettlementOffer).where(SettlementOffer.id == offer_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    offer = await session.scalar(query)
    if offer is None:
        raise NotFoundError(f"There is no settlement offer {offer_id}.")
    return offer


async def offer_instalments(session: AsyncSession, offer_id: int) -> list[SettlementInstalment]:
    """The payments an offer asks for, in order."""
    rows = await session.scalars(select(SettlementInstalment)
                                 .where(SettlementInstalment.offer_id == offer_id)
                                 .order_by(SettlementInstalment.number)
                                 .execution_options(populate_existing=True))
    return list(rows)


async def list_offers(session: AsyncSession, *, loan_id: int) -> Sequence[SettlementOffer]:
    """Every offer made on a loan, newest first."""
    rows = await session.scalars(select(SettlementOffer).where(SettlementOffer.loan_id == loan_id)
                                 .order_by(SettlementOffer.id.desc()))
    return rows.all()
