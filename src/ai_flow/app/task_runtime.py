"""What task runtimes ask of the server over the internal RPC: claims and heartbeats.

A claim succeeds once per (task execution, try): the first runtime to claim a try runs
it; any other process started for the same try (a replayed launch, a redelivered
message) is refused and leaves without running. A runtime that retries its own claim
(same token) gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_flow.app._context import App
from ai_flow.app.errors import PreconditionError
from ai_flow.metadata import NotFoundError, TaskExecutionRow
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.status import TASK_FINISHED, TASK_LAUNCHABLE, TaskStatus


@dataclass(frozen=True)
class Answer:
    """Claim: `ok` means granted. Heartbeat: `ok` means go on (else stop, and why)."""

    ok: bool
    reason: str = ""
    # Claims only: an earlier try's job that may still run, and the savepoint to resume.
    previous_external_job: str | None = None
    last_savepoint: str | None = None


def claim_task(
    app: App, task_execution_id: int, try_number: int, token: str, host: str, pid: int
) -> Answer:
    with app.write() as s:
        try:
            row = tasks.lock_task_execution(s, task_execution_id)
        except NotFoundError as exc:
            return Answer(False, str(exc))
        if row.try_number != try_number:
            return Answer(False, f"try {try_number} was superseded by try {row.try_number}")
        if row.claimed_try == try_number:
            if row.claim_token == token:
                return Answer(True)  # our own claim, asked again after a lost answer
            return Answer(False, f"try {try_number} already runs (pid {row.pid} on {row.host})")
        if row.status not in TASK_LAUNCHABLE:
            return Answer(False, f"the task execution is {row.status}")
        tasks.record_claim(s, row, token, host, pid)
        previous = _previous_job(row)
        savepoint = tasks.last_savepoint(
            s, row.workflow_execution_id, row.task_name, row.sequence_number
        )
    app.heartbeats.beat((task_execution_id, try_number))
    return Answer(True, previous_external_job=previous, last_savepoint=savepoint)


def _previous_job(row: TaskExecutionRow) -> str | None:
    if not row.external_job_active or row.external_job_try is None:
        return None
    return row.external_job if row.external_job_try < row.try_number else None


def record_external_job(
    app: App,
    task_execution_id: int,
    try_number: int,
    token: str,
    *,
    external_job: str | None = None,
    savepoint: str | None = None,
    job_ended: bool = False,
    previous_cancelled: bool = False,
) -> None:
    """What the claimed try runs on an engine, a savepoint it took, or that its job ended.

    Refused (PreconditionError) for a try that is not the row's claimed one, so a stale
    process never overwrites the record of the try that replaced it.
    """
    with app.write() as s:
        row = tasks.lock_task_execution(s, task_execution_id)
        if row.try_number != try_number or row.claim_token != token:
            raise PreconditionError(
                f"task execution {task_execution_id} try {try_number} "
                "is not claimed by this process"
            )
        if previous_cancelled and row.external_job_try is not None:
            if row.external_job_try < try_number:
                tasks.release_external_job(s, row)
        if external_job is not None:
            tasks.record_external_job(s, row, external_job, try_number)
        if savepoint is not None:
            tasks.record_savepoint(s, row, savepoint)
        if job_ended and row.external_job_try == try_number:
            tasks.release_external_job(s, row)


def heartbeat(app: App, task_execution_id: int, try_number: int, token: str) -> Answer:
    """Record the beat (in memory, and on the row at a bounded rate so that whichever
    server schedules hears of it); the answer tells the runtime to stop when it must."""
    key = (task_execution_id, try_number)
    app.heartbeats.beat(key)
    pending = app.heartbeats.stop_reason(key)
    if pending is not None:
        return Answer(False, pending.value)
    if app.heartbeats.persist_due(key):
        with app.write() as s:
            tasks.record_heartbeat(s, task_execution_id, try_number, token)
    with app.read() as s:
        try:
            row = tasks.get_task_execution(s, task_execution_id)
        except NotFoundError:
            return Answer(False, "the task execution was deleted")
    if row.try_number != try_number or row.claim_token != token:
        return Answer(False, "the try was superseded")
    if row.status == TaskStatus.STOPPING.value:
        return Answer(False, row.stop_reason or "")
    if row.status in TASK_FINISHED:
        return Answer(False, f"the task execution is {row.status}")
    return Answer(True)
