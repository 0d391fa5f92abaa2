"""Built-in conditions: single event, all-of / any-of combinations and task status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ai_flow.model.condition import Condition
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.events import (
    parse_task_status_event_key,
    task_status_event_key,
    task_status_of,
)
from ai_flow.model.state import State, StateDescriptor, ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus
from notification_service.model.event import Event


class SingleEventCondition(Condition):
    """Met every time an event with ``expect_event_key`` arrives."""

    def __init__(self, expect_event_key: str):
        super().__init__([expect_event_key])

    def is_met(self, event: Event, context: Context) -> bool:
        return True


class _ScopedContext(Context):
    """Prefixes state names so sub-conditions of one rule never share state by accident."""

    def __init__(self, parent: Context, prefix: str):
        self._parent = parent
        self._prefix = prefix

    def get_state(self, state_descriptor: StateDescriptor) -> State:
        scoped = state_descriptor.renamed(self._prefix + state_descriptor.name)
        return self._parent.get_state(scoped)

    def get_task_status(self, task_name: str) -> TaskStatus | None:
        return self._parent.get_task_status(task_name)


def _as_conditions(owner: str, items: Iterable[Condition | str]) -> list[Condition]:
    if isinstance(items, (str, Condition)):
        items = [items]
    conditions = [SingleEventCondition(i) if isinstance(i, str) else i for i in items]
    if not conditions:
        raise WorkflowDefinitionError(f"{owner} needs at least one condition or event key")
    for c in conditions:
        if not isinstance(c, Condition):
            raise WorkflowDefinitionError(
                f"{owner} accepts Condition objects or event keys, got {type(c).__name__}"
            )
    return conditions


class _CompositeCondition(Condition):
    _scope = "composite"

    def __init__(self, conditions: Iterable[Condition | str]):
        self.conditions = _as_conditions(type(self).__name__, conditions)
        super().__init__([k for c in self.conditions for k in c.expect_event_keys])

    def _child_context(self, context: Context, index: int) -> Context:
        return _ScopedContext(context, f"{self._scope}.{index}/")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "conditions": [c.describe() for c in self.conditions]}


class AllOfCondition(_CompositeCondition):
    """Met once every sub-condition has been met (e.g. all listed events arrived).

    Each sub-condition is evaluated on the events it expects, and its latest result is
    remembered in state; when all results are True the condition fires and forgets them,
    so it can fire again once every sub-condition is met anew.
    """

    _scope = "all_of"
    _MET = ValueStateDescriptor("all_of.met")

    def is_met(self, event: Event, context: Context) -> bool:
        state = context.get_state(self._MET)
        assert isinstance(state, ValueState)
        met = set(state.value() or [])
        for i, condition in enumerate(self.conditions):
            if condition.expects(event):
                if condition.is_met(event, self._child_context(context, i)):
                    met.add(i)
                else:
                    met.discard(i)
        if len(met) == len(self.conditions):
            state.clear()
            return True
        state.update(sorted(met))  # JSON-able so any state backend can store it
        return False


class AnyOfCondition(_CompositeCondition):
    """Met when any sub-condition expecting the event is met."""

    _scope = "any_of"

    def is_met(self, event: Event, context: Context) -> bool:
        # Evaluate all candidates (no short-circuit) so stateful ones see every event.
        results = [
            c.is_met(event, self._child_context(context, i))
            for i, c in enumerate(self.conditions)
            if c.expects(event)
        ]
        return any(results)


class TaskStatusCondition(Condition):
    """Met when every listed task of the workflow has the listed status.

    Wakes up on the task-status events of those tasks (see ``events.py``). The task the
    event is about is judged by the status in the event, because that is the transition
    being processed; the others by ``Context.get_task_status``.
    """

    def __init__(self, workflow_name: str, upstream_task_status: Mapping[str, TaskStatus | str]):
        if not upstream_task_status:
            raise WorkflowDefinitionError("TaskStatusCondition needs at least one upstream task")
        self.workflow_name = workflow_name
        self.upstream_task_status = {t: _to_status(s) for t, s in upstream_task_status.items()}
        super().__init__([task_status_event_key(workflow_name, t) for t in upstream_task_status])

    def is_met(self, event: Event, context: Context) -> bool:
        parsed = parse_task_status_event_key(event.key)
        own = parsed is not None and parsed.workflow_name == self.workflow_name
        own_task = parsed.task_name if parsed is not None and own else None
        for task, expected in self.upstream_task_status.items():
            actual = task_status_of(event) if task == own_task else context.get_task_status(task)
            if actual != expected:
                return False
        return True

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "workflow_name": self.workflow_name,
            "upstream_task_status": {t: s.value for t, s in self.upstream_task_status.items()},
        }


def _to_status(status: TaskStatus | str) -> TaskStatus:
    try:
        return TaskStatus(status.upper() if isinstance(status, str) else status)
    except ValueError:
        choices = ", ".join(s.value for s in TaskStatus)
        raise WorkflowDefinitionError(
            f"Unknown task status {status!r}; expected one of {choices}"
        ) from None
