"""HA membership: heartbeat into the shared member table, hint peers on commit."""

from __future__ import annotations

import logging
import threading

import grpc

from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.storage import EventStorage, Member
from notification_service.util.auth import auth_metadata
from notification_service.util.clock import now_ms

log = logging.getLogger(__name__)


class HaMembership:
    def __init__(
        self, storage: EventStorage, advertised_uri: str, ttl_ms: int, token: str | None = None
    ) -> None:
        self._storage = storage
        self._metadata = auth_metadata(token)  # peers with auth_tokens want a '*' writer
        self.advertised_uri = advertised_uri
        self._ttl_ms = ttl_ms
        self._peers: dict[str, pb_grpc.NotificationServiceStub] = {}
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._beat()
        self._thread = threading.Thread(target=self._run, name="ns-ha", daemon=True)
        self._thread.start()

    def members(self) -> list[Member]:
        return self._storage.list_members(now_ms() - self._ttl_ms)

    def notify_peers(self, offset: int) -> None:
        with self._lock:
            stubs = list(self._peers.values())
        request = pb.NotifyNewEventsRequest(offset=offset)
        for stub in stubs:
            # Fire and forget: the peer's poller is the fallback when a hint is lost.
            try:
                stub.NotifyNewEvents.future(request, timeout=1.0, metadata=self._metadata)
            except ValueError:
                pass  # the peer left and its channel was closed meanwhile

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        try:
            self._storage.remove_member(self.advertised_uri)
        except Exception:  # noqa: BLE001 - the row expires by itself
            log.warning("could not remove HA member row", exc_info=True)
        for channel in self._channels.values():
            channel.close()

    def _run(self) -> None:
        while not self._stopped.wait(self._ttl_ms / 3000):
            try:
                self._beat()
            except Exception:  # noqa: BLE001
                log.warning("HA heartbeat failed", exc_info=True)

    def _beat(self) -> None:
        self._storage.heartbeat_member(self.advertised_uri, now_ms())
        alive = {m.server_uri for m in self.members()} - {self.advertised_uri}
        with self._lock:
            for uri in set(self._peers) - alive:
                del self._peers[uri]
                self._channels.pop(uri).close()
            for uri in alive - set(self._peers):
                self._channels[uri] = grpc.insecure_channel(uri)
                self._peers[uri] = pb_grpc.NotificationServiceStub(self._channels[uri])
