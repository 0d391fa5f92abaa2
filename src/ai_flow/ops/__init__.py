"""The Python API of AIFlow: every function talks to the AIFlow server over gRPC."""

from ai_flow.ops._client import (
    AIFlowClientError,
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
    ServerUnavailableError,
    set_server_address,
)
from ai_flow.ops._meta import (
    NamespaceMeta,
    TaskExecutionMeta,
    WorkflowExecutionMeta,
    WorkflowMeta,
    WorkflowSnapshotMeta,
)
from ai_flow.ops.namespace_ops import (
    add_namespace,
    delete_namespace,
    get_namespace,
    list_namespaces,
    update_namespace,
)
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
from ai_flow.ops.workflow_snapshot_ops import (
    delete_workflow_snapshot,
    delete_workflow_snapshots,
    get_workflow_snapshot,
    list_workflow_snapshots,
)

__all__ = [
    "AIFlowClientError",
    "AlreadyExistsError",
    "InvalidArgumentError",
    "NamespaceMeta",
    "NotFoundError",
    "ServerUnavailableError",
    "TaskExecutionMeta",
    "WorkflowExecutionMeta",
    "WorkflowMeta",
    "WorkflowSnapshotMeta",
    "add_namespace",
    "delete_namespace",
    "delete_workflow",
    "delete_workflow_execution",
    "delete_workflow_snapshot",
    "delete_workflow_snapshots",
    "disable_workflow",
    "enable_workflow",
    "get_namespace",
    "get_task_execution",
    "get_workflow",
    "get_workflow_execution",
    "get_workflow_snapshot",
    "list_namespaces",
    "list_task_executions",
    "list_workflow_executions",
    "list_workflow_snapshots",
    "list_workflows",
    "set_server_address",
    "start_task_execution",
    "start_workflow_execution",
    "stop_task_execution",
    "stop_workflow_execution",
    "stop_workflow_executions",
    "update_namespace",
    "upload_workflows",
]
