"""The UI's routes over HTTP on the AIFlow server's rest_port (no browser): what it
serves beside the API, and what it refuses."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import httpx
import pytest
from aiflow_servers import Servers

import ai_flow.web
from ai_flow.rest import create_app

QUICK = """
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name='quick') as w:
    BashOperator(name='t1', bash_command='echo hi')
"""


def test_the_pages_are_not_part_of_the_api_document() -> None:
    paths = create_app().openapi()["paths"]
    assert paths and all(p.startswith("/api/") for p in paths), sorted(paths)[:5]


def test_pages_static_files_and_readable_errors(servers: Servers, ui: str) -> None:
    servers.upload(QUICK)
    with httpx.Client(base_url=ui, timeout=30) as http:
        assert http.get("/").headers["location"] == "/namespaces/default"
        page = http.get("/namespaces/default/workflows/quick")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert 'sse-connect="/ui/live/namespaces/default/workflows/quick"' in page.text
        htmx = http.get("/ui/static/vendor/htmx-2.0.11.min.js")
        assert htmx.status_code == 200 and "javascript" in htmx.headers["content-type"]
        missing = http.get("/namespaces/default/workflows/nope")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        assert "nope" in missing.text and "Traceback" not in missing.text
        assert http.get("/executions/99").status_code == 404
        # The API keeps its JSON errors beside the pages.
        assert http.get("/api/v1/workflow-executions/99").json()["detail"]


def test_buttons_need_htmx_and_answer_with_a_notice(servers: Servers, ui: str) -> None:
    servers.upload(QUICK)
    with httpx.Client(base_url=ui, timeout=30) as http:
        # A plain cross-site form post cannot send HX-Request: refused, nothing started.
        refused = http.post("/ui/workflows/default/quick/start")
        assert refused.status_code == 403
        assert (
            http.get("/api/v1/namespaces/default/workflows/quick/executions").json()[
                "total_entries"
            ]
            == 0
        )
        done = http.post("/ui/workflows/default/quick/start", headers={"HX-Request": "true"})
        assert done.status_code == 200 and "Started execution 1" in done.text
        wrong = http.post("/ui/executions/1/tasks/nope/start", headers={"HX-Request": "true"})
        assert 'class="flash error"' in wrong.text and "nope" in wrong.text


def test_the_live_stream_sends_the_page_fragments(servers: Servers, ui: str) -> None:
    servers.upload(QUICK)
    with (
        httpx.Client(base_url=ui, timeout=30) as http,
        http.stream("GET", "/ui/live/namespaces/default/workflows/quick") as stream,
    ):
        names = []
        for line in stream.iter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
            if len(names) == 4:
                break
    assert sorted(names) == ["graph", "grid", "header", "timers"]


def test_wheels_carry_every_template_and_static_file() -> None:
    """pyproject's package data names them by glob: a file added in a new folder (or
    with a pattern the globs miss) would be missing from a `pip install`ed server."""
    tomllib = pytest.importorskip("tomllib")
    web = Path(ai_flow.web.__file__).parent
    with (web.parents[2] / "pyproject.toml").open("rb") as f:
        globs = tomllib.load(f)["tool"]["setuptools"]["package-data"]["ai_flow.web"]
    files = [p for d in ("templates", "static") for p in (web / d).rglob("*") if p.is_file()]
    assert files
    for path in files:
        relative = path.relative_to(web).as_posix()
        assert any(
            fnmatch.fnmatchcase(relative, g) and relative.count("/") == g.count("/") for g in globs
        ), f"{relative} is not package data"
