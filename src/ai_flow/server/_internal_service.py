"""The internal RPC (``internal_rpc_port``): task runtimes claim tries and heartbeat."""

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
        return pb.ClaimTaskResponse(granted=answer.ok, reason=answer.reason)

    @rpc_errors
    def TaskHeartbeat(self, request, context):  # noqa: N802, ANN001
        answer = task_runtime.heartbeat(
            self._app, request.task_execution_id, request.try_number, request.token
        )
        return pb.TaskHeartbeatResponse(stop=not answer.ok, reason=answer.reason)
