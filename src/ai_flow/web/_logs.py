"""A run's log: the panel that follows it (its tail first, so a huge log opens at
once) and the whole file; both need read on the run's namespace."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response
from markupsafe import Markup

from ai_flow.app import access, executions, task_logs
from ai_flow.app.errors import NotFoundError
from ai_flow.rest import RestContext
from ai_flow.web._context import Ctx, Viewer
from ai_flow.web._templates import fragment, render
from notification_service.util.auth import PermissionDenied

router = APIRouter(include_in_schema=False)
TAIL = 64 << 10  # bytes of a log shown at first; the whole file is one click away


def log_fragment(ctx: RestContext, task_execution_id: int) -> Markup:
    run = executions.get_task_execution(ctx.app, task_execution_id)
    path, finished = task_logs.log_path(ctx.app, ctx.log_dir, task_execution_id)
    size = path.stat().st_size if path.exists() else 0
    start = max(0, size - TAIL)
    missing, text, next_offset = None, "", start
    try:
        chunk = task_logs.read_log(ctx.app, ctx.log_dir, task_execution_id, start, TAIL)
        text, next_offset, finished = chunk.text, chunk.next_offset, chunk.finished
        if start and "\n" in text:  # begin at a whole line
            text = text[text.index("\n") + 1 :]
    except NotFoundError as exc:
        missing = str(exc)
    return render(
        "fragments/log.html",
        run=run,
        text=text,
        cut=start,
        next_offset=next_offset,
        finished=finished,
        missing=missing,
    )


@router.get("/ui/logs/{task_execution_id}")
def log_panel(ctx: Ctx, viewer: Viewer, task_execution_id: int) -> Response:
    def build() -> Markup:
        access.require_owner(ctx.app, viewer, "task_execution", task_execution_id, False)
        return log_fragment(ctx, task_execution_id)

    return fragment(build)


@router.get("/ui/logs/{task_execution_id}/raw")
def raw_log(ctx: Ctx, viewer: Viewer, task_execution_id: int) -> Response:
    try:
        access.require_owner(ctx.app, viewer, "task_execution", task_execution_id, False)
    except PermissionDenied as exc:
        return PlainTextResponse(str(exc), status_code=403)
    try:
        path, _finished = task_logs.log_path(ctx.app, ctx.log_dir, task_execution_id)
    except NotFoundError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    if not path.exists():
        return PlainTextResponse("this server has no log of that run", status_code=404)
    return FileResponse(path, media_type="text/plain; charset=utf-8")
