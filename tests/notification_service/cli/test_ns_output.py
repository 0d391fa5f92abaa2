"""The shared renderer in notification_service.util.output."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
import yaml

from notification_service.util.output import format_time, render

COLUMNS = ["offset", "key", "value", "sender", "create_time"]
MS = 1_700_000_000_123
ROWS = [
    {"offset": 1, "key": "k", "value": "[bold]v[/bold]", "sender": None, "create_time": MS},
    {"offset": 2, "key": "k2", "value": "x" * 300, "sender": "s", "create_time": None},
]


def _render(fmt: str, rows=ROWS, **kwargs) -> str:  # noqa: ANN001
    out = io.StringIO()  # not a TTY, like a pipe
    render(rows, fmt, COLUMNS, stream=out, **kwargs)
    return out.getvalue()


def test_json_keeps_types_and_nulls() -> None:
    data = json.loads(_render("json"))
    assert data[0]["offset"] == 1 and isinstance(data[0]["offset"], int)
    assert data[0]["sender"] is None
    assert data[1]["create_time"] is None
    assert datetime.fromisoformat(data[0]["create_time"]).timestamp() == pytest.approx(MS / 1000)
    assert list(data[0]) == COLUMNS


def test_yaml_matches_json() -> None:
    assert yaml.safe_load(_render("yaml")) == json.loads(_render("json"))


def test_plain_is_tab_separated_with_header() -> None:
    lines = _render("plain", rows=[*ROWS, {"offset": 3, "key": "a\tb\nc"}]).splitlines()
    assert lines[0] == "\t".join(COLUMNS)
    assert lines[1].split("\t")[3] == ""  # None is empty
    assert lines[3].split("\t")[:2] == ["3", "a\\tb\\nc"]
    assert len(lines) == 4


def test_table_is_not_wrapped_or_truncated_when_piped() -> None:
    text = _render("table")
    assert "x" * 300 in text  # the long value is on one line, whole
    assert "[bold]v[/bold]" in text  # shown literally, not as markup
    assert "1970" not in text  # a missing time is blank
    assert format_time(MS) in text


def test_empty_rows() -> None:
    assert json.loads(_render("json", rows=[])) == []
    assert _render("plain", rows=[]) == "\t".join(COLUMNS) + "\n"
    assert "offset" in _render("table", rows=[])


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        _render("xml")


def test_format_time() -> None:
    assert format_time(None) is None
    assert format_time(0) is None
    dt = datetime(2024, 1, 31, 12, 0)
    assert format_time(dt) == "2024-01-31T12:00:00"
