"""Where engines are installed: the engines' side of the task-process boundary, the only
place the operators read environment variables (FLINK_HOME, SPARK_HOME, PATH)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ai_flow.engines._errors import EngineError

#: Environment variable naming each engine's installation.
HOMES = {"flink": "FLINK_HOME", "spark-submit": "SPARK_HOME", "spark-sql": "SPARK_HOME"}


def find_executable(name: str, explicit: str | None = None) -> str:
    """`explicit`, else `name` on PATH, else `$FLINK_HOME/bin` / `$SPARK_HOME/bin`."""
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise EngineError(f"executable_path {explicit!r} is not an executable file")
    found = shutil.which(name)
    if found:
        return found
    home_var = HOMES.get(name)
    home = os.environ.get(home_var) if home_var else None
    if home:
        candidate = Path(home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    where = f" or in ${home_var}/bin" if home_var else ""
    raise EngineError(
        f"{name!r} was not found on PATH{where}: install the engine, set {home_var or 'PATH'}, "
        "or pass executable_path"
    )


def engine_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an engine client: the task's, plus `extra`."""
    env = dict(os.environ)
    env.update(extra or {})
    return env


def flink_conf_dir(default: Path) -> Path:
    """`$FLINK_CONF_DIR`, else `default` (the installation's conf/)."""
    configured = os.environ.get("FLINK_CONF_DIR")
    return Path(configured) if configured else default
