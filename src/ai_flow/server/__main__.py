"""``python -m ai_flow.server``: the AIFlow server in the foreground, as the daemon of
`aiflow server start -d` runs it."""

from __future__ import annotations

import sys

from notification_service.util.serve import serve


def _run() -> None:
    from ai_flow.server import run_server
    from ai_flow.settings import aiflow_home, load_server_settings, require_server_config
    from notification_service.util.logs import setup_logging

    require_server_config()
    settings = load_server_settings()
    setup_logging()
    run_server(settings, aiflow_home())


def _known() -> tuple[type[Exception], ...]:
    from ai_flow.metadata import MetadataError
    from ai_flow.server import ServerStartError
    from notification_service.util.config_file import ConfigError

    return (ConfigError, MetadataError, ServerStartError)


def _database_hint() -> str:
    from ai_flow.settings import server_config_path

    return f"check metadata_backend_uri in {server_config_path()}"


if __name__ == "__main__":
    sys.exit(serve(_run, _known, _database_hint))
