"""Typed settings of the AIFlow server (aiflow_server.yaml) and client (aiflow_client.yaml)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from notification_service.settings import unreadable
from notification_service.util.auth import TokenGrant
from notification_service.util.config_file import ConfigError, load_config
from notification_service.util.environment import env, home_dir

SERVER_CONFIG_FILE_NAME = "aiflow_server.yaml"
CLIENT_CONFIG_FILE_NAME = "aiflow_client.yaml"
PID_FILE_NAME = "aiflow_server.pid"
LOCAL_BLOB_MANAGER = "ai_flow.blob_manager.impl.local_blob_manager.LocalBlobManager"

DEFAULT_SERVER_CONFIG_TEMPLATE = """\
# directory of AIFlow logs
log_dir: ${AIFLOW_HOME}/logs
# interface the servers listen on; 0.0.0.0 opens them to the network
host: 127.0.0.1
# port of rpc server
rpc_port: 50051
# port of internal rpc
internal_rpc_port: 50000
# port of rest server
rest_port: 8000
# uri of database backend for AIFlow server
metadata_backend_uri: sqlite:///${AIFLOW_HOME}/aiflow.db
# metadata and log history retention (e.g. 30d, 12h, 90m, 3600s)
history_retention: 30d
# rows of the scheduler's decision log kept at most (the oldest go first)
decision_log_max_rows: 1000000
# uri of state backend
state_backend_uri: sqlite:///${AIFLOW_HOME}/aiflow.db
# whether SqlAlchemy enables pool database connections
sql_alchemy_pool_enabled: true
# the maximum number of database connections in the pool. 0 indicates no limit.
sql_alchemy_pool_size: 5
# the maximum overflow size of the pool.
sql_alchemy_max_overflow: 10
# uri of the server of notification service
notification_server_uri: 127.0.0.1:50052
# timeout in seconds to wait for the notification server when the AIFlow server starts
wait_for_server_started_timeout: 5.0
# task executor: local, celery, kubernetes, or package.module:Class of a TaskExecutor
task_executor: Local
# the interval in seconds that the task executor check the heartbeat of task executions
task_executor_heartbeat_check_interval: 10
# the timeout in seconds that the task executions is treated as timeout
task_heartbeat_timeout: 60
# the interval in seconds that the task executions send heartbeats
task_heartbeat_interval: 10
# seconds a launched try may wait for its process to start (e.g. queued for a Celery worker)
task_queued_timeout: 600
# num of workers of local task executor
local_executor_parallelism: 10
# seconds a task may take to stop before it is killed (operators may set stop_timeout)
task_stop_timeout: 10
# seconds a user condition may run before it is abandoned (recorded in __error__)
condition_timeout: 5
# evaluator processes kept for user conditions, one per workflow snapshot
evaluator_pool_size: 8
# seconds of the scheduling lease when several servers share a PostgreSQL/MySQL database
# (a standby takes over within about this long after the active server dies)
ha_lease_seconds: 3
# access control: with tokens, every API call, REST request and UI session needs one;
# a token may be limited to namespaces (read: [...], write: [...]; '*' = all)
# auth_tokens:
#   - name: admin
#     token: change-me-to-a-long-random-string
#   - name: team-a
#     token_sha256: <sha256 hex of the token>
#     write: [team_a]
#     read: ["*"]
# token this server (and its tasks) present to a notification server with auth_tokens
# notification_token:
# celery task executor: the broker (redis://... or amqp://...) and extra Celery options
# celery_broker_url: redis://127.0.0.1:6379/0
# celery_options: {}
# kubernetes task executor config
# k8s_executor_config:
#   pod_template_file:
#   image_repository:
#   image_tag:
#   namespace:
#   in_cluster: false
#   kube_config_file:
"""

DEFAULT_CLIENT_CONFIG_TEMPLATE = f"""\
# address of AIFlow server
server_address: localhost:50051
# configurations about blob manager
blob_manager:
  blob_manager_class: {LOCAL_BLOB_MANAGER}
  blob_manager_config:
    root_directory: ${{AIFLOW_HOME}}/blob
