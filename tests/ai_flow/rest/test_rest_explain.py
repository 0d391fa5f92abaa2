"""The REST routes of `explain` and replay, on the running server's REST context (the
router is mounted here; the server mounts it in rest/_app.py)."""

from __future__ import annotations

from aiflow_servers import Servers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ai_flow import ops
from ai_flow.rest._context import RestContext
from ai_flow.rest._errors import install_error_handlers
from ai_flow.rest._explain import router

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='rx') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        t = BashOperator(name='t', bash_command='sleep 60')
        t.action_on_event_received(TaskAction.START, 'go')
"""


def test_explain_routes(servers: Servers) -> None:
    assert servers.aiflow is not None
    api = FastAPI()
    api.state.context = RestContext(servers.aiflow.app, servers.client, servers.home / "logs")
    api.include_router(router, prefix="/api/v1")
    install_error_handlers(api)
    http = TestClient(api)
    path = servers.write(WORKFLOW, "rx.py")
    ops.upload_workflows(str(path))
    begin = servers.client.get_latest_offset()
    eid = ops.start_workflow_execution("rx")
    go = servers.client.send_event("go", "x")
    servers.wait_tasks(eid, {"t": ["RUNNING"]})
    servers.wait_scheduled()

    task = http.get(f"/api/v1/workflow-executions/{eid}/tasks/t/explain").json()
    assert task["runs"][0]["started_by"]["event"]["offset"] == go.offset
    event = http.get(f"/api/v1/events/{go.offset}/explain").json()
    assert event["decisions"][0]["detail"] == "started run 1"
    page = http.get(f"/api/v1/workflow-executions/{eid}/explain", params={"limit": 1}).json()
    assert len(page["decisions"]) == 1 and page["total_decisions"] > 1
    missing = http.get("/api/v1/workflow-executions/999/explain")
    assert missing.status_code == 404 and "999" in missing.json()["detail"]
    body = {"file_name": "rx.py", "source": path.read_text(), "from_offset": begin}
    replayed = http.post("/api/v1/namespaces/default/replay", json=body).json()
    assert [(a["task"], a["event_offset"]) for a in replayed["actions"]][-1] == ("t", go.offset)
    ops.stop_workflow_execution(eid)
