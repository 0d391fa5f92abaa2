"""The REST server's life in the AIFlow server: its port, a port in use, FastAPI loaded
only after gRPC serves, and a stop that open streams do not hold up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from aiflow_servers import Servers, wait_until

from ai_flow.server import ServerStartError


def test_a_rest_port_in_use_fails_the_start_with_one_line(
    servers_factory: Callable[..., Servers],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError) as failure:
            servers_factory(rest_port=port)
    assert str(failure.value).startswith(f"cannot listen on 127.0.0.1:{port} (rest)")
    assert "\n" not in str(failure.value)


def test_stop_ends_open_streams_at_once(
    servers: Servers, make_client: Callable[[Servers], httpx.Client]
) -> None:
    api = make_client(servers)
    ended = threading.Event()

    def listen() -> None:
        try:
            with api.stream("GET", "/events/stream") as response:
                for _line in response.iter_lines():
                    pass
        except httpx.HTTPError:
            pass
        ended.set()

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert servers.aiflow is not None
    wait_until(lambda: servers.aiflow is not None and servers.aiflow.rest.serving, 10, "up")
    time.sleep(0.5)  # the stream is open
    started = time.monotonic()
    servers.stop_aiflow()
    assert time.monotonic() - started < 4
    assert ended.wait(5)


def test_a_restarted_server_serves_rest_again(
    servers: Servers, make_client: Callable[[Servers], httpx.Client]
) -> None:
    assert make_client(servers).get("/health").status_code == 200
    servers.restart_aiflow()
    assert make_client(servers).get("/health").status_code == 200


def test_fastapi_loads_with_the_first_client_not_before(
    servers: Servers, make_client: Callable[[Servers], httpx.Client]
) -> None:
    assert servers.aiflow is not None
    rest = servers.aiflow.rest
    assert rest.ready and not rest.serving  # listening; nothing loaded for nobody
    assert make_client(servers).get("/health").status_code == 200
    assert rest.serving
