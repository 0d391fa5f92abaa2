"""The task runtime: the process that runs one task try (``python -m ai_flow.runtime``)."""

from ai_flow.runtime._context import (
    TaskContext,
    TaskRuntimeContext,
    current_task_context,
    set_current_task_context,
)
from ai_flow.runtime._files import LockRecord, is_locked, read_lock_record, try_lock
from ai_flow.runtime._paths import TaskPaths, task_paths
from ai_flow.runtime._report import (
    SERVER_SENDER,
    TASK_RUNTIME_SENDER,
    StatusReporter,
    send_status_event,
    status_event_context,
    status_idempotency_id,
)
from ai_flow.runtime._spec import TaskSpec

__all__ = [
    "SERVER_SENDER",
    "TASK_RUNTIME_SENDER",
    "LockRecord",
    "StatusReporter",
    "TaskContext",
    "TaskPaths",
    "TaskRuntimeContext",
    "TaskSpec",
    "current_task_context",
    "is_locked",
    "read_lock_record",
    "send_status_event",
    "set_current_task_context",
    "status_event_context",
    "status_idempotency_id",
    "task_paths",
    "try_lock",
]
