"""Flink's JobManager REST API: where a job's status, stop-with-savepoint and cancel go.

The CLI only submits (detached); everything after that is REST, which answers in
milliseconds where each `flink` command starts a JVM for ~5 s.
"""

from __future__ import annotations

import time
from typing import Any

from ai_flow.engines._errors import EngineError
from ai_flow.engines._http import request_json

#: States after which the job never runs again (SUSPENDED is only locally terminal).
FLINK_TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED"})


def rest_url(address: str) -> str:
    """`host:port` or a URL → `http://host:port` (no trailing slash)."""
    address = address.rstrip("/")
    return address if "://" in address else f"http://{address}"


class FlinkRest:
    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.url = rest_url(address)
        self.timeout = timeout

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job's details; None if the cluster does not know it."""
        status, body = request_json("GET", f"{self.url}/jobs/{job_id}", timeout=self.timeout)
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise EngineError(f"GET {self.url}/jobs/{job_id}: HTTP {status}: {body}")
        return body

    def state(self, job_id: str) -> str | None:
        job = self.job(job_id)
        return None if job is None else str(job.get("state"))

    def root_exception(self, job_id: str) -> str | None:
        status, body = request_json(
            "GET", f"{self.url}/jobs/{job_id}/exceptions", timeout=self.timeout
        )
        if status != 200 or not isinstance(body, dict):
            return None
        history = (body.get("exceptionHistory") or {}).get("entries") or []
        text = body.get("root-exception") or (history[0].get("stacktrace") if history else None)
        if not text:
            return None
        return str(text).strip().splitlines()[0][:500]

    def cancel(self, job_id: str) -> bool:
        """Cancel the job; False if it was unknown or had already ended."""
        state = self.state(job_id)
        if state is None or state in FLINK_TERMINAL:
            return False
        status, body = request_json(
            "PATCH", f"{self.url}/jobs/{job_id}?mode=cancel", timeout=self.timeout
        )
        if status not in (200, 202):
            raise EngineError(f"cancel {job_id} at {self.url}: HTTP {status}: {body}")
        return True

    def stop_with_savepoint(self, job_id: str, target_directory: str | None, timeout: float) -> str:
        """Stop the job taking a savepoint; returns the savepoint's location."""
        body: dict[str, Any] = {"drain": False}
        if target_directory:
            body["targetDirectory"] = target_directory
        status, answer = request_json(
            "POST", f"{self.url}/jobs/{job_id}/stop", body, timeout=self.timeout
        )
        if status not in (200, 202) or not isinstance(answer, dict) or "request-id" not in answer:
            raise EngineError(
                f"stop {job_id} with a savepoint at {self.url}: HTTP {status}: {answer}"
            )
        trigger = answer["request-id"]
        deadline = time.monotonic() + timeout
        while True:
            status, result = request_json(
                "GET", f"{self.url}/jobs/{job_id}/savepoints/{trigger}", timeout=self.timeout
            )
            if status == 200 and isinstance(result, dict):
                if (result.get("status") or {}).get("id") == "COMPLETED":
                    operation = result.get("operation") or {}
                    if "location" in operation:
                        return str(operation["location"])
                    cause = operation.get("failure-cause") or {}
                    text = cause.get("stack-trace") or cause.get("class") or operation
                    first = str(text).strip().splitlines()[0][:500]
                    raise EngineError(f"savepoint of {job_id} failed: {first}")
            if time.monotonic() >= deadline:
                raise EngineError(f"savepoint of {job_id} not done within {timeout:.0f}s")
            time.sleep(0.25)

    def wait_for_state(self, job_id: str, states: frozenset[str], timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state(job_id)
            if state is None or state in states:
                return state
            if time.monotonic() >= deadline:
                return state
            time.sleep(0.25)

    def metrics(self, job_id: str) -> dict[str, Any]:
        """State, duration, per-vertex I/O counters and checkpoint counts."""
        job = self.job(job_id)
        if job is None:
            return {}
        out: dict[str, Any] = {
            "job_id": job_id,
            "state": job.get("state"),
            "duration_ms": job.get("duration"),
            "vertices": [
                {"name": v.get("name"), "status": v.get("status"), **(v.get("metrics") or {})}
                for v in job.get("vertices") or []
            ],
        }
        status, checkpoints = request_json(
            "GET", f"{self.url}/jobs/{job_id}/checkpoints", timeout=self.timeout
        )
        if status == 200 and isinstance(checkpoints, dict):
            out["checkpoints"] = checkpoints.get("counts") or {}
        return out
