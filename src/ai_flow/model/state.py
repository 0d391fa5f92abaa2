"""User-defined state that conditions keep between events (e.g. a running counter).

Conditions only see one event at a time, so anything they must remember across events
lives in a State obtained from ``Context.get_state(descriptor)``. The scheduler owns the
storage; these classes only define the interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ai_flow.model.internal.naming import validate_state_name


class StateDescriptor:
    """Names a piece of state; the Context decides where and how it is stored."""

    def __init__(self, name: str):
        self.name = validate_state_name(name)

    def renamed(self, name: str) -> StateDescriptor:
        """A descriptor of the same kind under another name (used to scope nested state)."""
        return type(self)(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StateDescriptor):
            return False
        return type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class State(ABC):
    """A piece of user-defined state."""

    @abstractmethod
    def clear(self) -> None:
        """Forget the stored data."""


class ValueStateDescriptor(StateDescriptor):
    """Describes a single-valued state."""


class ValueState(State):
    """Single-valued state. Values should be JSON-able so any state backend can store them."""

    @abstractmethod
    def value(self) -> Any:
        """The stored value, or None if nothing was stored."""

    @abstractmethod
    def update(self, state: Any) -> None:
        """Replace the stored value."""
