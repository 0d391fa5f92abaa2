"""Validation of the names users give to namespaces, workflows and tasks.

Names end up in event keys (see ``events.py``), file paths and URLs, so they are
restricted to a conservative character set; in particular '/' is reserved as the
separator of internal event keys.
"""

from __future__ import annotations

import re

from ai_flow.model.errors import WorkflowDefinitionError

MAX_NAME_LENGTH = 128
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
NAME_RULE = (
    f"1-{MAX_NAME_LENGTH} characters from letters, digits, '_', '-' and '.', "
    "not starting with '-' or '.'"
)


def validate_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid ``kind`` name (e.g. 'task'), else raise."""
    if not isinstance(name, str):
        raise WorkflowDefinitionError(
            f"The {kind} name must be a string, got {type(name).__name__}: {name!r}"
        )
    if not name:
        raise WorkflowDefinitionError(f"The {kind} name must not be empty")
    if len(name) > MAX_NAME_LENGTH or not _NAME_RE.fullmatch(name):
        raise WorkflowDefinitionError(f"Invalid {kind} name {name!r}: use {NAME_RULE}")
    return name


def validate_state_name(name: object) -> str:
    """State names are only keys in the state backend: any non-empty string will do."""
    if not isinstance(name, str) or not name:
        raise WorkflowDefinitionError(f"A state name must be a non-empty string, got {name!r}")
    return name
