"""Workflows: named collections of tasks and the rules that drive them."""

from __future__ import annotations

import os
import runpy
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.conditions import SingleEventCondition, TaskStatusCondition
from ai_flow.model.internal.jsonable import to_jsonable
from ai_flow.model.internal.naming import validate_name
from ai_flow.model.rule import TaskRule
from ai_flow.model.status import TaskStatus

if TYPE_CHECKING:
    from ai_flow.model.operator import Operator

DEFAULT_NAMESPACE = "default"
#: Version of the description format the server schedules from (``describe()``).
PLAN_VERSION = 1
# run_name of workflow files loaded by load_workflows: keeps `if __name__ == "__main__":`
# blocks (which typically upload or start workflows) from running on the server.
WORKFLOW_MODULE_NAME = "__aiflow_workflow__"


class Workflow:
    """A collection of tasks and their rules; use it as a context manager.

    Tasks created inside ``with Workflow(name=...) as w:`` belong to ``w``. Tasks that
    have no START rule are started when a workflow execution starts; the others are
    started by their rules. ``kwargs`` are kept in ``config``.
    """

    def __init__(self, name: str, namespace: str = DEFAULT_NAMESPACE, **kwargs: Any):
        self.name = validate_name("workflow", name)
        self.namespace = validate_name("namespace", namespace)
        self.config: dict[str, Any] = dict(kwargs)
        self.tasks: dict[str, Operator] = {}
        self.rules: dict[str, list[TaskRule]] = {}

    def __enter__(self) -> Workflow:
        WorkflowContextManager.push_context_managed_workflow(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        WorkflowContextManager.pop_context_managed_workflow()

    # Definition

    def add_task(self, task: Operator) -> None:
        """Register ``task``; called by Operator.__init__."""
        if task.name in self.tasks:
            raise WorkflowDefinitionError(
                f"Duplicate task name {task.name!r} in workflow {self.name!r}; "
                "task names must be unique within a workflow"
            )
        self.tasks[task.name] = task

    def add_rule(self, task_name: str, rule: TaskRule) -> TaskRule:
        self._task_name(task_name)
        self.rules.setdefault(task_name, []).append(rule)
        return rule

    def action_on_condition(
        self, task_name: str, action: TaskAction, condition: Condition
    ) -> TaskRule:
        return self.add_rule(task_name, TaskRule(condition, action))

    def action_on_event_received(
        self, task_name: str, event_key: str, action: TaskAction
    ) -> TaskRule:
        return self.add_rule(task_name, TaskRule(SingleEventCondition(event_key), action))

    def action_on_task_status(
        self,
        task_name: str,
        action: TaskAction,
        upstream_task_status_dict: Mapping[Operator | str, TaskStatus],
    ) -> TaskRule:
        if not isinstance(upstream_task_status_dict, Mapping) or not upstream_task_status_dict:
            raise WorkflowDefinitionError(
                f"Task {task_name!r}: upstream_task_status_dict must be a non-empty dict "
                "mapping tasks to TaskStatus"
            )
        statuses = {self._task_name(t): s for t, s in upstream_task_status_dict.items()}
        return self.add_rule(task_name, TaskRule(TaskStatusCondition(self.name, statuses), action))

    def _task_name(self, task: Operator | str) -> str:
        """Name of ``task``, checking that it is a task of this very workflow."""
        from ai_flow.model.operator import Operator  # import cycle: operator imports us

        if isinstance(task, Operator):
            if self.tasks.get(task.name) is not task:
                raise WorkflowDefinitionError(
                    f"Task {task.name!r} belongs to workflow {task.workflow.name!r}, not "
                    f"{self.name!r}; rules can only refer to tasks of the same workflow"
                )
            return task.name
        if isinstance(task, str) and task in self.tasks:
            return task
        raise WorkflowDefinitionError(
            f"Workflow {self.name!r} has no task {task!r}; rules can only refer to tasks "
            "of the same workflow"
        )

    # Queries used by the scheduler

    def has_start_rule(self, task_name: str) -> bool:
        return any(r.action == TaskAction.START for r in self.rules.get(task_name, []))

    @property
    def initial_tasks(self) -> list[str]:
        """Names of the tasks without a START rule: they start with each execution."""
        return [name for name in self.tasks if not self.has_start_rule(name)]

    @property
    def periodic_tasks(self) -> dict[str, str]:
        """Task name -> periodic expression, for tasks that have one."""
        return {n: t.periodic_expression for n, t in self.tasks.items() if t.periodic_expression}

    def rules_expecting(self, event_key: str) -> list[tuple[str, TaskRule]]:
        """(task name, rule) pairs whose condition is evaluated for ``event_key``."""
        return [
            (task, rule)
            for task, rules in self.rules.items()
            for rule in rules
            if event_key in rule.condition.expect_event_keys
        ]

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the workflow, stored with its snapshot.

        It is complete enough to schedule from: the server never runs the workflow file.
        Rules made of built-in conditions carry them encoded (``builtin``); the others
        are evaluated in a child process that loads the file.
        """
        from ai_flow.model.internal.rule_codec import encode_builtin

        rules = {
            task: [
                {
                    **rule.describe(),
                    "expect_event_keys": list(rule.condition.expect_event_keys),
                    "builtin": encode_builtin(rule.condition),
                }
                for rule in task_rules
            ]
            for task, task_rules in self.rules.items()
        }
        return {
            "plan_version": PLAN_VERSION,
            "name": self.name,
            "namespace": self.namespace,
            "config": to_jsonable(self.config),
            "tasks": [task.describe() for task in self.tasks.values()],
            "rules": rules,
            "initial_tasks": self.initial_tasks,
        }

    def to_dict(self) -> dict[str, Any]:
        """Alias of ``describe``."""
        return self.describe()

    def __repr__(self) -> str:
        return f"<Workflow {self.namespace}.{self.name} tasks={list(self.tasks)}>"


class WorkflowContextManager:
    """Tracks the workflows of the enclosing ``with`` blocks; the innermost is current.

    The stack is per thread so that concurrent loaders never see each other's workflows.
    """

    _local = threading.local()

    @classmethod
    def _stack(cls) -> list[Workflow]:
        if not hasattr(cls._local, "stack"):
            cls._local.stack = []
        return cls._local.stack

    @classmethod
    def get_current_workflow(cls) -> Workflow | None:
        stack = cls._stack()
        return stack[-1] if stack else None

    @classmethod
    def push_context_managed_workflow(cls, workflow: Workflow) -> None:
        cls._stack().append(workflow)

    @classmethod
    def pop_context_managed_workflow(cls) -> Workflow | None:
        stack = cls._stack()
        return stack.pop() if stack else None


def collect_workflows(module_globals: Mapping[str, Any]) -> list[Workflow]:
    """The Workflow objects bound to top-level names, in definition order.

    Raises WorkflowDefinitionError if two of them share namespace and name.
    """
    found: dict[int, Workflow] = {}
    for value in module_globals.values():
        if isinstance(value, Workflow):
            found.setdefault(id(value), value)
    seen: set[tuple[str, str]] = set()
    for workflow in found.values():
        key = (workflow.namespace, workflow.name)
        if key in seen:
            raise WorkflowDefinitionError(
                f"Workflow {workflow.name!r} is defined more than once in namespace "
                f"{workflow.namespace!r}"
            )
        seen.add(key)
    return list(found.values())


def load_workflows(path: str | os.PathLike[str]) -> list[Workflow]:
    """Execute the workflow file at ``path`` and return its top-level workflows.

    The file runs as module ``__aiflow_workflow__`` (so ``__main__`` blocks are skipped)
    with its directory first on ``sys.path``, so it can import files uploaded with it.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        module_globals = runpy.run_path(path, run_name=WORKFLOW_MODULE_NAME)
    finally:
        # Remove our entry only; the file itself may have changed sys.path.
        if directory in sys.path:
            sys.path.remove(directory)
    return collect_workflows(module_globals)
