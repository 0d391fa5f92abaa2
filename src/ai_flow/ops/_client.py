"""The ops API's connection to the AIFlow server and its error mapping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import grpc

from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from notification_service.util.auth import auth_metadata
from notification_service.util.config_file import ConfigError

if TYPE_CHECKING:
    from ai_flow.settings import AIFlowClientSettings

T = TypeVar("T")
M = TypeVar("M")
RPC_TIMEOUT = 30.0


class AIFlowClientError(Exception):
    """A request failed; str() is one line for the user."""


class NotFoundError(AIFlowClientError, LookupError):
    pass


class AlreadyExistsError(AIFlowClientError):
    pass


class InvalidArgumentError(AIFlowClientError, ValueError):
    pass


class ServerUnavailableError(AIFlowClientError, ConnectionError):
    pass


class ClientConfigError(AIFlowClientError, ConfigError):
    """aiflow_client.yaml is missing a piece, unreadable or invalid (a ConfigError too)."""


class AuthenticationError(AIFlowClientError, PermissionError):
    """The server wants a token and got none, or one it does not know (UNAUTHENTICATED):
    set AIFLOW_TOKEN or `token` in aiflow_client.yaml."""


class PermissionDeniedError(AIFlowClientError, PermissionError):
    """The token may not read (or write) what the call touches (PERMISSION_DENIED)."""


def build(message: Callable[..., M], **fields: Any) -> M:
    """`message(**fields)`; a value the protocol cannot carry (an id beyond int64, a
    name that is not a string) is an InvalidArgumentError naming the field."""
    try:
        return message(**fields)
    except (TypeError, ValueError):
        pass
    for name, value in fields.items():
        try:
            message(**{name: value})
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"invalid {name} {value!r}: {exc}") from None
    raise InvalidArgumentError(f"invalid request: {fields!r}")


_CODES: dict[grpc.StatusCode, type[AIFlowClientError]] = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidArgumentError,
    # Another server of the list would say the same: never retried there.
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
}

_lock = threading.Lock()
_stubs: dict[tuple[str, str | None], pb_grpc.AIFlowServiceStub] = {}
_address_override: str | None = None


def set_server_address(address: str | None) -> None:
    """Point the ops API at `address` instead of aiflow_client.yaml's server_address."""
    global _address_override
    _address_override = address


def _client_settings() -> AIFlowClientSettings:
    from ai_flow.settings import load_client_settings

    try:
        return load_client_settings()
    except ConfigError as exc:
        raise ClientConfigError(str(exc)) from None


def server_address() -> str:
    if _address_override:
        return _address_override
    return _client_settings().server_address


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class _Bearer(grpc.UnaryUnaryClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call of a channel."""

    def __init__(self, token: str) -> None:
        self._metadata = auth_metadata(token)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        metadata = (*(details.metadata or ()), *self._metadata)
        return continuation(
            _CallDetails(
                details.method,
                details.timeout,
                metadata,
                details.credentials,
                details.wait_for_ready,
                details.compression,
            ),
            request,
        )


_preferred: dict[str, int] = {}  # server_address -> index of the last one that answered


def addresses() -> list[str]:
    """`host1:50051,host2:50051` (several HA servers) or one address."""
    return [a.strip() for a in server_address().split(",") if a.strip()]


def stub(address: str | None = None, auth: str | None = None) -> pb_grpc.AIFlowServiceStub:
    """The stub of `address` whose calls carry the token `auth` (one channel each)."""
    address = address or addresses()[0]
    key = (address, auth)
    with _lock:
        if key not in _stubs:
            channel = grpc.insecure_channel(address)
            if auth:
                channel = grpc.intercept_channel(channel, _Bearer(auth))
            _stubs[key] = pb_grpc.AIFlowServiceStub(channel)
        return _stubs[key]


def _forget(address: str) -> None:
    """Drop the channel to an unreachable server: a fresh one connects as soon as the
    server is back, where the old one would wait out gRPC's reconnect backoff (which
    grows to minutes). Calls still using the old channel finish on it."""
    with _lock:
        for key in [k for k in _stubs if k[0] == address]:
            del _stubs[key]


def call(fn: Callable[[pb_grpc.AIFlowServiceStub], T]) -> T:
    """Run one RPC, turning gRPC status codes into AIFlowClientError subclasses. With
    several servers, an unreachable one is skipped for the next (every server serves
    the whole API)."""
    # Read once per call: the address, and the token for servers with auth_tokens
    # ($AIFLOW_TOKEN, else `token` of aiflow_client.yaml; none: no metadata is sent).
    settings = _client_settings()
    configured = _address_override or settings.server_address
    targets = [a.strip() for a in configured.split(",") if a.strip()]
    auth = settings.token or None
    if not targets:
        raise ServerUnavailableError("no AIFlow server address is configured")
    first = _preferred.get(configured, 0) % len(targets)
    last_error = ""
    for i in range(len(targets)):
        address = targets[(first + i) % len(targets)]
        try:
            result = fn(stub(address, auth))
        except grpc.RpcError as err:
            code = err.code()
            if code == grpc.StatusCode.UNAVAILABLE:
                _forget(address)
                last_error = f"{address}: {err.details()}"
                continue  # not reached: nothing happened there, the next one may answer
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise ServerUnavailableError(
                    f"AIFlow server {address} is unreachable: {err.details()}"
                ) from None
            raise _CODES.get(code, AIFlowClientError)(err.details()) from None
        _preferred[configured] = (first + i) % len(targets)
        return result
    where = targets[0] if len(targets) == 1 else ", ".join(targets)
    detail = last_error.split(": ", 1)[-1] if len(targets) == 1 else last_error
    raise ServerUnavailableError(f"AIFlow server {where} is unreachable: {detail}")
