"""`notification event ...` against a server with auth_tokens: NOTIFICATION_TOKEN or
--token, and a refusal as one `Error:` line with a non-zero exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from click.testing import Result

from notification_service.server import NotificationServer

ADMIN = "admin-token-0001"
READER_A = "reader-a-token-01"
TOKENS = [
    {"name": "admin", "token": ADMIN},
    {"name": "reader-a", "token": READER_A, "read": ["a"]},
]


@pytest.fixture
def uri(inproc_server: Callable[..., NotificationServer]) -> str:
    return f"127.0.0.1:{inproc_server(auth_tokens=TOKENS).port}"


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFICATION_TOKEN", raising=False)


def _one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


COMMANDS = {
    "send": ["event", "send", "k", "v", "-n", "a"],
    "list": ["event", "list", "*", "-n", "a"],
    "count": ["event", "count", "*", "-n", "a"],
    "listen": ["event", "listen", "*", "-n", "a", "--begin-offset", "0"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_token_is_one_error_line(invoke: Callable[..., Result], uri: str, command: str) -> None:
    line = _one_error_line(invoke(*COMMANDS[command], "-s", uri))
    assert "requires a token" in line and "NOTIFICATION_TOKEN" in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_token_is_one_error_line(
    invoke: Callable[..., Result], uri: str, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("NOTIFICATION_TOKEN", "not-a-known-token")
    line = _one_error_line(invoke(*COMMANDS[command], "-s", uri))
    assert line == "Error: the token is not valid for this server"


def test_notification_token_is_used(
    invoke: Callable[..., Result], uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFICATION_TOKEN", ADMIN)
    sent = invoke("event", "send", "k", "v", "-n", "a", "-o", "json", "-s", uri)
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)[0]["namespace"] == "a"
    listed = invoke("event", "list", "k", "-o", "json", "-s", uri)
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 1
    counted = invoke("event", "count", "k", "-o", "json", "-s", uri)
    assert counted.exit_code == 0 and json.loads(counted.stdout)["total"] == 1


def test_the_token_option_wins_over_the_variable(
    invoke: Callable[..., Result], uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFICATION_TOKEN", "not-a-known-token")
    listed = invoke("event", "list", "k", "-n", "a", "-o", "json", "-s", uri, "--token", READER_A)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["event", "send", "k", "v", "-n", "a"], "may not write namespace 'a'"),
        (["event", "list", "*", "-n", "b"], "may not read namespace 'b'"),
        (["event", "count", "*"], "may not read every namespace"),
        (["event", "listen", "*", "-n", "b", "--begin-offset", "0"], "namespace 'b'"),
    ],
)
def test_another_namespace_is_one_error_line(
    invoke: Callable[..., Result], uri: str, command: list[str], message: str
) -> None:
    line = _one_error_line(invoke(*command, "-s", uri, "--token", READER_A))
    assert line.startswith("Error: token 'reader-a' ") and line.endswith(message)


def test_a_refusal_prints_no_traceback_from_a_real_process(uri: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NOTIFICATION_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "notification_service.cli", "event", "count", "*", "-s", uri],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: this server requires a token")
