"""Schedule metadata: first fire, resume from now, the missed-fire rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_flow import metadata
from ai_flow.metadata.schedules import next_fire_after, next_fire_from
from ai_flow.model.errors import WorkflowDefinitionError
from notification_service.util.clock import set_clock

HOUR = 3600 * 1000


def test_next_fire_rules() -> None:
    assert next_fire_after("interval@0 0 0 2", 10_000) == 12_000
    assert next_fire_after("cron@0 * * * *", 5 * HOUR + 1) == 6 * HOUR
    # On time: keep the phase. Late by many periods: one fire, then the next after now.
    assert next_fire_from("interval@0 0 0 2", 10_000, 10_500) == 12_000
    assert next_fire_from("interval@0 0 0 2", 10_000, 31_000) == 33_000
    assert next_fire_from("cron@0 * * * *", 5 * HOUR, 9 * HOUR + 5) == 10 * HOUR
    with pytest.raises(WorkflowDefinitionError, match="Expected"):
        next_fire_after("every@5", 0)


def test_create_and_resume_compute_fire_times_from_now(tmp_path: Path) -> None:
    engine = metadata.make_engine(f"sqlite:///{tmp_path}/m.db")
    metadata.upgrade(engine)
    factory = metadata.session_factory(engine)
    now = [1_000.0]
    set_clock(lambda: now[0])
    try:
        with metadata.write_session(factory) as s:
            wf = metadata.workflows.create_workflow(s, "default", "wf")
            row = metadata.schedules.create_schedule(s, wf.id, "interval@0 0 1 0")
            assert row.next_fire_time == 1_060_000
            with pytest.raises(WorkflowDefinitionError):
                metadata.schedules.create_schedule(s, wf.id, "interval@0 0 0")
            metadata.schedules.set_schedule_paused(s, row.id, True)
            now[0] = 5_000.0
            assert metadata.schedules.list_due_schedules(s, 5_000_000) == []
            resumed = metadata.schedules.set_schedule_paused(s, row.id, False)
            assert resumed.next_fire_time == 5_060_000
            assert len(metadata.schedules.list_schedules(s, wf.id)) == 1
    finally:
        set_clock(None)
        engine.dispose()
