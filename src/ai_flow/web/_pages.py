"""The pages: namespaces and workflows, a workflow, an execution, events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ai_flow.app import executions, workflows
from ai_flow.app.errors import NotFoundError
from ai_flow.web import _views
from ai_flow.web._context import Ctx
from ai_flow.web._logs import log_fragment
from ai_flow.web._templates import render
from notification_service.client import NotificationError

router = APIRouter(include_in_schema=False)
EVENT_WINDOW = 1000  # the events page looks back this many offsets...
EVENT_ROWS = 200  # ...and shows at most this many of them


def _page(build: Callable[[], str]) -> Response:
    """The page, or a readable 404 page instead of the API's JSON error."""
    try:
        return HTMLResponse(build())
    except NotFoundError as exc:
        return HTMLResponse(
            render("error.html", title="Not found", message=str(exc)), status_code=404
        )


@router.get("/")
def index(ctx: Ctx) -> Response:
    names = _views.namespace_names(ctx)
    if not names:
        return _page(lambda: render("error.html", title="No namespace", message="Add one."))
    first = "default" if "default" in names else names[0]
    return RedirectResponse(f"/namespaces/{first}", status_code=307)


@router.get("/namespaces/{namespace}")
def namespace_page(ctx: Ctx, namespace: str) -> Response:
    return _page(
        lambda: render(
            "namespace.html",
            namespace=namespace,
            namespaces=_views.namespace_names(ctx),
            fragments=_views.namespace_view(ctx, namespace),
        )
    )


@router.get("/namespaces/{namespace}/timers")
def timers_page(ctx: Ctx, namespace: str) -> Response:
    return _page(
        lambda: render(
            "namespace_timers.html",
            namespace=namespace,
            namespaces=_views.namespace_names(ctx),
            fragments=_views.namespace_timers_view(ctx, namespace),
        )
    )


@router.get("/namespaces/{namespace}/workflows/{name}")
def workflow_page(ctx: Ctx, namespace: str, name: str) -> Response:
    def build() -> str:
        fragments = _views.workflow_view(ctx, namespace, name)
        wf, _description = workflows.get_workflow(ctx.app, namespace, name)
        file_name, source = _views.workflow_source(ctx, wf)
        return render(
            "workflow.html", wf=wf, fragments=fragments, file_name=file_name, source=source
        )

    return _page(build)


@router.get("/executions/{execution_id}")
def execution_page(ctx: Ctx, execution_id: int, log: int | None = None) -> Response:
    def build() -> str:
        execution, wf = executions.get_execution(ctx.app, execution_id)
        panel = None
        if log is not None:
            try:
                panel = log_fragment(ctx, log)
            except NotFoundError:
                panel = None
        return render(
            "execution.html",
            execution=execution,
            wf=wf,
            fragments=_views.execution_view(ctx, execution_id),
            log=panel,
        )

    return _page(build)


@router.get("/events")
def events_page(
    ctx: Ctx,
    key: Annotated[str, Query(max_length=1024)] = "",
    namespace: Annotated[str, Query(max_length=255)] = "",
    sender: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    key, namespace, sender = key.strip(), namespace.strip(), sender.strip()
    keys = [key] if key and not key.endswith("*") else []
    prefixes = [key[:-1]] if key.endswith("*") and key != "*" else []
    error, found, latest = None, [], 0
    try:
        latest = ctx.events.get_latest_offset()
        found = ctx.events.list_events(
            key=keys or None,
            namespace=namespace or None,
            sender=sender or None,
            begin_offset=max(0, latest - EVENT_WINDOW),
            limit=EVENT_WINDOW,
            key_prefixes=prefixes or None,
        )
    except NotificationError as exc:
        error = f"The notification server cannot be read: {exc}"
    shown = list(reversed(found))[:EVENT_ROWS]
    after = max([latest, *(e.offset or 0 for e in found)])
    query = [("after", str(after))]
    query += [("key", k) for k in keys] + [("key_prefix", p) for p in prefixes]
    query += [("namespace", namespace)] if namespace else []
    query += [("sender", sender)] if sender else []
    return HTMLResponse(
        render(
            "events.html",
            key=key,
            namespace=namespace,
            sender=sender,
            events=shown,
            error=error,
            window=EVENT_WINDOW,
            stream="/api/v1/events/stream?" + urlencode(query),
        )
    )
