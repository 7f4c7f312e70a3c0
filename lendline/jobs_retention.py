"""The daily retention run as a background job (`lendline.jobs` adds this blueprint).

The policy comes from settings (`LENDLINE_*_RETENTION_DAYS`, 0 keeping forever); what it
removes and what it never touches is in `core.privacy.retention`.
"""

from __future__ import annotations

import datetime as dt
import logging

import procrastinate

from core.db.session import unit_of_work
from core.privacy.retention import RetentionPolicy, RetentionReport, apply_retention
from lendline.settings import Settings, get_settings

log = logging.getLogger(__name__)

blueprint = procrastinate.Blueprint()


def policy_from(settings: Settings) -> RetentionPolicy:
    """The retention policy the settings describe."""
    return RetentionPolicy.of_days(
        transcripts=settings.transcript_retention_days,
        documents=settings.document_retention_days,
        finished_jobs=settings.job_retention_days,
        web_sessions=settings.web_session_retention_days,
    )


def summary(report: RetentionReport) -> str:
    return (f"{report.messages_redacted} messages, {report.outbox_redacted} outbox rows and "
            f"{report.notes_redacted} notes redacted; {report.documents_removed} files, "
            f"{report.jobs_deleted} jobs deleted; {report.web_sessions_closed} web chats "
            "closed")


# 05:45 UTC (01:45 in Port of Spain), after the night's servicing and collections runs.
@blueprint.periodic(cron="45 5 * * *", periodic_id="daily")
@blueprint.task(name="daily_retention", queue="default", queueing_lock="daily_retention")
async def daily_retention(timestamp: int) -> str:
    """Apply the retention policy as of the scheduled time, in one transaction; a rerun
    for the same time changes nothing. See `core.privacy.retention.apply_retention`."""
    from lendline.jobs import sessions  # the job app imports this module to add its tasks

    now = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    async with unit_of_work(sessions()) as session:
        report = await apply_retention(session, policy=policy_from(get_settings()), now=now)
    log.info("retention as of %s: %s", now.isoformat(), summary(report))
    return summary(report)
