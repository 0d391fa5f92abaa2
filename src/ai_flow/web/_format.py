"""How the pages show times, durations and statuses (Jinja2 filters)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

# Statuses that still change: their durations run to "now" and the pages stay live.
ALIVE = frozenset({"INIT", "QUEUED", "RUNNING", "STOPPING", "RETRYING"})


def now_ms() -> int:
    return int(time.time() * 1000)


def when(ms: int | None) -> str:
    """Epoch ms as UTC, to the second (the pages say UTC once, in the footer)."""
    if ms is None:
        return "–"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def duration(begin: int | None, end: int | None, status: str | None = None) -> str:
    """`end - begin`, or up to now while the status is alive."""
    if begin is None:
        return "–"
    if end is None:
        if status is not None and status not in ALIVE:
            return "–"
        end = now_ms()
    seconds = max(0, end - begin) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def status_class(status: str | None) -> str:
    return f"st-{(status or 'NONE').lower()}"


def rule_summary(rule: str) -> str:
    """A stored trigger rule (JSON) as its condition's class and the keys it expects."""
    try:
        condition = json.loads(rule)["condition"]
        name = str(condition["class"]).replace(":", ".").rsplit(".", 1)[-1]
        keys = (condition.get("state") or {}).get("expect_event_keys") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return rule[:60] + ("…" if len(rule) > 60 else "")
    return f"{name} on {', '.join(map(str, keys))}" if keys else name
