"""The maintenance jobs as procrastinate runs them: registered on the process's app with
their schedules and locks, the reminder job deferring itself for borrowers whose day has not
opened yet, and the re-index job queued on demand once and run by a worker listening on
every queue, as `serve` and `lendline worker` do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from procrastinate import RetryStrategy
from procrastinate.testing import InMemoryConnector
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.compliance.models import ContactAttempt
from core.knowledge.models import KnowledgeDocument
from lendline import jobs, jobs_maintenance
from lendline.settings import Settings
from tests.jobs.conftest import Lender, local


@pytest.fixture
def queue() -> Iterator[InMemoryConnector]:
    connector = InMemoryConnector()
    with jobs.app.replace_connector(connector):
        yield connector


def use(monkeypatch: pytest.MonkeyPatch, settings: Settings, **changes: object) -> None:
    changed = settings.model_copy(update=changes)
    monkeypatch.setattr(jobs_maintenance, "get_settings", lambda: changed)


def test_the_maintenance_jobs_are_registered_with_their_schedules() -> None:
    periodic = {p.task.name: p.cron for p in jobs.app.periodic_registry.periodic_tasks.values()}
    assert {name: cron for name, cron in periodic.items() if name.startswith("maintenance:")} == {
        "maintenance:payment_reminders": "0 14 * * *",  # 10:00 in Port of Spain
        "maintenance:prune_checkpoints": "45 6 * * *",  # 02:45
        "maintenance:reindex_knowledge": "30 7 * * *",  # 03:30
    }
    assert periodic["nightly_servicing"] == "30 4 * * *", "reminders come after servicing"
    for name, queue in (("payment_reminders", "default"), ("prune_checkpoints", "maintenance"),
                        ("reindex_knowledge", "maintenance")):
        task = jobs.app.tasks[f"maintenance:{name}"]
        assert (task.queue, task.queueing_lock, task.lock) == (queue, name, name)
        assert isinstance(task.retry_strategy, RetryStrategy)
        assert task.retry_strategy.max_attempts == 3


def test_follow_ups_run_on_the_next_quarter_hour() -> None:
    now = dt.datetime(2024, 2, 12, 14, 0, 5, tzinfo=dt.UTC)
    at = jobs_maintenance.follow_up_time
    assert at(dt.datetime(2024, 2, 12, 23, 0, tzinfo=dt.UTC), now) == dt.datetime(
        2024, 2, 12, 23, 0, tzinfo=dt.UTC)
    assert at(dt.datetime(2024, 2, 12, 16, 1, tzinfo=dt.UTC), now) == dt.datetime(
        2024, 2, 12, 16, 15, tzinfo=dt.UTC)
    assert at(now, now) == dt.datetime(2024, 2, 12, 14, 15, tzinfo=dt.UTC)


async def test_the_reminder_job_sends_and_defers_the_rest_to_later_that_day(
    session: AsyncSession, lender: Lender, worker_db: None, queue: InMemoryConnector,
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    asha, _ = await lender.borrower()
    kavita, _ = await lender.borrower("Kavita", time_zone="Asia/Tokyo")
    use(monkeypatch, settings, whatsapp_templates={"payment_reminder": "HXreminder"})
    monkeypatch.setattr(jobs_maintenance, "_utc_now", lambda: local("2024-02-12T10:00"))
    timestamp = int(local("2024-02-12T10:00").timestamp())
    summary = await jobs_maintenance.payment_reminders(timestamp=timestamp)
    assert summary == ("2024-02-12: 1 sent (whatsapp 1), 0 already sent, 1 deferred until "
                       "2024-02-12 23:00 UTC, 0 skipped, 0 failed")
    [follow_up] = queue.jobs.values()
    assert (follow_up["task_name"], follow_up["args"], follow_up["scheduled_at"],
            follow_up["queueing_lock"], follow_up["lock"]) == (
        "maintenance:payment_reminders", {"timestamp": timestamp},
        dt.datetime(2024, 2, 12, 23, 0, tzinfo=dt.UTC), "payment_reminders:2024-02-12:2300",
        "payment_reminders")

    monkeypatch.setattr(jobs_maintenance, "_utc_now", lambda: local("2024-02-12T19:00"))
    later = await jobs_maintenance.payment_reminders(timestamp=timestamp)
    assert later.startswith("2024-02-12: 1 sent (whatsapp 1), 1 already sent, 0 deferred")
    reminded = await session.scalars(select(ContactAttempt.customer_id).where(
        ContactAttempt.idempotency_key.like("payment-reminder:%:2024-02-12")))
    assert sorted(reminded) == sorted([asha.id, kavita.id])


async def test_switched_off_reminders_send_nothing(
    worker_db: None, settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(monkeypatch, settings, reminders_enabled=False)
    timestamp = int(local("2024-02-12T10:00").timestamp())
    assert await jobs_maintenance.payment_reminders(timestamp=timestamp) == (
        "2024-02-12: reminders are switched off (LENDLINE_REMINDERS_ENABLED)")


async def test_a_reindex_requested_twice_is_queued_once_and_run_by_the_worker(
    session: AsyncSession, worker_db: None, queue: InMemoryConnector, settings: Settings,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "hours.md").write_text("# Opening hours\n\nMonday to Friday, 8 to 4.\n")
    use(monkeypatch, settings, knowledge_folders=[folder], embedding_provider="local")
    # The worker would also defer whatever periodic job is due now (the outbox sweep).
    monkeypatch.setattr(jobs.app.periodic_registry, "periodic_tasks", {})
    first = await jobs_maintenance.request_reindex()
    assert first is not None
    assert await jobs_maintenance.request_reindex() is None, "one is already waiting"
    await jobs.app.run_worker_async(wait=False, install_signal_handlers=False)
    [job] = queue.jobs.values()
    assert job["status"] == "succeeded"
    sources = await session.scalars(select(KnowledgeDocument.source).where(
        KnowledgeDocument.collection == "policies"))
    assert list(sources) == ["hours.md"]
