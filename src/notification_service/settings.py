"""Typed settings of the notification server, read from notification_server.yaml."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from notification_service.util.auth import TokenGrant
from notification_service.util.config_file import ConfigError, load_config
from notification_service.util.environment import home_dir

CONFIG_FILE_NAME = "notification_server.yaml"
PID_FILE_NAME = "notification_server.pid"

DEFAULT_CONFIG_TEMPLATE = """\
# port of notification server
server_port: 50052
# interface the server listens on; 0.0.0.0 opens it to the network
host: 127.0.0.1
# uri of database backend for notification server
db_uri: sqlite:///${NOTIFICATION_HOME}/ns.db
# whether to start server in HA mode (several servers on one shared database)
enable_ha: false
# the time in milliseconds to detect living members in HA mode
ha_ttl_ms: 10000
# uri of this server registered in the HA member table for clients to use
advertised_uri: localhost:50052
# timeout in seconds for the server to be available after it is started
wait_for_server_started_timeout: 5.0
# largest accepted event value, in bytes
max_event_value_bytes: 1048576
# port of the Prometheus /metrics endpoint (on host); unset or null: no endpoint
# metrics_port: 9101
# access control: with tokens, every call needs one; a token may be limited to
# namespaces (read: [...], write: [...]; '*' = all). Clients: $NOTIFICATION_TOKEN
# auth_tokens:
#   - name: admin
#     token: change-me-to-a-long-random-string
"""


class NotificationServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server_port: int = Field(50052, ge=0, le=65535)
    host: str = "127.0.0.1"
    db_uri: str = "sqlite:///${NOTIFICATION_HOME}/ns.db"
    enable_ha: bool = False
    ha_ttl_ms: int = Field(10000, gt=0)
    advertised_uri: str = "localhost:50052"
    wait_for_server_started_timeout: float = Field(5.0, gt=0)
    max_event_value_bytes: int = Field(1024 * 1024, gt=0)
    # Listing never returns more than this many events per call.
    max_list_limit: int = Field(10000, gt=0)
    # Prometheus text format at /metrics on host:metrics_port; None: not served.
    metrics_port: int | None = Field(None, ge=0, le=65535)
    # Access control (notification_service/util/auth.py); None or []: off.
    auth_tokens: list[TokenGrant] | None = None


def notification_home() -> Path:
    return home_dir("NOTIFICATION_HOME", "notification_service")


def config_path(home: Path | None = None) -> Path:
    return (home or notification_home()) / CONFIG_FILE_NAME


def load_settings(home: Path | None = None) -> NotificationServerSettings:
    home = home or notification_home()
    path = config_path(home)
    try:
        return load_config(path, NotificationServerSettings, {"NOTIFICATION_HOME": str(home)})
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, exc, "notification config init") from None


def unreadable(path: Path, exc: Exception, init: str) -> ConfigError:
    """A config file that exists but cannot be read (a directory, no permission, binary)."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ConfigError(
        f"config file {path} cannot be read ({reason}); make it a readable YAML file, "
        f"or remove it and run `{init}`"
    )
