"""Conditions: the logical test of a rule, evaluated when an expected event arrives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from notification_service.model.event import Event


class Condition(ABC):
    """Base class of all conditions.

    ``expect_event_keys`` tells the scheduler which events wake the condition up; only
    for those is ``is_met`` called. Subclasses implement ``is_met`` and keep any memory
    across events in ``context.get_state(...)``, never in attributes: the condition
    object is rebuilt from the workflow file, possibly in another process.
    """

    def __init__(self, expect_event_keys: Iterable[str] | str):
        # A bare string would otherwise be iterated character by character.
        keys = [expect_event_keys] if isinstance(expect_event_keys, str) else expect_event_keys
        try:
            keys = list(keys)
        except TypeError:
            raise WorkflowDefinitionError(
                f"{type(self).__name__}: expect_event_keys must be a list of event keys, "
                f"got {expect_event_keys!r}"
            ) from None
        if not keys:
            raise WorkflowDefinitionError(
                f"{type(self).__name__}: expect_event_keys is empty, so the condition "
                "could never be evaluated"
            )
        for key in keys:
            if not isinstance(key, str) or not key:
                raise WorkflowDefinitionError(
                    f"{type(self).__name__}: event keys must be non-empty strings, got {key!r}"
                )
        # dict.fromkeys keeps the first-seen order while dropping duplicates.
        self.expect_event_keys: list[str] = list(dict.fromkeys(keys))

    def expects(self, event: Event) -> bool:
        """Whether ``event`` is one this condition should be evaluated on."""
        return event.key in self.expect_event_keys

    @abstractmethod
    def is_met(self, event: Event, context: Context) -> bool:
        """Whether the condition holds after ``event``; called only for expected events."""

    def describe(self) -> dict[str, Any]:
        """JSON-able summary stored as workflow metadata; subclasses may add fields."""
        cls = type(self)
        return {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "expect_event_keys": list(self.expect_event_keys),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(expect_event_keys={self.expect_event_keys!r})"
