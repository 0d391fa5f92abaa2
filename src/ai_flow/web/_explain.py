"""The "Why?" panel of an execution's page: what started the execution and its
decisions, or one task's timeline and why it is not running (the decision log, as
`aiflow ... explain` prints it). Read on the execution's namespace."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from ai_flow.app import access, explain
from ai_flow.explain_text import execution_lines, task_lines
from ai_flow.rest import RestContext
from ai_flow.web._context import Ctx, Viewer
from ai_flow.web._templates import fragment, render

router = APIRouter(include_in_schema=False)
#: Decisions the execution's panel shows (newest first); the CLI pages through all.
SHOWN = 50


def _panel(title: str, lines: Iterator[str], execution_id: int) -> Markup:
    return render("fragments/why.html", title=title, text="\n".join(lines), id=execution_id)


def execution_why(ctx: RestContext, execution_id: int) -> Markup:
    data = explain.explain_workflow_execution(ctx.app, execution_id, SHOWN, 0)
    return _panel(f"execution {execution_id}", execution_lines(data), execution_id)


@router.get("/ui/explain/{execution_id}")
def execution_panel(ctx: Ctx, viewer: Viewer, execution_id: int) -> Response:
    def build() -> Markup:
        access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, False)
        return execution_why(ctx, execution_id)

    return fragment(build)


@router.get("/ui/explain/{execution_id}/tasks/{task_name}")
def task_panel(ctx: Ctx, viewer: Viewer, execution_id: int, task_name: str) -> Response:
    def build() -> Markup:
        access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, False)
        data = explain.explain_task_execution(ctx.app, execution_id, task_name, ctx.events)
        return _panel(f"task {task_name}", task_lines(data), execution_id)

    return fragment(build)
