"""Bad input and failure paths: one `Error:` line, a non-zero exit, no traceback."""

from __future__ import annotations

import socket
import subprocess

from ns_e2e_helpers import NsHome, free_port


def _one_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Assert a failed run printed exactly one `Error: ...` line containing `fragments`."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_missing_config(ns: NsHome) -> None:
    for args in (["server", "start"], ["server", "start", "-d"], ["db", "init"]):
        result = ns.run(*args)
        assert result.returncode == 1
        _one_error(result, "does not exist", "config init")
    assert not (ns.path / "notification_server.pid").exists()


def test_malformed_config(ns: NsHome) -> None:
    ns.init()
    ns.set_config(no_such_option=1)
    for args in (["server", "start"], ["server", "start", "-d"]):
        _one_error(ns.run(*args), "unknown key 'no_such_option'")
    ns.config.write_text(f"server_port: {ns.port}\nwait_for_server_started_timeout: soon\n")
    _one_error(ns.run("server", "start", "-d"), "bad value for 'wait_for_server_started_timeout'")
    ns.config.write_text("server_port: [1\n")
    _one_error(ns.run("server", "start"), "not valid YAML")


def test_database_not_initialised(ns: NsHome) -> None:
    assert ns.run("config", "init").returncode == 0
    ns.set_config(server_port=ns.port)
    _one_error(ns.run("server", "start"), "not initialised", "db init")
    # The daemon's parent relays the child's error instead of claiming success.
    line = _one_error(ns.run("server", "start", "-d"), "failed to start", "not initialised")
    assert "notification_server-" in line  # points at the log
    assert not (ns.path / "notification_server.pid").exists()
    assert ns.run("server", "status").returncode == 3


def test_port_in_use(ns: NsHome) -> None:
    ns.init()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ns.port))
        blocker.listen()
        _one_error(ns.run("server", "start"), "cannot listen on", str(ns.port))
        _one_error(ns.run("server", "start", "-d"), "failed to start", "cannot listen on")
    assert not (ns.path / "notification_server.pid").exists()


def test_server_unreachable(ns: NsHome) -> None:
    dead = f"localhost:{free_port()}"
    for args in (
        ["event", "send", "k", "v", "-s", dead],
        ["event", "list", "k", "-s", dead],
        ["event", "listen", "k", "-s", dead],
    ):
        _one_error(ns.run(*args, timeout=60), "unreachable")


def test_bad_begin_time(ns: NsHome) -> None:
    _one_error(ns.run("event", "list", "k", "--begin-time", "yesterday"), "ISO 8601")


def test_reset_declined(ns: NsHome) -> None:
    ns.init()
    result = ns.run("db", "reset", input="n\n")
    assert result.returncode == 1
    assert "Error: aborted" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_events_and_second_start(ns: NsHome) -> None:
    ns.init(max_event_value_bytes=16)
    assert ns.run("server", "start", "-d").returncode == 0
    _one_error(ns.run("event", "send", "", "v"), "key must not be empty")
    _one_error(ns.run("event", "send", "k", "x" * 17), "17 bytes", "max_event_value_bytes")
    assert ns.run("event", "send", "k", "x" * 16).returncode == 0
    _one_error(ns.run("server", "start", "-d"), "already running")
    # A foreground start next to the daemon cannot take its port.
    _one_error(ns.run("server", "start"), "cannot listen on")
    assert ns.run("server", "stop", timeout=30).returncode == 0
