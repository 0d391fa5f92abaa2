"""Each page's live stream: Server-Sent Events named after the page's fragments.

The stream renders the page's fragments every second and sends those whose HTML
changed; htmx's SSE extension swaps each into the element with the same `sse-swap`
name. On (re)connect every fragment is sent, so a page that lost its server catches
up as soon as the server is back. Rendering on the server keeps one source of truth:
the same templates as the page itself. A stream needs what its page needs (a session
whose token reads the namespace: 401/403 before it starts otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter
from markupsafe import Markup
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from ai_flow.app import access
from ai_flow.app.errors import NotFoundError
from ai_flow.rest import RestContext
from ai_flow.web import _views
from ai_flow.web._context import Ctx, Viewer

router = APIRouter(prefix="/ui/live", include_in_schema=False)
INTERVAL = 1.0  # seconds between renders
_TICK = 0.25  # seconds between checks that the server is not stopping
PING_SECONDS = 15


async def _changes(
    ctx: RestContext, build: Callable[[], dict[str, Markup]]
) -> AsyncIterator[dict[str, Any]]:
    sent: dict[str, str] = {}
    trouble = False
    while not ctx.closing.is_set():
        try:
            fragments = await run_in_threadpool(build)
        except NotFoundError as exc:  # deleted meanwhile: the page says so and stops
            yield {"event": "gone", "data": str(exc)}
            return
        except Exception as exc:  # noqa: BLE001 - a database outage is shown, then retried
            if not trouble:
                yield {"event": "trouble", "data": f"{type(exc).__name__}: {exc}"[:300]}
            trouble = True
        else:
            if trouble:
                yield {"event": "fine", "data": ""}
            trouble = False
            for name, html in fragments.items():
                if sent.get(name) != html:
                    sent[name] = str(html)
                    yield {"event": name, "data": str(html)}
        for _ in range(int(INTERVAL / _TICK)):
            if ctx.closing.is_set():
                return
            await asyncio.sleep(_TICK)


def _stream(ctx: RestContext, build: Callable[[], dict[str, Markup]]) -> EventSourceResponse:
    return EventSourceResponse(_changes(ctx, build), ping=PING_SECONDS)


@router.get("/namespaces/{namespace}")
def live_namespace(ctx: Ctx, viewer: Viewer, namespace: str) -> EventSourceResponse:
    access.require_namespace(viewer, namespace, write=False)
    return _stream(ctx, lambda: _views.namespace_view(ctx, namespace, viewer))


@router.get("/namespaces/{namespace}/timers")
def live_timers(ctx: Ctx, viewer: Viewer, namespace: str) -> EventSourceResponse:
    access.require_namespace(viewer, namespace, write=False)
    return _stream(ctx, lambda: _views.namespace_timers_view(ctx, namespace, viewer))


@router.get("/namespaces/{namespace}/workflows/{name}")
def live_workflow(ctx: Ctx, viewer: Viewer, namespace: str, name: str) -> EventSourceResponse:
    access.require_namespace(viewer, namespace, write=False)
    return _stream(ctx, lambda: _views.workflow_view(ctx, namespace, name, viewer))


@router.get("/executions/{execution_id}")
def live_execution(ctx: Ctx, viewer: Viewer, execution_id: int) -> EventSourceResponse:
    access.require_owner(ctx.app, viewer, "workflow_execution", execution_id, False)
    return _stream(ctx, lambda: _views.execution_view(ctx, execution_id, viewer))
