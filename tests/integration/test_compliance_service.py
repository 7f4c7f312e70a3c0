"""Contact compliance against the database: the log that caps count, opt-outs, contact
points, consent, holds and approvals, and refusals that change nothing.

Asha lives in Port of Spain (UTC−4 all year); Monday 6 May 2024 08:00 there is 12:00 UTC.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.compliance.decision import Block
from core.compliance.holds import approve_contact, place_hold, release_hold, set_opt_out
from core.compliance.models import ActorKind, ContactPurpose, HoldType
from core.compliance.service import check_contact, contact_history, record_contact
from core.customers.consents import grant_consent
from core.customers.contacts import list_contact_points, remove_contact_point
from core.customers.models import ConsentType, ContactChannel, Customer
from core.customers.service import register_customer
from core.errors import (
    ConflictError,
    IdempotencyConflict,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff

SMS, WHATSAPP, VOICE = ContactChannel.SMS, ContactChannel.WHATSAPP, ContactChannel.VOICE
AUTOMATED, HUMAN = ActorKind.AUTOMATED, ActorKind.HUMAN
COLLECTIONS = ContactPurpose.COLLECTIONS
TABLES = ("contact_holds", "contact_attempts", "channel_opt_outs", "contact_approvals",
          "audit_events")


def local(text_: str) -> dt.datetime:
    """Port of Spain wall-clock time as UTC."""
    return (dt.datetime.fromisoformat(text_) + dt.timedelta(hours=4)).replace(tzinfo=dt.UTC)


async def counts(session: AsyncSession) -> dict[str, int]:
    return {t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in TABLES}


@pytest.fixture
async def asha(session: AsyncSession) -> Customer:
    return await register_customer(
        session, first_name="Asha", last_name="Ramdial", date_of_birth=dt.date(1988, 7, 2),
        today=dt.date(2024, 5, 1), actor="test",
        contacts=[(SMS, "+1 868 555 0101"), (WHATSAPP, "+1 868 555 0101"),
                  (VOICE, "+1 868 555 0101")])


async def staff(session: AsyncSession, role: Role) -> StaffUser:
    return await create_staff(session, email=f"{role.value}@compliance.example",
                              name=role.value.title(), role=role, password="compliance-pw-1",
                              actor="test")


async def check(session: AsyncSession, customer: Customer, at: str,
                channel: ContactChannel = SMS, kind: ActorKind = AUTOMATED,
                purpose: ContactPurpose = COLLECTIONS):  # type: ignore[no-untyped-def]
    return await check_contact(session, customer_id=customer.id, channel=channel,
                               purpose=purpose, at=local(at), actor_kind=kind)


async def log(session: AsyncSession, customer: Customer, at: str,
              channel: ContactChannel = SMS, key: str | None = None):  # type: ignore[no-untyped-def]
    return await record_contact(session, customer_id=customer.id, channel=channel,
                                purpose=COLLECTIONS, at=local(at), actor_kind=AUTOMATED,
                                actor="system:reminders", idempotency_key=key or f"{at}-{channel}")


async def test_recorded_attempts_count_toward_the_daily_cap(
    session: AsyncSession, asha: Customer
) -> None:
    await log(session, asha, "2024-05-06T08:00", SMS)
    await log(session, asha, "2024-05-06T11:00", WHATSAPP)
    assert (await check(session, asha, "2024-05-06T14:00", VOICE, HUMAN)).allowed
    third = await log(session, asha, "2024-05-06T14:00", VOICE)
    assert (third.compliant, third.reasons) == (True, [])
    fourth = await check(session, asha, "2024-05-06T17:00", WHATSAPP)
    assert (fourth.allowed, fourth.codes) == (False, [Block.DAILY_CAP])
    assert fourth.next_allowed_at == local("2024-05-07T08:00")
    assert [a.channel for a in await contact_history(session, customer_id=asha.id)] == [
        VOICE, WHATSAPP, SMS]


async def test_an_attempt_outside_the_rules_is_still_logged_and_audited(
    session: AsyncSession, asha: Customer
) -> None:
    early = await log(session, asha, "2024-05-06T07:59")
    assert early.compliant is False
    assert early.reasons == [
        "It is 07:59 on Monday 2024-05-06 in the borrower's time zone "
        "(America/Port_of_Spain); contact is allowed 08:00–20:00 there."]
    actions = await session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "customer", AuditEvent.entity_id == str(asha.id),
        AuditEvent.action.like("compliance.%")))
    assert list(actions) == ["compliance.contact_outside_rules"]


async def test_logging_is_idempotent_by_key(session: AsyncSession, asha: Customer) -> None:
    first = await log(session, asha, "2024-05-06T09:00", key="outbox-17")
    before = await counts(session)
    assert (await log(session, asha, "2024-05-06T09:00", key="outbox-17")).id == first.id
    with pytest.raises(IdempotencyConflict, match="'outbox-17' was already used"):
        await log(session, asha, "2024-05-06T09:30", key="outbox-17")
    for bad_key, error in (("", ValidationError), ("x" * 201, ValidationError)):
        with pytest.raises(error, match="idempotency key"):
            await log(session, asha, "2024-05-06T09:30", key=bad_key or " ")
    with pytest.raises(NotFoundError, match="There is no customer with id 999999"):
        await record_contact(session, customer_id=999999, channel=SMS, purpose=COLLECTIONS,
                             at=local("2024-05-06T09:00"), actor_kind=HUMAN, actor="staff:1",
                             idempotency_key="k")
    assert await counts(session) == before


async def test_opt_out_applies_from_when_it_was_recorded(
    session: AsyncSession, asha: Customer
) -> None:
    await set_opt_out(session, customer_id=asha.id, channel=SMS, opted_out=True,
                      now=local("2024-05-06T10:00"), source="replied STOP", actor="system:sms")
    assert (await check(session, asha, "2024-05-06T09:59")).allowed
    opted = await check(session, asha, "2024-05-06T10:00")
    assert (opted.reasons, opted.next_allowed_at) == (
        ["The borrower opted out of contact by SMS."], None)
    assert (await check(session, asha, "2024-05-06T10:00", WHATSAPP)).allowed
    await set_opt_out(session, customer_id=asha.id, channel=SMS, opted_out=False,
                      now=local("2024-05-07T09:00"), source="replied START", actor="system:sms")
    assert (await check(session, asha, "2024-05-07T09:00")).allowed


async def test_a_removed_contact_point_blocks_its_channel(
    session: AsyncSession, asha: Customer
) -> None:
    voice = next(p for p in await list_contact_points(session, customer_id=asha.id)
                 if p.channel is VOICE)
    await remove_contact_point(session, customer_id=asha.id, contact_id=voice.id,
                               now=local("2024-05-06T08:00"), actor="test")
    refused = await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)
    assert refused.reasons == ["The borrower has no active voice contact point."]


async def test_marketing_follows_the_marketing_consent(
    session: AsyncSession, asha: Customer
) -> None:
    marketing = ContactPurpose.MARKETING
    assert (await check(session, asha, "2024-05-06T09:00", purpose=marketing)).codes == [
        Block.NO_MARKETING_CONSENT]
    await grant_consent(session, customer_id=asha.id, consent_type=ConsentType.MARKETING,
                        now=local("2024-05-01T09:00"), source="web form", actor="test",
                        channel=SMS)
    assert (await check(session, asha, "2024-05-06T09:00", purpose=marketing)).allowed
    assert not (await check(session, asha, "2024-05-06T09:00", WHATSAPP,
                            purpose=marketing)).allowed


async def test_cease_contact_until_a_supervisor_releases_it(
    session: AsyncSession, asha: Customer
) -> None:
    collector, supervisor = await staff(session, Role.COLLECTOR), await staff(session,
                                                                               Role.SUPERVISOR)
    hold = await place_hold(session, customer_id=asha.id, hold_type=HoldType.CEASE_CONTACT,
                            reason="asked us to stop calling", actor="agent",
                            starts_at=local("2024-05-06T08:30"))
    blocked = await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)
    assert (blocked.codes, blocked.next_allowed_at) == ([Block.CEASE_CONTACT], None)
    before = await counts(session)
    with pytest.raises(PermissionDenied, match="Only an active supervisor or admin may release"):
        await release_hold(session, hold_id=hold.id, staff_id=collector.id, reason="ok",
                           now=local("2024-05-07T09:00"))
    with pytest.raises(ConflictError, match="already has a cease-contact hold"):
        await place_hold(session, customer_id=asha.id, hold_type=HoldType.CEASE_CONTACT,
                         reason="again", actor="agent", starts_at=local("2024-05-06T10:00"))
    assert await counts(session) == before
    await release_hold(session, hold_id=hold.id, staff_id=supervisor.id,
                       reason="borrower asked to be called", now=local("2024-05-07T09:00"))
    assert not (await check(session, asha, "2024-05-07T08:59", VOICE, HUMAN)).allowed
    assert (await check(session, asha, "2024-05-07T09:00", VOICE, HUMAN)).allowed
    with pytest.raises(ConflictError, match="already stopped applying"):
        await release_hold(session, hold_id=hold.id, staff_id=supervisor.id, reason="again",
                           now=local("2024-05-07T10:00"))


async def test_a_dispute_hold_blocks_collections(session: AsyncSession, asha: Customer) -> None:
    await place_hold(session, customer_id=asha.id, hold_type=HoldType.DISPUTE,
                     reason="says the loan was paid", actor="staff:3",
                     starts_at=local("2024-05-06T08:00"), ends_at=local("2024-05-20T08:00"))
    decision = await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)
    assert decision.codes == [Block.DISPUTE]
    assert decision.next_allowed_at == local("2024-05-20T08:00")


async def test_hardship_allows_people_but_not_automation(
    session: AsyncSession, asha: Customer
) -> None:
    await place_hold(session, customer_id=asha.id, hold_type=HoldType.HARDSHIP,
                     reason="lost job", actor="staff:3", starts_at=local("2024-05-01T08:00"))
    assert (await check(session, asha, "2024-05-06T09:00", SMS, AUTOMATED)).codes == [
        Block.HARDSHIP]
    assert (await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)).allowed


async def test_vulnerability_needs_a_supervisor_approval(
    session: AsyncSession, asha: Customer
) -> None:
    collector, supervisor = await staff(session, Role.COLLECTOR), await staff(session,
                                                                               Role.SUPERVISOR)
    now = local("2024-05-06T09:00")
    with pytest.raises(ConflictError, match="no vulnerability hold"):
        await approve_contact(session, customer_id=asha.id, staff_id=supervisor.id,
                              reason="call", now=now, valid_until=now + dt.timedelta(hours=4))
    await place_hold(session, customer_id=asha.id, hold_type=HoldType.VULNERABILITY,
                     reason="bereavement", actor="staff:3", starts_at=local("2024-05-01T08:00"))
    assert (await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)).codes == [
        Block.VULNERABILITY]
    before = await counts(session)
    with pytest.raises(PermissionDenied, match="approve contact with a vulnerable borrower"):
        await approve_contact(session, customer_id=asha.id, staff_id=collector.id,
                              reason="call", now=now, valid_until=now + dt.timedelta(hours=4))
    with pytest.raises(ValidationError, match="up to 7 days"):
        await approve_contact(session, customer_id=asha.id, staff_id=supervisor.id,
                              reason="call", now=now, valid_until=now + dt.timedelta(days=8))
    assert await counts(session) == before
    await approve_contact(session, customer_id=asha.id, staff_id=supervisor.id,
                          reason="agreed with family", now=now,
                          valid_until=now + dt.timedelta(hours=4))
    assert (await check(session, asha, "2024-05-06T09:00", VOICE, HUMAN)).allowed
    assert not (await check(session, asha, "2024-05-06T09:00", SMS, AUTOMATED)).allowed
    assert not (await check(session, asha, "2024-05-06T13:00", VOICE, HUMAN)).allowed


async def test_bad_holds_are_refused_and_change_nothing(
    session: AsyncSession, asha: Customer
) -> None:
    before = await counts(session)
    start = local("2024-05-06T08:00")
    cases = [
        (dict(reason=" "), ValidationError, "Give the reason for the hold."),
        (dict(ends_at=start), ValidationError, "A hold must end after it starts."),
        (dict(starts_at=dt.datetime(2024, 5, 6, 8)), ValidationError, "needs a time zone"),
        (dict(customer_id=999999), NotFoundError, "There is no customer with id 999999."),
    ]
    for change, error, message in cases:
        values = {"customer_id": asha.id, "hold_type": HoldType.LEGAL, "reason": "lawyers",
                  "actor": "staff:3", "starts_at": start, **change}
        with pytest.raises(error, match=message):
            await place_hold(session, **values)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs a time zone"):
        await check_contact(session, customer_id=asha.id, channel=SMS, purpose=COLLECTIONS,
                            at=dt.datetime(2024, 5, 6, 12), actor_kind=HUMAN)
    with pytest.raises(NotFoundError):
        await release_hold(session, hold_id=999999, staff_id=999999, reason="x", now=start)
    assert await counts(session) == before
