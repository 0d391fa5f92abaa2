"""The ops API's connection to the AIFlow server and its error mapping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from notification_service.util.config_file import ConfigError

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
}

_lock = threading.Lock()
_stubs: dict[str, pb_grpc.AIFlowServiceStub] = {}
_address_override: str | None = None


def set_server_address(address: str | None) -> None:
    """Point the ops API at `address` instead of aiflow_client.yaml's server_address."""
    global _address_override
    _address_override = address


def server_address() -> str:
    if _address_override:
        return _address_override
    from ai_flow.settings import load_client_settings

    try:
        return load_client_settings().server_address
    except ConfigError as exc:
        raise ClientConfigError(str(exc)) from None


_preferred: dict[str, int] = {}  # server_address -> index of the last one that answered


def addresses() -> list[str]:
    """`host1:50051,host2:50051` (several HA servers) or one address."""
    return [a.strip() for a in server_address().split(",") if a.strip()]


def stub(address: str | None = None) -> pb_grpc.AIFlowServiceStub:
    address = address or addresses()[0]
    with _lock:
        if address not in _stubs:
            _stubs[address] = pb_grpc.AIFlowServiceStub(grpc.insecure_channel(address))
        return _stubs[address]


def _forget(address: str) -> None:
    """Drop the channel to an unreachable server: a fresh one connects as soon as the
    server is back, where the old one would wait out gRPC's reconnect backoff (which
    grows to minutes). Calls still using the old channel finish on it."""
    with _lock:
        _stubs.pop(address, None)


def call(fn: Callable[[pb_grpc.AIFlowServiceStub], T]) -> T:
    """Run one RPC, turning gRPC status codes into AIFlowClientError subclasses. With
    several servers, an unreachable one is skipped for the next (every server serves
    the whole API)."""
    configured = server_address()
    targets = addresses()
    if not targets:
        raise ServerUnavailableError("no AIFlow server address is configured")
    first = _preferred.get(configured, 0) % len(targets)
    last_error = ""
    for i in range(len(targets)):
        address = targets[(first + i) % len(targets)]
        try:
            result = fn(stub(address))
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
