"""The notification server's Prometheus metrics (`metrics_port` in its config).

The hot path only adds to plain integers (a send must stay cheap); prometheus_client
is imported, and the figures turned into metric families, only when a scrape comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

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
    """Serves /metrics over HTTP on its own port (prometheus_client's server)."""

    def __init__(self, stats: ServerStats, latest_offset: Callable[[], int]) -> None:
        self._stats = stats
        self._latest_offset = latest_offset
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def start(self, host: str, port: int) -> int:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self._stats, self._latest_offset))
        self._server, self._thread = start_http_server(port, host, registry)
        self.port = int(self._server.server_port)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


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
