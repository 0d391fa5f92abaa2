"""Namespaces and workflows: CRUD, one-line errors, cascades, bounded listing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata
from ai_flow.metadata import _util, namespaces, workflows
from ai_flow.metadata.errors import AlreadyExistsError, ConflictError, NotFoundError


def test_namespace_crud(session: Session) -> None:
    row = namespaces.create_namespace(session, "team", {"owner": "ana"})
    assert row.create_time > 0
    assert namespaces.get_namespace(session, "team").properties == {"owner": "ana"}
    namespaces.update_namespace(session, "team", {"owner": "bo"})
    assert namespaces.get_namespace(session, "team").properties == {"owner": "bo"}
    assert [n.name for n in namespaces.list_namespaces(session)] == ["default", "team"]
    namespaces.delete_namespace(session, "team")
    with pytest.raises(NotFoundError, match=r"^namespace team does not exist$"):
        namespaces.get_namespace(session, "team")


def test_namespace_errors(session: Session) -> None:
    with pytest.raises(AlreadyExistsError, match=r"^namespace default already exists$"):
        namespaces.create_namespace(session, "default")
    with pytest.raises(NotFoundError, match="namespace nope does not exist"):
        namespaces.update_namespace(session, "nope", {})
    with pytest.raises(NotFoundError):
        namespaces.delete_namespace(session, "nope")


def test_namespace_with_workflows_needs_force(session: Session) -> None:
    namespaces.create_namespace(session, "team")
    workflows.create_workflow(session, "team", "a")
    with pytest.raises(ConflictError, match=r"namespace team still has 1 workflow"):
        namespaces.delete_namespace(session, "team")
    namespaces.delete_namespace(session, "team", force=True)
    assert workflows.find_workflow(session, "team", "a") is None


def test_workflow_crud(session: Session) -> None:
    row = workflows.create_workflow(session, "default", "wf")
    assert row.id > 0 and row.is_enabled and row.latest_snapshot_id is None
    assert workflows.get_workflow(session, "default", "wf").id == row.id
    assert workflows.get_workflow_by_id(session, row.id).name == "wf"
    disabled = workflows.set_workflow_enabled(session, "default", "wf", False)
    assert disabled.is_enabled is False and disabled.update_time >= row.create_time
    workflows.create_workflow(session, "default", "another")
    assert [w.name for w in workflows.list_workflows(session, "default")] == ["another", "wf"]
    workflows.delete_workflow(session, "default", "wf")
    assert workflows.find_workflow(session, "default", "wf") is None


def test_workflow_errors(session: Session) -> None:
    workflows.create_workflow(session, "default", "wf")
    with pytest.raises(AlreadyExistsError, match=r"^workflow default\.wf already exists$"):
        workflows.create_workflow(session, "default", "wf")
    with pytest.raises(NotFoundError, match=r"^workflow default\.foo does not exist$"):
        workflows.get_workflow(session, "default", "foo")
    with pytest.raises(NotFoundError, match="namespace ghost does not exist"):
        workflows.create_workflow(session, "ghost", "wf")
    with pytest.raises(NotFoundError, match="workflow 999999 does not exist"):
        workflows.get_workflow_by_id(session, 999999)
    with pytest.raises(NotFoundError):
        workflows.delete_workflow(session, "default", "foo")


def test_same_name_in_two_namespaces(session: Session) -> None:
    namespaces.create_namespace(session, "team")
    a = workflows.create_workflow(session, "default", "wf")
    b = workflows.create_workflow(session, "team", "wf")
    assert a.id != b.id


def test_rows_stay_readable_after_commit(factory: sessionmaker[Session]) -> None:
    with metadata.write_session(factory) as s:
        row = workflows.create_workflow(s, "default", "wf")
    assert row.name == "wf"
    with metadata.read_session(factory) as s:
        assert workflows.get_workflow(s, "default", "wf").id == row.id


def test_failed_write_session_rolls_back(factory: sessionmaker[Session]) -> None:
    with pytest.raises(AlreadyExistsError), metadata.write_session(factory) as s:
        workflows.create_workflow(s, "default", "wf")
        workflows.create_workflow(s, "default", "wf")
    with metadata.read_session(factory) as s:
        assert workflows.find_workflow(s, "default", "wf") is None


def test_listing_is_bounded(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        workflows.create_workflow(session, "default", f"wf{i}")
    assert [w.name for w in workflows.list_workflows(session, "default", 2, 1)] == ["wf1", "wf2"]
    monkeypatch.setattr(_util, "DEFAULT_LIMIT", 4)
    monkeypatch.setattr(_util, "MAX_LIMIT", 5)
    assert len(workflows.list_workflows(session, "default")) == 4
    assert len(workflows.list_workflows(session, "default", limit=10**6)) == 5
    with pytest.raises(ValueError, match="limit must be positive"):
        workflows.list_workflows(session, "default", limit=0)
    with pytest.raises(ValueError):
        namespaces.list_namespaces(session, offset=-1)


def test_default_limits() -> None:
    assert metadata.DEFAULT_LIMIT == 100 and metadata.MAX_LIMIT == 1000


def test_delete_workflow_cascades_everything(
    session: Session, workflow: metadata.WorkflowRow, execution: metadata.WorkflowExecutionRow
) -> None:
    te = metadata.task_executions.create_task_execution(session, execution.id, "a", "MANUAL")
    metadata.commands.add_command(session, te.id, "START")
    metadata.schedules.create_schedule(session, workflow.id, "cron@* * * * *")
    trigger = metadata.triggers.create_trigger(session, workflow.id, "rule")
    metadata.rule_state.put_state(session, "a", "n", 1, execution_id=execution.id)
    metadata.rule_state.put_state(session, "t", "n", 2, trigger_id=trigger.id)
    workflows.delete_workflow(session, "default", "wf")
    for table in (
        metadata.WorkflowSnapshotRow,
        metadata.WorkflowExecutionRow,
        metadata.TaskExecutionRow,
        metadata.TaskCommandRow,
        metadata.WorkflowScheduleRow,
        metadata.WorkflowTriggerRow,
        metadata.RuleStateRow,
    ):
        assert session.scalar(select(func.count()).select_from(table)) == 0, table
