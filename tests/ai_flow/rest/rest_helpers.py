"""Workflow files and small helpers shared by the REST tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

ECHO = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='{name}') as w:
    BashOperator(name='t1', bash_command={command!r})
"""


def upload(api: httpx.Client, name: str = "wf", command: str = "echo hello") -> dict[str, Any]:
    source = ECHO.format(name=name, command=command)
    r = api.post("/workflows", json={"file_name": f"{name}.py", "source": source})
    assert r.status_code == 201, r.text
    return dict(r.json()["workflows"][0])


def error(response: httpx.Response, status: int) -> str:
    """The one-line message of an error response with that status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str), body
    assert "\n" not in body["detail"] and "Traceback" not in body["detail"]
    return str(body["detail"])


def sse(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-Sent Events parsed from a response's lines (comments, i.e. pings, skipped)."""
    event: dict[str, str] = {}
    for line in lines:
        if not line:
            if event:
                yield event
            event = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        event[field] = event[field] + "\n" + value if field in event else value


def data(event: dict[str, str]) -> Any:
    return json.loads(event["data"])
