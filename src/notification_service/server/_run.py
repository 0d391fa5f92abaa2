"""Run a server in the foreground until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading

from notification_service.server._server import NotificationServer
from notification_service.settings import NotificationServerSettings

log = logging.getLogger(__name__)


def run_server(settings: NotificationServerSettings) -> None:
    """Serve until a signal arrives, then stop gracefully. Raises ServerStartError."""
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received signal %s, stopping", signal.Signals(signum).name)
        stop.set()

    # Installed first: a SIGTERM during start-up still stops the server gracefully.
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server = NotificationServer(settings)
    server.start()
    while not stop.wait(1.0):
        pass
    server.stop()
