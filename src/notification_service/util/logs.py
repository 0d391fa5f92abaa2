"""Logging set-up shared by the notification and aiflow command lines."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
# Chatty at INFO without telling an operator anything (alembic logs its dialect on
# every schema check).
QUIET_LOGGERS = ("alembic",)


def setup_logging(level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Send records with timestamps to `stream` (stderr by default).

    A daemonised server has stderr redirected to its log file, so the same call
    serves both the foreground and the background case.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    # Replace, not add: a second call (e.g. in tests) must not duplicate every line.
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
