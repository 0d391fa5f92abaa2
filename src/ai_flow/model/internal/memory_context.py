"""An in-memory Context, for tests and for trying conditions out without a scheduler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.state import State, StateDescriptor, ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus


class MemoryValueState(ValueState):
    def __init__(self) -> None:
        self._value: Any = None

    def value(self) -> Any:
        return self._value

    def update(self, state: Any) -> None:
        self._value = state

    def clear(self) -> None:
        self._value = None


class MemoryContext(Context):
    """Keeps states and task statuses in dicts."""

    def __init__(self, task_status: Mapping[str, TaskStatus | str] | None = None):
        self.task_status: dict[str, TaskStatus] = {
            t: TaskStatus(s) for t, s in (task_status or {}).items()
        }
        self.states: dict[StateDescriptor, State] = {}

    def set_task_status(self, task_name: str, status: TaskStatus | str) -> None:
        self.task_status[task_name] = TaskStatus(status)

    def get_task_status(self, task_name: str) -> TaskStatus | None:
        return self.task_status.get(task_name)

    def get_state(self, state_descriptor: StateDescriptor) -> State:
        if not isinstance(state_descriptor, ValueStateDescriptor):
            raise TypeError(f"Unsupported state descriptor: {state_descriptor!r}")
        return self.states.setdefault(state_descriptor, MemoryValueState())
