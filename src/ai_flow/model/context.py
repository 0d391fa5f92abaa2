"""What a condition can look at besides the event being processed."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ai_flow.model.state import State, StateDescriptor
from ai_flow.model.status import TaskStatus


class Context(ABC):
    """The environment a condition is evaluated in; implemented by the scheduler.

    A context belongs to one workflow execution and one rule: states returned by
    ``get_state`` are private to that rule in that execution, so conditions can use
    fixed state names without clashing with other rules.
    """

    @abstractmethod
    def get_state(self, state_descriptor: StateDescriptor) -> State:
        """The state described by ``state_descriptor`` (created empty on first use)."""

    @abstractmethod
    def get_task_status(self, task_name: str) -> TaskStatus | None:
        """Latest status of the task in this workflow execution; None if it never ran."""
