"""The pods of the Kubernetes executor: how one is built for a try, named, labelled, and
what its status says about the try. Plain dicts in the API's JSON form; no client here.

* **Name**: ``aiflow-<task>-<task execution id>-<try>-<digest of the deployment>``, the
  same for the same try, so a replayed submit meets its own pod (409 Conflict).
* **Labels** (selectable): ``aiflow/deployment`` (what the executor lists and watches),
  ``aiflow/workflow-execution-id``, ``aiflow/task-execution-id``, ``aiflow/try-number``;
  **annotations** hold the full identity (namespace, workflow, task, sequence number).
* **Spec**: the template (or a minimal pod), ``restartPolicy: Never``; its container
  ``base`` (else the first) runs ``python -m ai_flow.runtime --home <pod_home> <spec
  JSON>``: the spec names no path of the server's machine, only addresses and URIs.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from ai_flow.executor import ExecutorError
from ai_flow.runtime import TaskSpec

MANAGED_BY = "app.kubernetes.io/managed-by"
DEPLOYMENT = "aiflow/deployment"
WORKFLOW_EXECUTION = "aiflow/workflow-execution-id"
TASK_EXECUTION = "aiflow/task-execution-id"
TRY_NUMBER = "aiflow/try-number"
#: The container of the template that runs the task, if it has one of that name.
BASE_CONTAINER = "base"
#: Waiting reasons after which a pending pod will not start by itself.
FATAL_WAITING = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError"}
)
HANDLE_PREFIX = "k8s:"

_MINIMAL_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {},
    "spec": {"containers": [{"name": BASE_CONTAINER}]},
}


def load_template(path: str | None) -> dict[str, Any]:
    """The pod template (a minimal pod without a file); ExecutorError if unusable."""
    if path is None:
        return copy.deepcopy(_MINIMAL_POD)
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ExecutorError(f"k8s_executor_config.pod_template_file: {exc}") from None
    if not isinstance(data, dict) or data.get("kind", "Pod") != "Pod":
        raise ExecutorError(f"k8s_executor_config.pod_template_file: {path} is not a Pod")
    data.setdefault("apiVersion", "v1")
    data.setdefault("kind", "Pod")
    if not isinstance(data.setdefault("metadata", {}), dict):
        raise ExecutorError(f"k8s_executor_config.pod_template_file: {path}: bad metadata")
    spec = data.setdefault("spec", {})
    if not isinstance(spec, dict) or not isinstance(spec.setdefault("containers", []), list):
        raise ExecutorError(f"k8s_executor_config.pod_template_file: {path}: bad spec")
    if not spec["containers"]:
        spec["containers"].append({"name": BASE_CONTAINER})
    return data


def task_container(pod: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod["spec"]["containers"]
    return next((c for c in containers if c.get("name") == BASE_CONTAINER), containers[0])


def pod_name(deployment: str, spec: TaskSpec) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", spec.task_name.lower()).strip("-")[:30].strip("-")
    digest = hashlib.sha256(deployment.encode()).hexdigest()[:8]
    parts = ["aiflow", slug, str(spec.task_execution_id), str(spec.try_number), digest]
    return "-".join(p for p in parts if p)


def make_handle(namespace: str, name: str) -> str:
    return f"{HANDLE_PREFIX}{namespace}/{name}"


def parse_handle(handle: str) -> tuple[str, str] | None:
    """(namespace, pod name), or None if the handle is not one of this executor."""
    if not handle.startswith(HANDLE_PREFIX):
        return None
    namespace, _, name = handle[len(HANDLE_PREFIX) :].partition("/")
    return (namespace, name) if namespace and name else None


def build_pod(
    template: dict[str, Any],
    spec: TaskSpec,
    *,
    name: str,
    namespace: str,
    deployment: str,
    image: str | None,
    pod_home: str,
) -> dict[str, Any]:
    pod = copy.deepcopy(template)
    meta = pod["metadata"]
    meta.pop("generateName", None)
    meta["name"] = name
    meta["namespace"] = namespace
    meta["labels"] = {
        **(meta.get("labels") or {}),
        MANAGED_BY: "aiflow",
        DEPLOYMENT: deployment,
        WORKFLOW_EXECUTION: str(spec.workflow_execution_id),
        TASK_EXECUTION: str(spec.task_execution_id),
        TRY_NUMBER: str(spec.try_number),
    }
    meta["annotations"] = {
        **(meta.get("annotations") or {}),
        "aiflow/namespace": spec.namespace,
        "aiflow/workflow-name": spec.workflow_name,
        "aiflow/workflow-execution-id": str(spec.workflow_execution_id),
        "aiflow/task-name": spec.task_name,
        "aiflow/task-execution-id": str(spec.task_execution_id),
        "aiflow/sequence-number": str(spec.sequence_number),
        "aiflow/try-number": str(spec.try_number),
    }
    pod["spec"]["restartPolicy"] = "Never"
    container = task_container(pod)
    if image is not None:
        container["image"] = image
    container["command"] = ["python", "-m", "ai_flow.runtime"]
    container["args"] = ["--home", pod_home, spec.to_json()]
    env = [e for e in container.get("env") or [] if e.get("name") != "PYTHONUNBUFFERED"]
    container["env"] = [*env, {"name": "PYTHONUNBUFFERED", "value": "1"}]
    return pod


class Phase(Enum):
    ALIVE = "alive"  # pending (normally), running, terminating, unknown
    UNSCHEDULABLE = "unschedulable"  # alive until pending_timeout_seconds have passed
    CANNOT_START = "cannot start"  # dead: a container cannot be created
    DEAD = "dead"  # succeeded, failed, deleted


@dataclass(frozen=True)
class PodView:
    """What a pod's status says about its try."""

    phase: Phase
    detail: str = ""

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.CANNOT_START, Phase.DEAD)


def view(pod: dict[str, Any]) -> PodView:
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    statuses = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    if phase == "Succeeded":
        return PodView(Phase.DEAD, f"pod succeeded{_exits(statuses)}")
    if phase == "Failed":
        why = ": ".join(s for s in (status.get("reason"), status.get("message")) if s)
        return PodView(Phase.DEAD, f"pod failed{f' ({why})' if why else ''}{_exits(statuses)}")
    if phase != "Pending":
        return PodView(Phase.ALIVE)
    for container in statuses:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FATAL_WAITING:
            message = f": {waiting['message']}" if waiting.get("message") else ""
            return PodView(Phase.CANNOT_START, f"pod cannot start, {waiting['reason']}{message}")
    for condition in status.get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            return PodView(Phase.UNSCHEDULABLE, f"pod unschedulable: {condition.get('message')}")
    return PodView(Phase.ALIVE)


def _exits(statuses: list[dict[str, Any]]) -> str:
    ends = []
    for container in statuses:
        ended = (container.get("state") or {}).get("terminated")
        if ended:
            reason = f" ({ended['reason']})" if ended.get("reason") else ""
            ends.append(f"{container.get('name')} exit code {ended.get('exitCode')}{reason}")
    return f", {', '.join(ends)}" if ends else ""
