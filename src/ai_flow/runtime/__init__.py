"""The task runtime: the process that runs one task try (``python -m ai_flow.runtime``).

The status-event names (`_report`) load on first use: they pull in the notification
client and gRPC, which a workflow file that only reads its task context (through
`AIFlowNotificationClient`'s module) must not pay for at upload.
"""

import typing

from ai_flow.runtime._context import (
    TaskContext,
    TaskRuntimeContext,
    current_task_context,
    set_current_task_context,
)
from ai_flow.runtime._files import LockRecord, is_locked, read_lock_record, try_lock
from ai_flow.runtime._paths import TaskPaths, task_paths
from ai_flow.runtime._spec import TaskSpec

if typing.TYPE_CHECKING:
    from ai_flow.runtime._report import (
        SERVER_SENDER,
        TASK_RUNTIME_SENDER,
        StatusReporter,
        send_status_event,
        status_event_context,
        status_idempotency_id,
    )

_REPORT = frozenset(
    {
        "SERVER_SENDER",
        "TASK_RUNTIME_SENDER",
        "StatusReporter",
        "send_status_event",
        "status_event_context",
        "status_idempotency_id",
    }
)


def __getattr__(name: str) -> typing.Any:
    if name in _REPORT:
        from ai_flow.runtime import _report

        return getattr(_report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
