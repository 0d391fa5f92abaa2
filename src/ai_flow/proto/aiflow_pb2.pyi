from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NamespaceProto(_message.Message):
    __slots__ = ("name", "properties")
    class PropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    properties: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., properties: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WorkflowProto(_message.Message):
    __slots__ = ("id", "namespace", "name", "is_enabled", "create_time", "update_time", "latest_snapshot_id", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LATEST_SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: int
    namespace: str
    name: str
    is_enabled: bool
    create_time: int
    update_time: int
    latest_snapshot_id: int
    description: str
    def __init__(self, id: _Optional[int] = ..., namespace: _Optional[str] = ..., name: _Optional[str] = ..., is_enabled: _Optional[bool] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ..., latest_snapshot_id: _Optional[int] = ..., description: _Optional[str] = ...) -> None: ...

class ArtifactProto(_message.Message):
    __slots__ = ("name", "uri", "directory")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    name: str
    uri: str
    directory: bool
    def __init__(self, name: _Optional[str] = ..., uri: _Optional[str] = ..., directory: _Optional[bool] = ...) -> None: ...

class WorkflowSnapshotProto(_message.Message):
    __slots__ = ("id", "workflow_id", "file_name", "uri", "signature", "artifacts", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_id: int
    file_name: str
    uri: str
    signature: str
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactProto]
    create_time: int
    def __init__(self, id: _Optional[int] = ..., workflow_id: _Optional[int] = ..., file_name: _Optional[str] = ..., uri: _Optional[str] = ..., signature: _Optional[str] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactProto, _Mapping]]] = ..., create_time: _Optional[int] = ...) -> None: ...

class WorkflowExecutionProto(_message.Message):
    __slots__ = ("id", "workflow_id", "namespace", "workflow_name", "snapshot_id", "execution_type", "status", "begin_date", "end_date")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BEGIN_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    snapshot_id: int
    execution_type: str
    status: str
    begin_date: int
    end_date: int
    def __init__(self, id: _Optional[int] = ..., workflow_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_name: _Optional[str] = ..., snapshot_id: _Optional[int] = ..., execution_type: _Optional[str] = ..., status: _Optional[str] = ..., begin_date: _Optional[int] = ..., end_date: _Optional[int] = ...) -> None: ...

class TaskExecutionProto(_message.Message):
    __slots__ = ("id", "workflow_execution_id", "task_name", "sequence_number", "try_number", "execution_type", "status", "begin_date", "end_date", "error", "host", "pid", "stop_reason", "external_job", "savepoint")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BEGIN_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_JOB_FIELD_NUMBER: _ClassVar[int]
    SAVEPOINT_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_execution_id: int
    task_name: str
    sequence_number: int
    try_number: int
    execution_type: str
    status: str
    begin_date: int
    end_date: int
    error: str
    host: str
    pid: int
    stop_reason: str
    external_job: str
    savepoint: str
    def __init__(self, id: _Optional[int] = ..., workflow_execution_id: _Optional[int] = ..., task_name: _Optional[str] = ..., sequence_number: _Optional[int] = ..., try_number: _Optional[int] = ..., execution_type: _Optional[str] = ..., status: _Optional[str] = ..., begin_date: _Optional[int] = ..., end_date: _Optional[int] = ..., error: _Optional[str] = ..., host: _Optional[str] = ..., pid: _Optional[int] = ..., stop_reason: _Optional[str] = ..., external_job: _Optional[str] = ..., savepoint: _Optional[str] = ...) -> None: ...

