"""The event-driven scheduler: rules in, task commands out, one transaction per batch."""

from ai_flow.scheduler._actions import (
    Acted,
    apply_action,
    refresh_workflow_status,
    start_task,
    start_workflow_execution,
    stop_task,
    stop_workflow_execution,
)
from ai_flow.scheduler._batch import Target
from ai_flow.scheduler._decisions import by_user, record_user_decision, user_cause
from ai_flow.scheduler._lookup import Speculation, SpeculationMiss
from ai_flow.scheduler._plan import PlanError, RulePlan, TaskPlan, WorkflowPlan
from ai_flow.scheduler._processor import EventProcessor, execution_id_of
from ai_flow.scheduler._reports import StatusReport, parse_report
from ai_flow.scheduler._scheduler import Scheduler
from ai_flow.scheduler._snapshots import SnapshotStore, snapshot_files
from ai_flow.scheduler._speculation import Speculator
from ai_flow.scheduler._stats import SchedulerStats
from ai_flow.scheduler._timers import TimerLoop
from ai_flow.scheduler._triggers import StoredTrigger, parse_trigger

__all__ = [
    "Acted",
    "EventProcessor",
    "PlanError",
    "RulePlan",
    "Scheduler",
    "SchedulerStats",
    "SnapshotStore",
    "Speculation",
    "SpeculationMiss",
    "Speculator",
    "StatusReport",
    "StoredTrigger",
    "Target",
    "TaskPlan",
    "TimerLoop",
    "WorkflowPlan",
    "apply_action",
    "execution_id_of",
    "parse_report",
    "parse_trigger",
    "by_user",
    "record_user_decision",
    "user_cause",
    "refresh_workflow_status",
    "snapshot_files",
    "start_task",
    "start_workflow_execution",
    "stop_task",
    "stop_workflow_execution",
]
