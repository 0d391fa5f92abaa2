"""The REST API's ASGI application: `/api/v1`, OpenAPI at `/openapi.json` and `/docs`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response

from ai_flow.rest import (
    _events,
    _executions,
    _explain,
    _health,
    _logs,
    _namespaces,
    _task_executions,
    _timers,
    _workflows,
)
from ai_flow.rest._auth import READ_EVERYWHERE
from ai_flow.rest._context import RestContext
from ai_flow.rest._errors import install_error_handlers
from ai_flow.rest._inputs import RefuseNul
from ai_flow.web import install_web

PREFIX = "/api/v1"
VERSION = "1"


def create_app(context: RestContext | None = None) -> FastAPI:
    """The API over `context`; without one it only describes itself (OpenAPI)."""
    api = FastAPI(
        title="AIFlow",
        version=VERSION,
        description=(
            "The AIFlow REST API: the same use cases, semantics and errors as the gRPC "
            'API. Errors are `{"detail": "one line"}`: 404 not found, 409 conflict '
            "with the state, 422 invalid request, 503 notification server unreachable. "
            "A server with `auth_tokens` wants `Authorization: Bearer <token>` on every "
            "route but /health: 401 without a token it knows, 403 for a namespace the "
            "token may not read (write). "
            "Lists are paged with `limit` and `offset` and report `total_entries`; "
            "events and logs page by cursor."
        ),
    )
    api.state.context = context
    v1 = APIRouter(prefix=PREFIX)
    for module in (
        _namespaces,
        _workflows,
        _executions,
        _task_executions,
        _logs,
        _timers,
        _events,
        _explain,
        _health,
    ):
        v1.include_router(module.router)
    api.include_router(v1)
    # Server-wide numbers: a scraper's token must read every namespace.
    api.add_api_route(
        "/metrics",
        _metrics,
        methods=["GET"],
        include_in_schema=False,
        dependencies=[READ_EVERYWHERE],
    )
    install_error_handlers(api)
    api.add_middleware(RefuseNul)
    install_web(api)  # the web UI at `/`, kept out of the OpenAPI document
    return api


METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metrics(request: Request) -> Response:
    """Prometheus text format (not part of the API's OpenAPI document)."""
    context: RestContext | None = request.app.state.context
    if context is None or context.metrics is None:
        return Response("no metrics\n", status_code=404, media_type="text/plain")
    return Response(context.metrics(), media_type=METRICS_TYPE)
