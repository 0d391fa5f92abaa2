"""What the REST routes need besides the application context."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ai_flow.app import App
from notification_service.client import NotificationClient
from notification_service.util.auth import Authenticator


def _open() -> Authenticator:
    return Authenticator(None)


@dataclass
class RestContext:
    """`events` reads the notification server (lists, counts, live streams); `log_dir`
    holds the logs of tasks this server's host ran. `closing` ends live streams when the
    server stops, so shutting down never waits for a browser to hang up.
    `authenticator` holds the server's `auth_tokens` (none: every request is allowed)."""

    app: App
    events: NotificationClient
    log_dir: Path
    closing: threading.Event = field(default_factory=threading.Event)
    #: The Prometheus exposition text of /metrics (the server's counters and gauges).
    metrics: Callable[[], bytes] | None = None
    authenticator: Authenticator = field(default_factory=_open)
