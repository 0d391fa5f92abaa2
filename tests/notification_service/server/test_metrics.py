"""The notification server's /metrics, scraped over HTTP as Prometheus does."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notification_service.client import ListenerProcessor, NotificationClient
from notification_service.model import Event
from notification_service.server import NotificationServer, ServerStartError
from notification_service.settings import NotificationServerSettings
from notification_service.storage import make_engine, upgrade


def _scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    return {
        sample.name + "".join(f"{{{k}={v}}}" for k, v in sorted(sample.labels.items())): (
            sample.value
        )
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NotificationServer]:
    uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    ns = NotificationServer(
        NotificationServerSettings(db_uri=uri, server_port=0, host="127.0.0.1", metrics_port=0)
    )
    ns.start()
    yield ns
    ns.stop(grace=0.5)


def test_appends_lists_and_listeners_are_counted(server: NotificationServer) -> None:
    assert server.metrics is not None and server.metrics.port
    client = NotificationClient(f"localhost:{server.port}")
    try:
        for i in range(5):
            client.send_event(f"k{i}", "v")
        client.send_events([("a", "1"), ("b", "2")])
        client.list_events(begin_offset=0)
        heard = threading.Event()

        class Heard(ListenerProcessor):
            def process(self, events: list[Event]) -> None:
                heard.set()

        listener = client.register_listener(Heard(), begin_offset=0)
        try:
            assert heard.wait(10)
            got = _scrape(server.metrics.port)
            assert got["notification_events_appended_total"] == 7
            assert 2 <= got["notification_append_batches_total"] <= 6
            assert got["notification_list_requests_total"] >= 1
            assert got["notification_events_listed_total"] >= 7
            assert got["notification_listeners"] >= 1
            assert got["notification_latest_offset"] == 7
            assert (
                got["notification_commit_seconds_count"] == got["notification_append_batches_total"]
            )
            assert (
                got["notification_commit_seconds_bucket{le=+Inf}"]
                == got["notification_commit_seconds_count"]
            )
        finally:
            client.unregister_listener(listener)
    finally:
        client.close()


def test_a_taken_metrics_port_is_one_clear_start_error(
    server: NotificationServer, tmp_path: Path
) -> None:
    assert server.metrics is not None
    uri = f"sqlite:///{tmp_path}/ns.db"
    second = NotificationServer(
        NotificationServerSettings(
            db_uri=uri, server_port=0, host="127.0.0.1", metrics_port=server.metrics.port
        )
    )
    with pytest.raises(ServerStartError, match="cannot serve metrics on 127.0.0.1:"):
        second.start()
