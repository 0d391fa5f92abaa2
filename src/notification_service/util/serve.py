"""The entry point a server daemon runs: the server alone, without its command line.

`notification server start -d` and `aiflow server start -d` spawn `python -m <server>`:
the process then pays for the server only (no click, no CLI modules), and a start-up
failure is one `Error:` line in its log, which the starting command reports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def serve(run: Callable[[], None], known_errors: Callable[[], tuple[type[Exception], ...]]) -> int:
    """Run `run` (which serves until a signal); a known error exits 1 with one line."""
    # gRPC's native layer repeats our errors on stderr; the user's value still wins.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        run()
    except Exception as exc:
        if not isinstance(exc, known_errors()):
            raise
        print(f"Error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0
