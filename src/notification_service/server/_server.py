"""Assembles storage, writer, notifier and HA into one running gRPC server.

The server is asyncio gRPC on the process's server loop (`util.aio`): a send costs far
less CPU than on the thread-per-call server, which bounds ingest on a small machine.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent import futures

import grpc

from notification_service.model import Event
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.server._auth import guarded
from notification_service.server._ha import HaMembership
from notification_service.server._metrics import MetricsServer, ServerStats
from notification_service.server._notifier import OffsetNotifier
from notification_service.server._recent import RecentEvents
from notification_service.server._service import NotificationServicer
from notification_service.server._writer import GroupCommitWriter
from notification_service.settings import NotificationServerSettings, config_path
from notification_service.storage import EventStorage, SqlEventStorage, check_schema
from notification_service.util.aio import server_loop
from notification_service.util.auth import ALL, Authenticator, open_warning

log = logging.getLogger(__name__)

STARTED_MESSAGE = "notification server started."
# Reads and listens run on this pool; a listen stream holds a thread while it waits.
MAX_WORKERS = 256
GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
    ("grpc.so_reuseport", 0),
]


class ServerStartError(Exception):
    """The server cannot start; str() is one user-facing line."""


class NotificationServer:
    def __init__(
        self, settings: NotificationServerSettings, storage: EventStorage | None = None
    ) -> None:
        self.settings = settings
        if storage is None:
            sql = SqlEventStorage(settings.db_uri)
            try:
                check_schema(sql.engine)
            except Exception:
                sql.close()
                raise
            storage = sql
        self.storage = storage
        self._stopped = threading.Event()
        self._grpc: grpc.aio.Server | None = None
        self.port: int | None = None
        self.stats = ServerStats()
        self.metrics: MetricsServer | None = None
        self.auth = Authenticator(settings.auth_tokens)

    def start(self) -> int:
        """Bind and serve; returns the bound port (useful when configured as 0)."""
        s = self.settings
        warning = None if self.auth.enabled else open_warning(s.host, str(config_path()))
        if warning:
            log.warning(warning)
        self._loop = server_loop()
        self.notifier = OffsetNotifier(self.storage.latest_offset, self._loop)
        self.recent = RecentEvents()
        self.ha = None
        if s.enable_ha:
            self.ha = HaMembership(self.storage, s.advertised_uri, s.ha_ttl_ms, self._peer_token())
        self.writer = GroupCommitWriter(
            self.storage,
            self._committed,
            self._loop,
            inline=self.storage.commits_in_process,
            stats=self.stats,
        )
        servicer = NotificationServicer(
            self.storage,
            self.writer,
            self.notifier,
            self.recent,
            self.ha,
            s.max_event_value_bytes,
            s.max_list_limit,
            self.stats,
        )
        if self.auth.enabled:
            servicer = guarded(servicer, self.auth)
        self._pool = futures.ThreadPoolExecutor(
            max_workers=MAX_WORKERS, thread_name_prefix="ns-rpc"
        )
        address = f"{s.host}:{s.server_port}"
        try:
            self.port = asyncio.run_coroutine_threadsafe(
                self._serve(servicer, address), self._loop
            ).result()
        except ServerStartError:
            self._shutdown_parts()
            self.storage.close()
            raise
        if s.metrics_port is not None:
            self._start_metrics(s.host, s.metrics_port)
        log.info(STARTED_MESSAGE)
        return self.port

    def _peer_token(self) -> str | None:
        """The token this server hints its HA peers with: the first configured one that
        writes every namespace (they share the config). None: auth is off."""
        if not self.auth.enabled:
            return None
        for grant in self.settings.auth_tokens or ():
            if grant.token is not None and grant.principal(0).can(ALL, write=True):
                return grant.token
        log.warning(
            "no auth_tokens entry with a plain 'token' that writes '*': HA peers are not "
            "hinted of new events and their listeners hear of them by polling"
        )
        return None

    def _start_metrics(self, host: str, port: int) -> None:
        self.metrics = MetricsServer(self.stats, lambda: self.notifier.latest, self.auth)
        try:
            self.metrics.start(host, port)
        except OSError as exc:
            self.stop(grace=0)
            raise ServerStartError(f"cannot serve metrics on {host}:{port}: {exc}") from None

    async def _serve(self, servicer: object, address: str) -> int:
        server = grpc.aio.server(migration_thread_pool=self._pool, options=GRPC_OPTIONS)
        pb_grpc.add_NotificationServiceServicer_to_server(servicer, server)
        try:
            port = server.add_insecure_port(address)
        except RuntimeError:
            port = 0
        if not port:
            await server.stop(None)
            raise ServerStartError(
                f"cannot listen on {address}: the port is in use or not allowed; "
                "set server_port (and host) in notification_server.yaml"
            )
        await server.start()
        self._grpc = server
        return port

    def _committed(self, events: list[Event]) -> None:
        offset = max(e.offset or 0 for e in events)
        self.recent.add(events)  # before listeners wake up to look for them
        self.notifier.advance(offset)
        if self.ha:
            self.ha.notify_peers(offset)

    def wait(self) -> None:
        self._stopped.wait()

    def stop(self, grace: float = 5.0) -> None:
        if self._stopped.is_set():
            return
        if self._grpc is not None:
            self.notifier.stop()  # listen streams end instead of waiting out the grace
            stopping = asyncio.run_coroutine_threadsafe(self._grpc.stop(grace), self._loop)
            stopping.result(grace + 10)
            self._shutdown_parts()
        self.storage.close()
        self._stopped.set()
        log.info("notification server stopped.")

    def _shutdown_parts(self) -> None:
        if self.metrics is not None:
            self.metrics.stop()
        self.writer.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.notifier.stop()
        if self.ha:
            self.ha.stop()
