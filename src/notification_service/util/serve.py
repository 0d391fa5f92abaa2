"""The entry point a server daemon runs: the server alone, without its command line.

`notification server start -d` and `aiflow server start -d` spawn `python -m <server>`:
the process then pays for the server only (no click, no CLI modules), and a start-up
failure is one `Error:` line in its log, which the starting command reports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from notification_service.util import grpc_core


def serve(
    run: Callable[[], None],
    known_errors: Callable[[], tuple[type[Exception], ...]],
    database_hint: Callable[[], str] | None = None,
) -> int:
    """Run `run` (which serves until a signal); a known error exits 1 with one line, and
    so does a database error (its first line, then `database_hint()`: which key of which
    file names the database)."""
    # gRPC's native layer repeats our errors on stderr; the user's value still wins.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    grpc_core.tune()
    try:
        run()
    except Exception as exc:
        message = _message(exc, known_errors(), database_hint)
        if message is None:
            raise
        print(f"Error: {message}", file=sys.stderr, flush=True)
        return 1
    return 0


def _message(
    exc: Exception,
    known: tuple[type[Exception], ...],
    database_hint: Callable[[], str] | None,
) -> str | None:
    if isinstance(exc, known):
        return str(exc)
    if database_hint is None:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    # The driver's message only: SQLAlchemy appends the SQL and a background link.
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"database error: {first}; {database_hint()}"
