"""What engine operators tell the task runtime (duck-typed, so an operator also runs
under a plain Context in tests, where there is nothing to record)."""

from __future__ import annotations

from ai_flow.engines import ExternalJob
from ai_flow.model.context import Context


def record(context: Context, job: ExternalJob) -> None:
    """Record the job with the task execution now: if the try dies, the server cancels it."""
    recorder = getattr(context, "record_external_job", None)
    if recorder is not None:
        recorder(job)


def ended(context: Context) -> None:
    """The operator saw its job end: nothing is left to cancel."""
    recorder = getattr(context, "external_job_ended", None)
    if recorder is not None:
        recorder()


def record_savepoint(context: Context, path: str) -> None:
    recorder = getattr(context, "record_savepoint", None)
    if recorder is not None:
        recorder(path)


def savepoint_to_resume(context: Context) -> str | None:
    """The savepoint the latest earlier run of this task took, if any."""
    value = getattr(context, "last_savepoint", None)
    return str(value) if value else None
