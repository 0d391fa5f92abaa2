"""Real notification + AIFlow servers (tests/ai_flow/aiflow_servers.py), and an HTTP
client of the AIFlow server's REST API on its ephemeral rest_port."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers, servers_factory  # noqa: E402

__all__ = ["api", "servers", "servers_factory"]


def client_of(servers: Servers) -> httpx.Client:
    assert servers.aiflow is not None and servers.aiflow.rest_port
    return httpx.Client(
        base_url=f"http://127.0.0.1:{servers.aiflow.rest_port}/api/v1", timeout=30.0
    )


@pytest.fixture
def api(servers: Servers) -> Iterator[httpx.Client]:
    with client_of(servers) as client:
        yield client


@pytest.fixture
def make_client() -> Iterator[Callable[[Servers], httpx.Client]]:
    made: list[httpx.Client] = []

    def make(servers: Servers) -> httpx.Client:
        made.append(client_of(servers))
        return made[-1]

    yield make
    for client in made:
        client.close()
