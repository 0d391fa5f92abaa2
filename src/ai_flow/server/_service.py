"""The AIFlow gRPC API: metadata reads and writes, and user-requested actions."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ai_flow.blob_manager import BlobManager
from ai_flow.metadata import (
    NamespaceRow,
    WorkflowExecutionRow,
    WorkflowRow,
    executions,
    namespaces,
    read_session,
    snapshots,
    workflows,
    write_session,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import WorkflowStatus
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.scheduler import (
    SnapshotStore,
    start_task,
    start_workflow_execution,
    stop_task,
    stop_workflow_execution,
)
from ai_flow.server import _convert as convert
from ai_flow.server._errors import PreconditionError, rpc_errors
from ai_flow.server._evaluate import WorkflowFileError, evaluate_workflow_file
from ai_flow.server._schedule_service import ScheduleServiceMixin
from ai_flow.server._trigger_service import TriggerServiceMixin


def _page(page: pb.Page) -> dict:
    return {"limit": page.limit or None, "offset": page.offset or None}


def _nothing() -> None:
    pass


class AIFlowServicer(ScheduleServiceMixin, TriggerServiceMixin, pb_grpc.AIFlowServiceServicer):
    """`on_schedules_changed` is called after a schedule is added, paused, resumed or
    deleted (to wake the timer loop)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        lock: threading.Lock,
        snapshot_store: SnapshotStore,
        blob_manager: BlobManager,
        on_commands: Callable[[], None],
        on_schedules_changed: Callable[[], None] = _nothing,
    ) -> None:
        self._factory = factory
        self._lock = lock
        self._snapshots = snapshot_store
        self._blobs = blob_manager
        self._on_commands = on_commands
        self._on_schedules_changed = on_schedules_changed

    def _write(self):  # noqa: ANN202
        return write_session(self._factory)

    def _read(self):  # noqa: ANN202
        return read_session(self._factory)

    # Namespaces
    @rpc_errors
    def AddNamespace(self, request, context):  # noqa: N802, ANN001
        ns = request.namespace
        with self._write() as s:
            return convert.namespace(namespaces.create_namespace(s, ns.name, dict(ns.properties)))

    @rpc_errors
    def GetNamespace(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            return convert.namespace(namespaces.get_namespace(s, request.name))

    @rpc_errors
    def ListNamespaces(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            rows = namespaces.list_namespaces(s, **_page(request.page))
            return pb.NamespaceList(namespaces=[convert.namespace(r) for r in rows])

    @rpc_errors
    def UpdateNamespace(self, request, context):  # noqa: N802, ANN001
        ns = request.namespace
        with self._write() as s:
            return convert.namespace(namespaces.update_namespace(s, ns.name, dict(ns.properties)))

    @rpc_errors
    def DeleteNamespace(self, request, context):  # noqa: N802, ANN001
        with self._write() as s:
            namespaces.delete_namespace(s, request.name)
        return pb.Empty()

    # Workflows
    @rpc_errors
    def UploadWorkflows(self, request, context):  # noqa: N802, ANN001
        artifacts = [{"name": a.name, "uri": a.uri} for a in request.artifacts]
        with tempfile.TemporaryDirectory(prefix="aiflow-upload-") as tmp:
            for artifact in artifacts:
                self._blobs.download(artifact["uri"], tmp)
            path = Path(tmp) / Path(request.file_name).name
            path.write_text(request.source)
            descriptions = evaluate_workflow_file(path)
        signature = snapshots.compute_signature(request.source.encode(), artifacts)
        out = []
        with self._write() as s:
            for desc in descriptions:
                if s.get(NamespaceRow, desc["namespace"]) is None:
                    raise WorkflowFileError(
                        f"{Path(request.file_name).name}: workflow {desc['name']} is in "
                        f"namespace {desc['namespace']}, which does not exist; add the "
                        "namespace first"
                    )
                row = workflows.find_workflow(s, desc["namespace"], desc["name"])
                if row is None:
                    row = workflows.create_workflow(s, desc["namespace"], desc["name"])
                latest = row.latest_snapshot_id and snapshots.get_snapshot(
                    s, row.latest_snapshot_id
                )
                if not latest or latest.signature != signature:
                    snapshots.create_snapshot(
                        s,
                        row.id,
                        file_name=Path(request.file_name).name,
                        uri=request.source_uri,
                        signature=signature,
                        description=desc,
                        artifacts=artifacts,
                    )
                out.append(convert.workflow(row, desc))
        return pb.WorkflowList(workflows=out)

    def _description(self, s: Session, row: WorkflowRow) -> dict | None:
        if row.latest_snapshot_id is None:
            return None
        return snapshots.get_snapshot(s, row.latest_snapshot_id).description

    @rpc_errors
    def GetWorkflow(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            row = workflows.get_workflow(s, request.namespace, request.name)
            return convert.workflow(row, self._description(s, row))

    @rpc_errors
    def ListWorkflows(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            namespaces.get_namespace(s, request.namespace or "default")
            rows = workflows.list_workflows(
                s, request.namespace or "default", **_page(request.page)
            )
            return pb.WorkflowList(workflows=[convert.workflow(r) for r in rows])

    @rpc_errors
    def DeleteWorkflow(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            row = workflows.get_workflow(s, request.namespace, request.name)
            running = executions.count_unfinished(s, row.id)
            if running:
                raise PreconditionError(
                    f"workflow {row.namespace}.{row.name} has {running} unfinished execution(s); "
                    "stop them first (aiflow workflow-execution stop-all)"
                )
            workflows.delete_workflow(s, request.namespace, request.name)
        return pb.Empty()

    @rpc_errors
    def DisableWorkflow(self, request, context):  # noqa: N802, ANN001
        with self._write() as s:
            return convert.workflow(
                workflows.set_workflow_enabled(s, request.namespace, request.name, False)
            )

    @rpc_errors
    def EnableWorkflow(self, request, context):  # noqa: N802, ANN001
        with self._write() as s:
            return convert.workflow(
                workflows.set_workflow_enabled(s, request.namespace, request.name, True)
            )

    # Snapshots
    @rpc_errors
    def GetWorkflowSnapshot(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            return convert.snapshot(snapshots.get_snapshot(s, request.id))

    @rpc_errors
    def ListWorkflowSnapshots(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            wf = workflows.get_workflow(s, request.workflow.namespace, request.workflow.name)
            rows = snapshots.list_snapshots(s, wf.id, **_page(request.page))
            return pb.SnapshotList(snapshots=[convert.snapshot(r) for r in rows])

    @rpc_errors
    def DeleteWorkflowSnapshot(self, request, context):  # noqa: N802, ANN001
        with self._write() as s:
            snapshots.delete_snapshot(s, request.id)
        return pb.Empty()

    @rpc_errors
    def DeleteWorkflowSnapshots(self, request, context):  # noqa: N802, ANN001
        with self._write() as s:
            wf = workflows.get_workflow(s, request.namespace, request.name)
            return pb.CountResponse(count=snapshots.delete_snapshots(s, wf.id))

    # Workflow executions
    @rpc_errors
    def StartWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            wf = workflows.get_workflow(s, request.namespace, request.name)
            if not wf.is_enabled:
                raise PreconditionError(
                    f"workflow {wf.namespace}.{wf.name} is disabled; enable it first"
                )
            if wf.latest_snapshot_id is None:
                raise PreconditionError(f"workflow {wf.namespace}.{wf.name} has no snapshot")
            snapshot = snapshots.get_snapshot(s, wf.latest_snapshot_id)
        workflow = self._snapshots.workflow(snapshot, wf.name)
        with self._lock, self._write() as s:
            row = start_workflow_execution(s, wf.id, snapshot.id, workflow, ExecutionType.MANUAL)
            out = convert.execution(row, wf)
        self._on_commands()
        return out

    @rpc_errors
    def StopWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            row = executions.get_execution(s, request.id)
            stop_workflow_execution(s, row)
        self._on_commands()
        return pb.Empty()

    @rpc_errors
    def StopWorkflowExecutions(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            wf = workflows.get_workflow(s, request.namespace, request.name)
            rows = s.scalars(
                select(WorkflowExecutionRow).where(
                    WorkflowExecutionRow.workflow_id == wf.id,
                    WorkflowExecutionRow.status.in_(
                        [WorkflowStatus.INIT.value, WorkflowStatus.RUNNING.value]
                    ),
                )
            ).all()
            for row in rows:
                stop_workflow_execution(s, row)
        self._on_commands()
        return pb.CountResponse(count=len(rows))

    @rpc_errors
    def GetWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            row = executions.get_execution(s, request.id)
            return convert.execution(row, workflows.get_workflow_by_id(s, row.workflow_id))

    @rpc_errors
    def ListWorkflowExecutions(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            wf = workflows.get_workflow(s, request.workflow.namespace, request.workflow.name)
            rows = executions.list_executions(s, wf.id, **_page(request.page))
            return pb.WorkflowExecutionList(executions=[convert.execution(r, wf) for r in rows])

    @rpc_errors
    def DeleteWorkflowExecution(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            executions.delete_execution(s, request.id)
        return pb.Empty()

    # Task executions
    @rpc_errors
    def GetTaskExecution(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            return convert.task_execution(tasks.get_task_execution(s, request.id))

    @rpc_errors
    def ListTaskExecutions(self, request, context):  # noqa: N802, ANN001
        with self._read() as s:
            executions.get_execution(s, request.workflow_execution_id)
            rows = tasks.list_task_executions(
                s, request.workflow_execution_id, **_page(request.page)
            )
            return pb.TaskExecutionList(task_executions=[convert.task_execution(r) for r in rows])

    def _running_execution(self, s: Session, execution_id: int, task_name: str):  # noqa: ANN202
        row = executions.get_execution(s, execution_id)
        wf = workflows.get_workflow_by_id(s, row.workflow_id)
        snapshot = snapshots.get_snapshot(s, row.snapshot_id)
        if task_name not in self._snapshots.workflow(snapshot, wf.name).tasks:
            raise PreconditionError(f"workflow {wf.namespace}.{wf.name} has no task {task_name!r}")
        if row.status != WorkflowStatus.RUNNING.value:
            raise PreconditionError(
                f"workflow execution {execution_id} is {row.status}, not RUNNING"
            )
        return row

    @rpc_errors
    def StartTaskExecution(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            self._running_execution(s, request.workflow_execution_id, request.task_name)
            row = start_task(
                s, request.workflow_execution_id, request.task_name, ExecutionType.MANUAL
            )
            if row is None:  # already alive: starting again is a no-op, as documented
                row = tasks.latest_task_execution(
                    s, request.workflow_execution_id, request.task_name
                )
            out = convert.task_execution(row)
        self._on_commands()
        return out

    @rpc_errors
    def StopTaskExecution(self, request, context):  # noqa: N802, ANN001
        with self._lock, self._write() as s:
            self._running_execution(s, request.workflow_execution_id, request.task_name)
            if stop_task(s, request.workflow_execution_id, request.task_name) is None:
                raise PreconditionError(
                    f"task {request.task_name} has no running execution in workflow "
                    f"execution {request.workflow_execution_id}"
                )
        self._on_commands()
        return pb.Empty()
