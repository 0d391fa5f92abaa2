"""What the ops API returns: plain records with the field names of the spec's API classes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from ai_flow.proto import aiflow_pb2 as pb


def _date(msg, name: str) -> datetime | None:  # noqa: ANN001
    if not msg.HasField(name):
        return None
    return datetime.fromtimestamp(getattr(msg, name) / 1000, tz=timezone.utc)


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO 8601 strings, None stays None."""
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in asdict(self).items()  # type: ignore[call-overload]
        }


@dataclass
class NamespaceMeta(_Record):
    name: str
    properties: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_proto(cls, msg: pb.NamespaceProto) -> NamespaceMeta:
        return cls(name=msg.name, properties=dict(msg.properties))


@dataclass
class WorkflowMeta(_Record):
    id: int
    namespace: str
    name: str
    is_enabled: bool
    create_time: datetime | None
    update_time: datetime | None
    snapshot_id: int | None
    description: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_proto(cls, msg: pb.WorkflowProto) -> WorkflowMeta:
        return cls(
            id=msg.id,
            namespace=msg.namespace,
            name=msg.name,
            is_enabled=msg.is_enabled,
            create_time=_date(msg, "create_time"),
            update_time=_date(msg, "update_time"),
            snapshot_id=msg.latest_snapshot_id if msg.HasField("latest_snapshot_id") else None,
            description=json.loads(msg.description) if msg.description else {},
        )


@dataclass
class WorkflowSnapshotMeta(_Record):
    id: int
    workflow_id: int
    file_name: str
    uri: str
    signature: str
    artifacts: list[dict[str, Any]]
    create_time: datetime | None

    @classmethod
    def from_proto(cls, msg: pb.WorkflowSnapshotProto) -> WorkflowSnapshotMeta:
        return cls(
            id=msg.id,
            workflow_id=msg.workflow_id,
            file_name=msg.file_name,
            uri=msg.uri,
            signature=msg.signature,
            artifacts=[
                {"name": a.name, "uri": a.uri, **({"directory": True} if a.directory else {})}
                for a in msg.artifacts
            ],
            create_time=_date(msg, "create_time"),
        )


@dataclass
class WorkflowExecutionMeta(_Record):
    id: int
    workflow_id: int
    namespace: str
    workflow_name: str
    snapshot_id: int
    execution_type: str
    status: str
    begin_date: datetime | None
    end_date: datetime | None

    @classmethod
    def from_proto(cls, msg: pb.WorkflowExecutionProto) -> WorkflowExecutionMeta:
        return cls(
            id=msg.id,
            workflow_id=msg.workflow_id,
            namespace=msg.namespace,
            workflow_name=msg.workflow_name,
            snapshot_id=msg.snapshot_id,
            execution_type=msg.execution_type,
            status=msg.status,
            begin_date=_date(msg, "begin_date"),
            end_date=_date(msg, "end_date"),
        )


@dataclass
class TaskExecutionMeta(_Record):
    id: int
    workflow_execution_id: int
    task_name: str
    sequence_number: int
    try_number: int
    execution_type: str
    status: str
    begin_date: datetime | None
    end_date: datetime | None
    error: str | None = None
    #: Where the try runs, as its task runtime reported when it claimed the try.
    host: str | None = None
    pid: int | None = None
    stop_reason: str | None = None
    #: The job the latest try runs on an engine (JSON: kind, job_id, address, ...).
    external_job: str | None = None
    #: The last savepoint a stop of the job took.
    savepoint: str | None = None

    @classmethod
    def from_proto(cls, msg: pb.TaskExecutionProto) -> TaskExecutionMeta:
        return cls(
            id=msg.id,
            workflow_execution_id=msg.workflow_execution_id,
            task_name=msg.task_name,
            sequence_number=msg.sequence_number,
            try_number=msg.try_number,
            execution_type=msg.execution_type,
            status=msg.status,
            begin_date=_date(msg, "begin_date"),
            end_date=_date(msg, "end_date"),
            error=msg.error if msg.HasField("error") else None,
            host=msg.host if msg.HasField("host") else None,
            pid=msg.pid if msg.HasField("pid") else None,
            stop_reason=msg.stop_reason if msg.HasField("stop_reason") else None,
            external_job=msg.external_job if msg.HasField("external_job") else None,
            savepoint=msg.savepoint if msg.HasField("savepoint") else None,
        )


@dataclass
class SchedulerErrorMeta(_Record):
    """An event the scheduler skipped because processing it kept failing."""

    event_offset: int
    event_key: str
    namespace: str
    workflow_execution_id: int | None
    error: str
    create_time: datetime | None

    @classmethod
    def from_proto(cls, msg: pb.SchedulerErrorProto) -> SchedulerErrorMeta:
        return cls(
            event_offset=msg.event_offset,
            event_key=msg.event_key,
            namespace=msg.namespace,
            workflow_execution_id=(
                msg.workflow_execution_id if msg.HasField("workflow_execution_id") else None
            ),
            error=msg.error,
            create_time=_date(msg, "create_time"),
        )
