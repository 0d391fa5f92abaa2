"""`aiflow standalone -d` / `stop`, and scripts/quickstart.sh, end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from af_e2e_helpers import ROOT, Stack, clean_up, exe, free_port, set_yaml


def test_standalone_daemons_start_and_stop(stack: Stack) -> None:
    # No NOTIFICATION_HOME: the notification server lives in $AIFLOW_HOME/notification_service.
    ns_home = stack.home / "notification_service"
    env = {k: v for k, v in stack.env.items() if k != "NOTIFICATION_HOME"}
    # Free ports instead of the defaults, written where standalone will look for them.
    assert (
        stack.run("notification", "config", "init", NOTIFICATION_HOME=str(ns_home)).returncode == 0
    )
    set_yaml(ns_home / "notification_server.yaml", server_port=stack.ns_port)
    stack.configure_aiflow_only()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe("aiflow"), *args], env=env, capture_output=True, text=True, timeout=120
        )

    try:
        started = run("standalone", "-d")
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{stack.ns_port}" in started.stdout
        assert f"127.0.0.1:{stack.af_port}" in started.stdout
        assert "Initialised database" in started.stdout and "Task logs:" in started.stdout
        assert "Web UI and REST API: http://" in started.stdout
        assert (ns_home / "ns.db").exists() and (stack.home / "aiflow.db").exists()
        assert run("standalone", "status").returncode == 0
        again = run("standalone", "-d")  # idempotent: both already run
        assert again.returncode == 0 and "already running" in again.stdout
        assert run("namespace", "list", "-o", "json").returncode == 0

        stopped = run("standalone", "stop")
        assert stopped.returncode == 0
        assert "AIFlow server stopped" in stopped.stdout
        assert "Notification server stopped" in stopped.stdout
        assert run("standalone", "status").returncode == 3
    finally:
        run("standalone", "stop")
        clean_up(stack.home, ns_home)


def test_quickstart_script(tmp_path: Path) -> None:
    home = tmp_path / "aiflow_home"
    env = {k: v for k, v in os.environ.items() if k != "NOTIFICATION_HOME"}
    env.update(
        AIFLOW_HOME=str(home),
        # Free ports: the defaults may be taken on a shared test machine.
        AIFLOW_PORT=str(free_port()),
        NOTIFICATION_PORT=str(free_port()),
        AIFLOW_BIN=str(Path(sys.executable).parent),
    )
    try:
        result = subprocess.run(
            [str(ROOT / "scripts" / "quickstart.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        clean_up(home, home / "notification_service")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Workflow execution: 1 submitted." in result.stdout
    assert result.stdout.count("SUCCESS") >= 5  # four tasks and the execution
    assert "I am the 1st task." in result.stdout
    assert "all 4 tasks succeeded" in result.stdout
    assert "AIFlow server stopped" in result.stdout
    assert not (home / "aiflow_server.pid").exists()


def test_standalone_foreground_until_ctrl_c(stack: Stack) -> None:
    stack.configure()  # both homes with free ports; standalone adds the databases
    proc = subprocess.Popen(
        [exe("aiflow"), "standalone"],
        env=stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert any(f"127.0.0.1:{stack.af_port}" in x for x in seen), "".join(seen)
        assert stack.aiflow("namespace", "list").returncode == 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        rest = proc.stdout.read()
        assert "AIFlow server stopped." in rest and "notification server stopped." in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
