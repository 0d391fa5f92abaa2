"""Metadata rows -> protobuf messages."""

from __future__ import annotations

import json

from ai_flow.metadata import (
    NamespaceRow,
    SchedulerErrorRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
)
from ai_flow.proto import aiflow_pb2 as pb


def namespace(row: NamespaceRow) -> pb.NamespaceProto:
    props = row.properties or {}
    return pb.NamespaceProto(name=row.name, properties={k: str(v) for k, v in props.items()})


def workflow(row: WorkflowRow, description: dict | None = None) -> pb.WorkflowProto:
    return pb.WorkflowProto(
        id=row.id,
        namespace=row.namespace,
        name=row.name,
        is_enabled=row.is_enabled,
        create_time=row.create_time,
        update_time=row.update_time,
        latest_snapshot_id=row.latest_snapshot_id,
        description=json.dumps(description) if description else "",
    )


def snapshot(row: WorkflowSnapshotRow) -> pb.WorkflowSnapshotProto:
    return pb.WorkflowSnapshotProto(
        id=row.id,
        workflow_id=row.workflow_id,
        file_name=row.file_name,
        uri=row.uri,
        signature=row.signature,
        artifacts=[
            pb.ArtifactProto(name=a["name"], uri=a["uri"], directory=bool(a.get("directory")))
            for a in row.artifacts or []
        ],
        create_time=row.create_time,
    )


def execution(row: WorkflowExecutionRow, wf: WorkflowRow) -> pb.WorkflowExecutionProto:
    return pb.WorkflowExecutionProto(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        snapshot_id=row.snapshot_id,
        execution_type=row.execution_type,
        status=row.status,
        begin_date=row.begin_date,
        end_date=row.end_date,
    )


def task_execution(row: TaskExecutionRow) -> pb.TaskExecutionProto:
    return pb.TaskExecutionProto(
        id=row.id,
        workflow_execution_id=row.workflow_execution_id,
        task_name=row.task_name,
        sequence_number=row.sequence_number,
        try_number=row.try_number,
        execution_type=row.execution_type,
        status=row.status,
        begin_date=row.begin_date,
        end_date=row.end_date,
        error=row.error,
        host=row.host,
        pid=row.pid,
        stop_reason=row.stop_reason,
        external_job=row.external_job,
        savepoint=row.savepoint,
    )


def schedule(row: WorkflowScheduleRow, wf: WorkflowRow) -> pb.WorkflowScheduleProto:
    return pb.WorkflowScheduleProto(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        expression=row.expression,
        is_paused=row.is_paused,
        create_time=row.create_time,
        last_fire_time=row.last_fire_time,
        next_fire_time=row.next_fire_time,
    )


def trigger(row: WorkflowTriggerRow, wf: WorkflowRow) -> pb.WorkflowTriggerProto:
    return pb.WorkflowTriggerProto(
        id=row.id,
        workflow_id=row.workflow_id,
        namespace=wf.namespace,
        workflow_name=wf.name,
        rule=row.rule,
        is_paused=row.is_paused,
        create_time=row.create_time,
    )


def scheduler_error(row: SchedulerErrorRow) -> pb.SchedulerErrorProto:
    return pb.SchedulerErrorProto(
        event_offset=row.event_offset,
        event_key=row.event_key,
        namespace=row.namespace or "",
        workflow_execution_id=row.workflow_execution_id,
        error=row.error,
        create_time=row.create_time,
    )
