"""Operators: templates of tasks. Instantiating one inside ``with Workflow(...)`` adds a task."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ai_flow.model.action import TaskAction
from ai_flow.model.condition import Condition
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.internal.jsonable import to_jsonable
from ai_flow.model.internal.naming import validate_name
from ai_flow.model.periodic_expression import parse_periodic_expression
from ai_flow.model.status import TaskStatus
from ai_flow.model.workflow import WorkflowContextManager

if TYPE_CHECKING:
    from ai_flow.model.rule import TaskRule
    from ai_flow.model.workflow import Workflow


def _number(name: str, value: Any, *, allow_zero: bool, integer: bool = False) -> Any:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
        what = "an integer" if integer else "a number of seconds"
        raise WorkflowDefinitionError(f"{name} must be {what} >= 0, got {value!r}")
    if value == 0 and not allow_zero:
        raise WorkflowDefinitionError(f"{name} must be greater than 0, got {value!r}")
    return value


def retry_delay(base: float, try_number: int, exponential: bool, maximum: float) -> float:
    """Seconds to wait before the try after ``try_number`` failed."""
    # The exponent is bounded so a huge try number cannot overflow a float.
    factor = 2 ** min(try_number - 1, 40) if exponential else 1
    return float(min(base * factor, maximum))


class Operator:
    """Base of all operators; an instance is a task of the enclosing workflow.

    Common keyword options (all also kept in ``self.config``; other keywords are kept
    there untouched for subclasses and executors):

    * ``periodic_expression``: run the task periodically, same format as workflow
      schedules (``cron@...`` or ``interval@days hours minutes seconds``);
    * ``retries``: how many times a failed execution is retried (default 0);
    * ``retry_delay``: seconds to wait before a retry (default 0);
    * ``retry_exponential_backoff``: double the delay on each further try (default False);
    * ``max_retry_delay``: cap of the (backed-off) delay in seconds (default 3600);
    * ``execution_timeout``: seconds after which a running execution fails (default None);
    * ``stop_timeout``: seconds ``stop`` may take before the task process is killed
      (default: the server's ``task_stop_timeout``); long for e.g. a savepoint.
    """

    def __init__(self, name: str, **kwargs: Any):
        if type(self) is Operator:
            raise TypeError("Operator is abstract; subclass AIFlowOperator instead")
        self.name = validate_name("task", name)
        workflow = WorkflowContextManager.get_current_workflow()
        if workflow is None:
            raise WorkflowDefinitionError(
                f"Task {name!r} ({type(self).__name__}) was created outside a workflow; "
                "create tasks inside a `with Workflow(name=...):` block"
            )
        periodic = kwargs.get("periodic_expression")
        self.periodic_expression: str | None = periodic
        if periodic is not None:
            parse_periodic_expression(periodic)  # fail at definition time, not at run time
        retries = kwargs.get("retries", 0)
        self.retries: int = _number("retries", retries, allow_zero=True, integer=True)
        retry_delay = kwargs.get("retry_delay", 0)
        self.retry_delay: float = _number("retry_delay", retry_delay, allow_zero=True)
        self.retry_exponential_backoff = bool(kwargs.get("retry_exponential_backoff", False))
        max_delay = kwargs.get("max_retry_delay", 3600)
        self.max_retry_delay: float = _number("max_retry_delay", max_delay, allow_zero=True)
        timeout = kwargs.get("execution_timeout")
        self.execution_timeout: float | None = (
            None if timeout is None else _number("execution_timeout", timeout, allow_zero=False)
        )
        stop = kwargs.get("stop_timeout")
        self.stop_timeout: float | None = (
            None if stop is None else _number("stop_timeout", stop, allow_zero=False)
        )
        self.config: dict[str, Any] = dict(kwargs)
        # Register last, so a task that failed validation never half-exists in the workflow.
        self.workflow: Workflow = workflow
        workflow.add_task(self)

    # Rules. They are stored on the workflow, which validates the referenced tasks.

    def start_after(self, tasks: Operator | Iterable[Operator]) -> TaskRule:
        """Start this task each time all ``tasks`` have reached SUCCESS."""
        upstream = [tasks] if isinstance(tasks, Operator) else list(tasks)
        if not upstream:
            raise WorkflowDefinitionError(
                f"Task {self.name!r}: start_after needs at least one task"
            )
        statuses: dict[Operator | str, TaskStatus] = {t: TaskStatus.SUCCESS for t in upstream}
        return self.action_on_task_status(TaskAction.START, statuses)

    def action_on_task_status(
        self,
        action: TaskAction,
        upstream_task_status_dict: Mapping[Operator | str, TaskStatus],
    ) -> TaskRule:
        """Take ``action`` when every upstream task has the given status."""
        return self.workflow.action_on_task_status(self.name, action, upstream_task_status_dict)

    def action_on_event_received(self, action: TaskAction, event_key: str) -> TaskRule:
        """Take ``action`` every time an event with ``event_key`` arrives."""
        return self.workflow.action_on_event_received(self.name, event_key, action)

    def action_on_condition(self, action: TaskAction, condition: Condition) -> TaskRule:
        """Take ``action`` when ``condition`` is met."""
        return self.workflow.action_on_condition(self.name, action, condition)

    def retry_delay_of(self, try_number: int) -> float:
        """Seconds to wait before the try after ``try_number`` failed."""
        return retry_delay(
            self.retry_delay, try_number, self.retry_exponential_backoff, self.max_retry_delay
        )

    def describe(self) -> dict[str, Any]:
        """JSON-able summary stored as workflow metadata; subclasses add their arguments.

        The scheduling options here are what the server schedules by (it never runs the
        workflow file itself).
        """
        cls = type(self)
        return {
            "name": self.name,
            "operator": f"{cls.__module__}.{cls.__qualname__}",
            "periodic_expression": self.periodic_expression,
            "retries": self.retries,
            "retry_delay": self.retry_delay,
            "retry_exponential_backoff": self.retry_exponential_backoff,
            "max_retry_delay": self.max_retry_delay,
            "execution_timeout": self.execution_timeout,
            "stop_timeout": self.stop_timeout,
            "config": to_jsonable(self.config),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.workflow.name}.{self.name}>"


class AIFlowOperator(Operator, ABC):
    """AIFlow's native operator interface, driven by the task runtime.

    The runtime calls ``start``, then ``await_termination``; on a stop request it calls
    ``stop`` (possibly from another thread). A task fails when one of them raises.
    """

    @abstractmethod
    def start(self, context: Context) -> None:
        """Start a task instance. May block (then ``await_termination`` returns at once)."""

    def stop(self, context: Context) -> None:
        """Stop the running task instance; the default has nothing to stop."""

    def await_termination(self, context: Context, timeout: float | None = None) -> None:
        """Wait for the task instance to finish; raise if it failed.

        With a ``timeout`` (seconds), raise TimeoutError if the instance is still
        running when it elapses (the instance is left running).
        """

    def get_metrics(self, context: Context) -> dict[str, Any]:
        """Metrics of the task instance, free-form."""
        return {}
