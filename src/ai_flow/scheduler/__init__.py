"""The event-driven scheduler: rules in, task commands out, one transaction per batch."""

from ai_flow.scheduler._actions import (
    ALIVE,
    apply_action,
    latest_statuses,
    refresh_workflow_status,
    start_task,
    start_workflow_execution,
    stop_task,
    stop_workflow_execution,
)
from ai_flow.scheduler._evaluator import ConditionError, GuardedEvaluator
from ai_flow.scheduler._processor import EventProcessor, execution_id_of
from ai_flow.scheduler._scheduler import Scheduler
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._timers import TimerLoop

__all__ = [
    "ALIVE",
    "ConditionError",
    "EventProcessor",
    "GuardedEvaluator",
    "Scheduler",
    "SnapshotStore",
    "TimerLoop",
    "apply_action",
    "execution_id_of",
    "latest_statuses",
    "refresh_workflow_status",
    "start_task",
    "start_workflow_execution",
    "stop_task",
    "stop_workflow_execution",
]
