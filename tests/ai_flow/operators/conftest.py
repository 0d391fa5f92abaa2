"""Real Flink and Spark for the operator tests (see tests/engines.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engines import (  # noqa: E402
    engines,
    flink_cluster,
    flink_session_cluster,
    spark_cluster,
    spark_standalone_cluster,
)

__all__ = [
    "engines",
    "flink_cluster",
    "flink_session_cluster",
    "spark_cluster",
    "spark_standalone_cluster",
]

# Real notification + AIFlow servers for workflows with engine operators.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import servers, servers_factory  # noqa: E402

__all__ += ["servers", "servers_factory"]
