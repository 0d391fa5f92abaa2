"""Turn arbitrary config values into something ``json.dumps`` accepts."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Recursively convert ``value``; anything unknown becomes its ``repr``.

    Metadata is informative only (the workflow file is the source of truth), so a lossy
    but never-failing conversion is the right trade-off.
    """
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    return repr(value)
