"""The dependencies every page takes: the REST API's context (the app it adapts, the
notification client, the log directory), set on the FastAPI application it runs in,
and who is looking (`Viewer`: the principal of the session cookie, ai_flow/web/_login.py;
everyone without auth_tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ai_flow.rest import RestContext
from ai_flow.rest._auth import authenticate
from notification_service.util.auth import Principal, Unauthenticated


def _context(request: Request) -> RestContext:
    ctx: RestContext = request.app.state.context
    return ctx


class LoginRequired(Exception):
    """No session, or one this server no longer knows: log in (the handler in
    _login.py redirects a page there and tells a button so)."""


def _viewer(request: Request) -> Principal:
    try:
        return authenticate(request)
    except Unauthenticated as exc:
        raise LoginRequired(str(exc)) from None


Ctx = Annotated[RestContext, Depends(_context)]
Viewer = Annotated[Principal, Depends(_viewer)]
