"""The Celery side shared by the AIFlow server and `aiflow worker`: the app, its names.

Both build the app from the same keys of aiflow_server.yaml (``celery_broker_url``,
``celery_options``), so they agree on queues and exchanges. What AIFlow relies on is
fixed: JSON messages only, late acks with a prefetch of one, a message whose worker
process died goes back to the queue, no result backend (the metadata database, the
claims and the heartbeats are the truth).

Delivery is at least once: Redis gives a message that stays unacknowledged longer than
``visibility_timeout`` to another worker, RabbitMQ redelivers when a consumer's channel
closes (a lost connection, or a delivery unacknowledged past the broker's
``consumer_timeout``, 30 minutes by default: raise it above the longest task), and
publishing the same try twice queues it twice. None of that runs a try twice: the
runtime's claim refuses every process but the first one of a try.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

#: The Celery task every AIFlow try is published as (see _celery_task.py).
TASK_NAME = "ai_flow.run_task"
#: The queue of tasks whose operator names none (override: task_default_queue).
DEFAULT_QUEUE = "aiflow"
#: Redis redelivers a message unacknowledged this long (s): far above any task, but a
#: redelivery is harmless anyway (the claim refuses it).
VISIBILITY_TIMEOUT = 7 * 24 * 3600
#: Seconds to wait for the workers' answers to a broadcast (who runs which try).
CONTROL_TIMEOUT = 1.0

_SCHEMES = ("redis", "rediss", "sentinel", "amqp", "amqps", "pyamqp")
# AIFlow's guarantees rest on these; celery_options may not change them.
_FIXED: dict[str, Any] = {
    "task_serializer": "json",
    "accept_content": ["json"],
    "result_serializer": "json",
    "task_acks_late": True,
    "worker_prefetch_multiplier": 1,
    "task_reject_on_worker_lost": True,
    "task_ignore_result": True,
    "result_backend": None,
}
_DEFAULTS: dict[str, Any] = {
    "task_default_queue": DEFAULT_QUEUE,
    # Broadcasts (revoke, who runs what) reach AIFlow workers only, not other Celery
    # apps on the same broker.
    "control_exchange": "aiflow",
    "event_exchange": "aiflow.events",
    "broker_connection_retry_on_startup": True,
    "broker_connection_timeout": 4.0,
    # A lost broker connection leaves running tries running: they heartbeat to the
    # AIFlow server, not to the broker, and a redelivered copy is refused by the claim.
    "worker_cancel_long_running_tasks_on_connection_loss": False,
}


class CeleryConfigError(Exception):
    """The Celery settings cannot work; str() is one line for the user."""


def celery_config(broker_url: str | None, options: dict[str, Any] | None) -> dict[str, Any]:
    """The app's configuration from aiflow_server.yaml's celery keys."""
    if not broker_url:
        raise CeleryConfigError(
            "celery_broker_url is not set in aiflow_server.yaml "
            "(e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//)"
        )
    scheme = broker_url.split("://", 1)[0] if "://" in broker_url else ""
    if scheme not in _SCHEMES:
        raise CeleryConfigError(
            f"celery_broker_url {broker_url.split('@')[-1]!r} is not a Redis or RabbitMQ "
            "URL: use redis://, rediss://, sentinel://, amqp:// or amqps://"
        )
    options = dict(options or {})
    for key, value in _FIXED.items():
        if key in options and options[key] != value:
            raise CeleryConfigError(
                f"celery_options may not set {key} (AIFlow needs {key}: {json.dumps(value)})"
            )
    if "broker_url" in options:
        raise CeleryConfigError("set the broker with celery_broker_url, not celery_options")
    config: dict[str, Any] = {**_DEFAULTS, **options, **_FIXED, "broker_url": broker_url}
    transport = dict(config.get("broker_transport_options") or {})
    if scheme in ("redis", "rediss", "sentinel"):
        transport.setdefault("visibility_timeout", VISIBILITY_TIMEOUT)
    config["broker_transport_options"] = transport
    return config


def make_app(broker_url: str | None, options: dict[str, Any] | None) -> Celery:
    """A Celery app on the broker; raises CeleryConfigError for a bad configuration."""
    config = celery_config(broker_url, options)
    try:
        from celery import Celery
    except ImportError:
        raise CeleryConfigError(
            "the celery executor needs Celery: pip install 'ai-flow[celery]'"
        ) from None
    app = Celery("aiflow", set_as_current=False)
    app.conf.update(config)
    return app


def check_broker(app: Celery, timeout: float = 5.0) -> None:
    """Connect to the broker once; raises CeleryConfigError naming it if that fails."""
    from kombu.utils.url import maybe_sanitize_url

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            conn.default_channel  # noqa: B018 - opens the channel: Redis connects here
    except Exception as exc:  # noqa: BLE001 - any failure means: no broker there
        text = " ".join(str(exc).split()) or type(exc).__name__
        url = maybe_sanitize_url(app.conf.broker_url)
        raise CeleryConfigError(f"cannot reach the Celery broker {url}: {text}") from None


@dataclass(frozen=True)
class CeleryHandle:
    """What the server stores for a try published through Celery."""

    task_id: str
    queue: str
    task_execution_id: int
    try_number: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.task_execution_id, self.try_number)

    def dumps(self) -> str:
        return json.dumps(
            {
                "celery_id": self.task_id,
                "queue": self.queue,
                "te": self.task_execution_id,
                "try": self.try_number,
            },
            sort_keys=True,
        )

    @classmethod
    def loads(cls, text: str) -> CeleryHandle | None:
        """The handle, None if the text is not one (e.g. a local executor's)."""
        try:
            data = json.loads(text)
            return cls(
                str(data["celery_id"]), str(data["queue"]), int(data["te"]), int(data["try"])
            )
        except (ValueError, TypeError, KeyError):
            return None


def task_id(task_execution_id: int, try_number: int) -> str:
    """The Celery task id of a try: the same each time the try is published, so a revoke
    reaches every copy and a worker's answer names the try."""
    return f"aiflow-te{task_execution_id}-try{try_number}"
