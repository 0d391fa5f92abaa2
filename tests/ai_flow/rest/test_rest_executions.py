"""Workflow executions, task executions and task logs over REST."""

from __future__ import annotations

import httpx
from aiflow_servers import FINISHED, Servers, wait_until
from rest_helpers import data, error, sse, upload


def _tasks(api: httpx.Client, execution_id: int) -> list[dict]:
    r = api.get(f"/workflow-executions/{execution_id}/task-executions")
    assert r.status_code == 200, r.text
    return list(r.json()["task_executions"])


def _finished_task(api: httpx.Client, execution_id: int) -> dict:
    def done() -> dict | None:
        found = _tasks(api, execution_id)
        return found[0] if found and found[0]["status"] in FINISHED else None

    return dict(wait_until(done, 30, "the task to finish"))


def test_start_show_list_and_delete_an_execution(api: httpx.Client) -> None:
    upload(api, "wf", "echo hello")
    started = api.post("/namespaces/default/workflows/wf/executions")
    assert started.status_code == 201
    execution = started.json()
    assert (execution["namespace"], execution["workflow_name"]) == ("default", "wf")
    task = _finished_task(api, execution["id"])
    assert task["status"] == "SUCCESS" and task["try_number"] == 1
    assert task["external_job"] is None and task["external_job_active"] is False
    assert api.get(f"/task-executions/{task['id']}").json()["id"] == task["id"]

    def succeeded() -> bool:
        shown = api.get(f"/workflow-executions/{execution['id']}").json()
        return bool(shown["status"] == "SUCCESS")

    wait_until(succeeded, 30, "the execution to succeed")
    listed = api.get("/namespaces/default/workflows/wf/executions").json()
    assert [e["id"] for e in listed["workflow_executions"]] == [execution["id"]]
    assert listed["total_entries"] == 1
    assert api.delete(f"/workflow-executions/{execution['id']}").status_code == 204
    assert "does not exist" in error(api.get(f"/workflow-executions/{execution['id']}"), 404)


def test_stop_an_execution_and_its_task(api: httpx.Client) -> None:
    upload(api, "wf", "sleep 60")
    execution = api.post("/namespaces/default/workflows/wf/executions").json()
    eid = execution["id"]
    wait_until(lambda: [t["status"] for t in _tasks(api, eid)] == ["RUNNING"], 30, "running")
    message = error(api.delete(f"/workflow-executions/{eid}"), 409)
    assert "RUNNING" in message or "unfinished" in message
    assert "no task 'nope'" in error(api.post(f"/workflow-executions/{eid}/tasks/nope/stop"), 409)
    again = api.post(f"/workflow-executions/{eid}/tasks/t1/start")  # alive: that one
    assert again.status_code == 201 and again.json()["sequence_number"] == 1
    assert api.post(f"/workflow-executions/{eid}/tasks/t1/stop").status_code == 202
    assert _finished_task(api, eid)["status"] == "STOPPED"

    def ended() -> str | None:
        status = str(api.get(f"/workflow-executions/{eid}").json()["status"])
        return status if status in FINISHED else None

    status = wait_until(ended, 30, "the execution to end")
    message = error(api.post(f"/workflow-executions/{eid}/tasks/t1/start"), 409)
    assert message == f"workflow execution {eid} is {status}, not RUNNING"


def test_stop_an_execution_stops_its_tasks(api: httpx.Client) -> None:
    upload(api, "wf", "sleep 60")
    eid = api.post("/namespaces/default/workflows/wf/executions").json()["id"]
    wait_until(lambda: [t["status"] for t in _tasks(api, eid)] == ["RUNNING"], 30, "running")
    assert api.post(f"/workflow-executions/{eid}/stop").status_code == 202

    def stopped() -> bool:
        return bool(api.get(f"/workflow-executions/{eid}").json()["status"] == "STOPPED")

    wait_until(stopped, 30, "the execution to stop")
    assert _finished_task(api, eid)["status"] == "STOPPED"


