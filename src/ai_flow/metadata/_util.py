"""Helpers shared by the concept modules: paging, time conversion, enum values."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Select

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page(stmt: Select, limit: int | None, offset: int | None) -> Select:
    """Bound a listing: `limit` defaults to DEFAULT_LIMIT and is capped at MAX_LIMIT."""
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = offset or 0
    if limit <= 0 or offset < 0:
        raise ValueError(f"limit must be positive and offset not negative (got {limit}, {offset})")
    return stmt.limit(min(limit, MAX_LIMIT)).offset(offset)


def rowcount(result: Result[Any]) -> int:
    """Rows a DELETE or UPDATE touched (its result is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)


def ms_to_datetime(ms: int | None) -> datetime | None:
    """Epoch milliseconds to a timezone-naive UTC datetime (None stays None)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).replace(tzinfo=None)


def datetime_to_ms(value: datetime | None) -> int | None:
    """A datetime (naive means UTC) to epoch milliseconds."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def enum_value(enum_cls: type[Enum], value: object) -> str:
    """The stored text of an enum member or its value; ValueError names the choices."""
    try:
        return str(enum_cls(value.value if isinstance(value, Enum) else value).value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in enum_cls)
        raise ValueError(f"'{value}' is not a valid {enum_cls.__name__} ({choices})") from None
