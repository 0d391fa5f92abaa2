"""``python -m notification_service.server``: the server in the foreground, as the
daemon of `notification server start -d` runs it."""

from __future__ import annotations

import sys

from notification_service.util.serve import serve


def _run() -> None:
    from notification_service.server import run_server
    from notification_service.settings import load_settings
    from notification_service.util.logs import setup_logging

    settings = load_settings()
    setup_logging()
    run_server(settings)


def _known() -> tuple[type[Exception], ...]:
    from notification_service.server import ServerStartError
    from notification_service.storage import SchemaError
    from notification_service.util.config_file import ConfigError

    return (ConfigError, SchemaError, ServerStartError)


def _database_hint() -> str:
    from notification_service.settings import config_path

    return f"check db_uri in {config_path()}"


if __name__ == "__main__":
    sys.exit(serve(_run, _known, _database_hint))