"""

# One or more "<n><unit>" parts, e.g. 30d, 12h, 1d12h, 3600s.
_DURATION = re.compile(r"(\d+)\s*([dhms])")
_DURATION_FULL = re.compile(r"\s*(\d+\s*[dhms]\s*)+")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
# The spec writes both ${AIFLOW_HOME} and {AIFLOW_HOME}; load_config expands the first.
_BARE_HOME = re.compile(r"(?<!\$)\{AIFLOW_HOME\}")


def parse_duration(text: str) -> timedelta:
    """Parse `30d`, `12h`, `90m`, `3600s` or combinations such as `1d12h`."""
    if not _DURATION_FULL.fullmatch(text):
        raise ValueError(f"'{text}' is not a duration like 30d, 12h, 90m or 3600s")
    delta = timedelta()
    for amount, unit in _DURATION.findall(text):
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    if delta <= timedelta():
        raise ValueError(f"duration '{text}' must be positive")
    return delta


_DB_TYPES = {"MYSQL": ("mysql", "mariadb"), "SQLITE": ("sqlite",), "POSTGRESQL": ("postgresql",)}


def check_db_type(kind: str, uri: str) -> None:
    """`db_type` (the docs' spelling) must name the database `uri` is for."""
    expected = _DB_TYPES.get(kind.strip().upper())
    if expected is None:
        raise ValueError(f"db_type must be one of {', '.join(_DB_TYPES)} (got {kind!r})")
    dialect = uri.partition(":")[0]
    scheme = dialect.partition("+")[0].lower()
    if scheme == "postgres":
        scheme = "postgresql"
    if scheme not in expected:
        # The scheme only: the URI may hold a password.
        raise ValueError(
            f"db_type {kind.strip().upper()} does not match the database URI ({dialect}://...)"
        )


class AIFlowServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    log_dir: str = "${AIFLOW_HOME}/logs"
    host: str = "127.0.0.1"
    rpc_port: int = Field(50051, ge=0, le=65535)
    internal_rpc_port: int = Field(50000, ge=0, le=65535)
    rest_port: int = Field(8000, ge=0, le=65535)
    metadata_backend_uri: str = "sqlite:///${AIFLOW_HOME}/aiflow.db"
    state_backend_uri: str = "sqlite:///${AIFLOW_HOME}/aiflow.db"
    sql_alchemy_pool_enabled: bool = True
    sql_alchemy_pool_size: int = Field(5, ge=0)
    # -1 is SQLAlchemy's "no overflow limit".
    sql_alchemy_max_overflow: int = Field(10, ge=-1)
    history_retention: str = "30d"
    # The decision log (`explain`) keeps at most this many rows, besides the retention.
    decision_log_max_rows: int = Field(1_000_000, gt=0)
    notification_server_uri: str = "127.0.0.1:50052"
    wait_for_server_started_timeout: float = Field(5.0, gt=0)
    task_executor: str = "Local"
    task_executor_heartbeat_check_interval: int = Field(10, gt=0)
    task_heartbeat_interval: int = Field(10, gt=0)
    task_heartbeat_timeout: int = Field(60, gt=0)
    # As Airflow's [scheduler] task_queued_timeout: launch -> claim, then heartbeats count.
    task_queued_timeout: float = Field(600.0, gt=0)
    local_executor_parallelism: int = Field(10, gt=0)
    task_stop_timeout: float = Field(10.0, gt=0)
    condition_timeout: float = Field(5.0, gt=0)
    evaluator_pool_size: int = Field(8, gt=0)
    # task_executor: kubernetes; its keys, validated when the executor is built:
    # ai_flow/executor/_k8s_config.py (unknown keys are an error).
    k8s_executor_config: dict[str, Any] | None = None
    # task_executor: celery: the broker, and Celery options (`task_default_queue`, ...).
    celery_broker_url: str | None = None
    celery_options: dict[str, Any] = Field(default_factory=dict)
    # Where task runtimes on other hosts reach this server's internal RPC (host:port);
    # default: `host` (127.0.0.1 when it is a wildcard) and the bound internal port.
    internal_rpc_advertised_address: str | None = None
    # Several servers on one PostgreSQL/MySQL database: the one holding the scheduling
    # lease schedules; a standby takes over within about this long after it dies.
    ha_lease_seconds: float = Field(3.0, gt=0)
    # Access control (notification_service/util/auth.py); None or []: off.
    auth_tokens: list[TokenGrant] | None = None
    # What this server and its task runtimes present to the notification server;
    # unset: $NOTIFICATION_TOKEN.
    notification_token: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _spec_spellings(cls, data: Any) -> Any:
        """The docs' "Set up MySQL as Backend" names the database `db_uri` and `db_type`
        in aiflow_server.yaml: `db_uri`, when given, is the metadata database (it wins
        over the template's `metadata_backend_uri`, which a user following the how-to
        leaves in place); `db_type` must agree with it."""
        if not isinstance(data, dict) or ("db_uri" not in data and "db_type" not in data):
            return data
        data = dict(data)
        uri = data.pop("db_uri", None)
        kind = data.pop("db_type", None)
        if uri is not None:
            data["metadata_backend_uri"] = uri
        if kind is not None:
            check_db_type(str(kind), str(data.get("metadata_backend_uri", "sqlite:")))
        return data

    @field_validator("history_retention")
    @classmethod
    def _check_retention(cls, value: str) -> str:
        parse_duration(value)
        return value.strip()

    @field_validator("task_executor")
    @classmethod
    def _check_executor(cls, value: str) -> str:
        kind = value.strip()
        if kind.lower() == "local":
            return "Local"
        if kind.lower() in ("celery", "kubernetes"):
            return kind.lower()
        if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", kind):
            return kind  # a TaskExecutor class, imported when the server starts
        raise ValueError(
            f"unknown task executor '{value}'; use 'local', 'celery', 'kubernetes' "
            "or 'package.module:Class'"
        )

    @property
    def history_retention_delta(self) -> timedelta:
        return parse_duration(self.history_retention)


class BlobManagerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    blob_manager_class: str = LOCAL_BLOB_MANAGER
    blob_manager_config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("blob_manager_config", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        # `blob_manager_config:` with nothing under it parses as None.
        return {} if value is None else value


class AIFlowClientSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server_address: str = "localhost:50051"
    # Bearer token for a server with auth_tokens; $AIFLOW_TOKEN wins over it.
    token: str | None = None
    blob_manager: BlobManagerSettings = BlobManagerSettings(
        blob_manager_config={"root_directory": "${AIFLOW_HOME}/blob"}
    )


M = TypeVar("M", bound=BaseModel)


def aiflow_home() -> Path:
    return home_dir("AIFLOW_HOME", "aiflow")


def server_config_path(home: Path | None = None) -> Path:
    return (home or aiflow_home()) / SERVER_CONFIG_FILE_NAME


def client_config_path(home: Path | None = None) -> Path:
    return (home or aiflow_home()) / CLIENT_CONFIG_FILE_NAME


def require_server_config(home: Path | None = None) -> Path:
    """The server config path; a clear error naming the fix when it is missing."""
    path = server_config_path(home)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; run `aiflow config init` first")
    return path


def load_server_settings(home: Path | None = None) -> AIFlowServerSettings:
    home = home or aiflow_home()
    return _load(server_config_path(home), AIFlowServerSettings, home)


def load_client_settings(home: Path | None = None, missing_ok: bool = True) -> AIFlowClientSettings:
    """The client settings; without a file (and `missing_ok`) the defaults, as on one host."""
    home = home or aiflow_home()
    path = client_config_path(home)
    if missing_ok and not path.exists():
        settings = resolve_home(AIFlowClientSettings(), home)
    else:
        settings = _load(path, AIFlowClientSettings, home)
    token = env("AIFLOW_TOKEN")
    return settings.model_copy(update={"token": token}) if token else settings


def server_notification_token(settings: AIFlowServerSettings) -> str | None:
    """What the AIFlow server presents to the notification server."""
    return settings.notification_token or env("NOTIFICATION_TOKEN")


def resolve_home(settings: M, home: Path) -> M:
    """Replace ${AIFLOW_HOME} / {AIFLOW_HOME} in every string value, defaults included."""
    return type(settings).model_validate(_substitute(settings.model_dump(), str(home)))


def _load(path: Path, model: type[M], home: Path) -> M:
    try:
        settings = load_config(path, model, {"AIFLOW_HOME": str(home)})
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, exc, "aiflow config init") from None
    except ConfigError as exc:
        if "not valid YAML" in str(exc) and _BARE_HOME.search(path.read_text()):
            raise ConfigError(
                f"{exc} (a value starting with {{AIFLOW_HOME}} must be written "
                "${AIFLOW_HOME} or quoted)"
            ) from None
        raise
    return resolve_home(settings, home)


def _substitute(value: object, home: str) -> object:
    if isinstance(value, str):
        return _BARE_HOME.sub(home, value.replace("${AIFLOW_HOME}", home))
    if isinstance(value, dict):
        return {k: _substitute(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, home) for v in value]
    return value
