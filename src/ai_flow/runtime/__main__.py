"""``python -m ai_flow.runtime <spec.json>``: the entry point of task processes."""

from __future__ import annotations

import os
import sys

from ai_flow.runtime._run import run_task
from ai_flow.runtime._spec import TaskSpec


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ai_flow.runtime <spec.json>", file=sys.stderr)
        return 2
    return run_task(TaskSpec.load(args[0]))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: a non-daemon thread left by user code must not keep the task
    # "alive" (holding its lock) after the final status was reported.
    os._exit(code)
