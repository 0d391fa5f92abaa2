"""Schedules and triggers over REST: add, list, show, pause, resume, delete."""

from __future__ import annotations

import httpx
from rest_helpers import error, upload

from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.internal.rule_codec import encode_rule
from ai_flow.model.rule import WorkflowRule

WF = "/namespaces/default/workflows/wf"


def test_schedules(api: httpx.Client) -> None:
    upload(api)
    r = api.post(f"{WF}/schedules", json={"expression": "cron@0 0 1 1 *"})
    assert r.status_code == 201, r.text
    schedule = r.json()
    assert (schedule["workflow_name"], schedule["is_paused"]) == ("wf", False)
    assert schedule["next_fire_time"] > 0
    sid = schedule["id"]
    assert api.get(f"/schedules/{sid}").json() == schedule
    assert api.post(f"/schedules/{sid}/pause").json()["is_paused"] is True
    assert api.post(f"/schedules/{sid}/resume").json()["is_paused"] is False
    listed = api.get(f"{WF}/schedules").json()
    assert [s["id"] for s in listed["schedules"]] == [sid] and listed["total_entries"] == 1
    assert api.delete(f"/schedules/{sid}").status_code == 204
    assert error(api.get(f"/schedules/{sid}"), 404) == f"workflow schedule {sid} does not exist"
    assert "cron@" in error(api.post(f"{WF}/schedules", json={"expression": "hourly"}), 422)


def test_triggers(api: httpx.Client) -> None:
    upload(api)
    rule = encode_rule(WorkflowRule(SingleEventCondition("k")))
    r = api.post(f"{WF}/triggers", json={"rule": rule})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    assert api.get(f"/triggers/{tid}").json()["rule"] == rule
    assert api.post(f"/triggers/{tid}/pause").json()["is_paused"] is True
    assert api.post(f"/triggers/{tid}/resume").json()["is_paused"] is False
    assert api.get(f"{WF}/triggers").json()["total_entries"] == 1
    assert api.delete(f"/triggers/{tid}").status_code == 204
    assert error(api.delete(f"/triggers/{tid}"), 404)
    assert "not valid" in error(api.post(f"{WF}/triggers", json={"rule": "{"}), 422)


def test_a_malformed_rule_is_one_422_not_a_500(api: httpx.Client) -> None:
    upload(api)
    for rule in ('{"expect_event_keys": 5}', '{"expect_event_keys": [[1]]}', "[1]"):
        assert "not valid" in error(api.post(f"{WF}/triggers", json={"rule": rule}), 422)
