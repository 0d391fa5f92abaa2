"""Assembles the AIFlow server: the gRPC API and internal RPC, the scheduler, the command
runner with its executor, and the timer loop, around one application context."""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc

from ai_flow.app import App, HeartbeatBook
from ai_flow.blob_manager import create_blob_manager
from ai_flow.evaluator import EvaluatorPool
from ai_flow.executor import ExecutorError, TaskExecutor, create_task_executor
from ai_flow.metadata import check_schema, make_engine, session_factory
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.rest import RestServer, RestServerError
from ai_flow.scheduler import (
    EventProcessor,
    Scheduler,
    SchedulerStats,
    SnapshotStore,
    Speculator,
    TimerLoop,
)
from ai_flow.server._access import AccessInterceptor
from ai_flow.server._command_runner import CommandRunner
from ai_flow.server._internal_service import InternalServicer
from ai_flow.server._leadership import Leadership
from ai_flow.server._metrics import ServerMetrics
from ai_flow.server._presence import Presence
from ai_flow.server._reaper import JobReaper
from ai_flow.server._service import AIFlowServicer
from ai_flow.server._tasks import SpecFactory, StatusSink
from ai_flow.server._watcher import Watcher
from ai_flow.settings import (
    AIFlowServerSettings,
    aiflow_home,
    load_client_settings,
    resolve_home,
    server_notification_token,
)
from notification_service.client import NotificationClient, NotificationError
from notification_service.util.auth import Authenticator, open_warning

log = logging.getLogger(__name__)

STARTED_MESSAGE = "AIFlow server started."
_WILDCARDS = ("", "0.0.0.0", "::", "[::]")


class ServerStartError(Exception):
    """The server cannot start; str() is one user-facing line."""


