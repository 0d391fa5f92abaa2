"""Jobs on engines whose try is over without their end being known: the reaper's work."""

from __future__ import annotations

from dataclasses import dataclass

from ai_flow.app._context import App
from ai_flow.metadata import NotFoundError
from ai_flow.metadata import task_executions as tasks


@dataclass(frozen=True)
class OrphanedJob:
    task_execution_id: int
    try_number: int  # the try that started the job
    external_job: str  # ExternalJob JSON


def orphaned_jobs(app: App, limit: int = 100) -> list[OrphanedJob]:
    with app.read() as s:
        rows = tasks.list_orphaned_jobs(s, limit)
        return [
            OrphanedJob(r.id, int(r.external_job_try or 0), r.external_job or "")
            for r in rows
            if r.external_job
        ]


def mark_reaped(app: App, job: OrphanedJob) -> bool:
    """Record that the job no longer runs; False if the record changed meanwhile (a
    newer try recorded its own job, which must not be marked)."""
    with app.write() as s:
        try:
            row = tasks.lock_task_execution(s, job.task_execution_id)
        except NotFoundError:
            return False
        if row.external_job_try != job.try_number or row.external_job != job.external_job:
            return False
        tasks.release_external_job(s, row)
        return True
