"""Run one server in this process until SIGTERM; the crash tests start it as a child.

python server_process.py notification <db_uri> <port>
python server_process.py aiflow <metadata_uri> <port> <notification_uri> <aiflow_home> [internal]
    [settings as JSON]
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    kind = argv[0]
    if kind == "notification":
        from notification_service.server import run_server
        from notification_service.settings import NotificationServerSettings

        db_uri, port = argv[1], int(argv[2])
        run_server(NotificationServerSettings(db_uri=db_uri, server_port=port, host="127.0.0.1"))
    elif kind == "aiflow":
        from ai_flow.server import run_server
        from ai_flow.settings import AIFlowServerSettings

        metadata_uri, port, notification_uri, home = argv[1], int(argv[2]), argv[3], argv[4]
        internal = int(argv[5]) if len(argv) > 5 else 50000
        overrides = json.loads(argv[6]) if len(argv) > 6 else {}
        settings = AIFlowServerSettings(
            host="127.0.0.1",
            rpc_port=port,
            internal_rpc_port=internal,
            rest_port=0,
            metadata_backend_uri=metadata_uri,
            notification_server_uri=notification_uri,
            **{"task_heartbeat_interval": 1, **overrides},
        )
        run_server(settings, Path(home))
    else:
        raise SystemExit(f"unknown server kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
