"""The event: the unit the notification service stores and delivers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_NAMESPACE = "default"
MAX_KEY_LENGTH = 1024


@dataclass
class Event:
    """An event in the log. `offset` and `create_time` (ms) are set by the server."""

    key: str
    value: str | None = None
    namespace: str | None = None
    sender: str | None = None
    context: str | None = None
    offset: int | None = None
    create_time: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"Event(offset={self.offset}, key={self.key!r}, value={self.value!r}, "
            f"namespace={self.namespace!r}, sender={self.sender!r})"
        )
