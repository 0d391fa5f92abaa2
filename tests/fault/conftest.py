"""Fixtures of the fault injection tests; the helpers are in faultlib.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faultlib import DatabaseKiller, NotificationServerProcess  # noqa: E402


@pytest.fixture
def killer_for() -> Iterator[Callable[[str], DatabaseKiller]]:
    """Factory of session killers for a test database; closed at teardown."""
    made: list[DatabaseKiller] = []

    def make(db_uri: str) -> DatabaseKiller:
        made.append(DatabaseKiller(db_uri))
        return made[-1]

    yield make
    for k in made:
        k.close()


@pytest.fixture
def notification_server(
    tmp_path: Path,
) -> Iterator[Callable[..., NotificationServerProcess]]:
    """Factory of started child notification servers; all are killed at teardown."""
    started: list[NotificationServerProcess] = []

    def make(**settings: object) -> NotificationServerProcess:
        server = NotificationServerProcess(tmp_path, **settings)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.kill()
