"""A failover channel over a comma-separated list of server addresses."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import grpc

from notification_service.client._errors import ServerUnavailableError, from_rpc_error
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.util.auth import auth_metadata

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Call metadata: the token as `authorization: Bearer ...`, or nothing.
Metadata = tuple[tuple[str, str], ...]

RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
OPTIONS = [
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
]


def parse_uris(server_uri: str) -> list[str]:
    uris = [u.strip() for u in server_uri.split(",") if u.strip()]
    if not uris:
        raise ValueError("server_uri must name at least one host:port")
    return uris


class FailoverChannel:
    """Calls go to the current server; on UNAVAILABLE the next one is tried.

    `retry_seconds` bounds how long one call keeps rotating before it gives up. Every
    call carries `metadata` (the token); an auth refusal is never retried.
    """

    def __init__(
        self,
        server_uri: str,
        rpc_timeout: float = 10.0,
        retry_seconds: float = 15.0,
        token: str | None = None,
    ):
        self._uris = parse_uris(server_uri)
        self.metadata: Metadata = auth_metadata(token)
        self._rpc_timeout = rpc_timeout
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._index = 0
        self._channel: grpc.Channel | None = None
        self._stub: pb_grpc.NotificationServiceStub | None = None
        self._closed = False

    @property
    def current_uri(self) -> str:
        return self._uris[self._index]

    def stub(self) -> tuple[pb_grpc.NotificationServiceStub, str]:
        with self._lock:
            if self._closed:
                raise ServerUnavailableError("the notification client is closed")
            if self._stub is None:
                self._channel = grpc.insecure_channel(self.current_uri, options=OPTIONS)
                self._stub = pb_grpc.NotificationServiceStub(self._channel)
            return self._stub, self.current_uri

    def usable_uri(self) -> str:
        """The server to use now; raises once the client is closed."""
        with self._lock:
            if self._closed:
                raise ServerUnavailableError("the notification client is closed")
            return self.current_uri

    def rotate(self, failed_uri: str) -> None:
        """Move off `failed_uri` to the next server in the list."""
        with self._lock:
            if self.current_uri != failed_uri:
                return  # another thread already moved on
            # Not closed here: another thread may be starting a call on it right now
            # (a closed channel raises ValueError). gRPC closes it once unreferenced.
            self._channel, self._stub = None, None
            self._index = (self._index + 1) % len(self._uris)

    def learn_members(self) -> None:
        """Add live HA members to the rotation (best effort)."""
        try:
            stub, _ = self.stub()
            resp = stub.ListMembers(
                pb.ListMembersRequest(), timeout=self._rpc_timeout, metadata=self.metadata
            )
        except grpc.RpcError:
            return
        with self._lock:
            for member in resp.members:
                if member.server_uri not in self._uris:
                    self._uris.append(member.server_uri)

    def call(self, fn: Callable[[pb_grpc.NotificationServiceStub, float, Metadata], T]) -> T:
        """`fn(stub, timeout, metadata)` on the current server, failing over."""
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.05
        while True:
            stub, uri = self.stub()
            try:
                return fn(stub, self._rpc_timeout, self.metadata)
            except grpc.RpcError as err:
                if err.code() not in RETRYABLE or time.monotonic() >= deadline:
                    raise from_rpc_error(err, uri) from None
                log.info("notification server %s unavailable, failing over", uri)
                self.rotate(uri)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._channel is not None:
                self._channel.close()
            self._channel, self._stub = None, None
