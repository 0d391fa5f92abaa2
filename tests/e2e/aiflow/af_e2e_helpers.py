"""Helpers that drive the installed `aiflow` and `notification` scripts in real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from ai_flow.runtime._files import read_lock_record

ROOT = Path(__file__).resolve().parents[3]
QUICKSTART_FILE = ROOT / "examples" / "quickstart_workflow.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exe(name: str) -> str:
    """The console script next to this interpreter, else the one on PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"the `{name}` console script is not installed")
    return found


def set_yaml(path: Path, **values: object) -> None:
    """Rewrite top-level `key: value` lines of a config file."""
    keep = [x for x in path.read_text().splitlines() if x.split(":", 1)[0] not in values]
    path.write_text("\n".join(keep + [f"{k}: {v}" for k, v in values.items()]) + "\n")


@dataclass
class Stack:
    """$AIFLOW_HOME and $NOTIFICATION_HOME with their own free ports."""

    tmp: Path
    ns_port: int
    af_port: int

    @property
    def home(self) -> Path:
        return self.tmp / "aiflow_home"

    @property
    def ns_home(self) -> Path:
        return self.tmp / "ns_home"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("AIFLOW_HOME", "NOTIFICATION_HOME")}
        return {**env, "AIFLOW_HOME": str(self.home), "NOTIFICATION_HOME": str(self.ns_home)}

    def run(
        self, prog: str, *args: str, input: str | None = None, timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `PROG ARGS...` (prog: aiflow or notification) and capture its output."""
        return subprocess.run(
            [exe(prog), *args],
            env={**self.env, **env},
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def aiflow(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run("aiflow", *args, **kwargs)

    def ok(self, *args: str) -> str:
        """`aiflow ARGS` must succeed; returns its stdout."""
        result = self.aiflow(*args)
        assert result.returncode == 0, f"aiflow {' '.join(args)}: {result.stderr}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "-o", "json"))

    def configure(self) -> None:
        """config init for both, with our ports and a short wait for the notification server."""
        assert self.run("notification", "config", "init").returncode == 0
        set_yaml(
            self.ns_home / "notification_server.yaml",
            server_port=self.ns_port,
            advertised_uri=f"localhost:{self.ns_port}",
        )
        self.configure_aiflow_only()

    def configure_aiflow_only(self) -> None:
        assert self.aiflow("config", "init").returncode == 0
        set_yaml(
            self.home / "aiflow_server.yaml",
            rpc_port=self.af_port,
            internal_rpc_port=free_port(),
            rest_port=free_port(),
            notification_server_uri=f"127.0.0.1:{self.ns_port}",
            wait_for_server_started_timeout=2,
        )
        set_yaml(self.home / "aiflow_client.yaml", server_address=f"localhost:{self.af_port}")

    def start(self) -> None:
        """db init and daemon start for both."""
        for prog in ("notification", "aiflow"):
            for args in (("db", "init"), ("server", "start", "-d")):
                result = self.run(prog, *args)
                assert result.returncode == 0, f"{prog} {' '.join(args)}: {result.stderr}"

    def workflow_file(self, source: Path = QUICKSTART_FILE) -> Path:
        """A copy of a docs' workflow file that sends its events to our notification port."""
        path = self.tmp / source.name
        text = source.read_text().replace("localhost:50052", f"localhost:{self.ns_port}")
        path.write_text(text)
        return path

    def wait_finished(self, execution_id: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            execution = self.json("workflow-execution", "show", str(execution_id))
            if execution["status"] in ("SUCCESS", "FAILED", "STOPPED"):
                return execution
            assert time.monotonic() < deadline, f"execution still {execution['status']}"
            time.sleep(0.5)


def _kill_pid_file(pid_file: Path, module: str) -> None:
    try:
        proc = psutil.Process(int(pid_file.read_text().strip()))
        if module in proc.cmdline():
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    except (OSError, ValueError, psutil.Error):
        pass


def clean_up(home: Path, ns_home: Path) -> None:
    """Stop what a failed test left behind: both daemons and any task process groups."""
    _kill_pid_file(home / "aiflow_server.pid", "ai_flow.server")
    _kill_pid_file(ns_home / "notification_server.pid", "notification_service.server")
    for lock in home.glob("working_dir/*/*/.aiflow/*.lock"):
        record = read_lock_record(str(lock))
        if record is not None and record.pid:
            try:
                os.killpg(record.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
