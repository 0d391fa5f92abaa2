"""Fixtures for the end-to-end tests of the `notification` console script."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from ns_e2e_helpers import NsHome, free_port, kill_leftover


@pytest.fixture
def ns(tmp_path: Path) -> Iterator[NsHome]:
    """A fresh $NOTIFICATION_HOME with a free port; any daemon is stopped afterwards."""
    path = tmp_path / "ns_home"
    env = {**os.environ, "NOTIFICATION_HOME": str(path)}
    home = NsHome(path, free_port(), env)
    try:
        yield home
    finally:
        if (path / "notification_server.pid").exists():
            home.run("server", "stop", timeout=30)
        kill_leftover(path)
