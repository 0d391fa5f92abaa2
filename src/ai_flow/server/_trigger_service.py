"""The workflow trigger RPCs (a mixin of AIFlowServicer).

A rule arrives serialised (ai_flow.model.internal.rule_codec). It is restored against
the workflow's latest snapshot before it is stored, so a condition class the server
cannot resolve, or state it cannot restore, is refused with INVALID_ARGUMENT.
"""

from __future__ import annotations

from ai_flow.metadata import snapshots, triggers, workflows
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.scheduler._trigger_rules import trigger_rules
from ai_flow.server import _convert as convert
from ai_flow.server._errors import PreconditionError, rpc_errors


class TriggerServiceMixin:
    """Needs `_lock`, `_snapshots`, `_read()` and `_write()` of the servicer."""

    def _trigger(self, s, trigger_id: int) -> pb.WorkflowTriggerProto:  # noqa: ANN001
        row = triggers.get_trigger(s, trigger_id)
        return convert.trigger(row, workflows.get_workflow_by_id(s, row.workflow_id))

    @rpc_errors
    def AddWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        namespace = ref.namespace or "default"
        with self._read() as s:
            wf = workflows.get_workflow(s, namespace, ref.name)
            if wf.latest_snapshot_id is None:
                raise PreconditionError(f"workflow {namespace}.{ref.name} has no snapshot")
            snapshot = snapshots.get_snapshot(s, wf.latest_snapshot_id)
        # Raises RuleCodecError (a ValueError: INVALID_ARGUMENT) naming what is wrong.
        trigger_rules(self._snapshots).rule(snapshot, request.rule, f"{namespace}.{ref.name}")
        with self._lock, self._write() as s:
            wf = workflows.get_workflow(s, namespace, ref.name)
            return convert.trigger(triggers.create_trigger(s, wf.id, request.rule), wf)

    @rpc_errors
    def GetWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            return self._trigger(s, request.id)

    @rpc_errors
    def ListWorkflowTriggers(self, request, context):  # noqa: N802, ANN001
        ref, page = request.workflow, request.page
        with self._read() as s:
            wf = workflows.get_workflow(s, ref.namespace or "default", ref.name)
            rows = triggers.list_triggers(
                s, wf.id, limit=page.limit or None, offset=page.offset or None
            )
            return pb.WorkflowTriggerList(triggers=[convert.trigger(r, wf) for r in rows])

    def _set_trigger_paused(self, trigger_id: int, paused: bool) -> pb.WorkflowTriggerProto:
        with self._lock, self._write() as s:
            triggers.set_trigger_paused(s, trigger_id, paused)
            return self._trigger(s, trigger_id)

    @rpc_errors
    def PauseWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        return self._set_trigger_paused(request.id, True)

    @rpc_errors
    def ResumeWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        return self._set_trigger_paused(request.id, False)

    @rpc_errors
    def DeleteWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            triggers.delete_trigger(s, request.id)
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowTriggers(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            wf = workflows.get_workflow(s, request.namespace or "default", request.name)
            return pb.CountResponse(count=triggers.delete_triggers(s, wf.id))
