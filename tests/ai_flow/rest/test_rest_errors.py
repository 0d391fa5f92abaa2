"""Errors and bounds: one message per refusal, the same words as the gRPC API, and no
request that can ask for an unbounded answer."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import httpx
import pytest
from aiflow_servers import Servers
from rest_helpers import error

from ai_flow import ops

MAX_ID = 2**63 - 1


def test_the_same_refusal_reads_the_same_as_over_grpc(api: httpx.Client) -> None:
    with pytest.raises(ops.NotFoundError) as grpc_error:
        ops.delete_workflow_execution(12345)
    assert error(api.get("/workflow-executions/12345"), 404) == str(grpc_error.value)
    ops.add_namespace("dup")
    with pytest.raises(ops.AlreadyExistsError) as exists:
        ops.add_namespace("dup")
    assert error(api.post("/namespaces", json={"name": "dup"}), 409) == str(exists.value)


@pytest.mark.parametrize(
    ("params", "start"),
    [
        ({"limit": 0}, "query parameter limit:"),
        ({"limit": 1001}, "query parameter limit:"),
        ({"limit": "x"}, "query parameter limit:"),
        ({"offset": -1}, "query parameter offset:"),
        ({"offset": 2**31}, "query parameter offset:"),
    ],
)
def test_page_bounds_are_one_422(api: httpx.Client, params: dict, start: str) -> None:
    assert error(api.get("/namespaces", params=params), 422).startswith(start)


def test_the_largest_page_is_bounded(api: httpx.Client) -> None:
    for i in range(3):
        ops.add_namespace(f"n{i}")
    page = api.get("/namespaces", params={"limit": 1000, "offset": 1}).json()
    assert (page["limit"], page["offset"], page["total_entries"]) == (1000, 1, 4)
    assert len(page["namespaces"]) == 3


@pytest.mark.parametrize("path", ["/snapshots/{}", "/task-executions/{}/log"])
def test_ids_beyond_the_database_are_422_not_500(api: httpx.Client, path: str) -> None:
    assert error(api.get(path.format(MAX_ID + 1)), 422).startswith("path parameter")
    assert error(api.get(path.format(0)), 422).startswith("path parameter")
    assert error(api.get(path.format(MAX_ID)), 404)


def test_bodies_are_validated_with_one_message(api: httpx.Client) -> None:
    assert error(api.post("/namespaces", json={}), 422) == "body.name: Field required"
    assert error(api.post("/namespaces", content=b"{"), 422).startswith("body")
    message = error(api.post("/namespaces", json=[1, 2]), 422)
    assert message.startswith("body")


def test_unknown_routes_and_methods(api: httpx.Client) -> None:
    assert error(api.get("/nope"), 404) == "Not Found"
    r = api.put("/namespaces")
    assert error(r, 405) == "Method Not Allowed" and "GET" in r.headers["allow"]


def test_the_grpc_server_still_answers_beside_rest(api: httpx.Client, servers: Servers) -> None:
    assert servers.aiflow is not None
    channel = grpc.insecure_channel(f"127.0.0.1:{servers.aiflow.port}")
    grpc.channel_ready_future(channel).result(timeout=5)
    channel.close()
    assert api.get("/namespaces").status_code == 200


@pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def test_nul_characters_are_one_422_on_every_database(
    backend: str,
    request: pytest.FixtureRequest,
    servers_factory: Callable[..., Servers],
    make_client: Callable[[Servers], httpx.Client],
) -> None:
    """PostgreSQL refuses NUL in text: refused at the edge, not a 500 from the database."""
    uri = None if backend == "sqlite" else request.getfixturevalue("postgres_uri")
    api = make_client(servers_factory(uri))
    for response in (
        api.get("/namespaces/a%00b"),
        api.get("/namespaces/default/workflows", params={"x": "a\x00"}),
        api.get("/events", params={"key": "a\x00"}),
    ):
        assert error(response, 422) == "the request must not contain NUL characters"
    for path, body in (
        ("/namespaces", {"name": "a\x00b"}),
        ("/workflows", {"file_name": "a.py", "source": "x = '\x00'"}),
    ):
        assert "NUL" in error(api.post(path, json=body), 422)
    r = api.patch("/namespaces/default", json={"properties": {"k": "v\x00"}})
    assert error(r, 422).startswith("body.properties")
