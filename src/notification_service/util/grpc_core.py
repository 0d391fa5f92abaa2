"""Which paths of gRPC's native layer we ask for: set before grpc first loads, since the
core reads `GRPC_EXPERIMENTS` once, when the module is imported.

grpcio 1.85 sends and receives through its EventEngine by default. On the 2-core box
this project is measured on, the older iomgr client and listener cost about a third
less CPU per message on both ends of a stream (`bench/notification_ingest.py`: single
sends from one client 1,750 -> 2,600/s). So the servers, the command lines and the
notification client turn the EventEngine client, listener and callback queue off,
unless the user set `GRPC_EXPERIMENTS` (theirs wins) or grpc is already loaded (then
it is too late, and nothing changes). Only for the grpcio versions these experiment
names were checked against: an unknown name makes gRPC print an error line.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

EXPERIMENTS_OFF = "-event_engine_client,-event_engine_listener,-event_engine_callback_cq"
#: grpcio minors the names above are known to (test: tests/notification_service/util/).
CHECKED = ("1.85",)


def grpcio_version() -> str | None:
    """The installed grpcio's version, read without importing grpc."""
    spec = importlib.util.find_spec("grpc")
    if spec is None or spec.origin is None:
        return None
    try:
        text = (Path(spec.origin).parent / "_grpcio_metadata.py").read_text()
    except OSError:
        return None
    found = re.search(r"""__version__\s*=\s*["']+([^"']+)""", text)
    return found.group(1) if found else None


def tune() -> None:
    """Default GRPC_EXPERIMENTS before grpc loads (see the module's doc)."""
    if "grpc" in sys.modules or "GRPC_EXPERIMENTS" in os.environ:
        return
    version = grpcio_version()
    if version is not None and version.startswith(tuple(f"{v}." for v in CHECKED)):
        os.environ["GRPC_EXPERIMENTS"] = EXPERIMENTS_OFF
