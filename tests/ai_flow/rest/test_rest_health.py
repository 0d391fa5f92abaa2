"""/health: database, notification server, scheduler lag, lease holder."""

from __future__ import annotations

import os
import socket

import httpx
from aiflow_servers import Servers, wait_until


def test_healthy_with_the_lease_holder_and_no_lag(api: httpx.Client, servers: Servers) -> None:
    servers.client.send_event("k", "v")
    servers.wait_scheduled()
    r = api.get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy"
    assert body["database"] == {"status": "healthy", "error": None}
    assert body["notification_server"] == {"status": "healthy", "error": None}
    scheduler = body["scheduler"]
    assert scheduler["lag"] == 0 and scheduler["latest_offset"] == scheduler["committed_offset"]
    assert scheduler["lease_holder"].startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert scheduler["lease_live"] is True and scheduler["lease_epoch"] >= 1


def test_unhealthy_503_when_the_notification_server_is_gone(
    api: httpx.Client, servers: Servers
) -> None:
    servers.ns_server.stop(grace=0.1)
    r = wait_until(lambda: (r := api.get("/health")).status_code == 503 and r, 30, "a 503")
    body = r.json()
    assert body["status"] == "unhealthy" and body["database"]["status"] == "healthy"
    part = body["notification_server"]
    assert part["status"] == "unhealthy" and "\n" not in part["error"]
    assert body["scheduler"]["lag"] is None  # unknown without the event log
    # Event reads say so in one line too, instead of failing opaquely.
    for path in ("/events", "/events/stream"):
        r = api.get(path)
        assert r.status_code == 503 and set(r.json()) == {"detail"}, path
