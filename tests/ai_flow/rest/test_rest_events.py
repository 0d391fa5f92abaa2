"""Events over REST: filtered lists paged by offset, counts, and the live SSE stream that
a reconnect with Last-Event-ID resumes with nothing lost or repeated."""

from __future__ import annotations

import threading

import httpx
from aiflow_servers import Servers
from rest_helpers import data, error, sse


def test_list_pages_by_offset_cursor_with_the_filters(api: httpx.Client, servers: Servers) -> None:
    for i in range(5):
        servers.client.send_event(f"k{i % 2}", str(i), namespace="ns1")
    servers.client.send_event("k0", "other", namespace="ns2")
    page = api.get("/events", params={"key": "k0", "namespace": "ns1", "limit": 2}).json()
    assert [e["value"] for e in page["events"]] == ["0", "2"] and page["has_more"] is True
    rest = api.get(
        "/events", params={"key": "k0", "namespace": "ns1", "after": page["next_after"]}
    ).json()
    assert [e["value"] for e in rest["events"]] == ["4"] and rest["has_more"] is False
    both = api.get("/events", params=[("key", "k0"), ("key", "k1"), ("namespace", "ns1")])
    assert len(both.json()["events"]) == 5
    prefixed = api.get("/events", params={"key_prefix": "k", "namespace": "ns2"}).json()
    assert [e["value"] for e in prefixed["events"]] == ["other"]
    count = api.get("/events/count", params={"key": "k0"}).json()
    assert count["count"] == 4 and sum(s["count"] for s in count["senders"]) == 4
    assert error(api.get("/events", params={"limit": 1001}), 422).startswith(
        "query parameter limit:"
    )


def _read(api: httpx.Client, n: int, headers: dict[str, str], params: dict) -> list[dict]:
    got: list[dict] = []
    with api.stream("GET", "/events/stream", headers=headers, params=params) as response:
        assert response.status_code == 200
        for event in sse(response.iter_lines()):
            got.append(event)
            if len(got) == n:
                break  # hang up, as a browser that lost its connection
    return got


def test_the_stream_resumes_after_last_event_id_nothing_lost_or_repeated(
    api: httpx.Client, servers: Servers
) -> None:
    sent = [servers.client.send_event("s", str(i)).offset for i in range(3)]
    params = {"key": "s", "after": "0"}
    first = _read(api, 2, {}, params)  # backfill from the start
    assert [int(e["id"]) for e in first] == sent[:2]
    assert [data(e)["offset"] for e in first] == sent[:2]

    # Events keep arriving while and after the client reconnects.
    def send_more() -> None:
        for i in range(3, 8):
            sent.append(servers.client.send_event("s", str(i)).offset)

    sender = threading.Thread(target=send_more)
    sender.start()
    second = _read(api, 6, {"Last-Event-ID": first[-1]["id"]}, params)
    sender.join()
    ids = [int(e["id"]) for e in first + second]
    assert ids == sorted(set(ids)) == sent  # in order, each once, none missing
    assert [data(e)["value"] for e in first + second] == [str(i) for i in range(8)]


def test_without_a_start_the_stream_sends_what_arrives_from_now_on(
    api: httpx.Client, servers: Servers
) -> None:
    servers.client.send_event("n", "old")
    got: list[dict] = []

    def read() -> None:
        got.extend(_read(api, 1, {}, {"key": "n", "sender": "me"}))

    reader = threading.Thread(target=read)
    reader.start()
    client = type(servers.client)(servers.ns_uri, sender="me")
    try:
        while reader.is_alive():
            client.send_event("n", "new")
            servers.client.send_event("n", "not mine")  # another sender: filtered out
            reader.join(0.2)
    finally:
        client.close()
    assert data(got[0])["value"] == "new" and data(got[0])["sender"] == "me"


def test_a_bad_last_event_id_is_one_422(api: httpx.Client) -> None:
    r = api.get("/events/stream", headers={"Last-Event-ID": "abc"})
    assert error(r, 422).startswith("header Last-Event-ID:")
