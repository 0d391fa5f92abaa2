"""``python -m ai_flow.runtime [--home DIR] [--log-dir DIR] [--lock FILE] SPEC``.

SPEC is a TaskSpec as JSON text or the path of a JSON file. ``--home`` (default
``$AIFLOW_HOME``) and ``--log-dir`` (default ``<home>/logs``) say where the try's
working directory and log go on this host; ``--lock`` names the try's lock file for
executors that run tasks on the local machine.
"""

from __future__ import annotations

import argparse
import os
import sys

from ai_flow.runtime._run import load_spec, run_task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_flow.runtime")
    parser.add_argument("--home")
    parser.add_argument("--log-dir")
    parser.add_argument("--lock")
    parser.add_argument("spec")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    home = args.home
    if home is None:
        from ai_flow.settings import aiflow_home

        home = str(aiflow_home())
    return run_task(load_spec(args.spec), home, args.log_dir, args.lock)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: a non-daemon thread left by user code must not keep the task
    # "alive" (holding its lock) after the final status was reported.
    os._exit(code)
