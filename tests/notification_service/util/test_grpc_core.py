"""gRPC's native paths: chosen before grpc loads, never over the user's choice, and only
with experiment names the installed grpcio knows."""

from __future__ import annotations

import os
import subprocess
import sys

from notification_service.util import grpc_core


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_installed_grpcio_is_one_the_names_were_checked_against() -> None:
    import grpc

    assert grpc_core.grpcio_version() == grpc.__version__
    # A new grpcio may have dropped or made final these experiments: check them
    # (bench/notification_ingest.py with and without) and add its minor to CHECKED.
    assert grpc.__version__.rsplit(".", 1)[0] in grpc_core.CHECKED


def test_the_client_and_servers_set_it_before_grpc_loads() -> None:
    for module in ("notification_service.client", "notification_service.server", "ai_flow.ops"):
        code = f"import os, {module}; print(os.environ.get('GRPC_EXPERIMENTS'))"
        assert _python(code).stdout.strip() == grpc_core.EXPERIMENTS_OFF, module


def test_the_users_value_wins_and_a_loaded_grpc_is_left_alone() -> None:
    code = "import os, notification_service.client; print(os.environ['GRPC_EXPERIMENTS'])"
    assert _python(code, GRPC_EXPERIMENTS="").stdout.strip() == ""
    late = "import os, grpc, notification_service.client; print(os.environ.get('GRPC_EXPERIMENTS'))"
    assert _python(late).stdout.strip() == "None"


def test_grpc_knows_every_name() -> None:
    """An unknown experiment is an error line on stderr of every process using grpc."""
    code = "import grpc; grpc.insecure_channel('127.0.0.1:9').close()"
    done = _python(code, GRPC_EXPERIMENTS=grpc_core.EXPERIMENTS_OFF, GRPC_VERBOSITY="INFO")
    assert "Unknown experiment" not in done.stderr
    unknown = _python(code, GRPC_EXPERIMENTS="-no_such_experiment", GRPC_VERBOSITY="INFO")
    assert "Unknown experiment" in unknown.stderr  # the check above can fail
