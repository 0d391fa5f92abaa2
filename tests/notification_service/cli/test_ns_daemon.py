"""notification_service.util.daemon with small real child processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from notification_service.util.daemon import (
    DaemonError,
    DaemonSpec,
    error_line,
    running_pid,
    start_daemon,
    stop_daemon,
)

MARK = "ns-daemon-test-marker"


def _spec(tmp_path: Path, code: str, ready=lambda text: "ready" in text) -> DaemonSpec:  # noqa: ANN001
    return DaemonSpec(
        name="test daemon",
        pid_file=tmp_path / "d.pid",
        log_file=tmp_path / "logs" / "d.log",
        command=[sys.executable, "-c", code, MARK],
        marker=[MARK],
        ready=ready,
    )


SERVE = "import time; print('ready', flush=True); time.sleep(60)"
# Ignores SIGTERM, so only SIGKILL ends it.
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_start_status_stop(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SERVE)
    pid = start_daemon(spec, timeout=10)
    try:
        assert spec.pid_file.read_text().strip() == str(pid)
        assert running_pid(spec.pid_file, spec.marker) == pid
        assert os.getsid(pid) == pid  # detached into its own session
        with pytest.raises(DaemonError, match=f"already running \\(pid {pid}\\)"):
            start_daemon(spec, timeout=10)
    finally:
        assert stop_daemon(spec.pid_file, spec.marker, timeout=5) == pid
    assert _gone(pid)
    assert not spec.pid_file.exists()
    assert stop_daemon(spec.pid_file, spec.marker) is None


def test_failing_child_reports_its_error_line(tmp_path: Path) -> None:
    code = (
        "import sys; print('noise'); print('Error: port 1 is in use', file=sys.stderr); sys.exit(1)"
    )
    spec = _spec(tmp_path, code)
    with pytest.raises(DaemonError, match="failed to start: port 1 is in use"):
        start_daemon(spec, timeout=10)
    assert not spec.pid_file.exists()


def test_not_ready_in_time_is_stopped(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SERVE, ready=lambda text: False)
    with pytest.raises(DaemonError, match="did not become ready within 1s"):
        start_daemon(spec, timeout=1)
    assert not spec.pid_file.exists()


def test_sigkill_after_timeout(tmp_path: Path) -> None:
    spec = _spec(tmp_path, STUBBORN)
    pid = start_daemon(spec, timeout=10)
    started = time.monotonic()
    assert stop_daemon(spec.pid_file, spec.marker, timeout=1) == pid
    assert time.monotonic() - started < 5
    assert _gone(pid)


def test_stale_and_foreign_pid_files(tmp_path: Path) -> None:
    pid_file = tmp_path / "d.pid"
    pid_file.write_text("999999999\n")  # no such process
    assert running_pid(pid_file, [MARK]) is None
    assert not pid_file.exists()
    # A live process that is not ours (a reused pid) is never signalled.
    pid_file.write_text(f"{os.getpid()}\n")
    assert stop_daemon(pid_file, [MARK]) is None
    assert not pid_file.exists()
    pid_file.write_text("garbage")
    assert running_pid(pid_file, [MARK]) is None


def test_error_line() -> None:
    assert error_line("a\nError: boom\nlater\n") == "boom"
    assert error_line("a\nlast line\n\n") == "last line"
    assert error_line("") is None
