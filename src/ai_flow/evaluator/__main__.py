"""``python -m ai_flow.evaluator DIRECTORY FILE_NAME``: an evaluator process."""

from __future__ import annotations

import os
import sys

from ai_flow.evaluator._child import main

if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    # A thread left by user code must not keep the process alive.
    os._exit(code)
