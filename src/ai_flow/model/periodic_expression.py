"""Periodic expressions shared by periodic tasks and workflow schedules.

Two forms are accepted:
* ``cron@<minute> <hour> <day of month> <month> <day of week>`` (standard 5-field crontab),
  read in UTC, or in an IANA time zone named after a second ``@``:
  ``cron@0 9 * * 1-5@Europe/Berlin`` (daylight saving time is followed);
* ``interval@<days> <hours> <minutes> <seconds>`` (non-negative integers, not all zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ai_flow.model.errors import WorkflowDefinitionError

EXPECTED_FORMAT = (
    "'cron@<minute> <hour> <day of month> <month> <day of week>[@<time zone>]' "
    "(e.g. 'cron@*/5 * * * *' or 'cron@0 9 * * 1-5@Europe/Berlin') "
    "or 'interval@<days> <hours> <minutes> <seconds>' (e.g. 'interval@0 1 0 0')"
)


@dataclass(frozen=True)
class PeriodicExpression:
    """A parsed expression: exactly one of ``cron`` and ``interval`` is set."""

    expression: str
    cron: str | None = None
    interval: timedelta | None = None
    time_zone: str | None = None

    def next_time(self, after: datetime) -> datetime:
        """First fire time strictly after ``after`` (for intervals: ``after + interval``)."""
        if self.interval is not None:
            return after + self.interval
        if self.time_zone is not None:
            # Matching happens on the zone's wall clock; an aware start makes croniter
            # follow its daylight-saving changes.
            after = after.astimezone(ZoneInfo(self.time_zone))
        from croniter import croniter  # on use: a server without schedules never needs it

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
        time_zone = None
        if "@" in body:
            body, _, time_zone = body.rpartition("@")
            time_zone = time_zone.strip()
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise _invalid(expression, f"unknown time zone {time_zone!r}") from None
            fields = body.split()
        if len(fields) != 5:
            raise _invalid(expression, f"a cron expression has 5 fields, got {len(fields)}")
        cron = " ".join(fields)
        from croniter import croniter

        if not croniter.is_valid(cron):
            raise _invalid(expression, f"{cron!r} is not a valid crontab expression")
        return PeriodicExpression(expression, cron=cron, time_zone=time_zone)
    if len(fields) != 4:
        raise _invalid(expression, f"an interval has 4 fields, got {len(fields)}")
    if not all(f.isascii() and f.isdigit() for f in fields):
        raise _invalid(expression, "interval fields must be non-negative integers")
    days, hours, minutes, seconds = (int(f) for f in fields)
    interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if interval <= timedelta(0):
        raise _invalid(expression, "the interval must be longer than zero")
    return PeriodicExpression(expression, interval=interval)
