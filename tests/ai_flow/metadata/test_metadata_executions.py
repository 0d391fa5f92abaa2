"""Snapshots, workflow executions and task executions on every backend."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata
from ai_flow.metadata import executions, snapshots, task_executions
from ai_flow.metadata.errors import ConflictError, NotFoundError

Workflow = metadata.WorkflowRow
Snapshot = metadata.WorkflowSnapshotRow
Execution = metadata.WorkflowExecutionRow


def test_snapshot_crud(session: Session, workflow: Workflow, snapshot: Snapshot) -> None:
    assert workflow.latest_snapshot_id == snapshot.id
    got = snapshots.get_snapshot(session, snapshot.id)
    assert got.artifacts == [{"name": "x.jar", "uri": "/blob/x.jar"}]
    assert got.description == {"tasks": ["a"]}
    second = snapshots.create_snapshot(
        session, workflow.id, file_name="wf.py", uri="/b2", signature="s2", description={}
    )
    assert workflow.latest_snapshot_id == second.id
    assert [s.id for s in snapshots.list_snapshots(session, workflow.id)] == [
        second.id,
        snapshot.id,
    ]
    snapshots.delete_snapshot(session, second.id)
    assert workflow.latest_snapshot_id == snapshot.id
    assert snapshots.delete_snapshots(session, workflow.id) == 1
    assert workflow.latest_snapshot_id is None
    with pytest.raises(NotFoundError, match=f"workflow snapshot {snapshot.id} does not exist"):
        snapshots.get_snapshot(session, snapshot.id)


def test_snapshot_used_by_execution_is_kept(
    session: Session, workflow: Workflow, snapshot: Snapshot, execution: Execution
) -> None:
    with pytest.raises(ConflictError, match="is used by 1 execution"):
        snapshots.delete_snapshot(session, snapshot.id)
    with pytest.raises(ConflictError):
        snapshots.delete_snapshots(session, workflow.id)


def test_signature_depends_on_source_and_artifacts() -> None:
    a = [{"name": "a", "uri": "u1"}, {"name": "b", "uri": "u2"}]
    sig = snapshots.compute_signature(b"src", a)
    assert len(sig) == 64
    assert sig == snapshots.compute_signature(b"src", list(reversed(a)))
    assert sig != snapshots.compute_signature(b"src2", a)
    assert sig != snapshots.compute_signature(b"src", a[:1])


def test_execution_crud(
    session: Session, workflow: Workflow, snapshot: Snapshot, execution: Execution
) -> None:
    assert execution.status == "INIT" and execution.execution_type == "MANUAL"
    assert execution.begin_date > 0 and execution.end_date is None
    evented = executions.create_execution(
        session, workflow.id, snapshot.id, "EVENT", trigger_info={"trigger_id": 3}, event_offset=7
    )
    got = executions.get_execution(session, evented.id)
    assert got.trigger_info == {"trigger_id": 3} and got.event_offset == 7
    listed = executions.list_executions(session, workflow.id)
    assert [e.id for e in listed] == [evented.id, execution.id]
    assert executions.count_unfinished(session, workflow.id) == 2
    executions.update_execution_status(session, execution.id, "RUNNING")
    assert [
        e.id for e in executions.list_executions(session, workflow.id, statuses=["RUNNING"])
    ] == [execution.id]
    done = executions.update_execution_status(session, execution.id, "SUCCESS")
    assert done.end_date is not None
    assert executions.count_unfinished(session, workflow.id) == 1
    assert [e.id for e in executions.list_unfinished(session, workflow.id)] == [evented.id]
    assert executions.list_running(session, namespace="default") == []
    executions.update_execution_status(session, evented.id, "RUNNING")
    [(running, wf, snap)] = executions.list_running(session, namespace="default")
    assert (running.id, wf.id, snap.id) == (evented.id, workflow.id, snapshot.id)
    assert executions.list_running(session, namespace="other") == []
    assert executions.list_running(session, execution_id=execution.id) == []
    assert len(executions.list_running(session, execution_id=evented.id)) == 1
    executions.delete_execution(session, execution.id)
    with pytest.raises(NotFoundError, match=f"workflow execution {execution.id} does not exist"):
        executions.get_execution(session, execution.id)


def test_execution_errors(
    session: Session, workflow: Workflow, snapshot: Snapshot, execution: Execution
) -> None:
    with pytest.raises(ConflictError, match="is INIT; stop it before deleting"):
        executions.delete_execution(session, execution.id)
    with pytest.raises(ValueError, match="'BOGUS' is not a valid WorkflowStatus"):
        executions.update_execution_status(session, execution.id, "BOGUS")
    with pytest.raises(ValueError, match="ExecutionType"):
        executions.create_execution(session, workflow.id, snapshot.id, "SOMETIMES")
    with pytest.raises(NotFoundError):
        executions.create_execution(session, workflow.id, 10**9, "MANUAL")
    other = metadata.workflows.create_workflow(session, "default", "other")
    with pytest.raises(NotFoundError, match=f"of workflow {other.id} does not exist"):
        executions.create_execution(session, other.id, snapshot.id, "MANUAL")


def test_task_execution_sequence_allocation(session: Session, execution: Execution) -> None:
    a1 = task_executions.create_task_execution(session, execution.id, "a", "MANUAL")
    a2 = task_executions.create_task_execution(session, execution.id, "a", "EVENT", try_number=2)
    b1 = task_executions.create_task_execution(session, execution.id, "b", "MANUAL")
    assert (a1.sequence_number, a2.sequence_number, b1.sequence_number) == (1, 2, 1)
    assert a1.try_number == 1 and a2.try_number == 2 and a1.status == "INIT"
    assert task_executions.latest_task_execution(session, execution.id, "a").id == a2.id
    assert task_executions.latest_task_execution(session, execution.id, "zz") is None
    assert task_executions.latest_sequence_numbers(session, execution.id) == {"a": 2, "b": 1}
    assert task_executions.latest_statuses(session, execution.id) == {"a": "INIT", "b": "INIT"}
    listed = task_executions.list_task_executions(session, execution.id)
    assert [t.id for t in listed] == [a1.id, a2.id, b1.id]
    only_a = task_executions.list_task_executions(session, execution.id, task_name="a")
    assert [t.id for t in only_a] == [a1.id, a2.id]
    assert len(task_executions.list_task_executions(session, execution.id, limit=1)) == 1


def test_task_execution_status_claim_and_handle(session: Session, execution: Execution) -> None:
    te = task_executions.create_task_execution(session, execution.id, "a", "MANUAL")
    assert te.begin_date is None
    assert task_executions.list_launched(session, ["INIT"]) == []  # no handle yet
    task_executions.set_handle(session, te.id, "handle-1", 1)
    [(launched, ex, wf)] = task_executions.list_launched(session, ["INIT", "RUNNING"])
    assert (launched.id, ex.id, wf.id) == (te.id, execution.id, execution.workflow_id)
    locked = task_executions.lock_task_execution(session, te.id)
    task_executions.record_claim(session, locked, "token", "host-1", 1234)
    assert (te.claimed_try, te.claim_token, te.pid, te.host) == (1, "token", 1234, "host-1")
    assert te.try_start_time is not None
    running = task_executions.update_task_status(session, te.id, "RUNNING")
    assert running.begin_date is not None and running.end_date is None
    failed = task_executions.update_task_status(session, te.id, "FAILED", error="boom")
    assert failed.end_date is not None and failed.error == "boom"
    retried = task_executions.start_retry(session, te.id, "try 1 failed")
    assert (retried.status, retried.try_number, retried.error) == ("RETRYING", 2, "try 1 failed")
    assert (retried.handle, retried.handle_try) == ("handle-1", 1)  # until try 2 launches
    stopping = task_executions.set_stopping(session, te.id, "USER")
    assert (stopping.status, stopping.stop_reason) == ("STOPPING", "USER")
    with pytest.raises(ValueError, match="StopReason"):
        task_executions.set_stopping(session, te.id, "BORED")
    full = task_executions.get_with_context(session, te.id)
    assert [r.id for r in full] == [
        te.id,
        execution.id,
        execution.workflow_id,
        execution.snapshot_id,
    ]


def test_task_execution_errors(session: Session, execution: Execution) -> None:
    with pytest.raises(NotFoundError, match="workflow execution 999999 does not exist"):
        task_executions.create_task_execution(session, 999999, "a", "MANUAL")
    with pytest.raises(NotFoundError, match="task execution 999999 does not exist"):
        task_executions.get_task_execution(session, 999999)
    with pytest.raises(NotFoundError, match="task execution 999999 does not exist"):
        task_executions.lock_task_execution(session, 999999)
    with pytest.raises(ValueError, match="TaskStatus"):
        task_executions.create_task_execution(session, execution.id, "a", "MANUAL", status="NO")


def test_unique_execution_task_sequence_is_enforced(
    factory: sessionmaker[Session], execution: Execution, session: Session
) -> None:
    session.commit()
    with pytest.raises(IntegrityError), metadata.write_session(factory) as s:
        for _ in range(2):
            s.add(
                metadata.TaskExecutionRow(
                    workflow_execution_id=execution.id,
                    task_name="a",
                    sequence_number=1,
                    execution_type="MANUAL",
                    status="INIT",
                )
            )
            s.flush()


def test_concurrent_allocation_is_dense(
    factory: sessionmaker[Session], execution: Execution, session: Session
) -> None:
    session.commit()
    errors: list[BaseException] = []

    def allocate() -> None:
        try:
            for _ in range(10):
                with metadata.write_session(factory) as s:
                    task_executions.create_task_execution(s, execution.id, "a", "MANUAL")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with metadata.read_session(factory) as s:
        rows = task_executions.list_task_executions(s, execution.id)
    assert sorted(r.sequence_number for r in rows) == list(range(1, 31))


def test_stopped_execution_with_a_stopping_task_is_not_deleted(
    session: Session, execution: Execution
) -> None:
    task = metadata.task_executions.create_task_execution(
        session, execution.id, "t", "MANUAL", status="STOPPING"
    )
    executions.update_execution_status(session, execution.id, "STOPPED")
    with pytest.raises(ConflictError, match="1 task execution\\(s\\) stopping"):
        executions.delete_execution(session, execution.id)
    metadata.task_executions.update_task_status(session, task.id, "STOPPED")
    executions.delete_execution(session, execution.id)
