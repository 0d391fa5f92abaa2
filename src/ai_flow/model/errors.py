"""Exceptions raised by the workflow DSL and the built-in operators."""

from __future__ import annotations


class AIFlowError(Exception):
    """Base class of AIFlow's own exceptions."""


class WorkflowDefinitionError(AIFlowError, ValueError):
    """A workflow file declares something invalid (bad name, duplicate task, bad rule...).

    Subclasses ValueError so generic callers that validate input keep working.
    """


class TaskExecutionError(AIFlowError):
    """A task instance ended unsuccessfully."""
