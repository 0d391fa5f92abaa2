"""Fixtures for the end-to-end tests of the `aiflow` console script."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from af_e2e_helpers import Stack, clean_up, free_port


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Fresh homes and free ports; daemons are stopped (by pid) afterwards."""
    s = Stack(tmp_path, free_port(), free_port())
    try:
        yield s
    finally:
        if (s.home / "aiflow_server.pid").exists():
            s.aiflow("server", "stop", timeout=30)
        if (s.ns_home / "notification_server.pid").exists():
            s.run("notification", "server", "stop", timeout=30)
        clean_up(s.home, s.ns_home)


# Real Flink and Spark for the mixed streaming-and-batch example (tests/engines.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engines import engines, flink_cluster, flink_session_cluster  # noqa: E402

__all__ = ["engines", "flink_cluster", "flink_session_cluster", "stack"]
