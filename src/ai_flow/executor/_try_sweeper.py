"""A Celery try's sweeper, run by path from ai_flow/executor/_celery_task.py:

    python _try_sweeper.py MARK POOL_PID RUNTIME_PID SPEC_FILE INTERVAL TRY_JSON

It runs in a bare interpreter (it imports nothing of ai_flow: a few ms to start). While
its parent (the pool process) lives it notes the runtime's process tree every INTERVAL;
once the parent is gone (the kernel has killed the runtime by then), it kills what it
noted, and every process whose environment names this try in its task context and which
was reparented as this process was (spawned since the last look; a redelivered copy of
the try runs under a live pool process instead), and the process groups they lead (a
BashOperator's session); then removes the spec file. Noted processes are checked by
their start time, so a reused pid is never killed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import psutil

# ai_flow.runtime.environment.AIFLOW_TASK_CONTEXT (not imported: see above).
KEY = "AIFLOW_TASK_CONTEXT"


class Sweeper:
    def __init__(self, runtime: int, this_try: list[int]) -> None:
        self.runtime = runtime
        self.this_try = this_try
        self.known: dict[int, tuple[float, int]] = {}  # pid -> (start time, its group)

    def of_this_try(self, process: psutil.Process | None) -> bool:
        try:
            task = json.loads(process.environ().get(KEY) or "{}")  # type: ignore[union-attr]
        except (AttributeError, ValueError, psutil.Error):
            return False
        return [task.get("task_execution_id"), task.get("try_number")] == self.this_try

    def note(self, process: psutil.Process) -> None:
        try:
            if process.pid not in self.known:
                self.known[process.pid] = (process.create_time(), os.getpgid(process.pid))
        except (psutil.Error, OSError):
            pass

    def note_tree(self) -> None:
        # The kernel's child lists: no scan of every process, as psutil's children() does.
        found, index = [self.runtime], 0
        while index < len(found):
            parent, index = found[index], index + 1
            try:
                for tid in os.listdir(f"/proc/{parent}/task"):
                    with open(f"/proc/{parent}/task/{tid}/children") as f:
                        found.extend(int(c) for c in f.read().split())
            except (OSError, ValueError):
                pass
        for pid in found:
            if pid not in self.known:
                try:
                    self.note(psutil.Process(pid))
                except psutil.Error:
                    pass

    def note_orphans(self, reaper: int) -> None:
        """Processes of this try adopted by `reaper`, as this process was."""
        for process in psutil.process_iter():
            try:
                # Not a redelivered copy of the try: that one runs under a live pool process.
                if (
                    process.pid != os.getpid()
                    and self.of_this_try(process)
                    and self._outer_parent(process) == reaper
                ):
                    self.note(process)
            except (psutil.Error, OSError):
                pass

    def _outer_parent(self, process: psutil.Process) -> int:
        while self.of_this_try(process.parent()):
            process = process.parent()  # type: ignore[assignment]
        return process.ppid()

    def kill_noted(self) -> None:
        for pid, (created, pgid) in self.known.items():
            try:
                if psutil.Process(pid).create_time() != created:
                    continue
                if pgid == pid:
                    os.killpg(pgid, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
            except (psutil.Error, OSError):
                pass


def main(argv: list[str]) -> None:
    pool, runtime, spec_file = int(argv[2]), int(argv[3]), argv[4]
    interval, this_try = float(argv[5]), json.loads(argv[6])
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sweeper = Sweeper(runtime, this_try)
    while os.getppid() == pool:
        sweeper.note_tree()
        time.sleep(interval)
    sweeper.note_orphans(os.getppid())  # what adopted the dead runtime's leftovers
    sweeper.kill_noted()
    try:
        os.unlink(spec_file)
    except OSError:
        pass


if __name__ == "__main__":
    main(sys.argv)
