"""The dependency every route takes: the context the application was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ai_flow.rest._context import RestContext


def _context(request: Request) -> RestContext:
    ctx: RestContext = request.app.state.context
    return ctx


Ctx = Annotated[RestContext, Depends(_context)]
