"""Spark standalone's REST submission server (`spark.master.rest.enabled`, port 6066 by
default): the only place that knows how a cluster-mode driver ended, since spark-submit
exits 0 even when the driver fails."""

from __future__ import annotations

from typing import Any

from ai_flow.engines._errors import EngineError
from ai_flow.engines._http import request_json

SPARK_DRIVER_TERMINAL = frozenset({"FINISHED", "FAILED", "ERROR", "KILLED"})
SPARK_DRIVER_OK = "FINISHED"


def rest_http_url(master: str) -> str:
    """`spark://host:port` or `host:port` → `http://host:port`."""
    address = master.rstrip("/")
    for prefix in ("spark://", "http://"):
        address = address.removeprefix(prefix)
    return f"http://{address}"


class SparkStandaloneRest:
    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.url = rest_http_url(address)
        self.timeout = timeout

    def status(self, submission_id: str) -> dict[str, Any]:
        status, body = request_json(
            "GET", f"{self.url}/v1/submissions/status/{submission_id}", timeout=self.timeout
        )
        if status != 200 or not isinstance(body, dict):
            raise EngineError(f"status of {submission_id} at {self.url}: HTTP {status}: {body}")
        return body

    def driver_state(self, submission_id: str) -> str | None:
        body = self.status(submission_id)
        if body.get("success") is False and "driverState" not in body:
            return None  # the master does not know the driver
        return body.get("driverState")

    def kill(self, submission_id: str) -> bool:
        """Kill the driver; False if it had already ended."""
        state = self.driver_state(submission_id)
        if state is None or state in SPARK_DRIVER_TERMINAL:
            return False
        status, body = request_json(
            "POST", f"{self.url}/v1/submissions/kill/{submission_id}", timeout=self.timeout
        )
        if status != 200:
            raise EngineError(f"kill {submission_id} at {self.url}: HTTP {status}: {body}")
        return True
