"""Client-side errors; str() of each is one line fit for a user."""

from __future__ import annotations

import grpc


class NotificationError(Exception):
    """Base of every error the client raises."""


class InvalidRequestError(NotificationError, ValueError):
    """The server refused the request as malformed (bad key, oversize value...)."""


class ServerUnavailableError(NotificationError, ConnectionError):
    """No server in the URI list answered."""


def from_rpc_error(err: grpc.RpcError, uri: str) -> NotificationError:
    code = err.code() if hasattr(err, "code") else None
    detail = err.details() if hasattr(err, "details") else str(err)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequestError(detail)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return ServerUnavailableError(f"notification server {uri} is unreachable: {detail}")
    return NotificationError(f"notification server {uri} failed: {detail}")
