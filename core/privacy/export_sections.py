"""The sections of a customer export (see `core.privacy.export`), one function each.

Identity numbers are decrypted into the document (`number`, `national_id`); their
ciphertexts and lookup hashes are left out, as they mean nothing outside Lendline.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.models import (
    AccountPayment,
    CaseContact,
    CaseNote,
    CollectionAccount,
    CollectionCase,
    PromiseToPay,
)
from core.collections.settlement_models import SettlementInstalment, SettlementOffer
from core.compliance.models import ChannelOptOut, ContactApproval, ContactAttempt, ContactHold
from core.conversations.models import (
    Conversation,
    ConversationMessage,
    Escalation,
    NumberOptOut,
    OutboxMessage,
)
from core.conversations.note_models import ConversationNote
from core.crypto import FieldCipher
from core.customers.models import Consent, ContactPoint, Employment, IdentityDocument
from core.loans.models import Allocation, Instalment, Loan, LoanTransaction
from core.payments.models import PaymentIntent, ReceivedEvent
from core.privacy.records import Record, as_json, children, rows_where

DOCUMENT_SECRETS: Final = ("number_encrypted", "number_hash")
ACCOUNT_SECRETS: Final = ("national_id_encrypted", "national_id_hash")


async def contact_rules(
    session: AsyncSession, *, customer_id: int, cipher: FieldCipher,
) -> dict[str, Any]:
    """`profile` (contact points, identity documents with their numbers, employment),
    consents, opt-outs (the customer's and their numbers'), holds, approvals and attempts."""
    mine = [customer_id]
    points = await rows_where(session, ContactPoint, ContactPoint.customer_id, mine)
    documents = await rows_where(session, IdentityDocument, IdentityDocument.customer_id, mine)
    addresses = {(point.channel.value, point.address) for point in points}
    numbers = (await session.scalars(
        select(NumberOptOut).where(tuple_(NumberOptOut.channel, NumberOptOut.address)
                                   .in_(addresses)).order_by(NumberOptOut.id))).all() \
        if addresses else []
    return {
        "profile": {
            "contact_points": [as_json(point) for point in points],
            "identity_documents": [
                as_json(d, DOCUMENT_SECRETS, number=cipher.decrypt(d.number_encrypted))
                for d in documents],
            "employments": [as_json(e) for e in await rows_where(
                session, Employment, Employment.customer_id, mine)],
        },
        "consents": [as_json(c) for c in await rows_where(
            session, Consent, Consent.customer_id, mine, order_by=[Consent.recorded_at])],
        "opt_outs": [as_json(o) for o in await rows_where(
            session, ChannelOptOut, ChannelOptOut.customer_id, mine,
            order_by=[ChannelOptOut.recorded_at])] + [as_json(n) for n in numbers],
        "contact_holds": [as_json(h) for h in await rows_where(
            session, ContactHold, ContactHold.customer_id, mine)],
        "contact_approvals": [as_json(a) for a in await rows_where(
            session, ContactApproval, ContactApproval.customer_id, mine)],
        "contact_attempts": [as_json(a) for a in await rows_where(
            session, ContactAttempt, ContactAttempt.customer_id, mine,
            order_by=[ContactAttempt.attempted_at])],
    }


async def loans(session: AsyncSession, *, customer_id: int) -> list[Record]:
    """Each loan with its `schedule` (every version), `transactions` and their
    `allocations`."""
    rows = await rows_where(session, Loan, Loan.customer_id, [customer_id])
    ids = [row.id for row in rows]
    schedules = await children(session, Instalment, Instalment.loan_id, ids,
                               order_by=[Instalment.version, Instalment.number])
    moves = await rows_where(session, LoanTransaction, LoanTransaction.loan_id, ids)
    split = await children(session, Allocation, Allocation.transaction_id,
                           [move.id for move in moves])
    transactions: dict[int, list[Record]] = {}
    for move in moves:
        transactions.setdefault(move.loan_id, []).append(
            as_json(move, allocations=split.get(move.id, [])))
    return [as_json(row, schedule=schedules.get(row.id, []),
                    transactions=transactions.get(row.id, [])) for row in rows]


async def payments(
    session: AsyncSession, *, customer_id: int, loan_ids: list[int],
) -> list[Record]:
    """Payment links made for the customer or their loans, each with the provider's
    `events` about it."""
    intents = (await session.scalars(
        select(PaymentIntent).where(or_(PaymentIntent.customer_id == customer_id,
                                        PaymentIntent.loan_id.in_(loan_ids)))
        .order_by(PaymentIntent.id))).all()
    events = await children(session, ReceivedEvent, ReceivedEvent.intent_id,
                            [intent.id for intent in intents])
    return [as_json(intent, events=events.get(intent.id, [])) for intent in intents]


async def collections(
    session: AsyncSession, *, customer_id: int, loan_ids: list[int], cipher: FieldCipher,
) -> dict[str, list[Record]]:
    """`cases` (with contacts, notes and promises), `settlement_offers` (with instalments)
    and the lenders' imported `accounts` linked to the customer (with payments)."""
    accounts = await rows_where(session, CollectionAccount, CollectionAccount.customer_id,
                                [customer_id])
    account_ids = [account.id for account in accounts]
    cases = (await session.scalars(
        select(CollectionCase).where(or_(CollectionCase.customer_id == customer_id,
                                         CollectionCase.loan_id.in_(loan_ids),
                                         CollectionCase.account_id.in_(account_ids)))
        .order_by(CollectionCase.id))).all()
    case_ids = [case.id for case in cases]
    parts = {"contacts": await children(session, CaseContact, CaseContact.case_id, case_ids),
             "notes": await children(session, CaseNote, CaseNote.case_id, case_ids),
             "promises": await children(session, PromiseToPay, PromiseToPay.case_id, case_ids)}
    offers = await rows_where(session, SettlementOffer, SettlementOffer.customer_id,
                              [customer_id])
    plans = await children(session, SettlementInstalment, SettlementInstalment.offer_id,
                           [offer.id for offer in offers])
    paid = await children(session, AccountPayment, AccountPayment.account_id, account_ids)
    return {
        "cases": [as_json(case, **{name: found.get(case.id, []) for name, found in parts.items()})
                  for case in cases],
        "settlement_offers": [as_json(offer, instalments=plans.get(offer.id, []))
                              for offer in offers],
        "accounts": [as_json(account, ACCOUNT_SECRETS, payments=paid.get(account.id, []),
                             national_id=None if account.national_id_encrypted is None
                             else cipher.decrypt(account.national_id_encrypted))
                     for account in accounts],
    }


async def conversations(session: AsyncSession, *, customer_id: int) -> list[Record]:
    """Each conversation with its `messages` (with delivery status), `escalations` and
    staff `notes`."""
    rows = await rows_where(session, Conversation, Conversation.customer_id, [customer_id])
    ids = [row.id for row in rows]
    messages = await children(session, ConversationMessage, ConversationMessage.conversation_id,
                              ids)
    delivery = {row.message_id: row.status.value for row in await rows_where(
        session, OutboxMessage, OutboxMessage.conversation_id, ids)}
    for listed in messages.values():
        for message in listed:
            message["delivery"] = delivery.get(message["id"])
    escalations = await children(session, Escalation, Escalation.conversation_id, ids)
    notes = await children(session, ConversationNote, ConversationNote.conversation_id, ids)
    return [as_json(row, messages=messages.get(row.id, []),
                    escalations=escalations.get(row.id, []), notes=notes.get(row.id, []))
            for row in rows]
