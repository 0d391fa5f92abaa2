"""The REST API served by uvicorn on a background thread of the AIFlow server.

The socket is bound at once (so a port in use fails the start with one line, and port 0
is known at once), while FastAPI and uvicorn are imported on the thread once the first
client connects: the gRPC API's start-up never waits for them, and a server whose REST
API nobody calls never loads them. The first requests wait in the socket's backlog.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ai_flow.app import App
from ai_flow.rest._context import RestContext
from notification_service.client import NotificationClient
from notification_service.util.auth import Authenticator

log = logging.getLogger(__name__)


class RestServerError(Exception):
    """The REST server cannot listen; str() is one user-facing line."""


def _listen(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise RestServerError(f"cannot listen on {host}:{port} (rest): {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise RestServerError(
            f"cannot listen on {host}:{port} (rest): the port is in use or not allowed "
            f"({exc.strerror or exc}); set rest_port (and host) in aiflow_server.yaml"
        ) from None
    sock.setblocking(False)
    return sock


class RestServer:
    """`bind()` listens (at once, cheaply); `start()` serves, on its own thread."""

    def __init__(
        self,
        app: App,
        notification_server_uri: str,
        log_dir: Path,
        host: str,
        port: int,
        authenticator: Authenticator | None = None,
        notification_token: str | None = None,
    ) -> None:
        self._app = app
        #: The server's auth_tokens: with any, every request but the open ones needs one.
        self.authenticator = authenticator or Authenticator(None)
        #: What the REST API presents to a notification server with auth_tokens.
        self._notification_token = notification_token
        self._notification_server_uri = notification_server_uri
        self._log_dir = log_dir
        self._host = host
        self._requested = port
        self.port: int | None = None
        self.context: RestContext | None = None
        #: Set by the server before start(): what /metrics serves.
        self.metrics: Callable[[], bytes] | None = None
        self._socket: socket.socket | None = None
        self._server: Any = None  # uvicorn.Server, once the thread built it
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="af-rest", daemon=True)
        self._wake = socket.socketpair()  # stop() ends the wait for a first client

    def bind(self) -> int:
        self._socket = _listen(self._host, self._requested)
        self.port = int(self._socket.getsockname()[1])
        return self.port

    def start(self) -> None:
        if self._socket is None:
            self.bind()
        self._thread.start()

    def _first_connection(self) -> bool:
        """Wait for a client; False if the server stops first."""
        assert self._socket is not None
        readable, _, _ = select.select([self._socket, self._wake[0]], [], [])
        return self._socket in readable and not self._stopped

    def _run(self) -> None:
        assert self._socket is not None
        try:
            # FastAPI and uvicorn cost ~10 MB and ~0.4 s of CPU: paid by the first request.
            if not self._first_connection():
                return
            import uvicorn

            from ai_flow.rest._app import create_app

            # Short retries: a request fails fast (503) while the notification server
            # is away, instead of holding a worker thread for the client's default 15 s.
            events = NotificationClient(
                self._notification_server_uri,
                rpc_timeout=10.0,
                retry_seconds=2.0,
                token=self._notification_token,
            )
            self.context = RestContext(
                self._app,
                events,
                self._log_dir,
                metrics=self.metrics,
                authenticator=self.authenticator,
            )
            config = uvicorn.Config(
                create_app(self.context),
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
            server = uvicorn.Server(config)
            with self._lock:
                if self._stopped:  # stopped while this thread was getting ready
                    return
                self._server = server
            server.run(sockets=[self._socket])
        except Exception:  # noqa: BLE001 - a broken REST API must not take gRPC down
            log.exception("the REST server failed; the gRPC API still serves")
        finally:
            self._socket.close()
            if self.context is not None:
                self.context.events.close()

    @property
    def ready(self) -> bool:
        """Requests are taken: listening, and served (the first after FastAPI loads)."""
        return self._thread.is_alive() and not self._stopped

    @property
    def serving(self) -> bool:
        """uvicorn runs: FastAPI is loaded, past the first client."""
        server = self._server
        return bool(server is not None and server.started)

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            server = self._server
        if self.context is not None:
            self.context.closing.set()  # live streams end: shutdown need not wait for them
        if server is not None:
            server.should_exit = True
        self._wake[1].send(b"x")
        if self._thread.is_alive():
            self._thread.join(timeout)
        elif self._socket is not None:
            self._socket.close()
        for end in self._wake:
            end.close()
