"""Domain errors -> gRPC status codes with one-line details."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import grpc

from ai_flow.app.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionError,
)

log = logging.getLogger(__name__)

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),
    (PreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    # Model validation (names, expressions) raises ValueError subclasses.
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]


def rpc_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Abort the call with the matching status code instead of an opaque UNKNOWN."""

    @functools.wraps(fn)
    def wrapper(self, request, context: grpc.ServicerContext):  # noqa: ANN001, ANN202
        try:
            return fn(self, request, context)
        except Exception as exc:  # noqa: BLE001 - mapped below, unknown ones logged
            for cls, code in _CODES:
                if isinstance(exc, cls):
                    context.abort(code, str(exc))
            log.exception("%s failed", fn.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")

    return wrapper