def test_unknown_ids_are_404(api: httpx.Client) -> None:
    for path in (
        "/workflow-executions/999",
        "/workflow-executions/999/task-executions",
        "/task-executions/999",
        "/task-executions/999/log",
        "/task-executions/999/log/follow",
        "/snapshots/999",
    ):
        assert "999 does not exist" in error(api.get(path), 404), path
    assert error(api.post("/workflow-executions/999/stop"), 404)
    assert error(api.post("/namespaces/default/workflows/nope/executions"), 404)


def test_log_range_reads_cut_at_whole_characters(api: httpx.Client) -> None:
    upload(api, "wf", "echo héllo wörld")
    execution = api.post("/namespaces/default/workflows/wf/executions").json()
    task = _finished_task(api, execution["id"])
    whole = api.get(f"/task-executions/{task['id']}/log").json()
    assert "héllo wörld\n" in whole["text"] and whole["finished"] is True
    assert whole["next_offset"] == whole["size"] == len(whole["text"].encode())
    text, offset = "", 0
    while offset < whole["size"]:  # 3 bytes at a time: cuts through the é and the ö
        chunk = api.get(
            f"/task-executions/{task['id']}/log", params={"offset": offset, "limit": 3}
        ).json()
        assert chunk["offset"] == offset and chunk["next_offset"] > offset
        text, offset = text + chunk["text"], chunk["next_offset"]
    assert text == whole["text"]
    past = api.get(f"/task-executions/{task['id']}/log", params={"offset": 10**9}).json()
    assert past["text"] == "" and past["next_offset"] == whole["size"]
    message = error(api.get(f"/task-executions/{task['id']}/log", params={"limit": 0}), 422)
    assert message.startswith("query parameter limit:")


def test_follow_a_log_as_it_grows_then_resume_with_last_event_id(
    api: httpx.Client, servers: Servers
) -> None:
    marker = servers.home.parent / "go"
    command = f"echo first; while [ ! -e {marker} ]; do sleep 0.1; done; echo second"
    upload(api, "wf", command)
    execution = api.post("/namespaces/default/workflows/wf/executions").json()
    task = wait_until(lambda: _tasks(api, execution["id"]), 30, "a task execution")[0]
    url = f"/task-executions/{task['id']}/log/follow"
    seen, last_id = "", None
    with api.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in sse(response.iter_lines()):
            assert event["event"] == "log"
            seen, last_id = seen + data(event)["text"], event["id"]
            if "first\n" in seen:
                break  # hang up mid-way, as a closed browser tab does
    marker.touch()
    rest, end = "", None
    with api.stream("GET", url, headers={"Last-Event-ID": str(last_id)}) as response:
        for event in sse(response.iter_lines()):
            if event["event"] == "end":
                end = data(event)
                break
            rest += data(event)["text"]
    whole = api.get(f"/task-executions/{task['id']}/log").json()
    assert seen + rest == whole["text"]  # nothing lost, nothing repeated
    assert "second\n" in rest and end == {"next_offset": whole["size"]}


FLAKY = """\
from ai_flow.model.workflow import Workflow
from ai_flow.operators.bash import BashOperator

with Workflow(name="flaky") as workflow:
    BashOperator(name="t", bash_command="echo try; exit 3", retries=1)
"""


def test_the_try_history_keeps_every_try(api: httpx.Client) -> None:
    r = api.post("/workflows", json={"file_name": "flaky.py", "source": FLAKY})
    assert r.status_code == 201, r.text
    execution = api.post("/namespaces/default/workflows/flaky/executions").json()

    def failed_twice() -> dict | None:
        found = _tasks(api, execution["id"])
        done = found and found[0]["status"] == "FAILED" and found[0]["try_number"] == 2
        return found[0] if done else None

    task = dict(wait_until(failed_twice, 60, "the task to fail its retry"))
    history = api.get(f"/task-executions/{task['id']}/tries").json()
    assert history["task_execution_id"] == task["id"]
    first, second = history["tries"]
    assert (first["try_number"], first["status"], first["current"]) == (1, "FAILED", False)
    assert (second["try_number"], second["status"], second["current"]) == (2, "FAILED", True)
    for t in (first, second):
        assert t["host"] and t["pid"] and t["begin_date"] and t["end_date"] >= t["begin_date"]
    assert first["pid"] != second["pid"]  # two processes: two tries
    assert "does not exist" in error(api.get("/task-executions/999999/tries"), 404)
