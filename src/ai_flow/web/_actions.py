"""The buttons: start, stop and restart, enable and disable, pause and resume.

Each answers with a one-line notice for the page's #flash area; the page's live stream
shows the effect. Only htmx requests are served: a cross-site form cannot send the
`HX-Request` header (it would need a CORS preflight this server never grants), so
another site cannot make a browser press these buttons. With auth_tokens each needs
write on the namespace it acts in: a read-only token sees no buttons, and a request
it sends anyway is refused (403) with a notice saying so.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ai_flow.app import access, executions, task_actions, timers, workflows
from ai_flow.app.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionError,
)
from ai_flow.web._context import Ctx, Viewer
from ai_flow.web._templates import render
from notification_service.client import NotificationError
from notification_service.util.auth import PermissionDenied

router = APIRouter(prefix="/ui", include_in_schema=False)
_REFUSED = (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionError,
    NotificationError,
    ValueError,
)


def _flash(
    kind: str, message: str, link: str = "", link_text: str = "", status: int = 200
) -> HTMLResponse:
    return HTMLResponse(
        render("flash.html", kind=kind, message=message, link=link, link_text=link_text),
        status_code=status,
    )


def _act(
    request: Request, check: Callable[[], None], action: Callable[[], HTMLResponse]
) -> Response:
    """`check` raises PermissionDenied unless the viewer may do `action`."""
    if request.headers.get("HX-Request") != "true":
        return HTMLResponse("only the web UI's own buttons may do this", status_code=403)
    try:
        check()
    except PermissionDenied as exc:
        return _flash("error", f"Not allowed: {exc}.", status=403)
    try:
        return action()
    except _REFUSED as exc:
        return _flash("error", str(exc))


@router.post("/workflows/{namespace}/{name}/start")
def start_execution(
    ctx: Ctx, viewer: Viewer, request: Request, namespace: str, name: str
) -> Response:
    def act() -> HTMLResponse:
        row, wf = executions.start_execution(ctx.app, namespace, name, access.token_name(viewer))
        return _flash(
            "ok", f"Started execution {row.id} of {wf.name}.", f"/executions/{row.id}", "Open it"
        )

    return _act(request, lambda: access.require_namespace(viewer, namespace, True), act)


@router.post("/workflows/{namespace}/{name}/stop-all")
def stop_executions(
    ctx: Ctx, viewer: Viewer, request: Request, namespace: str, name: str
) -> Response:
    def act() -> HTMLResponse:
        count = executions.stop_executions(ctx.app, namespace, name, access.token_name(viewer))
        return _flash("ok", f"Stopping {count} execution(s) of {name}.")

    return _act(request, lambda: access.require_namespace(viewer, namespace, True), act)


@router.post("/workflows/{namespace}/{name}/{change}")
def enable_workflow(
    ctx: Ctx, viewer: Viewer, request: Request, namespace: str, name: str, change: str
) -> Response:
    def act() -> HTMLResponse:
        if change not in ("enable", "disable"):
            raise NotFoundError(f"no action {change!r}")
        wf = workflows.set_workflow_enabled(ctx.app, namespace, name, change == "enable")
        return _flash("ok", f"{wf.name} is {'enabled' if wf.is_enabled else 'disabled'}.")

    return _act(request, lambda: access.require_namespace(viewer, namespace, True), act)


@router.post("/executions/{execution_id}/stop")
def stop_execution(ctx: Ctx, viewer: Viewer, request: Request, execution_id: int) -> Response:
    def act() -> HTMLResponse:
        executions.stop_execution(ctx.app, execution_id, access.token_name(viewer))
        return _flash("ok", f"Stopping execution {execution_id}.")

    return _act(
        request,
        lambda: access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, True),
        act,
    )


@router.post("/executions/{execution_id}/tasks/{task_name}/{change}")
def task_action(
    ctx: Ctx, viewer: Viewer, request: Request, execution_id: int, task_name: str, change: str
) -> Response:
    def act() -> HTMLResponse:
        if change == "start":
            row = executions.start_task_execution(
                ctx.app, execution_id, task_name, access.token_name(viewer)
            )
            return _flash("ok", f"{task_name} #{row.sequence_number} is {row.status}.")
        if change == "stop":
            executions.stop_task_execution(
                ctx.app, execution_id, task_name, access.token_name(viewer)
            )
            return _flash("ok", f"Stopping {task_name}.")
        if change == "restart":
            row = task_actions.restart_task_execution(
                ctx.app, execution_id, task_name, access.token_name(viewer)
            )
            return _flash("ok", f"Restarting {task_name} as run #{row.sequence_number}.")
        raise NotFoundError(f"no action {change!r}")

    return _act(
        request,
        lambda: access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, True),
        act,
    )


@router.post("/schedules/{schedule_id}/{change}")
def pause_schedule(
    ctx: Ctx, viewer: Viewer, request: Request, schedule_id: int, change: str
) -> Response:
    def act() -> HTMLResponse:
        if change not in ("pause", "resume"):
            raise NotFoundError(f"no action {change!r}")
        row, _wf = timers.set_schedule_paused(ctx.app, schedule_id, change == "pause")
        return _flash("ok", f"Schedule {row.id} is {'paused' if row.is_paused else 'active'}.")

    return _act(
        request, lambda: access.require_owner(ctx.app, viewer, "schedule", schedule_id, True), act
    )


@router.post("/triggers/{trigger_id}/{change}")
def pause_trigger(
    ctx: Ctx, viewer: Viewer, request: Request, trigger_id: int, change: str
) -> Response:
    def act() -> HTMLResponse:
        if change not in ("pause", "resume"):
            raise NotFoundError(f"no action {change!r}")
        row, _wf = timers.set_trigger_paused(ctx.app, trigger_id, change == "pause")
        return _flash("ok", f"Trigger {row.id} is {'paused' if row.is_paused else 'active'}.")

    return _act(
        request, lambda: access.require_owner(ctx.app, viewer, "trigger", trigger_id, True), act
    )
