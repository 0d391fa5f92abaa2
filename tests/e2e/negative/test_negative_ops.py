"""ai_flow.ops and the notification client refuse what the protocol cannot carry with
their typed exceptions (issue 13), generated from the public functions' signatures."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from af_e2e_helpers import Stack

from ai_flow import ops
from notification_service.client import InvalidRequestError, NotificationClient

OVERFLOW = 2**64


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """No aiflow_client.yaml: the default address; nothing is sent anyway."""
    monkeypatch.setenv("AIFLOW_HOME", str(tmp_path))
    ops.set_server_address(None)


def _id_functions() -> list[tuple[str, Callable[..., Any], str]]:
    """(name, function, id parameter) for every ops function taking an `*_id`."""
    found = []
    for name in ops.__all__:
        fn = getattr(ops, name)
        if not inspect.isfunction(fn):
            continue
        for param in inspect.signature(fn).parameters.values():
            if param.name.endswith("_id"):
                found.append((name, fn, param.name))
    return found


ID_FUNCTIONS = _id_functions()
ID_NAMES = [n for n, _f, _p in ID_FUNCTIONS]


def test_the_walk_found_the_id_functions() -> None:
    assert {"get_workflow_execution", "delete_workflow_schedule"} <= {
        n for n, _f, _p in ID_FUNCTIONS
    }


@pytest.mark.parametrize(
    ("name", "fn", "param"), ID_FUNCTIONS, ids=[n for n, _f, _p in ID_FUNCTIONS]
)
def test_ops_id_beyond_int64(name: str, fn: Callable[..., Any], param: str) -> None:
    args = {
        p.name: OVERFLOW if p.name == param else "x"
        for p in inspect.signature(fn).parameters.values()
        if p.default is inspect.Parameter.empty
    }
    with pytest.raises(ops.InvalidArgumentError, match=f"invalid id {OVERFLOW}|{OVERFLOW}"):
        fn(**args)


@pytest.mark.parametrize("name", ["get_workflow", "list_workflows", "get_namespace"])
def test_ops_name_of_the_wrong_type(name: str) -> None:
    with pytest.raises(ops.InvalidArgumentError, match="invalid"):
        getattr(ops, name)(12345)


def test_ops_negative_page() -> None:
    with pytest.raises(ops.InvalidArgumentError, match="must not be negative"):
        ops.list_namespaces(limit=-1)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_events("k", begin_offset=OVERFLOW),
        lambda c: c.list_events("k", end_offset=OVERFLOW),
        lambda c: c.count_events("k", begin_offset=OVERFLOW),
        lambda c: c.send_event(5, "v"),
        lambda c: c.time_to_offset(OVERFLOW),
    ],
    ids=["list-begin", "list-end", "count-begin", "send-key-type", "time-to-offset"],
)
def test_notification_client_bad_request(
    call: Callable[[NotificationClient], Any], running: Stack
) -> None:
    with NotificationClient(f"localhost:{running.ns_port}", retry_seconds=1) as client:
        with pytest.raises(InvalidRequestError, match="invalid request"):
            call(client)
