"""Domain errors -> HTTP status codes with one message, as the gRPC API maps them to its
codes (ai_flow/server/_errors.py): the same failure reads the same in both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ai_flow.app.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionError,
)
from notification_service.client import InvalidRequestError, NotificationError
from notification_service.util.auth import PermissionDenied, Unauthenticated

_CODES: list[tuple[type[Exception], int]] = [
    (NotFoundError, 404),
    (AlreadyExistsError, 409),
    (ConflictError, 409),
    (PreconditionError, 409),
    (InvalidArgumentError, 422),
    (InvalidRequestError, 422),
    # The notification server is down or unreachable: ours to retry, not the caller's.
    (NotificationError, 503),
    # Model validation (names, expressions) raises ValueError subclasses.
    (ValueError, 422),
]


class ErrorOut(BaseModel):
    """Every error: one line for the user."""

    detail: str


_DESCRIPTIONS = {
    # Only when the server has auth_tokens (ai_flow/rest/_auth.py).
    401: "No token, or not one of this server's",
    403: "The token may not read (write) the namespace",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text} for code, text in _DESCRIPTIONS.items()
}
# The same, spelled out for routes whose success is not JSON (FastAPI would document
# their errors in the success's media type).
ERRORS_AS_JSON: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for code, text in _DESCRIPTIONS.items()
}
#: What a client without a (good) token is told how to authenticate.
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _error(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """The first problem, named by where it is: `query parameter limit: ...`."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = [str(p) for p in first.get("loc", ())]
    kind = {"query": "query parameter", "path": "path parameter", "header": "header"}
    if where and where[0] in kind:
        place = f"{kind[where[0]]} {'.'.join(where[1:])}"
    elif where and where[0] == "body":
        place = "body" + ("." + ".".join(where[1:]) if len(where) > 1 else "")
    else:
        place = ".".join(where) or "request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{place}: {first.get('msg', 'invalid')}{more}"


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @api.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        return _error(401, str(exc), CHALLENGE)

    @api.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> JSONResponse:
        return _error(403, str(exc))

    @api.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), exc.headers)

    async def _domain(request: Request, exc: Exception) -> JSONResponse:
        for cls, status in _CODES:
            if isinstance(exc, cls):
                return _error(status, str(exc))
        raise exc  # pragma: no cover - only the classes below are routed here

    # Per class, not one handler for Exception: Starlette logs and re-raises whatever
    # reaches that one, and a refused request is not a server error.
    for cls, _status in _CODES:
        api.add_exception_handler(cls, _domain)
