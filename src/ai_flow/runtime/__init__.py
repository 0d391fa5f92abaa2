"""The task runtime: the process that runs one task execution (``python -m ai_flow.runtime``)."""

from ai_flow.runtime._context import (
    TaskContext,
    TaskRuntimeContext,
    current_task_context,
    set_current_task_context,
)
from ai_flow.runtime._files import LockRecord, StatusRecord
from ai_flow.runtime._report import (
    TASK_RUNTIME_SENDER,
    final_status,
    record_final_status,
    report_final_status,
    send_status_event,
    status_event_context,
    status_idempotency_id,
)
from ai_flow.runtime._run import TaskNotFoundError, run_task
from ai_flow.runtime._spec import TaskSpec

__all__ = [
    "TASK_RUNTIME_SENDER",
    "LockRecord",
    "StatusRecord",
    "TaskContext",
    "TaskNotFoundError",
    "TaskRuntimeContext",
    "TaskSpec",
    "current_task_context",
    "final_status",
    "record_final_status",
    "report_final_status",
    "run_task",
    "send_status_event",
    "set_current_task_context",
    "status_event_context",
    "status_idempotency_id",
]
