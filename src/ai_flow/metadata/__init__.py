"""AIFlow metadata: tables, migrations, sessions and one module of functions per concept.

Every function takes a `Session` first and flushes but never commits; callers wrap
writes in `write_session(factory)`. Times are epoch milliseconds (UTC); convert with
`ms_to_datetime` at the API edge.
"""

from ai_flow.metadata import (
    commands,
    executions,
    lease,
    namespaces,
    offsets,
    rule_state,
    scheduler_errors,
    schedules,
    servers,
    snapshots,
    task_executions,
    task_schedules,
    triggers,
    workflows,
)
from ai_flow.metadata._migrate import (
    VERSION_TABLE,
    check_schema,
    current_revision,
    head_revision,
    reset,
    upgrade,
)
from ai_flow.metadata._session import read_session, session_factory, write_session
from ai_flow.metadata._tables import (
    Base,
    NamespaceRow,
    RuleStateRow,
    SchedulerErrorRow,
    SchedulerOffsetRow,
    ServerRow,
    TaskCommandRow,
    TaskExecutionRow,
    TaskScheduleRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
)
from ai_flow.metadata._util import DEFAULT_LIMIT, MAX_LIMIT, datetime_to_ms, ms_to_datetime
from ai_flow.metadata.errors import (
    AlreadyExistsError,
    ConflictError,
    MetadataError,
    NotFoundError,
    SchemaError,
)
from notification_service.storage import make_engine

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "VERSION_TABLE",
    "AlreadyExistsError",
    "Base",
    "ConflictError",
    "MetadataError",
    "NamespaceRow",
    "NotFoundError",
    "RuleStateRow",
    "SchedulerErrorRow",
    "SchedulerOffsetRow",
    "SchemaError",
    "ServerRow",
    "TaskCommandRow",
    "TaskExecutionRow",
    "TaskScheduleRow",
    "WorkflowExecutionRow",
    "WorkflowRow",
    "WorkflowScheduleRow",
    "WorkflowSnapshotRow",
    "WorkflowTriggerRow",
    "check_schema",
    "commands",
    "current_revision",
    "datetime_to_ms",
    "executions",
    "head_revision",
    "make_engine",
    "ms_to_datetime",
    "namespaces",
    "lease",
    "offsets",
    "read_session",
    "reset",
    "rule_state",
    "scheduler_errors",
    "schedules",
    "servers",
    "session_factory",
    "snapshots",
    "task_executions",
    "task_schedules",
    "triggers",
    "upgrade",
    "workflows",
    "write_session",
]
