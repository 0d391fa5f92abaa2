"""Workflow schedules: start executions periodically (type PERIODIC).

Expressions: ``cron@<minute> <hour> <day of month> <month> <day of week>`` (standard
crontab, evaluated in UTC) or ``interval@<days> <hours> <minutes> <seconds>`` (every
interval from when the schedule is added or resumed).
"""

from __future__ import annotations

from ai_flow.ops._client import RPC_TIMEOUT, NotFoundError, build, call
from ai_flow.ops._paging import page, ref
from ai_flow.ops._timer_meta import WorkflowScheduleMeta
from ai_flow.proto import aiflow_pb2 as pb


def add_workflow_schedule(
    expression: str, workflow_name: str, namespace: str = "default"
) -> WorkflowScheduleMeta:
    """Add a schedule; a malformed expression raises InvalidArgumentError (nothing stored)."""
    request = build(
        pb.AddWorkflowScheduleRequest, workflow=ref(workflow_name, namespace), expression=expression
    )
    msg = call(lambda s: s.AddWorkflowSchedule(request, timeout=RPC_TIMEOUT))
    return WorkflowScheduleMeta.from_proto(msg)


def get_workflow_schedule(schedule_id: int) -> WorkflowScheduleMeta | None:
    """The schedule, or None if there is none with this id."""
    try:
        msg = call(
            lambda s: s.GetWorkflowSchedule(
                build(pb.IdRequest, id=schedule_id), timeout=RPC_TIMEOUT
            )
        )
    except NotFoundError:
        return None
    return WorkflowScheduleMeta.from_proto(msg)


def list_workflow_schedules(
    workflow_name: str,
    namespace: str = "default",
    limit: int | None = None,
    offset: int | None = None,
) -> list[WorkflowScheduleMeta]:
    """One page of the workflow's schedules (the server's default page without `limit`)."""
    request = build(
        pb.ListByWorkflowRequest, workflow=ref(workflow_name, namespace), page=page(limit, offset)
    )
    msg = call(lambda s: s.ListWorkflowSchedules(request, timeout=RPC_TIMEOUT))
    return [WorkflowScheduleMeta.from_proto(m) for m in msg.schedules]


def pause_workflow_schedule(schedule_id: int) -> WorkflowScheduleMeta:
    """Stop firing; the schedule is kept."""
    msg = call(
        lambda s: s.PauseWorkflowSchedule(build(pb.IdRequest, id=schedule_id), timeout=RPC_TIMEOUT)
    )
    return WorkflowScheduleMeta.from_proto(msg)


def resume_workflow_schedule(schedule_id: int) -> WorkflowScheduleMeta:
    """Fire again, from now on (fires missed while paused are not made up)."""
    msg = call(
        lambda s: s.ResumeWorkflowSchedule(build(pb.IdRequest, id=schedule_id), timeout=RPC_TIMEOUT)
    )
    return WorkflowScheduleMeta.from_proto(msg)


def delete_workflow_schedule(schedule_id: int) -> None:
    call(
        lambda s: s.DeleteWorkflowSchedule(build(pb.IdRequest, id=schedule_id), timeout=RPC_TIMEOUT)
    )


def delete_workflow_schedules(workflow_name: str, namespace: str = "default") -> int:
    """Delete every schedule of the workflow; returns how many there were."""
    msg = call(
        lambda s: s.DeleteWorkflowSchedules(ref(workflow_name, namespace), timeout=RPC_TIMEOUT)
    )
    return msg.count
