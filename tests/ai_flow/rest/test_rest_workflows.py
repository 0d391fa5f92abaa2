"""Namespaces, workflows and snapshots over REST, against a real AIFlow server."""

from __future__ import annotations

import httpx
from rest_helpers import ECHO, error, upload


def test_namespaces_add_show_update_list_delete(api: httpx.Client) -> None:
    r = api.post("/namespaces", json={"name": "team", "properties": {"owner": "ann"}})
    assert r.status_code == 201 and r.json()["properties"] == {"owner": "ann"}
    assert "already exists" in error(api.post("/namespaces", json={"name": "team"}), 409)
    assert api.get("/namespaces/team").json()["name"] == "team"
    r = api.patch("/namespaces/team", json={"properties": {"owner": "bob"}})
    assert r.json()["properties"] == {"owner": "bob"}
    listed = api.get("/namespaces").json()
    assert [n["name"] for n in listed["namespaces"]] == ["default", "team"]
    assert listed["total_entries"] == 2
    assert api.delete("/namespaces/team").status_code == 204
    assert error(api.get("/namespaces/team"), 404) == "namespace team does not exist"


def test_a_bad_namespace_name_is_one_422(api: httpx.Client) -> None:
    message = error(api.post("/namespaces", json={"name": "a/b"}), 422)
    assert "namespace" in message


def test_upload_show_and_the_source_of_each_snapshot(api: httpx.Client) -> None:
    first = upload(api, "wf", "echo one")
    assert first["description"]["tasks"][0]["bash_command"] == "echo one"
    again = upload(api, "wf", "echo one")  # unchanged content: no new snapshot
    assert again["latest_snapshot_id"] == first["latest_snapshot_id"]
    second = upload(api, "wf", "echo two")
    shown = api.get("/namespaces/default/workflows/wf").json()
    assert shown["latest_snapshot_id"] == second["latest_snapshot_id"]
    assert shown["description"]["name"] == "wf"
    snapshots = api.get("/namespaces/default/workflows/wf/snapshots").json()
    assert snapshots["total_entries"] == 2
    ids = [s["id"] for s in snapshots["snapshots"]]
    assert ids == [second["latest_snapshot_id"], first["latest_snapshot_id"]]  # newest first
    for snapshot_id, command in zip(ids, ["echo two", "echo one"], strict=True):
        assert api.get(f"/snapshots/{snapshot_id}").json()["file_name"] == "wf.py"
        r = api.get(f"/snapshots/{snapshot_id}/source")
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text == ECHO.format(name="wf", command=command)
    assert api.delete(f"/snapshots/{ids[1]}").status_code == 204
    assert error(api.get(f"/snapshots/{ids[1]}/source"), 404)


def test_a_file_that_does_not_evaluate_stores_nothing(api: httpx.Client) -> None:
    r = api.post("/workflows", json={"file_name": "bad.py", "source": "raise ValueError('x')"})
    assert "ValueError" in error(r, 422)
    r = api.post("/workflows", json={"file_name": "../bad.py", "source": ""})
    assert "bare name" in error(r, 422)
    assert api.get("/namespaces/default/workflows").json()["total_entries"] == 0


def test_disable_enable_and_delete(api: httpx.Client) -> None:
    upload(api, "wf", "sleep 30")
    assert api.post("/namespaces/default/workflows/wf/disable").json()["is_enabled"] is False
    message = error(api.post("/namespaces/default/workflows/wf/executions"), 409)
    assert message == "workflow default.wf is disabled; enable it first"
    assert api.post("/namespaces/default/workflows/wf/enable").json()["is_enabled"] is True
    execution = api.post("/namespaces/default/workflows/wf/executions").json()
    assert "unfinished execution" in error(api.delete("/namespaces/default/workflows/wf"), 409)
    snapshot = execution["snapshot_id"]
    assert "is used by 1 execution" in error(api.delete(f"/snapshots/{snapshot}"), 409)
    assert api.post("/namespaces/default/workflows/wf/executions/stop").json() == {"count": 1}


def test_workflow_lists_page_with_their_total(api: httpx.Client) -> None:
    for i in range(5):
        upload(api, f"wf{i}")
    page = api.get("/namespaces/default/workflows", params={"limit": 2, "offset": 3}).json()
    assert [w["name"] for w in page["workflows"]] == ["wf3", "wf4"]
    assert (page["total_entries"], page["limit"], page["offset"]) == (5, 2, 3)
    past = api.get("/namespaces/default/workflows", params={"offset": 10}).json()
    assert past["workflows"] == [] and past["total_entries"] == 5
    assert "namespace nope does not exist" in error(api.get("/namespaces/nope/workflows"), 404)
