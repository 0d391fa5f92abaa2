"""What the scheduler knows of a workflow: the description stored with its snapshot.

The description is made by the upload's evaluation child (`Workflow.describe()`); the
server schedules from it and never runs the workflow file. Rules whose condition is
made of built-in classes carry it encoded and are evaluated here; the others are user
code, evaluated by the snapshot's evaluator process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.internal.rule_codec import RuleCodecError, decode_condition, import_builtin
from ai_flow.model.operator import retry_delay
from ai_flow.model.workflow import PLAN_VERSION


class PlanError(ValueError):
    """A stored description cannot be scheduled from; str() says why."""


@dataclass(frozen=True)
class TaskPlan:
    name: str
    periodic_expression: str | None = None
    retries: int = 0
    retry_delay: float = 0.0
    retry_exponential_backoff: bool = False
    max_retry_delay: float = 3600.0
    execution_timeout: float | None = None
    stop_timeout: float | None = None

    def retry_delay_of(self, try_number: int) -> float:
        return retry_delay(
            self.retry_delay, try_number, self.retry_exponential_backoff, self.max_retry_delay
        )

    @classmethod
    def from_description(cls, data: Mapping[str, Any]) -> TaskPlan:
        return cls(
            name=str(data["name"]),
            periodic_expression=data.get("periodic_expression"),
            retries=int(data.get("retries") or 0),
            retry_delay=float(data.get("retry_delay") or 0),
            retry_exponential_backoff=bool(data.get("retry_exponential_backoff")),
            max_retry_delay=float(data.get("max_retry_delay", 3600)),
            execution_timeout=data.get("execution_timeout"),
            stop_timeout=data.get("stop_timeout"),
        )


@dataclass(frozen=True)
class RulePlan:
    """Rule `index` of `task`: `condition` is the decoded built-in condition, or None when
    the condition is user code."""

    task: str
    index: int
    action: TaskAction
    keys: frozenset[str]
    condition: Condition | None
    #: The condition's class (last part of its path), for the decision log.
    condition_name: str = ""

    @property
    def scope(self) -> str:
        """Name of its state scope within an execution."""
        return f"{self.task}#{self.index}"

    @property
    def is_user(self) -> bool:
        return self.condition is None


class WorkflowPlan:
    def __init__(self, description: Mapping[str, Any]) -> None:
        if description.get("plan_version") != PLAN_VERSION:
            raise PlanError(
                "the snapshot was stored by an older AIFlow without a schedulable "
                "description; upload the workflow again"
            )
        self.name: str = description["name"]
        self.namespace: str = description["namespace"]
        self.tasks = {
            t["name"]: TaskPlan.from_description(t) for t in description.get("tasks") or []
        }
        self.rules: dict[str, list[RulePlan]] = {
            task: [_rule(task, i, r) for i, r in enumerate(rules)]
            for task, rules in (description.get("rules") or {}).items()
        }
        self.initial_tasks: list[str] = list(description.get("initial_tasks") or [])
        self.periodic_tasks = {
            name: t.periodic_expression for name, t in self.tasks.items() if t.periodic_expression
        }
        # Evaluation order: task by task as defined, each task's rules in order.
        self._by_key: dict[str, list[RulePlan]] = {}
        for rules in self.rules.values():
            for rule in rules:
                for key in rule.keys:
                    self._by_key.setdefault(key, []).append(rule)
        self.has_user_rules = any(r.is_user for rules in self.rules.values() for r in rules)

    @property
    def expected_keys(self) -> frozenset[str]:
        """Every key a rule of the workflow is evaluated on."""
        return frozenset(self._by_key)

    def rules_expecting(self, key: str) -> list[RulePlan]:
        return self._by_key.get(key, [])

    def expects(self, key: str) -> bool:
        return key in self._by_key

    def user_rules_expecting(self, key: str) -> list[RulePlan]:
        return [r for r in self._by_key.get(key, []) if r.is_user]


def _rule(task: str, index: int, data: Mapping[str, Any]) -> RulePlan:
    builtin = data.get("builtin")
    condition = None
    if builtin is not None:
        try:
            condition = decode_condition(builtin, import_builtin)
        except RuleCodecError as exc:
            raise PlanError(f"rule {index} of task {task}: {exc}") from None
    return RulePlan(
        task=task,
        index=index,
        action=TaskAction(data["action"]),
        keys=frozenset(data.get("expect_event_keys") or ()),
        condition=condition,
        condition_name=_class_name(data, condition),
    )


def _class_name(data: Mapping[str, Any], condition: Condition | None) -> str:
    if condition is not None:
        return type(condition).__name__
    described = data.get("condition")
    path = described.get("class") if isinstance(described, Mapping) else None
    return str(path).rsplit(".", 1)[-1] if path else "user condition"
