"""Lifecycle statuses of task executions and workflow executions."""

from __future__ import annotations

from enum import Enum


class TaskStatus(str, Enum):
    """Status of a TaskExecution.

    INIT: created, dependencies not met yet. QUEUED: handed to an executor.
    RUNNING: running on a worker. SUCCESS / FAILED: finished with / without errors.
    STOPPING: stop requested, not stopped yet. STOPPED: stopped on request.
    RETRYING: failed, will be rescheduled because retries are left.
    """

    INIT = "INIT"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    RETRYING = "RETRYING"

    def __str__(self) -> str:
        return self.value

    @property
    def is_finished(self) -> bool:
        """True for terminal statuses (the execution will not change any more)."""
        return self in TASK_FINISHED_STATUSES


TASK_FINISHED_STATUSES = frozenset({TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.STOPPED})
#: A run in one of these may still do something: START waits for it, STOP reaches it.
TASK_ALIVE_STATUSES = frozenset(
    {
        TaskStatus.INIT,
        TaskStatus.QUEUED,
        TaskStatus.RUNNING,
        TaskStatus.STOPPING,
        TaskStatus.RETRYING,
    }
)
#: A START command may hand a run in one of these to the executor.
TASK_LAUNCHABLE_STATUSES = frozenset({TaskStatus.QUEUED, TaskStatus.RETRYING})


class WorkflowStatus(str, Enum):
    """Status of a WorkflowExecution."""

    INIT = "INIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    STOPPED = "STOPPED"

    def __str__(self) -> str:
        return self.value

    @property
    def is_finished(self) -> bool:
        return self in WORKFLOW_FINISHED_STATUSES


WORKFLOW_FINISHED_STATUSES = frozenset(
    {WorkflowStatus.SUCCESS, WorkflowStatus.FAILED, WorkflowStatus.STOPPED}
)
WORKFLOW_UNFINISHED_STATUSES = frozenset({WorkflowStatus.INIT, WorkflowStatus.RUNNING})


def status_values(statuses: frozenset[TaskStatus] | frozenset[WorkflowStatus]) -> frozenset[str]:
    """The plain strings of ``statuses``, as stored in the metadata database."""
    return frozenset(s.value for s in statuses)


TASK_FINISHED = status_values(TASK_FINISHED_STATUSES)
TASK_ALIVE = status_values(TASK_ALIVE_STATUSES)
TASK_LAUNCHABLE = status_values(TASK_LAUNCHABLE_STATUSES)
WORKFLOW_FINISHED = status_values(WORKFLOW_FINISHED_STATUSES)
WORKFLOW_UNFINISHED = status_values(WORKFLOW_UNFINISHED_STATUSES)
