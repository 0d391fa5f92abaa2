"""Which events a list, count or listen call covers."""

from __future__ import annotations

from dataclasses import dataclass, field

ANY_KEY = "*"


@dataclass(frozen=True)
class EventFilter:
    """Empty `keys` and `key_prefixes` (or a key of '*') match every key; otherwise a
    key matches if it is one of `keys` or starts with one of `key_prefixes`. Namespace
    None matches all.

    `begin_offset` is exclusive (events after it), `end_offset` inclusive,
    `begin_time` (ms) inclusive.
    """

    keys: tuple[str, ...] = field(default_factory=tuple)
    namespace: str | None = None
    sender: str | None = None
    begin_offset: int | None = None
    begin_time: int | None = None
    end_offset: int | None = None
    key_prefixes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def any_key(self) -> bool:
        return (not self.keys and not self.key_prefixes) or ANY_KEY in self.keys

    def key_matches(self, key: str) -> bool:
        return self.any_key or key in self.keys or key.startswith(self.key_prefixes)

    def matches(self, event) -> bool:  # noqa: ANN001 - Event, kept import-free
        return (
            self.key_matches(event.key)
            and (self.namespace is None or event.namespace == self.namespace)
            and (self.sender is None or event.sender == self.sender)
            and (self.begin_offset is None or event.offset > self.begin_offset)
            and (self.end_offset is None or event.offset <= self.end_offset)
            and (self.begin_time is None or event.create_time >= self.begin_time)
        )
