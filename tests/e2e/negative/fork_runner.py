"""Run many command lines fast: one process imports both command lines once, then forks
a child per case that runs the console script's own entry point (`main()` of
ai_flow.cli / notification_service.cli) with the case's argv, environment and stdin,
its stdout and stderr going to files, and exits with its exit code as the script would.

Each case still is its own process (a crash, an exit code, a traceback are the case's
own); what is shared is only the interpreter start-up and the imports, which a console
script pays once per run (0.2-0.5 s each on a loaded 2-core machine, minutes for the
suite). `NEGATIVE_SUITE_EXEC=1` runs every case through the installed scripts instead.

Protocol: a JSON list of {"prog", "args", "env", "input", "cwd"} on stdin; a JSON list
of {"returncode", "stdout", "stderr"} on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

TIMEOUT = 90.0


def _preload() -> dict[str, Any]:
    """Import what the cases run (both trees; the error paths' modules)."""
    import click

    from ai_flow.cli import cli as aiflow_cli
    from ai_flow.cli import main as aiflow_main
    from notification_service.cli import cli as notification_cli
    from notification_service.cli import main as notification_main

    def load(group: click.Group) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                load(cmd)

    load(aiflow_cli)
    load(notification_cli)
    for module in (
        "ai_flow.ops",
        "ai_flow.metadata",
        "ai_flow.server",
        "ai_flow.blob_manager",
        "notification_service.client",
        "notification_service.server",
        "notification_service.storage",
    ):
        __import__(module)
    return {"aiflow": aiflow_main, "notification": notification_main}


def _child(main: Any, case: dict[str, Any], out: int, err: int, inp: int) -> None:
    """In the forked child: become the console script, never return."""
    code: Any = 1
    try:
        os.dup2(inp, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        # Fresh streams on the new descriptors, as the interpreter opens them.
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, errors="backslashreplace", buffering=1)  # noqa: SIM115
        os.chdir(case["cwd"])
        os.environ.clear()
        os.environ.update(case["env"])
        sys.argv = [case["prog"], *case["args"]]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code
        except BaseException:  # what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed stream must not hide the code
                pass
        os._exit(code if isinstance(code, int) else 1)


def run(cases: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    mains = _preload()
    sys.stdout.flush()
    sys.stderr.flush()
    results: list[dict[str, Any] | None] = [None] * len(cases)
    running: dict[int, tuple[int, float, Any, Any]] = {}
    todo = list(enumerate(cases))
    while todo or running:
        while todo and len(running) < workers:
            i, case = todo.pop(0)
            out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
            inp = tempfile.TemporaryFile()
            inp.write((case.get("input") or "").encode())
            inp.seek(0)
            pid = os.fork()
            if pid == 0:
                _child(mains[case["prog"]], case, out.fileno(), err.fileno(), inp.fileno())
            inp.close()
            running[pid] = (i, time.monotonic(), out, err)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (_i, started, _o, _e) in running.items():
                if time.monotonic() - started > TIMEOUT:
                    os.kill(child, signal.SIGKILL)
            time.sleep(0.005)
            continue
        i, _started, out, err = running.pop(pid)
        out.seek(0)
        err.seek(0)
        results[i] = {
            "returncode": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }
        out.close()
        err.close()
    return [r for r in results if r is not None]


if __name__ == "__main__":
    request = json.load(sys.stdin)
    answer = run(request["cases"], request["workers"])
    real_stdout = os.fdopen(os.dup(1), "w")
    json.dump(answer, real_stdout)
    real_stdout.flush()
