"""The task runtime's line to the AIFlow server: the internal RPC (claims, heartbeats).

The server may be down or restarting while a task runs; calls retry and the task keeps
running meanwhile (heartbeats that do not get through are simply tried again). The spec
names the launching server first and then the others serving the same database; a call
that cannot reach one server moves on to the next, and stays where it got through.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import grpc

from ai_flow.proto import aiflow_pb2 as pb
from ai_flow.proto import aiflow_pb2_grpc as pb_grpc
from ai_flow.runtime._spec import TaskSpec
from notification_service.util.auth import auth_metadata

log = logging.getLogger(__name__)

_OPTIONS = [
    # A restarted server must be found again in seconds, not after minutes of backoff.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
]
_RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class ClaimError(Exception):
    """The server could not be asked (gone for too long, or it failed); str() says why."""


@dataclass(frozen=True)
class HeartbeatAnswer:
    stop: bool
    reason: str


@dataclass(frozen=True)
class ClaimAnswer:
    granted: bool
    reason: str = ""
    previous_external_job: str | None = None  # an earlier try's job to cancel first
    last_savepoint: str | None = None


class ServerChannel:
    """`addresses`: ``host:port[,host:port...]``; `auth_token`: the try's token for
    servers with auth_tokens (TaskSpec.server_token), sent with every call to each."""

    def __init__(self, addresses: str, auth_token: str | None = None) -> None:
        self.addresses = [a.strip() for a in addresses.split(",") if a.strip()]
        if not self.addresses:
            raise ValueError("no AIFlow server address")
        self._metadata = auth_metadata(auth_token) or None
        self._channels: dict[str, grpc.Channel] = {}
        self._current = 0

    @property
    def address(self) -> str:
        """The server calls go to now."""
        return self.addresses[self._current]

    @property
    def _stub(self) -> pb_grpc.AIFlowInternalServiceStub:
        address = self.address
        channel = self._channels.get(address)
        if channel is None:
            channel = self._channels[address] = grpc.insecure_channel(address, options=_OPTIONS)
        return pb_grpc.AIFlowInternalServiceStub(channel)

    def _next(self) -> None:
        """Move to the next server after one could not be reached."""
        if len(self.addresses) > 1:
            self._current = (self._current + 1) % len(self.addresses)
            log.info("trying AIFlow server %s", self.address)

    def claim(
        self, spec: TaskSpec, token: str, host: str, pid: int, give_up_after: float = 3600.0
    ) -> ClaimAnswer:
        """Retries while the server is unreachable."""
        request = pb.ClaimTaskRequest(
            task_execution_id=spec.task_execution_id,
            try_number=spec.try_number,
            token=token,
            host=host,
            pid=pid,
        )
        deadline = time.monotonic() + give_up_after
        delay = 0.1
        while True:
            try:
                answer = self._stub.ClaimTask(request, timeout=10, metadata=self._metadata)
                return ClaimAnswer(
                    answer.granted,
                    answer.reason,
                    _optional(answer, "previous_external_job"),
                    _optional(answer, "last_savepoint"),
                )
            except grpc.RpcError as err:
                if err.code() not in _RETRYABLE:
                    raise ClaimError(
                        f"the AIFlow server refused the claim: {err.details()}"
                    ) from None
                if time.monotonic() >= deadline:
                    raise ClaimError(
                        f"the AIFlow server ({', '.join(self.addresses)}) was unreachable "
                        f"for {give_up_after:.0f}s"
                    ) from None
                log.warning("AIFlow server %s unreachable; retrying the claim", self.address)
                self._next()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def heartbeat(self, spec: TaskSpec, token: str, timeout: float = 5.0) -> HeartbeatAnswer | None:
        """The server's answer, None if it could not be reached."""
        request = pb.TaskHeartbeatRequest(
            task_execution_id=spec.task_execution_id, try_number=spec.try_number, token=token
        )
        for _ in self.addresses:
            try:
                answer = self._stub.TaskHeartbeat(request, timeout=timeout, metadata=self._metadata)
            except grpc.RpcError as err:
                log.debug("heartbeat not delivered to %s: %s", self.address, err.details())
                if err.code() not in _RETRYABLE:
                    return None
                self._next()
                continue
            return HeartbeatAnswer(answer.stop, answer.reason)
        return None

    def record_external_job(
        self,
        spec: TaskSpec,
        token: str,
        *,
        external_job: str | None = None,
        savepoint: str | None = None,
        job_ended: bool = False,
        previous_cancelled: bool = False,
        give_up_after: float = 120.0,
    ) -> bool:
        """Tell the server what the try runs on an engine; False if it could not be told
        (the job goes on; the record is what lets the server cancel it if the try dies)."""
        request = pb.RecordExternalJobRequest(
            task_execution_id=spec.task_execution_id,
            try_number=spec.try_number,
            token=token,
            external_job=external_job,
            savepoint=savepoint,
            job_ended=job_ended,
            previous_cancelled=previous_cancelled,
        )
        deadline = time.monotonic() + give_up_after
        delay = 0.1
        while True:
            try:
                self._stub.RecordExternalJob(request, timeout=10, metadata=self._metadata)
                return True
            except grpc.RpcError as err:
                if err.code() not in _RETRYABLE or time.monotonic() >= deadline:
                    log.error("cannot record the external job: %s", err.details())
                    return False
                self._next()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


def _optional(message: object, name: str) -> str | None:
    return getattr(message, name) if message.HasField(name) else None  # type: ignore[attr-defined]
