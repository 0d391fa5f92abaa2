"""The AIFlow gRPC API: a thin adapter from messages to the use cases of `ai_flow.app`."""

from __future__ import annotations

import json

from ai_flow.app import (
    App,
    access,
    executions,
    explain,
    explain_event,
    namespaces,
    replay,
    scheduler_errors,
    timers,
    workflows,
)
from ai_flow.blob_manager import Artifact
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.server import _convert as convert
from ai_flow.server._access import current_principal
from ai_flow.server._errors import rpc_errors


def _page(page: pb.Page) -> tuple[int | None, int | None]:
    return page.limit or None, page.offset or None


def _ns(namespace: str) -> str:
    return namespace or "default"


def _by() -> str | None:
    """The caller's token name, recorded with user calls (None without auth_tokens)."""
    return access.token_name(current_principal())


class AIFlowServicer(pb_grpc.AIFlowServiceServicer):
    """Who may call what is checked before a method runs (`_access.RULES`); the two
    that depend on the caller beyond that ask `current_principal()`."""

    def __init__(self, app: App) -> None:
        self._app = app

    # Namespaces
    @rpc_errors
    def AddNamespace(self, request, context):  # noqa: N802, ANN001
        ns = request.namespace
        return convert.namespace(namespaces.add_namespace(self._app, ns.name, dict(ns.properties)))

    @rpc_errors
    def GetNamespace(self, request, context):  # noqa: N802, ANN001
        return convert.namespace(namespaces.get_namespace(self._app, request.name))

    @rpc_errors
    def ListNamespaces(self, request, context):  # noqa: N802, ANN001
        # Only the namespaces the caller may read (all of them without auth_tokens).
        principal = current_principal()
        rows = access.list_visible_namespaces(self._app, principal, *_page(request.page))
        return pb.NamespaceList(namespaces=[convert.namespace(r) for r in rows])

    @rpc_errors
    def UpdateNamespace(self, request, context):  # noqa: N802, ANN001
        ns = request.namespace
        row = namespaces.update_namespace(self._app, ns.name, dict(ns.properties))
        return convert.namespace(row)

    @rpc_errors
    def DeleteNamespace(self, request, context):  # noqa: N802, ANN001
        namespaces.delete_namespace(self._app, request.name)
        return pb.Empty()

    # Workflows
    @rpc_errors
    def UploadWorkflows(self, request, context):  # noqa: N802, ANN001
        artifacts = [Artifact(a.name, a.uri, a.directory) for a in request.artifacts]
        uploaded = workflows.upload_workflows(
            self._app,
            request.file_name,
            request.source,
            request.source_uri,
            artifacts,
            current_principal(),
        )
        return pb.WorkflowList(workflows=[convert.workflow(row, desc) for row, desc in uploaded])

    @rpc_errors
    def GetWorkflow(self, request, context):  # noqa: N802, ANN001
        row, desc = workflows.get_workflow(self._app, request.namespace, request.name)
        return convert.workflow(row, desc)

    @rpc_errors
    def ListWorkflows(self, request, context):  # noqa: N802, ANN001
        rows = workflows.list_workflows(self._app, _ns(request.namespace), *_page(request.page))
        return pb.WorkflowList(workflows=[convert.workflow(r) for r in rows])

    @rpc_errors
    def DeleteWorkflow(self, request, context):  # noqa: N802, ANN001
        workflows.delete_workflow(self._app, request.namespace, request.name)
        return pb.Empty()

    @rpc_errors
    def DisableWorkflow(self, request, context):  # noqa: N802, ANN001
        row = workflows.set_workflow_enabled(self._app, request.namespace, request.name, False)
        return convert.workflow(row)

    @rpc_errors
    def EnableWorkflow(self, request, context):  # noqa: N802, ANN001
        row = workflows.set_workflow_enabled(self._app, request.namespace, request.name, True)
        return convert.workflow(row)

    # Snapshots
    @rpc_errors
    def GetWorkflowSnapshot(self, request, context):  # noqa: N802, ANN001
        return convert.snapshot(workflows.get_snapshot(self._app, request.id))

    @rpc_errors
    def ListWorkflowSnapshots(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        rows = workflows.list_snapshots(self._app, ref.namespace, ref.name, *_page(request.page))
        return pb.SnapshotList(snapshots=[convert.snapshot(r) for r in rows])

    @rpc_errors
    def DeleteWorkflowSnapshot(self, request, context):  # noqa: N802, ANN001
        workflows.delete_snapshot(self._app, request.id)
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowSnapshots(self, request, context):  # noqa: N802, ANN001
        count = workflows.delete_snapshots(self._app, request.namespace, request.name)
        return pb.CountResponse(count=count)

    # Workflow executions
    @rpc_errors
    def StartWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        row, wf = executions.start_execution(self._app, request.namespace, request.name, _by())
        return convert.execution(row, wf)

    @rpc_errors
    def StopWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        executions.stop_execution(self._app, request.id, _by())
        return pb.Empty()

    @rpc_errors
    def StopWorkflowExecutions(self, request, context):  # noqa: N802, ANN001
        count = executions.stop_executions(self._app, request.namespace, request.name, _by())
        return pb.CountResponse(count=count)

    @rpc_errors
    def GetWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        return convert.execution(*executions.get_execution(self._app, request.id))

    @rpc_errors
    def ListWorkflowExecutions(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        rows, wf = executions.list_executions(
            self._app, ref.namespace, ref.name, *_page(request.page)
        )
        return pb.WorkflowExecutionList(executions=[convert.execution(r, wf) for r in rows])

    @rpc_errors
    def DeleteWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        executions.delete_execution(self._app, request.id)
        return pb.Empty()

    # Task executions
    @rpc_errors
    def GetTaskExecution(self, request, context):  # noqa: N802, ANN001
        return convert.task_execution(executions.get_task_execution(self._app, request.id))

    @rpc_errors
    def ListTaskExecutions(self, request, context):  # noqa: N802, ANN001
        rows = executions.list_task_executions(
            self._app, request.workflow_execution_id, *_page(request.page)
        )
        return pb.TaskExecutionList(task_executions=[convert.task_execution(r) for r in rows])

    @rpc_errors
    def StartTaskExecution(self, request, context):  # noqa: N802, ANN001
        row = executions.start_task_execution(
            self._app, request.workflow_execution_id, request.task_name, _by()
        )
        return convert.task_execution(row)

    @rpc_errors
    def StopTaskExecution(self, request, context):  # noqa: N802, ANN001
        executions.stop_task_execution(
            self._app, request.workflow_execution_id, request.task_name, _by()
        )
        return pb.Empty()

    # Schedules
    @rpc_errors
    def AddWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        row, wf = timers.add_schedule(self._app, _ns(ref.namespace), ref.name, request.expression)
        return convert.schedule(row, wf)

    @rpc_errors
    def GetWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        return convert.schedule(*timers.get_schedule(self._app, request.id))

    @rpc_errors
    def ListWorkflowSchedules(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        rows, wf = timers.list_schedules(
            self._app, _ns(ref.namespace), ref.name, *_page(request.page)
        )
        return pb.WorkflowScheduleList(schedules=[convert.schedule(r, wf) for r in rows])

    @rpc_errors
    def PauseWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        return convert.schedule(*timers.set_schedule_paused(self._app, request.id, True))

    @rpc_errors
    def ResumeWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        return convert.schedule(*timers.set_schedule_paused(self._app, request.id, False))

    @rpc_errors
    def DeleteWorkflowSchedule(self, request, context):  # noqa: N802, ANN001
        timers.delete_schedule(self._app, request.id)
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowSchedules(self, request, context):  # noqa: N802, ANN001
        count = timers.delete_schedules(self._app, _ns(request.namespace), request.name)
        return pb.CountResponse(count=count)

    # Triggers
    @rpc_errors
    def AddWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        row, wf = timers.add_trigger(self._app, _ns(ref.namespace), ref.name, request.rule)
        return convert.trigger(row, wf)

    @rpc_errors
    def GetWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        return convert.trigger(*timers.get_trigger(self._app, request.id))

    @rpc_errors
    def ListWorkflowTriggers(self, request, context):  # noqa: N802, ANN001
        ref = request.workflow
        rows, wf = timers.list_triggers(
            self._app, _ns(ref.namespace), ref.name, *_page(request.page)
        )
        return pb.WorkflowTriggerList(triggers=[convert.trigger(r, wf) for r in rows])

    @rpc_errors
    def PauseWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        return convert.trigger(*timers.set_trigger_paused(self._app, request.id, True))

    @rpc_errors
    def ResumeWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        return convert.trigger(*timers.set_trigger_paused(self._app, request.id, False))

    @rpc_errors
    def DeleteWorkflowTrigger(self, request, context):  # noqa: N802, ANN001
        timers.delete_trigger(self._app, request.id)
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowTriggers(self, request, context):  # noqa: N802, ANN001
        count = timers.delete_triggers(self._app, _ns(request.namespace), request.name)
        return pb.CountResponse(count=count)

    # Scheduler
    @rpc_errors
    def ListSchedulerErrors(self, request, context):  # noqa: N802, ANN001
        rows = scheduler_errors.list_scheduler_errors(self._app, *_page(request.page))
        return pb.SchedulerErrorList(errors=[convert.scheduler_error(r) for r in rows])

    # Why did (or didn't) it run? The answers travel as JSON (see ExplanationProto).
    @rpc_errors
    def ExplainTaskExecution(self, request, context):  # noqa: N802, ANN001
        task = request.task
        out = explain.explain_task_execution(self._app, task.workflow_execution_id, task.task_name)
        return pb.ExplanationProto(json=json.dumps(out))

    @rpc_errors
    def ExplainEvent(self, request, context):  # noqa: N802, ANN001
        out = explain_event.explain_event(self._app, request.offset)
        return pb.ExplanationProto(json=json.dumps(out))

    @rpc_errors
    def ExplainWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        out = explain.explain_workflow_execution(self._app, request.id, *_page(request.page))
        return pb.ExplanationProto(json=json.dumps(out))

    @rpc_errors
    def ReplayWorkflow(self, request, context):  # noqa: N802, ANN001
        out = replay.replay_workflow(
            self._app,
            request.file_name,
            request.source,
            _ns(request.namespace),
            request.workflow or None,
            request.from_offset if request.HasField("from_offset") else None,
            request.from_time if request.HasField("from_time") else None,
            request.to_offset if request.HasField("to_offset") else None,
        )
        return pb.ExplanationProto(json=json.dumps(out))
