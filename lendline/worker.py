"""The process's job worker, kept running through database outages, and the recovery of jobs
whose worker died.

procrastinate's worker stops when PostgreSQL goes away (its listener, heartbeat or next
fetch fails). `run_worker` starts it again until the process shuts down, so a database
restart needs no application restart.

A worker killed in the middle of a job (SIGKILL, out of memory, a lost machine) leaves the
job `doing` for ever: procrastinate records worker heartbeats and lists the jobs of silent
workers, but leaves retrying them to the application. So while a worker runs, it looks every
`STALLED_CHECK_SECONDS` for jobs of workers silent for `STALLED_AFTER_SECONDS` and queues
them again. Such a job runs again from its start, so every task must be safe to repeat, as
they are: a message's turn commits all or nothing and its provider id is unique in the
transcript; the periodic jobs are idempotent for their date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, Final

import procrastinate
from procrastinate.exceptions import ConnectorException

log = logging.getLogger(__name__)

STALLED_AFTER_SECONDS: Final = 30.0  # procrastinate's stalled_worker_timeout (heartbeat: 10 s)
STALLED_CHECK_SECONDS: Final = 5.0
RESTART_SECONDS: Final = 2.0


async def retry_stalled_jobs(queue: procrastinate.App, *,
                             silent_for: float = STALLED_AFTER_SECONDS) -> list[int]:
    """Queue again, due now, every job left `doing` by a worker that has sent no heartbeat for
    `silent_for` seconds; returns their ids. Replicas may all do this at once: a job that
    another one put back first is skipped."""
    manager = queue.job_manager
    retried = []
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=silent_for):
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except ConnectorException:  # no longer `doing`: another replica got to it first
            continue
        log.warning("Job %s (%s) was left running by a worker that stopped; queued it again",
                    job.id, job.task_name)
        retried.append(job.id)
    return retried


async def _recover_stalled_jobs(queue: procrastinate.App) -> None:
    while True:
        try:
            await retry_stalled_jobs(queue)
        except Exception as error:  # the database is away: look again at the next check
            log.warning("Could not look for stalled jobs: %s", error.__cause__ or error)
        await asyncio.sleep(STALLED_CHECK_SECONDS)


async def run_worker(queue: procrastinate.App, *, stop_on_signals: bool = False,
                     **options: Any) -> None:
    """Run the job worker until this task is cancelled (or, with `stop_on_signals`, until
    SIGINT or SIGTERM), starting it again whenever it stops on its own, and retry the jobs
    of dead workers meanwhile. Stopping lets running jobs finish. `options` go to
    `procrastinate.App.run_worker_async`."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if stop_on_signals else ()
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        task.cancel()

    for number in signals:
        loop.add_signal_handler(number, stop)
    recovery = asyncio.create_task(_recover_stalled_jobs(queue))
    try:
        while True:
            try:
                await queue.run_worker_async(**options, install_signal_handlers=False)
                log.warning("The job worker stopped; starting it again in %s s", RESTART_SECONDS)
            except Exception as error:  # procrastinate wraps the database's error as the cause
                log.warning("The job worker failed (%s); starting it again in %s s",
                            error.__cause__ or error, RESTART_SECONDS)
            await asyncio.sleep(RESTART_SECONDS)
    except asyncio.CancelledError:
        if not stopping.is_set():
            raise
        task.uncancel()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        recovery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recovery
