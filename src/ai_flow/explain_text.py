"""Explanations as text for people (one line per run, decision or action): what
`aiflow ... explain` and `replay` print and the web UI's "Why?" panel shows. Pure
functions of the dicts `ai_flow.app.explain` and `ai_flow.app.replay` return."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = ["cause", "event_lines", "execution_lines", "replay_lines", "task_lines"]


def cause(d: dict[str, Any] | None) -> str:
    """One decision as a phrase: what, about which event, and the outcome."""
    if not d:
        return "-"
    parts = [d.get("source") or "?"]
    event = d.get("event")
    if event:
        where = f"({event['key']}, {event['namespace']})"
        if event.get("last_offset"):
            runs = f"events {event['offset']}..{event['last_offset']} ({event['events']} alike)"
            parts.append(f"{runs} {where}")
        else:
            parts.append(f"event {event['offset']} {where}")
    if d.get("rule_index") is not None:
        parts.append(f"rule {d['rule_index']} {d.get('condition')}")
    if d.get("answer"):
        parts.append(d["answer"])
    if d.get("error"):
        parts.append(f"error: {d['error']}")
    if d.get("changed"):
        parts.append(f"changed {','.join(d['changed'])}")
    text = " ".join(parts)
    return f"{text}: {d.get('detail') or d.get('action') or ''}".rstrip(": ")


def task_lines(data: dict[str, Any]) -> Iterator[str]:
    yield (
        f"Task {data['task_name']} of workflow execution {data['workflow_execution_id']} "
        f"({data['workflow']}, {data['execution_status']})"
    )
    if not data["runs"]:
        yield "  no run"
    for run in data["runs"]:
        yield (
            f"  run {run['sequence_number']} (task execution {run['task_execution_id']}, "
            f"try {run['try_number']}) {run['status']}  {run['begin_date'] or '-'} .. "
            f"{run['end_date'] or '-'}"
        )
        yield f"    started by: {cause(run['started_by'])}"
        if run["stopped_by"]:
            yield f"    stopped by: {cause(run['stopped_by'])}"
    why = data.get("why_not_running")
    if data["running"] or not why:
        yield "It is running now."
        return
    yield "Why it is not running:"
    for reason in why["reasons"]:
        yield f"  - {reason}"
    for rule in why["rules"]:
        keys = ", ".join(rule["keys"])
        yield f"  rule {rule['rule_index']} {rule['action']} on {rule['condition']} ({keys})"
        for answer in rule["last_answers"]:
            yield f"    {answer['time']}  {cause(answer)}"
        for wait in rule["waiting_for"]:
            yield f"    waiting: {wait['message']}"


def event_lines(data: dict[str, Any]) -> Iterator[str]:
    event = data.get("event")
    what = f"{event['key']} in {event['namespace']} from {event['sender']}" if event else "?"
    state = "processed" if data["processed"] else "not processed yet"
    yield f"Event {data['offset']} ({what}), {state}"
    if data["decisions"]:
        for d in data["decisions"]:
            target = (
                f"trigger {d['workflow_trigger_id']}"
                if d["workflow_execution_id"] is None
                else f"execution {d['workflow_execution_id']}"
            )
            task = f" task {d['task_name']}" if d["task_name"] else ""
            yield f"  {target}{task}: {cause(d)}"
        return
    yield "It went nowhere:"
    for reason in data["reasons"]:
        yield f"  - {reason}"


def execution_lines(data: dict[str, Any]) -> Iterator[str]:
    yield (
        f"Workflow execution {data['id']} of {data['workflow']}: {data['status']} "
        f"({data['execution_type']}), {data['begin_date']} .. {data['end_date'] or '-'}"
    )
    yield f"Started by: {cause(data['started_by'])}"
    shown = len(data["decisions"])
    yield f"Decisions ({shown} of {data['total_decisions']}, newest first):"
    for d in data["decisions"]:
        task = f"{d['task_name']}: " if d["task_name"] else ""
        yield f"  {d['time']}  {task}{cause(d)}"


def replay_lines(data: dict[str, Any]) -> Iterator[str]:
    yield (
        f"Replay of {data['workflow']} over {data['events']} events "
        f"({data['first_offset']} .. {data['last_offset']}) in namespace {data['namespace']}"
    )
    yield f"  statuses from the log: {', '.join(data['statuses_from_log']) or '-'}"
    yield f"  assumed to succeed at once: {', '.join(data['statuses_assumed_success']) or '-'}"
    if data["events_not_heard"]:
        yield f"  {data['events_not_heard']} events would not reach the execution"
    yield f"{'TASK':16} {'ACTION':8} {'EVENT':>8}  {'TIME':26} DETAIL"
    for a in data["actions"]:
        offset = "-" if a["event_offset"] is None else str(a["event_offset"])
        if a["made_up_status"]:
            offset += "*"
        yield f"{a['task']:16} {a['action']:8} {offset:>8}  {a['time'] or '-':26} {a['detail']}"
    if any(a["made_up_status"] for a in data["actions"]):
        yield "(* after a status assumed for a task without status events in the log)"
    yield "Final rule state:" + ("" if data["rule_state"] else " none")
    for scope, values in data["rule_state"].items():
        yield f"  {scope}: {json.dumps(values, sort_keys=True)}"
