"""The internal RPC (``internal_rpc_port``): task runtimes claim tries, heartbeat and
record the jobs they run on engines."""

from __future__ import annotations

from ai_flow.app import App, task_runtime
from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.server._errors import rpc_errors


class InternalServicer(pb_grpc.AIFlowInternalServiceServicer):
    def __init__(self, app: App) -> None:
        self._app = app

    @rpc_errors
    def ClaimTask(self, request, context):  # noqa: N802, ANN001
        answer = task_runtime.claim_task(
            self._app,
            request.task_execution_id,
            request.try_number,
            request.token,
            request.host,
            request.pid,
        )
        return pb.ClaimTaskResponse(
            granted=answer.ok,
            reason=answer.reason,
            previous_external_job=answer.previous_external_job,
            last_savepoint=answer.last_savepoint,
        )

    @rpc_errors
    def TaskHeartbeat(self, request, context):  # noqa: N802, ANN001
        answer = task_runtime.heartbeat(
            self._app, request.task_execution_id, request.try_number, request.token
        )
        return pb.TaskHeartbeatResponse(stop=not answer.ok, reason=answer.reason)

    @rpc_errors
    def RecordExternalJob(self, request, context):  # noqa: N802, ANN001
        task_runtime.record_external_job(
            self._app,
            request.task_execution_id,
            request.try_number,
            request.token,
            external_job=request.external_job if request.HasField("external_job") else None,
            savepoint=request.savepoint if request.HasField("savepoint") else None,
            job_ended=request.job_ended,
            previous_cancelled=request.previous_cancelled,
        )
        return pb.RecordExternalJobResponse()
