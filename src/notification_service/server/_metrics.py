"""The notification server's Prometheus metrics (`metrics_port` in its config).

The hot path only adds to plain integers (a send must stay cheap); prometheus_client
is imported, and the figures turned into metric families, only when a scrape comes.
With `auth_tokens` a scrape needs `Authorization: Bearer <token>` (any valid one).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from notification_service.util.auth import Authenticator, Unauthenticated
from notification_service.util.histogram import Histogram

#: Upper bounds (seconds) of the commit-time histogram's buckets.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass
class ServerStats:
    events_appended: int = 0
    append_batches: int = 0
    append_failures: int = 0
    list_requests: int = 0
    events_listed: int = 0
    listeners: int = 0
    commit_time: Histogram = field(default_factory=lambda: Histogram(COMMIT_BUCKETS))

    def committed(self, events: int, seconds: float) -> None:
        self.events_appended += events
        self.append_batches += 1
        self.commit_time.observe(seconds)


class MetricsServer:
    """Serves /metrics over HTTP on its own port (prometheus_client's WSGI app), behind
    a token check when `auth` has tokens."""

    def __init__(
        self,
        stats: ServerStats,
        latest_offset: Callable[[], int],
        auth: Authenticator | None = None,
    ) -> None:
        self._stats = stats
        self._latest_offset = latest_offset
        self._auth = auth or Authenticator(None)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def start(self, host: str, port: int) -> int:
        from prometheus_client import CollectorRegistry, make_wsgi_app
        from prometheus_client.exposition import ThreadingWSGIServer

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self._stats, self._latest_offset))
        app = make_wsgi_app(registry)
        if self._auth.enabled:
            app = _token_required(app, self._auth)

        family, address = _bindable(host, port)

        class Server(ThreadingWSGIServer):
            address_family = family

        self._server = make_server(address, port, app, Server, handler_class=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ns-metrics", daemon=True
        )
        self._thread.start()
        self.port = int(self._server.server_port)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Scrapes are not logged (every few seconds, forever)."""


def _bindable(host: str, port: int) -> tuple[socket.AddressFamily, str]:
    """The address family and address to bind `host` with (IPv6 for `::`)."""
    family, _, _, _, sockaddr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, str(sockaddr[0])


def _token_required(app: Callable[..., Iterable[bytes]], auth: Authenticator) -> Any:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            auth.authenticate(environ.get("HTTP_AUTHORIZATION"))
        except Unauthenticated as exc:
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("WWW-Authenticate", 'Bearer realm="notification server"'),
            ]
            start_response("401 Unauthorized", headers)
            return [f"{exc}\n".encode()]
        return app(environ, start_response)

    return guarded


class _Collector:
    def __init__(self, stats: ServerStats, latest_offset: Callable[[], int]) -> None:
        self._stats = stats
        self._latest_offset = latest_offset

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        s = self._stats
        for name, doc, value in (
            ("notification_events_appended", "Events stored.", s.events_appended),
            ("notification_append_batches", "Transactions that stored events.", s.append_batches),
            ("notification_append_failures", "Transactions that failed.", s.append_failures),
            ("notification_list_requests", "ListEvents calls.", s.list_requests),
            ("notification_events_listed", "Events returned by ListEvents.", s.events_listed),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        yield GaugeMetricFamily(
            "notification_listeners", "Open ListenEvents streams.", value=s.listeners
        )
        yield GaugeMetricFamily(
            "notification_latest_offset", "Offset of the newest event.", value=self._latest_offset()
        )
        yield s.commit_time.family(
            "notification_commit_seconds", "Time to store one batch of events."
        )
