"""Event storage: the interface, SQL and in-memory backends, schema lifecycle."""

from notification_service.storage._engine import make_engine
from notification_service.storage._interface import EventStorage, Member, NewEvent, StorageError
from notification_service.storage._memory import MemoryEventStorage
from notification_service.storage._migrate import (
    SchemaError,
    check_schema,
    current_revision,
    reset,
    upgrade,
)
from notification_service.storage._sql import SqlEventStorage

__all__ = [
    "EventStorage",
    "Member",
    "MemoryEventStorage",
    "NewEvent",
    "SchemaError",
    "SqlEventStorage",
    "StorageError",
    "check_schema",
    "current_revision",
    "make_engine",
    "reset",
    "upgrade",
]
