"""The Python API of AIFlow: every function talks to the AIFlow server over gRPC."""

# ruff: noqa: E402 - grpc_core.tune() must run before anything below imports grpc
from notification_service.util import grpc_core

grpc_core.tune()

from ai_flow.ops._client import (
    AIFlowClientError,
    AlreadyExistsError,
    AuthenticationError,
    ClientConfigError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
    set_server_address,
)
from ai_flow.ops._meta import (
    NamespaceMeta,
    SchedulerErrorMeta,
    TaskExecutionMeta,
    WorkflowExecutionMeta,
    WorkflowMeta,
    WorkflowSnapshotMeta,
)
from ai_flow.ops._timer_meta import (
    WorkflowEventTriggerMeta,
    WorkflowScheduleMeta,
    WorkflowTriggerMeta,
)
from ai_flow.ops.explain_ops import (
    explain_event,
    explain_task_execution,
    explain_workflow_execution,
    replay_workflow,
)
from ai_flow.ops.namespace_ops import (
    add_namespace,
    delete_namespace,
    get_namespace,
    list_namespaces,
    update_namespace,
)
from ai_flow.ops.scheduler_ops import list_scheduler_errors
from ai_flow.ops.task_execution_ops import (
    get_task_execution,
    list_task_executions,
    start_task_execution,
    stop_task_execution,
)
from ai_flow.ops.workflow_execution_ops import (
    delete_workflow_execution,
    get_workflow_execution,
    list_workflow_executions,
    start_workflow_execution,
    stop_workflow_execution,
    stop_workflow_executions,
)
from ai_flow.ops.workflow_ops import (
    delete_workflow,
    disable_workflow,
    enable_workflow,
    get_workflow,
    list_workflows,
    upload_workflows,
)
from ai_flow.ops.workflow_schedule_ops import (
    add_workflow_schedule,
    delete_workflow_schedule,
    delete_workflow_schedules,
    get_workflow_schedule,
    list_workflow_schedules,
    pause_workflow_schedule,
    resume_workflow_schedule,
)
from ai_flow.ops.workflow_snapshot_ops import (
    delete_workflow_snapshot,
    delete_workflow_snapshots,
    get_workflow_snapshot,
    list_workflow_snapshots,
)
from ai_flow.ops.workflow_trigger_ops import (
    add_workflow_trigger,
    delete_workflow_trigger,
    delete_workflow_triggers,
    get_workflow_trigger,
    list_workflow_triggers,
    pause_workflow_trigger,
    resume_workflow_trigger,
)

__all__ = [
    "AIFlowClientError",
    "AlreadyExistsError",
    "AuthenticationError",
    "ClientConfigError",
    "InvalidArgumentError",
    "NamespaceMeta",
    "NotFoundError",
    "PermissionDeniedError",
    "SchedulerErrorMeta",
    "ServerUnavailableError",
    "TaskExecutionMeta",
    "WorkflowEventTriggerMeta",
    "WorkflowExecutionMeta",
    "WorkflowMeta",
    "WorkflowScheduleMeta",
    "WorkflowSnapshotMeta",
    "WorkflowTriggerMeta",
    "add_namespace",
    "add_workflow_schedule",
    "add_workflow_trigger",
    "delete_namespace",
    "delete_workflow",
    "delete_workflow_execution",
    "delete_workflow_schedule",
    "delete_workflow_schedules",
    "delete_workflow_snapshot",
    "delete_workflow_snapshots",
    "delete_workflow_trigger",
    "delete_workflow_triggers",
    "disable_workflow",
    "enable_workflow",
    "explain_event",
    "explain_task_execution",
    "explain_workflow_execution",
    "get_namespace",
    "get_task_execution",
    "get_workflow",
    "get_workflow_execution",
    "get_workflow_schedule",
    "get_workflow_snapshot",
    "get_workflow_trigger",
    "list_namespaces",
    "list_scheduler_errors",
    "list_task_executions",
    "list_workflow_executions",
    "list_workflow_schedules",
    "list_workflow_snapshots",
    "list_workflow_triggers",
    "list_workflows",
    "pause_workflow_schedule",
    "pause_workflow_trigger",
    "replay_workflow",
    "resume_workflow_schedule",
    "resume_workflow_trigger",
    "set_server_address",
    "start_task_execution",
    "start_workflow_execution",
    "stop_task_execution",
    "stop_workflow_execution",
    "stop_workflow_executions",
    "update_namespace",
    "upload_workflows",
]
