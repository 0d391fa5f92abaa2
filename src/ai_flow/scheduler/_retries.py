"""Retries: a FAILED try with retries left becomes RETRYING and a delayed new try.

A task's `retries` counts extra tries: try_number 1 + retries tries in all. The delay
before try n+1 is `retry_delay` (times 2**(n-1) with `retry_exponential_backoff`),
capped at `max_retry_delay`. The outbox START carries `not_before`, so the delay
survives a server restart and the command runner waits for it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ai_flow.metadata import TaskExecutionRow
from ai_flow.model.operator import Operator
from ai_flow.model.status import TaskStatus, WorkflowStatus
from ai_flow.scheduler._actions import retry_task
from ai_flow.scheduler._snapshots import SnapshotStore

log = logging.getLogger(__name__)


def retry_if_allowed(
    session: Session,
    snapshots: SnapshotStore,
    row: TaskExecutionRow,
    running: list,
    error: str | None,
) -> bool:
    """Retry the failed try `row` if its operator allows; True if it was retried.

    `running` holds the (execution, workflow name, snapshot, enabled) rows of the task's
    execution if it is RUNNING: a stopped execution or a task being stopped is not retried.
    """
    if row.status == TaskStatus.STOPPING.value or not running:
        return False
    execution, name, snapshot, _enabled = running[0]
    if execution.status != WorkflowStatus.RUNNING.value:
        return False
    try:
        task = snapshots.workflow(snapshot, name).tasks.get(row.task_name)
    except Exception:  # noqa: BLE001 - a broken snapshot means no retry, not no scheduling
        log.exception("cannot load snapshot %s to decide a retry", snapshot.id)
        return False
    if not isinstance(task, Operator) or row.try_number > task.retries:
        return False
    delay = task.retry_delay_of(row.try_number)
    log.info(
        "task %s of execution %s failed on try %s; retrying in %.1fs",
        row.task_name,
        row.workflow_execution_id,
        row.try_number,
        delay,
    )
    if error:
        row.error = error
    retry_task(session, row, delay)
    return True
