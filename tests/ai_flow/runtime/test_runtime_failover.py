"""A runtime whose server is gone goes on through the next one its spec names: the
claim, the heartbeats (stored on the row, so whichever server schedules hears them)."""

from __future__ import annotations

import dataclasses
import json
import socket

from taskenv import TaskEnv, wait_for_statuses, wait_until
from test_task_runtime import WORKFLOW, run, start

from ai_flow.runtime import TaskSpec


def _dead_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # closed again: connections are refused


def test_the_claim_goes_to_the_next_server_when_the_first_is_gone(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    spec = dataclasses.replace(spec, server_address=f"{_dead_address()},{spec.server_address}")
    assert run(task_env, spec) == 0
    wait_for_statuses(task_env, spec, ["RUNNING", "SUCCESS"])


def test_heartbeats_fail_over_and_reach_the_row(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    task_env.app.heartbeats.persist_every = 0  # every beat to the row
    second, port = task_env.second_internal_rpc()
    spec = task_env.try_of("wf", "sleep")
    spec = dataclasses.replace(spec, server_address=f"{spec.server_address},127.0.0.1:{port}")
    proc = start(task_env, spec)
    try:
        wait_for_statuses(task_env, spec, ["RUNNING"])
        task_env.stop_internal_rpc()  # the launching server dies
        seen = task_env.row(spec).last_heartbeat or 0
        wait_until(lambda: (task_env.row(spec).last_heartbeat or 0) > seen + 500)
        assert proc.poll() is None
        task_env.stop(spec)  # the stop reaches it through the second server's answer
        assert proc.wait(30) == 0
        wait_for_statuses(task_env, spec, ["RUNNING", "STOPPED"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        second.stop(0).wait()


def test_a_spec_with_fields_this_runtime_does_not_know_still_loads(task_env: TaskEnv) -> None:
    task_env.upload(WORKFLOW)
    spec = task_env.try_of("wf", "ok")
    data = json.loads(spec.to_json())
    data["a_field_from_a_newer_server"] = {"x": 1}
    assert TaskSpec.from_json(json.dumps(data)) == spec
