"""The dependency every page takes: the REST API's context (the app it adapts, the
notification client, the log directory), set on the FastAPI application it runs in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ai_flow.rest import RestContext


def _context(request: Request) -> RestContext:
    ctx: RestContext = request.app.state.context
    return ctx


Ctx = Annotated[RestContext, Depends(_context)]
