"""What the `flink` client prints and takes: the JobID line, its version, and where the
JobManager's REST API and the savepoint directory are configured."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ai_flow.engines.environment import flink_conf_dir

#: `flink run` prints "Job has been submitted with JobID 5b0c...e1" (1.x and 2.x).
JOB_ID = r"Job has been submitted with JobID ([0-9a-f]{32})"
DEFAULT_REST = "localhost:8081"
SAVEPOINT_KEYS = ("execution.checkpointing.savepoint-dir", "state.savepoints.dir")


@functools.lru_cache(maxsize=8)
def cli_major_version(flink: str) -> int:
    """2 for Flink 2.x (no `run-application`), 1 for 1.x; 2 if it cannot tell."""
    try:
        out = subprocess.run(
            [flink, "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 2
    match = re.search(r"Version:\s*(\d+)\.", out)
    return int(match.group(1)) if match else 2


def dynamic_properties(options: Sequence[str]) -> dict[str, str]:
    """`-Dkey=value` and `-D key=value` options."""
    found: dict[str, str] = {}
    items = list(options)
    for i, item in enumerate(items):
        text = None
        if item.startswith("-D") and len(item) > 2:
            text = item[2:]
        elif item == "-D" and i + 1 < len(items):
            text = items[i + 1]
        if text and "=" in text:
            key, _, value = text.partition("=")
            found[key.strip()] = value.strip()
    return found


def _option_value(options: Sequence[str], *names: str) -> str | None:
    items = list(options)
    for i, item in enumerate(items):
        for name in names:
            if item == name and i + 1 < len(items):
                return items[i + 1]
            if item.startswith(name + "="):
                return item.split("=", 1)[1]
    return None


def savepoint_dir_of(options: Sequence[str]) -> str | None:
    props = dynamic_properties(options)
    return next((props[k] for k in SAVEPOINT_KEYS if props.get(k)), None)


def rest_address_of(options: Sequence[str], explicit: str | None, flink: str) -> str:
    """The JobManager's REST `host:port` for jobs this command submits."""
    if explicit:
        return explicit
    jobmanager = _option_value(options, "-m", "--jobmanager")
    if jobmanager:
        return jobmanager
    props = dynamic_properties(options)
    conf = _conf(flink)
    host = props.get("rest.address") or _lookup(conf, "rest.address")
    port = props.get("rest.port") or _lookup(conf, "rest.port")
    if host or port:
        return f"{host or 'localhost'}:{port or 8081}"
    return DEFAULT_REST


def _conf(flink: str) -> dict[str, Any]:
    directory = flink_conf_dir(Path(flink).resolve().parent.parent / "conf")
    for name in ("config.yaml", "flink-conf.yaml"):
        path = directory / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text())
            except yaml.YAMLError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _lookup(conf: dict[str, Any], dotted: str) -> str | None:
    """A key as flat `a.b` or nested `a: {b: ...}` (Flink 2's config.yaml allows both)."""
    if dotted in conf:
        return str(conf[dotted])
    node: Any = conf
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return None if isinstance(node, dict) else str(node)
