"""The Context a rule's condition sees: prefetched, so evaluation never touches the DB."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.state import State, StateDescriptor, ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus


class _ValueState(ValueState):
    def __init__(self, owner: RuleContext, name: str) -> None:
        self._owner = owner
        self._name = name

    def value(self) -> Any:
        return copy.deepcopy(self._owner.states.get(self._name))

    def update(self, state: Any) -> None:
        self._owner.states[self._name] = copy.deepcopy(state)
        self._owner.changed.add(self._name)

    def clear(self) -> None:
        self._owner.states.pop(self._name, None)
        self._owner.changed.add(self._name)


class RuleContext(Context):
    """State of one rule in one execution (or one trigger) plus task statuses.

    Changes are collected in `states`/`changed`; the scheduler writes them back in its
    transaction only when the evaluation finished in time.
    """

    def __init__(
        self, task_status: Mapping[str, str], states: Mapping[str, Any] | None = None
    ) -> None:
        self._task_status = task_status
        self.states: dict[str, Any] = dict(states or {})
        self.changed: set[str] = set()

    def get_state(self, state_descriptor: StateDescriptor) -> State:
        if not isinstance(state_descriptor, ValueStateDescriptor):
            raise TypeError(f"unsupported state descriptor: {state_descriptor!r}")
        return _ValueState(self, state_descriptor.name)

    def get_task_status(self, task_name: str) -> TaskStatus | None:
        status = self._task_status.get(task_name)
        return TaskStatus(status) if status else None