class AIFlowServer:
    """`executor` replaces the one `task_executor` names (tests pass an in-memory one)."""

    def __init__(
        self,
        settings: AIFlowServerSettings,
        home: Path | None = None,
        executor: TaskExecutor | None = None,
    ) -> None:
        self.home = home or aiflow_home()
        # Settings built in code may still hold ${AIFLOW_HOME}; files are expanded on load.
        self.settings = s = resolve_home(settings, self.home)
        log_dir = Path(s.log_dir)
        self.engine = make_engine(
            s.metadata_backend_uri, s.sql_alchemy_pool_size, s.sql_alchemy_max_overflow
        )
        check_schema(self.engine)
        # auth_tokens: every call of the API and the internal RPC needs a token.
        self.authenticator = Authenticator(s.auth_tokens)
        self.notification_token = server_notification_token(s)
        self.factory = session_factory(self.engine)
        blob = load_client_settings(self.home).blob_manager
        blob_config = dict(blob.blob_manager_config or {})
        self.blobs = create_blob_manager(blob.blob_manager_class, blob_config)
        self.snapshots = SnapshotStore(self.home / "snapshots", self.blobs)
        self.evaluators = EvaluatorPool(
            self.snapshots.directory,
            log_dir,
            size=s.evaluator_pool_size,
            timeout=s.condition_timeout,
        )
        # Beats go to the row every quarter timeout, so a beat that reached a standby
        # counts at the scheduling server before the timeout can strike.
        self.app = App(
            self.factory,
            threading.Lock(),
            self.snapshots,
            self.evaluators,
            heartbeats=HeartbeatBook(persist_every=s.task_heartbeat_timeout / 4),
            # Explain and replay read the event log.
            events=NotificationClient(
                s.notification_server_uri, rpc_timeout=10.0, token=self.notification_token
            ),
        )
        try:
            self.executor = executor or create_task_executor(
                s.task_executor,
                settings=s,
                home=self.home,
                log_dir=log_dir,
                parallelism=s.local_executor_parallelism,
            )
        except ExecutorError as exc:
            raise ServerStartError(str(exc)) from None
        self.sink = StatusSink(s.notification_server_uri, self.notification_token)
        self.stoppers = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="af-stop")
        # Several servers may serve one PostgreSQL/MySQL database; the lease holder
        # schedules. SQLite serves one server.
        self.leadership = Leadership(self.factory, s.ha_lease_seconds, self._elected, self._deposed)
        self.presence = Presence(self.factory, self.leadership.owner, s.ha_lease_seconds)
        self.specs = SpecFactory(
            self.snapshots,
            s.notification_server_uri,
            server_address="",  # known once the internal RPC port is bound
            blob_manager_class=blob.blob_manager_class,
            blob_manager_config=blob_config,
            heartbeat_interval=s.task_heartbeat_interval,
            stop_timeout=s.task_stop_timeout,
            peers=self.presence.peers,
            try_token=self.authenticator.try_token,
            notification_token=self.notification_token,
        )
        self.scheduler_stats = SchedulerStats()  # outlives every scheduling term
        self._duties_lock = threading.Lock()
        self._duties_running = False
        self._make_duties()
        self.app.on_commands = self._commands_queued
        self.app.on_schedules_changed = lambda: self.timers.wake()
        self._servers: list[grpc.Server] = []
        self.port: int | None = None
        self.internal_port: int | None = None
        # The REST API on rest_port; FastAPI is imported only once gRPC serves.
        self.rest = RestServer(
            self.app,
            s.notification_server_uri,
            log_dir,
            s.host,
            s.rest_port,
            authenticator=self.authenticator,
            notification_token=self.notification_token,
        )
        self.metrics = ServerMetrics(
            self.app,
            self.scheduler_stats,
            s.task_executor,
            latest_offset=self._latest_offset,
            scheduling=lambda: self.leadership.is_leader,
        )
        self.rest.metrics = self.metrics.render
        self.rest_port: int | None = None

    def _make_duties(self) -> None:
        """What only the lease holder runs; built anew for every term."""
        s = self.settings
        self.scheduler = Scheduler(
            self.factory,
            EventProcessor(self.snapshots),
            Speculator(self.factory, self.snapshots, self.evaluators),
            self.snapshots,
            s.notification_server_uri,
            self.app.lock,
            on_committed=self._commands_queued,
            fence=self.leadership.fence,
            stats=self.scheduler_stats,
            notification_token=self.notification_token,
        )
        self.watcher = Watcher(
            self.factory,
            self.executor,
            self.snapshots,
            self.specs,
            self.sink,
            self.app.heartbeats,
            committed_offset=lambda: self.scheduler.committed_offset,
            stoppers=self.stoppers,
            heartbeat_timeout=s.task_heartbeat_timeout,
            heartbeat_check_interval=s.task_executor_heartbeat_check_interval,
            queued_timeout=s.task_queued_timeout,
        )
        self.runner = CommandRunner(
            self.factory,
            self.executor,
            self.specs,
            self.sink,
            self.watcher,
            self.stoppers,
            fence=self.leadership.fence,
        )
        # Schedules, periodic tasks and retention; shares the scheduling lock.
        self.timers = TimerLoop(
            self.factory,
            self.app.lock,
            self.snapshots,
            on_committed=self._commands_queued,
            retention=s.history_retention_delta,
            aiflow_home=self.home,
            log_dir=Path(s.log_dir),
            fence=self.leadership.fence,
            decision_log_max_rows=s.decision_log_max_rows,
        )
        # Cancels engine jobs whose try ended without saying the job ended too.
        self.reaper = JobReaper(self.app)

    def _start_duties(self) -> None:
        with self._duties_lock:
            if self._duties_running:
                return
            self.runner.start()
            self.scheduler.start()
            self.timers.start()
            self.reaper.start()
            self._duties_running = True

    def _stop_duties(self, rebuild: bool = True) -> None:
        with self._duties_lock:
            if not self._duties_running:
                return
            self._duties_running = False
            self.timers.stop()
            self.reaper.stop()
            self.scheduler.stop()
            self.runner.stop()
            if rebuild:
                self._make_duties()  # ready for the next term

    def _elected(self, epoch: int) -> None:
        self.app.heartbeats.restart_clock()
        self._start_duties()

    def _deposed(self) -> None:
        self._stop_duties()

    def _latest_offset(self) -> int:
        latest = self.sink.latest_offset()
        if latest is None:
            raise NotificationError("the notification server is not reachable")
        return latest

    def _commands_queued(self) -> None:
        self.runner.wake()

    def _wait_for_notification_server(self) -> None:
        uri = self.settings.notification_server_uri
        deadline = time.monotonic() + self.settings.wait_for_server_started_timeout
        while True:
            client = NotificationClient(
                uri, retry_seconds=0.5, rpc_timeout=2.0, token=self.notification_token
            )
            try:
                client.get_latest_offset()
                return
            except NotificationError as exc:
                if time.monotonic() >= deadline:
                    raise ServerStartError(
                        f"notification server {uri} is not reachable "
                        f"(waited {self.settings.wait_for_server_started_timeout:.0f}s): "
                        "start it with `notification server start -d`"
                    ) from exc
            finally:
                client.close()
            time.sleep(0.2)

    def _serve(self, port: int, what: str, add: object) -> tuple[grpc.Server, int]:
        # Without auth_tokens no interceptor: calls cost what they did before.
        interceptors = []
        if self.authenticator.enabled:
            interceptors.append(AccessInterceptor(self.app, self.authenticator))
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix=f"af-{what}"),
            options=[("grpc.so_reuseport", 0)],
            interceptors=interceptors,
        )
        add(server)  # type: ignore[operator]
        address = f"{self.settings.host}:{port}"
        try:
            bound = server.add_insecure_port(address)
        except RuntimeError:
            bound = 0
        if not bound:
            key = {"rpc": "rpc_port", "internal rpc": "internal_rpc_port"}.get(what, what)
            raise ServerStartError(
                f"cannot listen on {address} ({what}): the port is in use or not allowed; "
                f"set {key} (and host) in aiflow_server.yaml"
            )
        self._servers.append(server)
        return server, bound

    def _take_lease(self) -> bool:
        """True if this server schedules now. SQLite serves one server: a second one on
        the same file is refused (after giving a crashed predecessor's lease time to
        lapse)."""
        if self.leadership.try_acquire() is not None:
            return True
        if self.engine.dialect.name != "sqlite":
            log.info("standing by: another AIFlow server schedules")
            return False
        deadline = time.monotonic() + self.leadership.ttl_ms / 1000 + 1
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if self.leadership.try_acquire() is not None:
                return True
        owner = self.leadership.holder().owner or "?"
        host, _, rest = owner.partition(":")
        raise ServerStartError(
            f"another AIFlow server (pid {rest.partition(':')[0]} on {host}) uses this SQLite "
            "database; SQLite serves one server: stop it, or use PostgreSQL or MySQL for "
            "several"
        )

    def start(self) -> int:
        s = self.settings
        if not self.authenticator.enabled:
            warning = open_warning(s.host, "aiflow_server.yaml")
            if warning is not None:
                log.warning(warning)
        self._wait_for_notification_server()
        leader = self._take_lease()
        api, self.port = self._serve(
            s.rpc_port,
            "rpc",
            lambda g: pb_grpc.add_AIFlowServiceServicer_to_server(AIFlowServicer(self.app), g),
        )
        internal, self.internal_port = self._serve(
            s.internal_rpc_port,
            "internal rpc",
            lambda g: pb_grpc.add_AIFlowInternalServiceServicer_to_server(
                InternalServicer(self.app), g
            ),
        )
        try:
            self.rest_port = self.rest.bind()
        except RestServerError as exc:
            raise ServerStartError(str(exc)) from None
        # Task runtimes on this host reach a wildcard address through loopback.
        host = "127.0.0.1" if s.host in _WILDCARDS else s.host
        self.specs.server_address = (
            s.internal_rpc_advertised_address or f"{host}:{self.internal_port}"
        )
        advertised_host = self.specs.server_address.rpartition(":")[0]
        self.presence.start(self.specs.server_address, f"{advertised_host}:{self.port}")
        adopted = self.executor.adopt()
        if adopted:
            log.info("adopted %d running task(s)", len(adopted))
        internal.start()  # runtimes of adopted tasks heartbeat here
        if leader:
            self._start_duties()
        self.leadership.start()
        api.start()
        self.rest.start()
        log.info(STARTED_MESSAGE)
        return self.port

    def stop(self, grace: float = 5.0) -> None:
        self.rest.stop()
        for server in self._servers:
            server.stop(grace).wait()
        self._stop_duties(rebuild=False)
        self.leadership.stop()  # releases the lease: a standby takes over at once
        self.presence.stop()
        self.stoppers.shutdown(wait=False)
        self.executor.close()
        self.evaluators.close()
        self.sink.close()
        if self.app.events is not None:
            self.app.events.close()
        self.engine.dispose()
        log.info("AIFlow server stopped.")


def run_server(settings: AIFlowServerSettings, home: Path | None = None) -> None:
    """Serve until SIGTERM/SIGINT. Running task processes are left running."""
    server = AIFlowServer(settings, home)
    server.start()
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received signal %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop.wait(1.0):
        pass
    server.stop()
