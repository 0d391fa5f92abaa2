"""Task status reports (status events) and what each one does to its task execution.

`decide` is pure, so the scheduler's transaction and its look-ahead agree exactly.
The rules: the first final status of a try wins; a report about an earlier try is
ignored; a task asked to stop before it came up stays STOPPING on RUNNING; a FAILED try
whose operator has retries left (and whose execution is RUNNING) is retried.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from ai_flow.model.internal.events import parse_task_status_event_key
from ai_flow.model.status import TASK_FINISHED, TaskStatus
from ai_flow.scheduler._batch import Target
from ai_flow.scheduler._plan import TaskPlan
from notification_service.model import Event


@dataclass(frozen=True)
class StatusReport:
    task_execution_id: int
    status: TaskStatus
    try_number: int | None
    error: str | None


def parse_report(event: Event) -> StatusReport | None:
    """The report a task-status event carries; None if the event is not a valid one."""
    if parse_task_status_event_key(event.key) is None:
        return None
    try:
        info = json.loads(event.context or "{}")
        status = TaskStatus(event.value)
        task_execution_id = int(info["task_execution_id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if status == TaskStatus.RETRYING:
        # Tasks never report RETRYING: this is our own rewrite of a FAILED, seen again
        # because a failed transaction replays the batch. Decide afresh.
        status = TaskStatus.FAILED
    try_number = info.get("try_number")
    return StatusReport(
        task_execution_id,
        status,
        try_number if isinstance(try_number, int) else None,
        info.get("error"),
    )


class Outcome(str, Enum):
    IGNORE = "IGNORE"
    SET = "SET"
    RETRY = "RETRY"


def decide(
    current_status: str,
    current_try: int,
    task_name: str,
    report: StatusReport,
    running: Sequence[Target],
) -> tuple[Outcome, TaskPlan | None]:
    """What the report does to the task execution, and the task's plan. `running` holds
    the task's workflow execution if that is RUNNING (a stopped one retries nothing)."""
    task = running[0].plan.tasks.get(task_name) if running else None
    if current_status in TASK_FINISHED:
        return Outcome.IGNORE, task  # a late or repeated report: the first final one stands
    if report.try_number is not None and report.try_number != current_try:
        return Outcome.IGNORE, task  # about an earlier try, which a retry has superseded
    if current_status == TaskStatus.STOPPING.value and report.status == TaskStatus.RUNNING:
        return Outcome.IGNORE, task  # asked to stop before it came up; keep STOPPING
    if (
        report.status == TaskStatus.FAILED
        and current_status != TaskStatus.STOPPING.value
        and task is not None
        and current_try <= task.retries
    ):
        return Outcome.RETRY, task
    return Outcome.SET, task
