"""What each page shows, read through the application layer and rendered as named
fragments. A page renders them in place; its live stream (_live.py) renders them
again and sends those that changed, so a page and its updates cannot disagree.

Each view is for a viewer: the namespaces listed are those it may read, and the
buttons are shown only where it may write (the actions check again, _actions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ai_flow.app import access, executions, listings, timers, workflows
from ai_flow.app.errors import NotFoundError, PreconditionError
from ai_flow.metadata import MAX_LIMIT, TaskExecutionRow, WorkflowExecutionRow, WorkflowRow
from ai_flow.rest import RestContext
from ai_flow.web._format import ALIVE, now_ms
from ai_flow.web._gantt import build_gantt
from ai_flow.web._graph import build_graph
from ai_flow.web._grid import build_grid
from ai_flow.web._templates import render
from notification_service.util.auth import Principal

RECENT_RUNS = 8  # status squares per workflow in the list
GRID_RUNS = 25  # executions in a workflow's grid
MAX_WORKFLOWS = 200  # per namespace page


@dataclass(frozen=True)
class WorkflowSummary:
    workflow: WorkflowRow
    recent: list[WorkflowExecutionRow]
    schedules: int
    paused_schedules: int
    triggers: int
    paused_triggers: int


def namespace_names(ctx: RestContext, viewer: Principal) -> list[str]:
    """The namespaces `viewer` may read, by name."""
    return [n.name for n in access.list_visible_namespaces(ctx.app, viewer, MAX_LIMIT, 0)]


def _summary(ctx: RestContext, wf: WorkflowRow) -> WorkflowSummary:
    recent, _ = executions.list_executions(ctx.app, wf.namespace, wf.name, RECENT_RUNS, 0)
    schedules, _ = timers.list_schedules(ctx.app, wf.namespace, wf.name, MAX_LIMIT, 0)
    triggers, _ = timers.list_triggers(ctx.app, wf.namespace, wf.name, MAX_LIMIT, 0)
    return WorkflowSummary(
        wf,
        recent,
        len(schedules),
        sum(s.is_paused for s in schedules),
        len(triggers),
        sum(t.is_paused for t in triggers),
    )


def namespace_view(ctx: RestContext, namespace: str, viewer: Principal) -> dict[str, Markup]:
    listing = listings.workflows_page(ctx.app, namespace, MAX_WORKFLOWS, 0)
    items = []
    for wf in listing.items:
        try:
            items.append(_summary(ctx, wf))
        except NotFoundError:  # deleted since the listing
            continue
    return {
        "workflows": render(
            "fragments/workflows.html",
            namespace=namespace,
            items=items,
            total=listing.total,
            can_write=viewer.can(namespace, True),
        )
    }


def namespace_timers_view(ctx: RestContext, namespace: str, viewer: Principal) -> dict[str, Markup]:
    """Every schedule and trigger of the namespace's workflows, by workflow."""
    listing = listings.workflows_page(ctx.app, namespace, MAX_WORKFLOWS, 0)
    entries = []
    for wf in listing.items:
        try:
            schedules, _ = timers.list_schedules(ctx.app, namespace, wf.name, MAX_LIMIT, 0)
            triggers, _ = timers.list_triggers(ctx.app, namespace, wf.name, MAX_LIMIT, 0)
        except NotFoundError:  # deleted since the listing
            continue
        if schedules or triggers:
            entries.append((wf, schedules, triggers))
    html = render(
        "fragments/namespace_timers.html",
        entries=entries,
        can_write=viewer.can(namespace, True),
    )
    return {"timers": html}


def _runs(ctx: RestContext, execution_id: int) -> list[TaskExecutionRow]:
    return executions.list_task_executions(ctx.app, execution_id, MAX_LIMIT, 0)


def _task_names(description: dict[str, Any] | None) -> list[str]:
    return [t["name"] for t in (description or {}).get("tasks") or []]


def workflow_view(
    ctx: RestContext, namespace: str, name: str, viewer: Principal
) -> dict[str, Markup]:
    wf, description = workflows.get_workflow(ctx.app, namespace, name)
    recent, _ = executions.list_executions(ctx.app, namespace, name, GRID_RUNS, 0)
    per_execution = [(e, _runs(ctx, e.id)) for e in recent]
    grid = build_grid(_task_names(description), per_execution)
    # The graph shows where the newest execution stands.
    statuses = {}
    if grid.rows:
        statuses = {
            task: cell.status
            for task, cell in zip(grid.tasks, grid.rows[0].cells, strict=True)
            if cell
        }
    graph = build_graph(description) if description else None
    schedules, _ = timers.list_schedules(ctx.app, namespace, name, MAX_LIMIT, 0)
    triggers, _ = timers.list_triggers(ctx.app, namespace, name, MAX_LIMIT, 0)
    can_write = viewer.can(namespace, True)
    return {
        "header": render("fragments/workflow_header.html", wf=wf, can_write=can_write),
        "graph": render("fragments/graph.html", graph=graph, statuses=statuses),
        "grid": render("fragments/grid.html", wf=wf, grid=grid),
        "timers": render(
            "fragments/timers.html",
            wf=wf,
            schedules=schedules,
            triggers=triggers,
            can_write=can_write,
        ),
    }


def workflow_source(ctx: RestContext, wf: WorkflowRow) -> tuple[str, str]:
    """(file name, text) of the latest snapshot, or ("", why there is none)."""
    if wf.latest_snapshot_id is None:
        return "", "this workflow has no snapshot"
    try:
        row, text = workflows.snapshot_source(ctx.app, wf.latest_snapshot_id)
    except PreconditionError as exc:
        return "", str(exc)
    return row.file_name, text


@dataclass(frozen=True)
class TaskLine:
    """A task of the plan with its latest run in the execution (None: never ran)."""

    name: str
    latest: TaskExecutionRow | None
    runs: int

    @property
    def alive(self) -> bool:
        return self.latest is not None and self.latest.status in ALIVE


def execution_view(ctx: RestContext, execution_id: int, viewer: Principal) -> dict[str, Markup]:
    execution, wf = executions.get_execution(ctx.app, execution_id)
    runs = _runs(ctx, execution_id)
    description = workflows.get_snapshot(ctx.app, execution.snapshot_id).description
    names = _task_names(description)
    names += sorted({r.task_name for r in runs} - set(names))
    lines = []
    for name in names:
        own = [r for r in runs if r.task_name == name]
        latest = max(own, key=lambda r: r.sequence_number) if own else None
        lines.append(TaskLine(name, latest, len(own)))
    can_write = viewer.can(wf.namespace, True)
    return {
        "header": render(
            "fragments/execution_header.html", execution=execution, wf=wf, can_write=can_write
        ),
        "gantt": render("fragments/gantt.html", gantt=build_gantt(execution, runs, now_ms())),
        "tasks": render(
            "fragments/tasks.html", execution=execution, lines=lines, can_write=can_write
        ),
    }
