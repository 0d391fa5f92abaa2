"""The ops API's connection to the AIFlow server and its error mapping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import grpc

from ai_flow.proto import aiflow_pb2_grpc as pb_grpc

T = TypeVar("T")
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

    return load_client_settings().server_address


def stub() -> pb_grpc.AIFlowServiceStub:
    address = server_address()
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
    """Run one RPC, turning gRPC status codes into AIFlowClientError subclasses."""
    try:
        return fn(stub())
    except grpc.RpcError as err:
        code = err.code()
        if code == grpc.StatusCode.UNAVAILABLE:
            _forget(server_address())
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise ServerUnavailableError(
                f"AIFlow server {server_address()} is unreachable: {err.details()}"
            ) from None
        raise _CODES.get(code, AIFlowClientError)(err.details()) from None
