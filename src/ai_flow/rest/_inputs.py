"""Text a request may carry: no NUL characters anywhere. PostgreSQL refuses them in text
columns (a 500 deep in the database otherwise), and no name, key, expression, rule or
workflow file has one."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

NUL_MESSAGE = "the request must not contain NUL characters"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class RefuseNul:
    """Paths and query strings with a NUL are refused before any route sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
                await JSONResponse({"detail": NUL_MESSAGE}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)
