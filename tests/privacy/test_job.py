"""The daily retention job: registered as periodic, its policy from settings, and a run as
of its scheduled time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent
from core.conversations.models import Channel
from core.conversations.store import open_conversation, record_inbound
from core.privacy.retention import REMOVED, RetentionPolicy
from lendline import jobs
from lendline.jobs_retention import daily_retention, policy_from
from lendline.settings import Settings

RUN = dt.datetime(2034, 1, 1, 5, 45, tzinfo=dt.UTC)


def test_the_run_is_a_daily_periodic_task_after_the_nightly_runs() -> None:
    [periodic] = [p for p in jobs.app.periodic_registry.periodic_tasks.values()
                  if p.task.name == "retention:daily_retention"]
    assert periodic.cron == "45 5 * * *"  # 01:45 in Port of Spain


def test_the_policy_comes_from_settings_and_zero_keeps_forever(settings: Settings) -> None:
    assert policy_from(settings) == RetentionPolicy(2555, 2555, 30, 30)
    keep = settings.model_copy(update={"transcript_retention_days": 0,
                                       "web_session_retention_days": 0})
    assert policy_from(keep) == RetentionPolicy(None, 2555, 30, None)


async def test_the_job_applies_the_policy_as_of_its_scheduled_time(
        empty_connection: AsyncConnection, empty_session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_sessions", async_sessionmaker(
        bind=empty_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"))
    eight_years = RUN - dt.timedelta(days=8 * 365)
    chat = await open_conversation(empty_session, channel=Channel.SMS, address="+18685550190",
                                   now=eight_years)
    message = await record_inbound(empty_session, conversation=chat, body="hello",
                                   now=eight_years)
    assert message is not None
    await empty_session.flush()

    summary = await daily_retention(timestamp=int(RUN.timestamp()))

    assert summary.startswith("1 messages, 0 outbox rows and 0 notes redacted;")
    body = await empty_session.scalar(text(
        "SELECT body FROM conversation_messages WHERE id = :id"), {"id": message.id})
    assert body == REMOVED
    [event] = (await empty_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "privacy.retention_applied"))).all()
    assert event.entity_id == RUN.isoformat() and event.actor == "system:retention"
