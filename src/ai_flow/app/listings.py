"""Listings with their totals, for transports that page with `total_entries` (REST).

Each page and its total are read in one transaction, so they agree. Paging follows the
metadata layer: `limit` defaults to DEFAULT_LIMIT and is capped at MAX_LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from ai_flow.app._context import App
from ai_flow.metadata import (
    NamespaceRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
    counts,
    executions,
    namespaces,
    schedules,
    snapshots,
    triggers,
    workflows,
)
from ai_flow.metadata import task_executions as tasks

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    items: list[T]
    total: int


@dataclass(frozen=True)
class WorkflowListing(Listing[T]):
    """Rows that belong to one workflow, with that workflow (for its names)."""

    workflow: WorkflowRow


def namespaces_page(app: App, limit: int | None, offset: int | None) -> Listing[NamespaceRow]:
    with app.read() as s:
        rows = namespaces.list_namespaces(s, limit=limit, offset=offset)
        return Listing(rows, counts.count_namespaces(s))


def workflows_page(
    app: App, namespace: str, limit: int | None, offset: int | None
) -> Listing[WorkflowRow]:
    with app.read() as s:
        namespaces.get_namespace(s, namespace)
        rows = workflows.list_workflows(s, namespace, limit=limit, offset=offset)
        return Listing(rows, counts.count_workflows(s, namespace))


def snapshots_page(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> WorkflowListing[WorkflowSnapshotRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        rows = snapshots.list_snapshots(s, wf.id, limit=limit, offset=offset)
        return WorkflowListing(rows, counts.count_snapshots(s, wf.id), wf)


def executions_page(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> WorkflowListing[WorkflowExecutionRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        rows = executions.list_executions(s, wf.id, limit=limit, offset=offset)
        return WorkflowListing(rows, counts.count_executions(s, wf.id), wf)


def task_executions_page(
    app: App, execution_id: int, limit: int | None, offset: int | None
) -> Listing[TaskExecutionRow]:
    with app.read() as s:
        executions.get_execution(s, execution_id)
        rows = tasks.list_task_executions(s, execution_id, limit=limit, offset=offset)
        return Listing(rows, counts.count_task_executions(s, execution_id))


def schedules_page(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> WorkflowListing[WorkflowScheduleRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        rows = schedules.list_schedules(s, wf.id, limit=limit, offset=offset)
        return WorkflowListing(rows, counts.count_schedules(s, wf.id), wf)


def triggers_page(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> WorkflowListing[WorkflowTriggerRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        rows = triggers.list_triggers(s, wf.id, limit=limit, offset=offset)
        return WorkflowListing(rows, counts.count_triggers(s, wf.id), wf)
