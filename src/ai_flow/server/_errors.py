"""Domain errors -> gRPC status codes with one-line details."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn

import grpc

from ai_flow.app.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionError,
)
from notification_service.util.auth import PermissionDenied, Unauthenticated

log = logging.getLogger(__name__)

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),
    (PreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    # Model validation (names, expressions) raises ValueError subclasses.
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]


def abort(context: grpc.ServicerContext, exc: Exception, what: str) -> NoReturn:
    """End the call with the status code of `exc` (INTERNAL, logged, for unknown ones).
    Call it from the `except` block that caught `exc`."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            context.abort(code, str(exc))
    log.exception("%s failed", what)
    context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
    raise AssertionError("unreachable: abort() raises")


def rpc_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Abort the call with the matching status code instead of an opaque UNKNOWN."""

    @functools.wraps(fn)
    def wrapper(self, request, context: grpc.ServicerContext):  # noqa: ANN001, ANN202
        try:
            return fn(self, request, context)
        except Exception as exc:  # noqa: BLE001 - mapped below, unknown ones logged
            abort(context, exc, fn.__name__)

    return wrapper
