"""Fixtures of the generated negative suite (issue 13): one offline home and one
running stack, shared by every case."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The Stack helper of the aiflow end-to-end tests: real console scripts, own homes and ports.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aiflow"))

from af_e2e_helpers import Stack, clean_up, free_port  # noqa: E402


def _stop(s: Stack) -> None:
    if (s.home / "aiflow_server.pid").exists():
        s.aiflow("server", "stop", timeout=30)
    if (s.ns_home / "notification_server.pid").exists():
        s.run("notification", "server", "stop", timeout=30)
    clean_up(s.home, s.ns_home)


@pytest.fixture(scope="session")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Both homes configured on free ports; no database, no server."""
    s = Stack(tmp_path_factory.mktemp("offline"), free_port(), free_port())
    s.configure()
    yield s
    _stop(s)


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Both servers running, with one workflow uploaded."""
    s = Stack(tmp_path_factory.mktemp("running"), free_port(), free_port())
    s.configure()
    try:
        s.start()
        s.ok("workflow", "upload", str(s.workflow_file()))
        yield s
    finally:
        _stop(s)