class WorkflowScheduleProto(_message.Message):
    __slots__ = ("id", "workflow_id", "namespace", "workflow_name", "expression", "is_paused", "create_time", "last_fire_time", "next_fire_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    expression: str
    is_paused: bool
    create_time: int
    last_fire_time: int
    next_fire_time: int
    def __init__(self, id: _Optional[int] = ..., workflow_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_name: _Optional[str] = ..., expression: _Optional[str] = ..., is_paused: _Optional[bool] = ..., create_time: _Optional[int] = ..., last_fire_time: _Optional[int] = ..., next_fire_time: _Optional[int] = ...) -> None: ...

class WorkflowTriggerProto(_message.Message):
    __slots__ = ("id", "workflow_id", "namespace", "workflow_name", "rule", "is_paused", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    rule: str
    is_paused: bool
    create_time: int
    def __init__(self, id: _Optional[int] = ..., workflow_id: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_name: _Optional[str] = ..., rule: _Optional[str] = ..., is_paused: _Optional[bool] = ..., create_time: _Optional[int] = ...) -> None: ...

class Page(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class WorkflowRef(_message.Message):
    __slots__ = ("namespace", "name")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    name: str
    def __init__(self, namespace: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class IdRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class NameRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NamespaceRequest(_message.Message):
    __slots__ = ("namespace",)
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    namespace: NamespaceProto
    def __init__(self, namespace: _Optional[_Union[NamespaceProto, _Mapping]] = ...) -> None: ...

class ListNamespacesRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: Page
    def __init__(self, page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class NamespaceList(_message.Message):
    __slots__ = ("namespaces",)
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    namespaces: _containers.RepeatedCompositeFieldContainer[NamespaceProto]
    def __init__(self, namespaces: _Optional[_Iterable[_Union[NamespaceProto, _Mapping]]] = ...) -> None: ...

class UploadWorkflowsRequest(_message.Message):
    __slots__ = ("namespace", "file_name", "source", "source_uri", "artifacts")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URI_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    file_name: str
    source: str
    source_uri: str
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactProto]
    def __init__(self, namespace: _Optional[str] = ..., file_name: _Optional[str] = ..., source: _Optional[str] = ..., source_uri: _Optional[str] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactProto, _Mapping]]] = ...) -> None: ...

class WorkflowList(_message.Message):
    __slots__ = ("workflows",)
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[WorkflowProto]
    def __init__(self, workflows: _Optional[_Iterable[_Union[WorkflowProto, _Mapping]]] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("namespace", "page")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    page: Page
    def __init__(self, namespace: _Optional[str] = ..., page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class ListByWorkflowRequest(_message.Message):
    __slots__ = ("workflow", "page")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    workflow: WorkflowRef
    page: Page
    def __init__(self, workflow: _Optional[_Union[WorkflowRef, _Mapping]] = ..., page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class SnapshotList(_message.Message):
    __slots__ = ("snapshots",)
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    snapshots: _containers.RepeatedCompositeFieldContainer[WorkflowSnapshotProto]
    def __init__(self, snapshots: _Optional[_Iterable[_Union[WorkflowSnapshotProto, _Mapping]]] = ...) -> None: ...

class WorkflowExecutionList(_message.Message):
    __slots__ = ("executions",)
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[WorkflowExecutionProto]
    def __init__(self, executions: _Optional[_Iterable[_Union[WorkflowExecutionProto, _Mapping]]] = ...) -> None: ...

class ListTaskExecutionsRequest(_message.Message):
    __slots__ = ("workflow_execution_id", "page")
    WORKFLOW_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    workflow_execution_id: int
    page: Page
    def __init__(self, workflow_execution_id: _Optional[int] = ..., page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class TaskExecutionList(_message.Message):
    __slots__ = ("task_executions",)
    TASK_EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    task_executions: _containers.RepeatedCompositeFieldContainer[TaskExecutionProto]
    def __init__(self, task_executions: _Optional[_Iterable[_Union[TaskExecutionProto, _Mapping]]] = ...) -> None: ...

class TaskRef(_message.Message):
    __slots__ = ("workflow_execution_id", "task_name")
    WORKFLOW_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    workflow_execution_id: int
    task_name: str
    def __init__(self, workflow_execution_id: _Optional[int] = ..., task_name: _Optional[str] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class AddWorkflowScheduleRequest(_message.Message):
    __slots__ = ("workflow", "expression")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    workflow: WorkflowRef
    expression: str
    def __init__(self, workflow: _Optional[_Union[WorkflowRef, _Mapping]] = ..., expression: _Optional[str] = ...) -> None: ...

class WorkflowScheduleList(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[WorkflowScheduleProto]
    def __init__(self, schedules: _Optional[_Iterable[_Union[WorkflowScheduleProto, _Mapping]]] = ...) -> None: ...

class AddWorkflowTriggerRequest(_message.Message):
    __slots__ = ("workflow", "rule")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    workflow: WorkflowRef
    rule: str
    def __init__(self, workflow: _Optional[_Union[WorkflowRef, _Mapping]] = ..., rule: _Optional[str] = ...) -> None: ...

class WorkflowTriggerList(_message.Message):
    __slots__ = ("triggers",)
    TRIGGERS_FIELD_NUMBER: _ClassVar[int]
    triggers: _containers.RepeatedCompositeFieldContainer[WorkflowTriggerProto]
    def __init__(self, triggers: _Optional[_Iterable[_Union[WorkflowTriggerProto, _Mapping]]] = ...) -> None: ...

class SchedulerErrorProto(_message.Message):
    __slots__ = ("event_offset", "event_key", "namespace", "workflow_execution_id", "error", "create_time")
    EVENT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    EVENT_KEY_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    event_offset: int
    event_key: str
    namespace: str
    workflow_execution_id: int
    error: str
    create_time: int
    def __init__(self, event_offset: _Optional[int] = ..., event_key: _Optional[str] = ..., namespace: _Optional[str] = ..., workflow_execution_id: _Optional[int] = ..., error: _Optional[str] = ..., create_time: _Optional[int] = ...) -> None: ...

class ListSchedulerErrorsRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: Page
    def __init__(self, page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class SchedulerErrorList(_message.Message):
    __slots__ = ("errors",)
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    errors: _containers.RepeatedCompositeFieldContainer[SchedulerErrorProto]
    def __init__(self, errors: _Optional[_Iterable[_Union[SchedulerErrorProto, _Mapping]]] = ...) -> None: ...

class ExplanationProto(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class ExplainTaskExecutionRequest(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: TaskRef
    def __init__(self, task: _Optional[_Union[TaskRef, _Mapping]] = ...) -> None: ...

class ExplainEventRequest(_message.Message):
    __slots__ = ("offset",)
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    offset: int
    def __init__(self, offset: _Optional[int] = ...) -> None: ...

class ExplainWorkflowExecutionRequest(_message.Message):
    __slots__ = ("id", "page")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    id: int
    page: Page
    def __init__(self, id: _Optional[int] = ..., page: _Optional[_Union[Page, _Mapping]] = ...) -> None: ...

class ReplayWorkflowRequest(_message.Message):
    __slots__ = ("file_name", "source", "workflow", "namespace", "from_offset", "from_time", "to_offset")
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFSET_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_OFFSET_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    source: str
    workflow: str
    namespace: str
    from_offset: int
    from_time: int
    to_offset: int
    def __init__(self, file_name: _Optional[str] = ..., source: _Optional[str] = ..., workflow: _Optional[str] = ..., namespace: _Optional[str] = ..., from_offset: _Optional[int] = ..., from_time: _Optional[int] = ..., to_offset: _Optional[int] = ...) -> None: ...

class ClaimTaskRequest(_message.Message):
    __slots__ = ("task_execution_id", "try_number", "token", "host", "pid")
    TASK_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    task_execution_id: int
    try_number: int
    token: str
    host: str
    pid: int
    def __init__(self, task_execution_id: _Optional[int] = ..., try_number: _Optional[int] = ..., token: _Optional[str] = ..., host: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class ClaimTaskResponse(_message.Message):
    __slots__ = ("granted", "reason", "previous_external_job", "last_savepoint")
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_EXTERNAL_JOB_FIELD_NUMBER: _ClassVar[int]
    LAST_SAVEPOINT_FIELD_NUMBER: _ClassVar[int]
    granted: bool
    reason: str
    previous_external_job: str
    last_savepoint: str
    def __init__(self, granted: _Optional[bool] = ..., reason: _Optional[str] = ..., previous_external_job: _Optional[str] = ..., last_savepoint: _Optional[str] = ...) -> None: ...

class RecordExternalJobRequest(_message.Message):
    __slots__ = ("task_execution_id", "try_number", "token", "external_job", "savepoint", "job_ended", "previous_cancelled")
    TASK_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_JOB_FIELD_NUMBER: _ClassVar[int]
    SAVEPOINT_FIELD_NUMBER: _ClassVar[int]
    JOB_ENDED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    task_execution_id: int
    try_number: int
    token: str
    external_job: str
    savepoint: str
    job_ended: bool
    previous_cancelled: bool
    def __init__(self, task_execution_id: _Optional[int] = ..., try_number: _Optional[int] = ..., token: _Optional[str] = ..., external_job: _Optional[str] = ..., savepoint: _Optional[str] = ..., job_ended: _Optional[bool] = ..., previous_cancelled: _Optional[bool] = ...) -> None: ...

class RecordExternalJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TaskHeartbeatRequest(_message.Message):
    __slots__ = ("task_execution_id", "try_number", "token")
    TASK_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_execution_id: int
    try_number: int
    token: str
    def __init__(self, task_execution_id: _Optional[int] = ..., try_number: _Optional[int] = ..., token: _Optional[str] = ...) -> None: ...

class TaskHeartbeatResponse(_message.Message):
    __slots__ = ("stop", "reason")
    STOP_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    stop: bool
    reason: str
    def __init__(self, stop: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...
