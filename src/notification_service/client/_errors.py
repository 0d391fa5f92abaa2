"""Client-side errors; str() of each is one line fit for a user."""

from __future__ import annotations

import grpc


class NotificationError(Exception):
    """Base of every error the client raises."""


class InvalidRequestError(NotificationError, ValueError):
    """The server refused the request as malformed (bad key, oversize value...)."""


class ServerUnavailableError(NotificationError, ConnectionError):
    """No server in the URI list answered."""


class AuthenticationError(NotificationError):
    """The server wants a token and got none, or one it does not know (UNAUTHENTICATED).

    Give the client `token=...` or set NOTIFICATION_TOKEN; never retried.
    """


class PermissionDeniedError(NotificationError, PermissionError):
    """The token is valid but not for this namespace (PERMISSION_DENIED); never retried."""


#: A send stream's numeric error codes back to status codes.
STATUS_CODES = {code.value[0]: code for code in grpc.StatusCode}


def from_rpc_error(err: grpc.RpcError, uri: str) -> NotificationError:
    code = err.code() if hasattr(err, "code") else None
    detail = err.details() if hasattr(err, "details") else str(err)
    return error_for(code, detail or "", uri)


def error_for(code: grpc.StatusCode | None, detail: str, uri: str) -> NotificationError:
    """The client error of a failed call with status `code` and the server's `detail`."""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequestError(detail)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthenticationError(detail)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDeniedError(detail)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return ServerUnavailableError(f"notification server {uri} is unreachable: {detail}")
    return NotificationError(f"notification server {uri} failed: {detail}")
