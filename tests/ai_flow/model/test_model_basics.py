"""Enums, states and execution records as documented in the API reference."""

from __future__ import annotations

from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.internal.memory_context import MemoryContext
from ai_flow.model.state import State, ValueState, ValueStateDescriptor
from ai_flow.model.status import TaskStatus, WorkflowStatus
from ai_flow.model.task_execution import TaskExecution
from ai_flow.model.workflow_execution import WorkflowExecution


def test_enum_members_are_their_names():
    assert [a.value for a in TaskAction] == ["START", "STOP", "RESTART"]
    assert {s.value for s in TaskStatus} == {
        "INIT",
        "QUEUED",
        "RUNNING",
        "SUCCESS",
        "FAILED",
        "STOPPING",
        "STOPPED",
        "RETRYING",
    }
    assert {s.value for s in WorkflowStatus} == {"INIT", "RUNNING", "SUCCESS", "FAILED", "STOPPED"}
    assert {t.value for t in ExecutionType} == {"MANUAL", "EVENT", "PERIODIC"}
    # str-based enums compare equal to their values, which keeps storage code simple.
    assert TaskStatus.SUCCESS == "SUCCESS" and str(TaskAction.STOP) == "STOP"
    assert TaskStatus.STOPPED.is_finished and not TaskStatus.RETRYING.is_finished
    assert WorkflowStatus.FAILED.is_finished and not WorkflowStatus.RUNNING.is_finished


def test_value_state_through_a_context():
    ctx = MemoryContext()
    descriptor = ValueStateDescriptor(name="counter")
    state = ctx.get_state(descriptor)
    assert isinstance(state, ValueState) and isinstance(state, State)
    assert state.value() is None
    state.update(3)
    assert ctx.get_state(ValueStateDescriptor("counter")).value() == 3
    assert ctx.get_state(ValueStateDescriptor("other")).value() is None
    state.clear()
    assert state.value() is None
    assert descriptor.renamed("x/counter") == ValueStateDescriptor("x/counter")


def test_execution_records():
    te = TaskExecution(1, "task", 1, ExecutionType.EVENT)
    assert te.status == TaskStatus.INIT and te.id is None and te.begin_date is None
    we = WorkflowExecution(workflow_id=7, execution_type=ExecutionType.MANUAL)
    assert we.status == WorkflowStatus.INIT
