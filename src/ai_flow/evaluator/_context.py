"""The Context a condition sees: prefetched state and task statuses, no database.

The same class serves built-in conditions in the server and user conditions in an
evaluator process, so both see exactly the same semantics.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.state import State, StateDescriptor, ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus

#: Rule state that records why the rule's last evaluation failed.
ERROR_STATE = "__error__"


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

    Changes are collected in `states`/`changed`; the scheduler keeps them only when the
    evaluation finished. `read` records the task statuses the condition looked at, so
    an evaluation made ahead of time can be checked against the statuses of the moment.
    """

    def __init__(
        self, task_status: Mapping[str, str | None], states: Mapping[str, Any] | None = None
    ) -> None:
        self._task_status = task_status
        self.states: dict[str, Any] = dict(states or {})
        self.changed: set[str] = set()
        self.read: dict[str, str | None] = {}

    def get_state(self, state_descriptor: StateDescriptor) -> State:
        if not isinstance(state_descriptor, ValueStateDescriptor):
            raise TypeError(f"unsupported state descriptor: {state_descriptor!r}")
        return _ValueState(self, state_descriptor.name)

    def get_task_status(self, task_name: str) -> TaskStatus | None:
        status = self._task_status.get(task_name)
        self.read[task_name] = status
        return TaskStatus(status) if status else None
