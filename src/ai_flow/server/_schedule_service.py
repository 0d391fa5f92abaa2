"""The workflow schedule RPCs (a mixin of AIFlowServicer).

Expressions are validated before anything is written, so a malformed one stores
nothing and comes back as INVALID_ARGUMENT with the expected format. After every change
the timer loop is woken (`_on_schedules_changed`) so it recomputes its next wake-up.
"""

from __future__ import annotations

from ai_flow.metadata import schedules, workflows
from ai_flow.model.periodic_expression import parse_periodic_expression
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.server import _convert as convert
from ai_flow.server._errors import rpc_errors


class ScheduleServiceMixin:
    """Needs `_lock`, `_read()`, `_write()` and `_on_schedules_changed` of the servicer."""

    def _schedule(self, s, schedule_id: int) -> pb.WorkflowScheduleProto:  # noqa: ANN001
        row = schedules.get_schedule(s, schedule_id)
        return convert.schedule(row, workflows.get_workflow_by_id(s, row.workflow_id))

    @rpc_errors
    def AddWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        expression = request.expression.strip()
        parse_periodic_expression(expression)  # raises with the expected format
        ref = request.workflow
        with self._lock, self._write() as s:
            wf = workflows.get_workflow(s, ref.namespace or "default", ref.name)
            out = convert.schedule(schedules.create_schedule(s, wf.id, expression), wf)
        self._on_schedules_changed()
        return out

    @rpc_errors
    def GetWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            return self._schedule(s, request.id)

    @rpc_errors
    def ListWorkflowSchedules(self, request, context):  # noqa: N802, ANN001
        ref, page = request.workflow, request.page
        with self._read() as s:
            wf = workflows.get_workflow(s, ref.namespace or "default", ref.name)
            rows = schedules.list_schedules(
                s, wf.id, limit=page.limit or None, offset=page.offset or None
            )
            return pb.WorkflowScheduleList(schedules=[convert.schedule(r, wf) for r in rows])

    def _set_schedule_paused(self, schedule_id: int, paused: bool) -> pb.WorkflowScheduleProto:
        with self._lock, self._write() as s:
            schedules.set_schedule_paused(s, schedule_id, paused)
            out = self._schedule(s, schedule_id)
        self._on_schedules_changed()
        return out

    @rpc_errors
    def PauseWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        return self._set_schedule_paused(request.id, True)

    @rpc_errors
    def ResumeWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        return self._set_schedule_paused(request.id, False)

    @rpc_errors
    def DeleteWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            schedules.delete_schedule(s, request.id)
        self._on_schedules_changed()
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowSchedules(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            wf = workflows.get_workflow(s, request.namespace or "default", request.name)
            count = schedules.delete_schedules(s, wf.id)
        self._on_schedules_changed()
        return pb.CountResponse(count=count)
