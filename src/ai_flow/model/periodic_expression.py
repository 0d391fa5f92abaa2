"""Periodic expressions shared by periodic tasks and workflow schedules.

Two forms are accepted:
* ``cron@<minute> <hour> <day of month> <month> <day of week>`` (standard 5-field crontab);
* ``interval@<days> <hours> <minutes> <seconds>`` (non-negative integers, not all zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

from ai_flow.model.errors import WorkflowDefinitionError

EXPECTED_FORMAT = (
    "'cron@<minute> <hour> <day of month> <month> <day of week>' (e.g. 'cron@*/5 * * * *') "
    "or 'interval@<days> <hours> <minutes> <seconds>' (e.g. 'interval@0 1 0 0')"
)


@dataclass(frozen=True)
class PeriodicExpression:
    """A parsed expression: exactly one of ``cron`` and ``interval`` is set."""

    expression: str
    cron: str | None = None
    interval: timedelta | None = None

    def next_time(self, after: datetime) -> datetime:
        """First fire time strictly after ``after`` (for intervals: ``after + interval``)."""
        if self.interval is not None:
            return after + self.interval
        return croniter(self.cron, after).get_next(datetime)


def _invalid(expression: object, problem: str) -> WorkflowDefinitionError:
    return WorkflowDefinitionError(
        f"Invalid periodic expression {expression!r}: {problem}. Expected {EXPECTED_FORMAT}"
    )


def parse_periodic_expression(expression: str) -> PeriodicExpression:
    """Parse and validate ``expression``; raises WorkflowDefinitionError if malformed."""
    if not isinstance(expression, str):
        raise _invalid(expression, f"must be a string, not {type(expression).__name__}")
    kind, sep, body = expression.strip().partition("@")
    kind, body = kind.strip().lower(), body.strip()
    if not sep or kind not in ("cron", "interval"):
        raise _invalid(expression, "it must start with 'cron@' or 'interval@'")
    fields = body.split()
    if kind == "cron":
        if len(fields) != 5:
            raise _invalid(expression, f"a cron expression has 5 fields, got {len(fields)}")
        cron = " ".join(fields)
        if not croniter.is_valid(cron):
            raise _invalid(expression, f"{cron!r} is not a valid crontab expression")
        return PeriodicExpression(expression, cron=cron)
    if len(fields) != 4:
        raise _invalid(expression, f"an interval has 4 fields, got {len(fields)}")
    if not all(f.isascii() and f.isdigit() for f in fields):
        raise _invalid(expression, "interval fields must be non-negative integers")
    days, hours, minutes, seconds = (int(f) for f in fields)
    interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if interval <= timedelta(0):
        raise _invalid(expression, "the interval must be longer than zero")
    return PeriodicExpression(expression, interval=interval)
