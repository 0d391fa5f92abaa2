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
        return self in (WorkflowStatus.SUCCESS, WorkflowStatus.FAILED, WorkflowStatus.STOPPED)
