"""Real notification + AIFlow servers (see tests/ai_flow/aiflow_servers.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import servers, servers_factory  # noqa: E402

__all__ = ["servers", "servers_factory"]
