"""JSON over HTTP for the engines' REST APIs (Flink's JobManager, Spark's submission
server): a handful of calls, so the standard library's client is enough."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ai_flow.engines._errors import EngineError


def request_json(method: str, url: str, body: Any = None, timeout: float = 10.0) -> tuple[int, Any]:
    """(HTTP status, decoded JSON or None). Refused connections and timeouts raise
    EngineError; an HTTP error status is returned, not raised (404 means "no such job")."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, _decode(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EngineError(f"{method} {url}: {reason}") from None


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:500]
