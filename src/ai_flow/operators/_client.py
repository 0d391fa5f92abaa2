"""An engine's command-line client run by an operator: its output goes to the task log
line by line (an unread pipe would block the client) and is scanned for the ids the
operator needs (a Flink JobID, a Spark driver id)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Sequence

from ai_flow.engines import kill_process_group, process_identity, start_client


class ClientProcess:
    def __init__(
        self,
        argv: Sequence[str],
        patterns: dict[str, str],
        env: dict[str, str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self._patterns = {name: re.compile(p) for name, p in patterns.items()}
        self.found: dict[str, str] = {}
        self._found = threading.Condition()
        self.tail: list[str] = []  # last lines, for error messages
        print("$ " + " ".join(self.argv), flush=True)
        self.process = start_client(self.argv, env=env, stdout=subprocess.PIPE)
        self.host, self.create_time = process_identity(self.process.pid)
        self._reader = threading.Thread(target=self._read, name="engine-client", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            sys.stdout.write(line + "\n")
            self.tail = [*self.tail[-19:], line]
            for name, pattern in self._patterns.items():
                match = pattern.search(line)
                if match and name not in self.found:
                    with self._found:
                        self.found[name] = match.group(1)
                        self._found.notify_all()
        sys.stdout.flush()
        with self._found:
            self._found.notify_all()

    def wait_for(self, names: Sequence[str], timeout: float | None = None) -> str | None:
        """The first of `names` found in the output, or None once the client exited (or
        `timeout` passed) without printing any."""
        with self._found:
            while True:
                for name in names:
                    if name in self.found:
                        return name
                if not self._reader.is_alive():
                    return None
                if not self._found.wait(timeout if timeout is not None else 1.0):
                    if timeout is not None:
                        return None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; raises subprocess.TimeoutExpired."""
        code = self.process.wait(timeout)
        self._reader.join(5.0)
        return code

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self, grace: float = 10.0) -> None:
        """SIGTERM the client's process group, SIGKILL after `grace` seconds."""
        if self.process.poll() is None:
            kill_process_group(self.process.pid, self.create_time, grace)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            pass

    def last_lines(self, n: int = 5) -> str:
        return " | ".join(line.strip() for line in self.tail[-n:] if line.strip())
