"""Assembles the AIFlow server: gRPC API, scheduler and executor in one process."""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc

from ai_flow.blob_manager import create_blob_manager
from ai_flow.executor import LocalTaskLauncher
from ai_flow.metadata import check_schema, make_engine, session_factory
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.scheduler import (
    EventProcessor,
    GuardedEvaluator,
    Scheduler,
    SnapshotStore,
    TimerLoop,
)
from ai_flow.server._command_runner import CommandRunner
from ai_flow.server._service import AIFlowServicer
from ai_flow.settings import (
    AIFlowServerSettings,
    aiflow_home,
    load_client_settings,
    resolve_home,
)
from notification_service.client import NotificationClient, NotificationError

log = logging.getLogger(__name__)

STARTED_MESSAGE = "AIFlow server started."


class ServerStartError(Exception):
    """The server cannot start; str() is one user-facing line."""


class AIFlowServer:
    def __init__(self, settings: AIFlowServerSettings, home: Path | None = None) -> None:
        self.home = home or aiflow_home()
        # Settings built in code may still hold ${AIFLOW_HOME}; files are expanded on load.
        self.settings = s = resolve_home(settings, self.home)
        self.engine = make_engine(
            s.metadata_backend_uri, s.sql_alchemy_pool_size, s.sql_alchemy_max_overflow
        )
        check_schema(self.engine)
        self.factory = session_factory(self.engine)
        blob = load_client_settings(self.home).blob_manager
        self.blobs = create_blob_manager(blob.blob_manager_class, blob.blob_manager_config or {})
        self.snapshots = SnapshotStore(self.home / "snapshots", self.blobs)
        self.lock = threading.Lock()
        self.launcher = LocalTaskLauncher(
            parallelism=s.local_executor_parallelism, fork_server=True
        )
        self.runner = CommandRunner(
            self.factory,
            self.lock,
            self.launcher,
            self.snapshots,
            self.home,
            s.notification_server_uri,
            heartbeat_interval=s.task_heartbeat_interval,
            log_dir=Path(s.log_dir),
            heartbeat_timeout=s.task_heartbeat_timeout,
            heartbeat_check_interval=s.task_executor_heartbeat_check_interval,
        )
        self.scheduler = Scheduler(
            self.factory,
            EventProcessor(self.snapshots, GuardedEvaluator()),
            s.notification_server_uri,
            self.lock,
            on_committed=self.runner.wake,
        )
        # Schedules, periodic tasks and retention; shares the scheduling lock.
        self.timers = TimerLoop(
            self.factory,
            self.lock,
            self.snapshots,
            on_committed=self.runner.wake,
            retention=s.history_retention_delta,
            aiflow_home=self.home,
            log_dir=Path(s.log_dir),
        )
        self._grpc: grpc.Server | None = None
        self.port: int | None = None

    def _wait_for_notification_server(self) -> None:
        uri = self.settings.notification_server_uri
        deadline = time.monotonic() + self.settings.wait_for_server_started_timeout
        while True:
            client = NotificationClient(uri, retry_seconds=0.5, rpc_timeout=2.0)
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

    def start(self) -> int:
        self._wait_for_notification_server()
        self._grpc = grpc.server(
            futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="af-rpc"),
            options=[("grpc.so_reuseport", 0)],
        )
        servicer = AIFlowServicer(
            self.factory,
            self.lock,
            self.snapshots,
            self.blobs,
            self.runner.wake,
            on_schedules_changed=self.timers.wake,
        )
        pb_grpc.add_AIFlowServiceServicer_to_server(servicer, self._grpc)
        address = f"{self.settings.host}:{self.settings.rpc_port}"
        try:
            self.port = self._grpc.add_insecure_port(address)
        except RuntimeError:
            self.port = 0
        if not self.port:
            raise ServerStartError(f"cannot listen on {address}: the port is in use or not allowed")
        self.runner.start()
        self.scheduler.start()
        self.timers.start()
        self._grpc.start()
        log.info(STARTED_MESSAGE)
        return self.port

    def stop(self, grace: float = 5.0) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace).wait()
        self.timers.stop()
        self.scheduler.stop()
        self.runner.stop()
        self.launcher.close()
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
