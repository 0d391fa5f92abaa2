"""Rules bind a condition to what happens when it is met."""

from __future__ import annotations

from typing import Any

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from notification_service.model.event import Event


def _check_condition(owner: str, condition: object) -> Condition:
    if not isinstance(condition, Condition):
        raise WorkflowDefinitionError(
            f"{owner}: condition must be an ai_flow.model.condition.Condition, "
            f"got {type(condition).__name__}"
        )
    if not hasattr(condition, "expect_event_keys"):
        raise WorkflowDefinitionError(
            f"{owner}: {type(condition).__name__} has no expect_event_keys; "
            "does its __init__ call super().__init__(expect_event_keys)?"
        )
    return condition


def to_task_action(action: TaskAction | str) -> TaskAction:
    """Accept a TaskAction or its name ('START', 'stop', ...)."""
    try:
        return action if isinstance(action, TaskAction) else TaskAction(str(action).upper())
    except ValueError:
        choices = ", ".join(a.value for a in TaskAction)
        raise WorkflowDefinitionError(
            f"Unknown task action {action!r}; expected one of {choices}"
        ) from None


class TaskRule:
    """When ``condition`` is met, apply ``action`` to the task owning the rule."""

    def __init__(self, condition: Condition, action: TaskAction | str):
        self.condition = _check_condition("TaskRule", condition)
        self.action = to_task_action(action)

    def trigger(self, event: Event, context: Context) -> TaskAction | None:
        """The action to take for ``event``, or None if the rule does not fire."""
        if self.condition.expects(event) and self.condition.is_met(event, context):
            return self.action
        return None

    def describe(self) -> dict[str, Any]:
        return {"action": self.action.value, "condition": self.condition.describe()}

    def __repr__(self) -> str:
        return f"TaskRule(condition={self.condition!r}, action={self.action.value})"


class WorkflowRule:
    """When ``condition`` is met, start a new execution of the workflow (a trigger)."""

    def __init__(self, condition: Condition):
        self.condition = _check_condition("WorkflowRule", condition)

    def trigger(self, event: Event, context: Context) -> bool:
        """True if a workflow execution should be started for ``event``."""
        return self.condition.expects(event) and bool(self.condition.is_met(event, context))

    def describe(self) -> dict[str, Any]:
        return {"condition": self.condition.describe()}

    def __repr__(self) -> str:
        return f"WorkflowRule(condition={self.condition!r})"
