"""Periodic expressions: 'cron@<5 fields>' and 'interval@days hours minutes seconds'."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.periodic_expression import parse_periodic_expression


def test_cron():
    expr = parse_periodic_expression("cron@*/5 * * * *")
    assert expr.cron == "*/5 * * * *" and expr.interval is None
    assert expr.next_time(datetime(2024, 1, 1, 10, 2)) == datetime(2024, 1, 1, 10, 5)


def test_interval():
    expr = parse_periodic_expression("interval@1 2 3 4")
    assert expr.interval == timedelta(days=1, hours=2, minutes=3, seconds=4)
    assert expr.next_time(datetime(2024, 1, 1)) == datetime(2024, 1, 2, 2, 3, 4)


@pytest.mark.parametrize(
    "expression, problem",
    [
        ("*/5 * * * *", "must start with 'cron@' or 'interval@'"),
        ("interval0 0 10 0", "must start with 'cron@' or 'interval@'"),
        ("daily@1", "must start with 'cron@' or 'interval@'"),
        ("cron@* * * *", "a cron expression has 5 fields, got 4"),
        ("cron@0 0 * * * *", "a cron expression has 5 fields, got 6"),
        ("cron@61 * * * *", "is not a valid crontab expression"),
        ("interval@0 1 0", "an interval has 4 fields, got 3"),
        ("interval@0 -1 0 0", "non-negative integers"),
        ("interval@0 0 1.5 0", "non-negative integers"),
        ("interval@0 0 0 0", "longer than zero"),
        (5, "must be a string"),
    ],
)
def test_invalid_expressions_name_the_problem_and_the_format(expression, problem):
    with pytest.raises(WorkflowDefinitionError) as info:
        parse_periodic_expression(expression)
    message = str(info.value)
    assert problem in message
    assert "cron@<minute> <hour> <day of month> <month> <day of week>" in message
    assert "interval@<days> <hours> <minutes> <seconds>" in message
    assert isinstance(info.value, ValueError)


def test_cron_in_a_time_zone_follows_daylight_saving() -> None:
    from datetime import datetime, timezone

    from ai_flow.model.periodic_expression import parse_periodic_expression

    berlin = parse_periodic_expression("cron@0 9 * * *@Europe/Berlin")
    before_dst = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)
    # 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC once summer time starts (29 March).
    assert berlin.next_time(before_dst).astimezone(timezone.utc) == datetime(
        2026, 3, 29, 7, 0, tzinfo=timezone.utc
    )
    assert parse_periodic_expression("cron@0 9 * * *").next_time(before_dst) == datetime(
        2026, 3, 29, 9, 0, tzinfo=timezone.utc
    )


def test_unknown_time_zone_is_refused() -> None:
    import pytest

    from ai_flow.model.errors import WorkflowDefinitionError
    from ai_flow.model.periodic_expression import parse_periodic_expression

    with pytest.raises(WorkflowDefinitionError, match="unknown time zone 'Mars/Base'"):
        parse_periodic_expression("cron@0 9 * * *@Mars/Base")
