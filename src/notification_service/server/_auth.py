"""Which token may call which RPC of the notification server (util/auth.py's model).

Without `auth_tokens` the servicer is registered as it is, so a call costs nothing
more. With them every method is wrapped: the token is checked once per call (once per
stream), then the scope SCOPES names for the method, against the request.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from notification_service.model import DEFAULT_NAMESPACE
from notification_service.proto import notification_service_pb2 as pb
from notification_service.util.auth import (
    ALL,
    Authenticator,
    AuthError,
    PermissionDenied,
    Principal,
    Unauthenticated,
    metadata_token,
)

#: Raises PermissionDenied when the principal may not make this request.
Need = Callable[[Principal, Any], None]
SERVICE = pb.DESCRIPTOR.services_by_name["NotificationService"]
CODES = {
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
}


def _write_event(principal: Principal, request: pb.SendEventRequest) -> None:
    # The servicer stores an event without a namespace in the default one.
    principal.require(request.namespace or DEFAULT_NAMESPACE, write=True)


def _write_events(principal: Principal, request: pb.SendEventsRequest) -> None:
    for event in request.events:  # all or nothing: checked before any is stored
        _write_event(principal, event)


def _read_filter(principal: Principal, request: Any) -> None:
    flt = request.filter
    namespace = flt.namespace if flt.HasField("namespace") else None
    # No namespace (or '*') reads them all, so it needs read on every namespace.
    principal.require(None if namespace == ALL else namespace, write=False)


def _any_token(principal: Principal, request: Any) -> None:
    """Any valid token: the call reveals no event."""


def _peer(principal: Principal, request: Any) -> None:
    # A hint from an HA peer wakes every listener: only a token that writes everywhere.
    principal.require(None, write=True)


#: Every RPC of NotificationService and what it needs; a stream's is checked per message.
SCOPES: dict[str, Need] = {
    "SendEvent": _write_event,
    "SendEventStream": _write_event,
    "SendEvents": _write_events,
    "ListEvents": _read_filter,
    "CountEvents": _read_filter,
    "ListenEvents": _read_filter,
    "GetLatestOffset": _any_token,
    "TimeToOffset": _any_token,
    "ListMembers": _any_token,
    "NotifyNewEvents": _peer,
}


def guarded(servicer: Any, authenticator: Authenticator) -> Any:
    """`servicer` with every method behind `authenticator` and its SCOPES entry.

    The servicer's SendEventStream takes the per-message check as `refuse`: it answers a
    refused message alone, as it does an invalid one.
    """
    methods = {}
    for method in SERVICE.methods:
        need = SCOPES[method.name]  # a new RPC without a scope fails here, not open
        call = getattr(servicer, method.name)
        methods[method.name] = _wrap(call, need, authenticator, method.client_streaming)
    return _Guarded(methods)


class _Guarded:
    """What grpc registers: one wrapped callable per RPC name."""

    def __init__(self, methods: dict[str, Callable[..., Any]]) -> None:
        self.__dict__.update(methods)


def _refusal(need: Need, principal: Principal) -> Callable[[Any], str | None]:
    def refuse(request: Any) -> str | None:
        try:
            need(principal, request)
        except PermissionDenied as exc:
            return str(exc)
        return None

    return refuse


def _wrap(
    call: Callable[..., Any], need: Need, auth: Authenticator, client_streaming: bool
) -> Callable[..., Any]:
    """A wrapper of the same kind as `call` (grpc.aio runs plain functions on its pool,
    coroutines and async generators on the loop)."""
    if client_streaming:

        async def stream_in(requests: AsyncIterator[Any], context: Any) -> Any:
            try:
                principal = _principal(auth, context)
            except AuthError as exc:
                await context.abort(CODES[type(exc)], str(exc))
            return await call(requests, context, refuse=_refusal(need, principal))

        return stream_in

    if inspect.isasyncgenfunction(call):

        async def stream_out(request: Any, context: Any) -> AsyncIterator[Any]:
            try:
                need(_principal(auth, context), request)
            except AuthError as exc:
                await context.abort(CODES[type(exc)], str(exc))
            async with contextlib.aclosing(call(request, context)) as answers:
                async for answer in answers:
                    yield answer

        return stream_out

    if inspect.iscoroutinefunction(call):

        async def unary_async(request: Any, context: Any) -> Any:
            try:
                need(_principal(auth, context), request)
            except AuthError as exc:
                await context.abort(CODES[type(exc)], str(exc))
            return await call(request, context)

        return unary_async

    if inspect.isgeneratorfunction(call):
        raise TypeError(f"{call.__name__}: a sync streaming handler cannot be guarded")

    def unary(request: Any, context: Any) -> Any:
        try:
            need(_principal(auth, context), request)
        except AuthError as exc:
            context.abort(CODES[type(exc)], str(exc))
        return call(request, context)

    return unary


def _principal(auth: Authenticator, context: Any) -> Principal:
    return auth.authenticate(metadata_token(context.invocation_metadata()))
