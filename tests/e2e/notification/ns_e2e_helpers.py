"""Helpers that drive the installed `notification` console script in real processes."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notification_exe() -> str:
    """The console script next to this interpreter, else the one on PATH."""
    local = Path(sys.executable).parent / "notification"
    found = str(local) if local.exists() else shutil.which("notification")
    if not found:
        pytest.fail("the `notification` console script is not installed")
    return found


@dataclass
class NsHome:
    path: Path
    port: int
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return self.path / "notification_server.yaml"

    @property
    def uri(self) -> str:
        return f"localhost:{self.port}"

    def run(
        self, *args: str, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run `notification ARGS...` to completion and capture its output."""
        return subprocess.run(
            [notification_exe(), *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [notification_exe(), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def set_config(self, **values: object) -> None:
        """Rewrite top-level `key: value` lines of the config file."""
        lines = [
            line
            for line in self.config.read_text().splitlines()
            if line.split(":", 1)[0] not in values
        ]
        lines += [f"{k}: {v}" for k, v in values.items()]
        self.config.write_text("\n".join(lines) + "\n")

    def init(self, **config: object) -> None:
        """config init + chosen port (+ overrides) + db init."""
        assert self.run("config", "init").returncode == 0
        self.set_config(server_port=self.port, **config)
        result = self.run("db", "init")
        assert result.returncode == 0, result.stderr


def kill_leftover(home: Path) -> None:
    """A test that failed half-way must not leave a server holding a port."""
    pid_file = home / "notification_server.pid"
    try:
        pid = int(pid_file.read_text().strip())
        proc = psutil.Process(pid)
        if "notification_service.server" in proc.cmdline():
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    except (OSError, ValueError, psutil.Error):
        pass
