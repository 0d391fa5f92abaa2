"""The documented flow end to end: config, db, daemon, events, stop."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

from ns_e2e_helpers import NsHome


def _read_lines(proc: subprocess.Popen[str], out: list[str]) -> threading.Thread:
    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _wait_for(predicate, timeout: float = 20) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_daemon_lifecycle_and_events(ns: NsHome) -> None:
    ns.init()
    started = ns.run("server", "start", "-d")
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
    logs = list((ns.path / "logs").glob("notification_server-*.log"))
    assert len(logs) == 1 and "notification server started." in logs[0].read_text()
    pid = int((ns.path / "notification_server.pid").read_text())

    status = ns.run("server", "status")
    assert status.returncode == 0
    assert f"pid {pid}" in status.stdout and str(ns.port) in status.stdout

    again = ns.run("server", "start", "-d")
    assert again.returncode == 1
    assert again.stderr.strip() == f"Error: notification server is already running (pid {pid})"

    # -s defaults to localhost:<server_port> of the config file.
    sent = ns.run("event", "send", "k1", "v1", "--sender", "alice", "-o", "json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)[0]["offset"] == 1
    for args in (["k2", "v2", "-n", "other"], ["k1", "v3", "--context", "c"]):
        assert ns.run("event", "send", *args, "-s", ns.uri).returncode == 0

    listed = ns.run("event", "list", "*", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    events = json.loads(listed.stdout)
    assert [e["offset"] for e in events] == [1, 2, 3]
    assert events[0] == {
        "offset": 1,
        "key": "k1",
        "value": "v1",
        "namespace": "default",
        "sender": "alice",
        "context": None,
        "create_time": events[0]["create_time"],
    }
    assert "T" in events[0]["create_time"]
    after_1 = json.loads(ns.run("event", "list", "k1", "--begin-offset", "1", "-o", "json").stdout)
    assert [e["value"] for e in after_1] == ["v3"]
    limited = ns.run("event", "list", "*", "--limit", "2", "-o", "plain").stdout.splitlines()
    assert len(limited) == 3  # header + 2
    in_ns = json.loads(ns.run("event", "list", "*", "-n", "other", "-o", "json").stdout)
    assert [e["key"] for e in in_ns] == ["k2"]
    future = ns.run("event", "list", "*", "--begin-time", "2999-01-01T00:00:00", "-o", "json")
    assert json.loads(future.stdout) == []

    count = ns.run("event", "count", "*")
    assert count.returncode == 0
    assert count.stdout.startswith("Total: 3")
    counted = json.loads(ns.run("event", "count", "k1", "-o", "json").stdout)
    assert counted["total"] == 2
    assert {c["sender"]: c["count"] for c in counted["senders"]} == {"alice": 1, None: 1}

    listener = ns.popen("event", "listen", "k1")
    lines: list[str] = []
    _read_lines(listener, lines)
    try:
        # Only events sent from now on; wait until the stream is registered.
        assert _wait_for(lambda: listener.stderr is not None and _started(listener))
        ns.run("event", "send", "k1", "live-1")
        ns.run("event", "send", "other-key", "ignored")
        ns.run("event", "send", "k1", "live-2")
        assert _wait_for(lambda: len(lines) >= 2), lines
        assert [line.split("\t")[1:3] for line in lines] == [["k1", "live-1"], ["k1", "live-2"]]
        listener.send_signal(signal.SIGINT)
        assert listener.wait(15) == 0
        assert "Traceback" not in listener.stderr.read()
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()

    stopped = ns.run("server", "stop", timeout=30)
    assert stopped.returncode == 0
    assert f"stopped (pid {pid})" in stopped.stdout
    assert not (ns.path / "notification_server.pid").exists()
    status = ns.run("server", "status")
    assert status.returncode == 3
    assert "not running" in status.stdout
    assert ns.run("server", "stop").stdout.strip() == "Notification server is not running."


_seen_banner: set[int] = set()


def _started(proc: subprocess.Popen[str]) -> bool:
    """True once the listener printed its banner to stderr (after registering)."""
    if proc.pid in _seen_banner:
        return True
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if "Listening for events" in line:
        _seen_banner.add(proc.pid)
        return True
    return False


def test_listen_from_offset(ns: NsHome) -> None:
    ns.init()
    assert ns.run("server", "start", "-d").returncode == 0
    for value in ("a", "b", "c"):
        ns.run("event", "send", "k", value)
    listener = ns.popen("event", "listen", "*", "--begin-offset", "1")
    lines: list[str] = []
    _read_lines(listener, lines)
    try:
        assert _wait_for(lambda: len(lines) >= 2), lines
        assert [line.split("\t")[2] for line in lines] == ["b", "c"]
        listener.send_signal(signal.SIGTERM)
        assert listener.wait(15) == 0
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
