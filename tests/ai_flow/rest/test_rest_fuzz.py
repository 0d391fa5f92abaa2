"""schemathesis fuzzes every route of the served OpenAPI document against the real
server, with valid and invalid input: no request may get a 5xx. Bounded in time: a few
examples per route and mode (AIFLOW_FUZZ_EXAMPLES raises it for a deeper run); the live
streams, which never end by themselves, are left to their own tests."""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx
import pytest
import schemathesis
from aiflow_servers import Servers
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_helpers import upload
from schemathesis import GenerationMode

EXAMPLES = int(os.environ.get("AIFLOW_FUZZ_EXAMPLES", "8"))


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
def test_no_input_makes_the_api_fail_with_a_5xx(
    backend: str,
    request: pytest.FixtureRequest,
    servers_factory: Callable[..., Servers],
    make_client: Callable[[Servers], httpx.Client],
) -> None:
    uri = None if backend == "sqlite" else request.getfixturevalue(f"{backend}_uri")
    api = make_client(servers_factory(uri))
    # Something to find: a workflow (id 1), its execution, task, snapshot and schedule.
    upload(api, "wf", "echo fuzz")
    api.post("/namespaces/default/workflows/wf/executions").raise_for_status()
    api.post(
        "/namespaces/default/workflows/wf/schedules", json={"expression": "cron@0 0 1 1 *"}
    ).raise_for_status()
    root = str(api.base_url).removesuffix("/api/v1/")
    schema = schemathesis.openapi.from_url(f"{root}/openapi.json").exclude(
        path_regex=r"/(stream|follow)$"
    )
    failures: list[str] = []
    operations = calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: schemathesis.Case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=root, timeout=60)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
                        f" -> {response.status_code} {response.text[:300]}"
                    )

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to make invalid (a route without parameters or body).
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert operations > 30 and calls >= operations * EXAMPLES
    assert not failures, "\n".join(failures[:20])
