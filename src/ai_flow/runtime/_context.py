"""Who is running: the identity of the current task execution, for user code."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass

from ai_flow.model.internal.memory_context import MemoryContext
from ai_flow.model.stop_reason import StopReason
from ai_flow.runtime import environment


@dataclass(frozen=True)
class TaskContext:
    """Identity of one task execution; set by the runtime, read by AIFlowNotificationClient."""

    namespace: str
    workflow_name: str
    task_name: str
    workflow_execution_id: int
    task_execution_id: int
    sequence_number: int
    try_number: int
    notification_server_uri: str | None = None

    @property
    def sender(self) -> str:
        """Sender of events the task's user code sends."""
        return f"{self.workflow_name}.{self.task_name}"

    def event_context(self) -> str:
        """Context of user events: lets the scheduler route them to this execution."""
        return json.dumps(
            {
                "workflow_execution_id": self.workflow_execution_id,
                "task_execution_id": self.task_execution_id,
                "task_name": self.task_name,
            }
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TaskContext:
        return cls(**json.loads(text))


class TaskRuntimeContext(MemoryContext):
    """The Context handed to operators: in-memory state plus the task's identity.

    ``stop_reason`` is set before ``operator.stop(context)`` is called: why the task is
    asked to stop (a StopReason, or None if the server could not say).
    """

    def __init__(self, task: TaskContext):
        super().__init__()
        self.task = task
        self.stop_reason: StopReason | None = None


_lock = threading.Lock()
_current: TaskContext | None = None


def set_current_task_context(context: TaskContext | None) -> None:
    """Install ``context`` for this process and the processes it spawns."""
    global _current
    with _lock:
        _current = context
    if context is not None:
        environment.export_task_context_json(context.to_json())


def current_task_context() -> TaskContext | None:
    """The task context of this process (set in-process or inherited), None outside a task."""
    with _lock:
        if _current is not None:
            return _current
    raw = environment.read_task_context_json()
    if raw is None:
        return None
    try:
        return TaskContext.from_json(raw)
    except (ValueError, TypeError):
        return None  # a foreign or stale value: behave as outside a task
