"""Pure helpers: epoch-ms conversion at the API edge, enum values, paging arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ai_flow import metadata
from ai_flow.metadata._util import enum_value, page
from ai_flow.model.status import TaskStatus


def test_ms_datetime_round_trip() -> None:
    assert metadata.ms_to_datetime(None) is None and metadata.datetime_to_ms(None) is None
    dt = metadata.ms_to_datetime(1_700_000_000_123)
    assert dt == datetime(2023, 11, 14, 22, 13, 20, 123000) and dt.tzinfo is None
    assert metadata.datetime_to_ms(dt) == 1_700_000_000_123
    aware = datetime(2023, 11, 15, 0, 13, 20, 123000, tzinfo=timezone(timedelta(hours=2)))
    assert metadata.datetime_to_ms(aware) == 1_700_000_000_123


def test_enum_value() -> None:
    assert enum_value(TaskStatus, TaskStatus.RUNNING) == "RUNNING"
    assert enum_value(TaskStatus, "RUNNING") == "RUNNING"
    with pytest.raises(ValueError, match=r"'running' is not a valid TaskStatus \(INIT, "):
        enum_value(TaskStatus, "running")


def test_page_caps_limit() -> None:
    stmt = page(select(metadata.WorkflowRow), 10**6, None)
    assert stmt._limit_clause.value == metadata.MAX_LIMIT  # noqa: SLF001
    assert page(select(metadata.WorkflowRow), None, 5)._limit_clause.value == 100  # noqa: SLF001
