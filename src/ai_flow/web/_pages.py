"""The pages: namespaces and workflows, a workflow, an execution, events.

With auth_tokens a page needs a session (else: the login form, _login.py) whose token
may read what the page shows (else: a 403 page saying so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ai_flow.app import access, executions, workflows
from ai_flow.app.errors import NotFoundError
from ai_flow.web import _views
from ai_flow.web._context import Ctx, Viewer
from ai_flow.web._explain import execution_why
from ai_flow.web._logs import log_fragment
from ai_flow.web._templates import render
from notification_service.client import NotificationError
from notification_service.util.auth import ANYONE, PermissionDenied, Principal

router = APIRouter(include_in_schema=False)
EVENT_WINDOW = 1000  # the events page looks back this many offsets...
EVENT_ROWS = 200  # ...and shows at most this many of them


def _user(viewer: Principal) -> Principal | None:
    """Who the header names (nobody on a server without auth_tokens)."""
    return None if viewer is ANYONE else viewer


def _page(viewer: Principal, build: Callable[[], str]) -> Response:
    """The page, or a readable 404 (403) page instead of the API's JSON error."""
    try:
        return HTMLResponse(build())
    except NotFoundError as exc:
        html = render("error.html", user=_user(viewer), title="Not found", message=str(exc))
        return HTMLResponse(html, status_code=404)
    except PermissionDenied as exc:
        return _denied(viewer, exc)


def _denied(viewer: Principal, exc: PermissionDenied) -> HTMLResponse:
    html = render("error.html", user=_user(viewer), title="Not allowed", message=str(exc))
    return HTMLResponse(html, status_code=403)


@router.get("/")
def index(ctx: Ctx, viewer: Viewer) -> Response:
    names = _views.namespace_names(ctx, viewer)
    if not names:
        why = "Add one." if viewer is ANYONE else "Your token may read none of them."
        return _page(
            viewer,
            lambda: render("error.html", user=_user(viewer), title="No namespace", message=why),
        )
    first = "default" if "default" in names else names[0]
    return RedirectResponse(f"/namespaces/{first}", status_code=307)


@router.get("/namespaces/{namespace}")
def namespace_page(ctx: Ctx, viewer: Viewer, namespace: str) -> Response:
    def build() -> str:
        access.require_namespace(viewer, namespace, write=False)
        return render(
            "namespace.html",
            user=_user(viewer),
            namespace=namespace,
            namespaces=_views.namespace_names(ctx, viewer),
            fragments=_views.namespace_view(ctx, namespace, viewer),
        )

    return _page(viewer, build)


@router.get("/namespaces/{namespace}/timers")
def timers_page(ctx: Ctx, viewer: Viewer, namespace: str) -> Response:
    def build() -> str:
        access.require_namespace(viewer, namespace, write=False)
        return render(
            "namespace_timers.html",
            user=_user(viewer),
            namespace=namespace,
            namespaces=_views.namespace_names(ctx, viewer),
            fragments=_views.namespace_timers_view(ctx, namespace, viewer),
        )

    return _page(viewer, build)


@router.get("/namespaces/{namespace}/workflows/{name}")
def workflow_page(ctx: Ctx, viewer: Viewer, namespace: str, name: str) -> Response:
    def build() -> str:
        access.require_namespace(viewer, namespace, write=False)
        fragments = _views.workflow_view(ctx, namespace, name, viewer)
        wf, _description = workflows.get_workflow(ctx.app, namespace, name)
        file_name, source = _views.workflow_source(ctx, wf)
        return render(
            "workflow.html",
            user=_user(viewer),
            wf=wf,
            fragments=fragments,
            file_name=file_name,
            source=source,
        )

    return _page(viewer, build)


@router.get("/executions/{execution_id}")
def execution_page(ctx: Ctx, viewer: Viewer, execution_id: int, log: int | None = None) -> Response:
    def build() -> str:
        access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, False)
        execution, wf = executions.get_execution(ctx.app, execution_id)
        panel = None
        if log is not None:
            try:
                access.require_owner(ctx.app, viewer, "task_execution", log, False)
                panel = log_fragment(ctx, log)
            except (NotFoundError, PermissionDenied):
                panel = None
        return render(
            "execution.html",
            user=_user(viewer),
            execution=execution,
            wf=wf,
            fragments=_views.execution_view(ctx, execution_id, viewer),
            why=execution_why(ctx, execution_id),
            log=panel,
        )

    return _page(viewer, build)


def _events_namespace(ctx: Ctx, viewer: Principal, namespace: str) -> tuple[str, str | None]:
    """The namespace whose events to show, and a note when the viewer's token chose it:
    a token for some namespaces reads their events one namespace at a time."""
    if not namespace and not viewer.can(None, False):
        names = _views.namespace_names(ctx, viewer)
        access.require_namespace(viewer, names[0] if names else None, False)
        note = f"Your token reads the events of {', '.join(names)}; showing {names[0]}."
        return names[0], note
    access.require_namespace(viewer, namespace or None, False)
    return namespace, None


@router.get("/events")
def events_page(
    ctx: Ctx,
    viewer: Viewer,
    key: Annotated[str, Query(max_length=1024)] = "",
    namespace: Annotated[str, Query(max_length=255)] = "",
    sender: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    key, namespace, sender = key.strip(), namespace.strip(), sender.strip()
    try:
        namespace, note = _events_namespace(ctx, viewer, namespace)
    except PermissionDenied as exc:
        return _denied(viewer, exc)
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
            user=_user(viewer),
            note=note,
            key=key,
            namespace=namespace,
            sender=sender,
            events=shown,
            error=error,
            window=EVENT_WINDOW,
            stream="/api/v1/events/stream?" + urlencode(query),
        )
    )
