"""Schedules, triggers, rule state, the scheduler offset and the executor outbox."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata
from ai_flow.metadata import commands, offsets, rule_state, schedules, triggers
from ai_flow.metadata.errors import NotFoundError

Workflow = metadata.WorkflowRow
Execution = metadata.WorkflowExecutionRow


def test_schedule_crud(session: Session, workflow: Workflow) -> None:
    s1 = schedules.create_schedule(session, workflow.id, "cron@0 * * * *", next_fire_time=1000)
    s2 = schedules.create_schedule(session, workflow.id, "interval@0 1 0 0", next_fire_time=5000)
    assert s1.is_paused is False and s1.last_fire_time is None
    assert [s.id for s in schedules.list_schedules(session, workflow.id)] == [s1.id, s2.id]
    assert [s.id for s in schedules.list_due_schedules(session, now=2000)] == [s1.id]
    fired = schedules.record_fire(session, s1.id, fire_time=1000, next_fire_time=4000)
    assert (fired.last_fire_time, fired.next_fire_time) == (1000, 4000)
    assert [s.id for s in schedules.list_due_schedules(session, now=6000)] == [s1.id, s2.id]
    schedules.set_schedule_paused(session, s2.id, True)
    assert [s.id for s in schedules.list_due_schedules(session, now=6000)] == [s1.id]
    schedules.delete_schedule(session, s1.id)
    with pytest.raises(NotFoundError, match=f"workflow schedule {s1.id} does not exist"):
        schedules.get_schedule(session, s1.id)
    assert schedules.delete_schedules(session, workflow.id) == 1
    with pytest.raises(NotFoundError, match="workflow 999999 does not exist"):
        schedules.create_schedule(session, 999999, "cron@* * * * *")


def test_trigger_crud(session: Session, workflow: Workflow, snapshot) -> None:  # noqa: ANN001
    t1 = triggers.create_trigger(session, workflow.id, '{"rule": 1}')
    t2 = triggers.create_trigger(session, workflow.id, "x" * 100_000, is_paused=True)
    assert triggers.get_trigger(session, t2.id).rule == "x" * 100_000
    assert [t.id for t in triggers.list_triggers(session, workflow.id)] == [t1.id, t2.id]
    active = triggers.list_active_in_namespace(session, "default")
    assert [(t.id, wf.id, snap.id) for t, wf, snap in active] == [(t1.id, workflow.id, snapshot.id)]
    assert triggers.list_active_in_namespace(session, "other") == []
    triggers.set_trigger_paused(session, t2.id, False)
    assert len(triggers.list_active_in_namespace(session, "default")) == 2
    metadata.workflows.set_workflow_enabled(session, "default", workflow.name, False)
    assert triggers.list_active_in_namespace(session, "default") == []  # disabled workflow
    metadata.workflows.set_workflow_enabled(session, "default", workflow.name, True)
    rule_state.put_state(session, "trigger", "count", 3, trigger_id=t1.id)
    assert rule_state.scope_states(session, "trigger", trigger_id=t1.id) == {"count": 3}
    triggers.delete_trigger(session, t1.id)
    assert rule_state.scope_states(session, "trigger", trigger_id=t1.id) == {}
    with pytest.raises(NotFoundError, match=f"workflow trigger {t1.id} does not exist"):
        triggers.get_trigger(session, t1.id)
    assert triggers.delete_triggers(session, workflow.id) == 1


def test_rule_state(session: Session, execution: Execution, workflow: Workflow) -> None:
    trigger = triggers.create_trigger(session, workflow.id, "rule")
    assert rule_state.scope_states(session, "a", execution_id=execution.id) == {}
    rule_state.put_state(session, "a", "n", {"seen": [1, 2]}, execution_id=execution.id)
    rule_state.put_state(session, "a", "n", {"seen": [1, 2, 3]}, execution_id=execution.id)
    rule_state.put_state(session, "a", "m", 7, execution_id=execution.id)
    rule_state.put_state(session, "a", "n", "trigger-side", trigger_id=trigger.id)
    rule_state.put_state(session, "b", "n", None, execution_id=execution.id)
    got = rule_state.scope_states(session, "a", execution_id=execution.id)
    assert got == {"n": {"seen": [1, 2, 3]}, "m": 7}
    assert rule_state.scope_states(session, "a", trigger_id=trigger.id) == {"n": "trigger-side"}
    assert rule_state.scope_states(session, "b", execution_id=execution.id) == {"n": None}
    with pytest.raises(ValueError, match="exactly one"):
        rule_state.scope_states(session, "a")
    with pytest.raises(ValueError, match="exactly one"):
        rule_state.put_state(session, "a", "n", 1, execution_id=1, trigger_id=1)


def test_rule_state_cascades_with_execution(session: Session, execution: Execution) -> None:
    rule_state.put_state(session, "a", "n", 1, execution_id=execution.id)
    metadata.executions.update_execution_status(session, execution.id, "STOPPED")
    metadata.executions.delete_execution(session, execution.id)
    assert rule_state.scope_states(session, "a", execution_id=execution.id) == {}


def test_offset(factory: sessionmaker[Session]) -> None:
    with metadata.write_session(factory) as s:
        assert offsets.get_offset(s, for_update=True) == 0
        offsets.set_offset(s, 123)
    with metadata.read_session(factory) as s:
        assert offsets.get_offset(s) == 123
    with (
        pytest.raises(ValueError, match="must not be negative"),
        metadata.write_session(factory) as s,
    ):
        offsets.set_offset(s, -1)


def test_offset_rolls_back_with_its_batch(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), metadata.write_session(factory) as s:
        offsets.set_offset(s, 9)
        raise RuntimeError("batch failed")
    with metadata.read_session(factory) as s:
        assert offsets.get_offset(s) == 0


def test_commands_outbox(session: Session, execution: Execution) -> None:
    te = metadata.task_executions.create_task_execution(session, execution.id, "a", "MANUAL")
    start = commands.add_command(session, te.id, "START")
    stop = commands.add_command(session, te.id, "STOP")
    assert start.done is False and start.done_time is None
    assert [c.id for c in commands.pending(session)] == [start.id, stop.id]
    assert [c.id for c in commands.pending(session, limit=1)] == [start.id]
    done = commands.mark_done(session, start.id)
    first_time = done.done_time
    assert done.done is True and first_time is not None
    assert commands.mark_done(session, start.id).done_time == first_time
    assert [c.id for c in commands.pending(session)] == [stop.id]
    with pytest.raises(NotFoundError, match="task command 999999 does not exist"):
        commands.mark_done(session, 999999)
    with pytest.raises(ValueError, match="TaskAction"):
        commands.add_command(session, te.id, "JUMP")
    with pytest.raises(NotFoundError, match="task execution 999999 does not exist"):
        commands.add_command(session, 999999, "START")
