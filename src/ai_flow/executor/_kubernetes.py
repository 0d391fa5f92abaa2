"""KubernetesTaskExecutor (``task_executor: kubernetes``): one pod per task try.

The pod (`_k8s_pods`: name, labels, spec) runs the task runtime, which claims its try
over the internal RPC, heartbeats and reports statuses itself, as under any executor;
the pods must reach the AIFlow server (`internal_rpc_advertised_address`) and the
notification server. Configured by `k8s_executor_config` (`_k8s_config`), credentials
in-cluster or from a kube config file through the official `kubernetes` client
(an optional extra, imported only when this executor is built).

* **submit**: create the try's pod; its name is fixed by the try, so a replayed submit
  gets 409 Conflict and the same handle (``k8s:<namespace>/<pod>``).
* **poll**: from the memory of one list + watch (`_k8s_watch`), not an API call per
  handle. Pending and running pods are alive; a pending pod is dead with the reason once
  a container cannot start (ErrImagePull, ImagePullBackOff, InvalidImageName,
  CreateContainerConfigError) or once it was unschedulable for
  `pending_timeout_seconds`; Succeeded / Failed (exit codes, reason) and deleted pods
  are dead. A handle the watch does not know (a pod from before a restart) is read
  once.
* **cleanup**: a pod seen dead is deleted at once by a cleanup thread (finished ones
  only with `delete_finished_pods`, pods that never started always); its outcome
  stays in memory (`TOMBSTONE_SECONDS`), after a restart it polls dead as not found.
* **cancel**: delete with ``grace_period_seconds=grace``, return once the pod is gone
  (force-deleted after grace + CANCEL_MARGIN).
* **adopt**: the deployment's listed pods that are not finished; **capacity** counts
  them against `parallelism` of the config (local_executor_parallelism is the local
  executor's); **close** stops the threads, pods keep running.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

from ai_flow.executor import ExecutorError
from ai_flow.executor._interface import HandleState, TaskExecutor
from ai_flow.executor._k8s_config import KubernetesExecutorConfig, parse_config
from ai_flow.executor._k8s_pods import (
    DEPLOYMENT,
    Phase,
    build_pod,
    load_template,
    make_handle,
    parse_handle,
    pod_name,
    task_container,
    view,
)
from ai_flow.executor._k8s_watch import DELETED, PodWatch
from ai_flow.runtime import TaskSpec

log = logging.getLogger(__name__)

MISSING_PACKAGE = (
    "task_executor kubernetes needs the kubernetes package: pip install 'ai-flow[kubernetes]'"
)
#: Seconds past its grace a cancelled pod may take to go before it is force-deleted.
CANCEL_MARGIN = 10.0
#: Seconds between two sweeps of the cleanup thread when nothing changed.
SWEEP_SECONDS = 2.0


def _kubernetes_client(config: KubernetesExecutorConfig) -> tuple[Any, Any]:
    """(the `kubernetes.client` module, a CoreV1Api with the configured credentials)."""
    try:
        from kubernetes import client
        from kubernetes import config as kube_config
    except ImportError:
        raise ExecutorError(MISSING_PACKAGE) from None
    configuration = client.Configuration()
    try:
        if config.in_cluster:
            kube_config.load_incluster_config(client_configuration=configuration)
        else:
            kube_config.load_kube_config(
                config_file=config.kube_config_file, client_configuration=configuration
            )
    except (kube_config.ConfigException, OSError, ValueError) as exc:
        raise ExecutorError(f"task_executor kubernetes: no cluster credentials: {exc}") from None
    return client, client.CoreV1Api(client.ApiClient(configuration))


class KubernetesTaskExecutor(TaskExecutor):
    """Built by `create_task_executor` with ``home``, ``log_dir``, ``parallelism`` (all
    of the server's host, unused here) and ``settings`` (the server's)."""

    def __init__(self, settings: Any = None, **_host_only: object) -> None:
        raw = getattr(settings, "k8s_executor_config", None)
        metadata_uri = str(getattr(settings, "metadata_backend_uri", ""))
        self.config = config = parse_config(raw, metadata_uri)
        self.deployment: str = config.deployment or ""
        self._template = load_template(config.pod_template_file)
        self._image = config.image()
        if self._image is None and not task_container(self._template).get("image"):
            raise ExecutorError(
                "k8s_executor_config: set image_repository (and image_tag), or an image "
                "in the pod template's container"
            )
        self._client, self.api = _kubernetes_client(config)
        self._timeout = config.request_timeout_seconds
        self.pods = PodWatch(
            self.api,
            config.namespace,
            f"{DEPLOYMENT}={self.deployment}",
            watch_timeout=config.watch_timeout_seconds,
            request_timeout=config.request_timeout_seconds,
            pending_timeout=config.pending_timeout_seconds,
        )
        self._deleting: set[str] = set()
        self._waited_for_list = False  # a poll waits for the first list once, not each time
        self._stopped = threading.Event()
        self._cleaner = threading.Thread(target=self._clean, name="aiflow-k8s-cleanup", daemon=True)
        self.pods.start()
        self._cleaner.start()

    def close(self) -> None:
        self._stopped.set()
        with self.pods.changed:
            self.pods.changed.notify_all()
        self.pods.close()
        self._cleaner.join(timeout=5.0)
        self.api.api_client.close()

    # API calls, raw JSON in and out.

    def _read(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            response = self.api.read_namespaced_pod(
                name, namespace, _preload_content=False, _request_timeout=self._timeout
            )
        except self._client.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        pod: dict[str, Any] = json.loads(response.data)
        return pod

    def _delete(self, namespace: str, name: str, grace: int) -> bool:
        """False if there was no such pod."""
        try:
            self.api.delete_namespaced_pod(
                name,
                namespace,
                grace_period_seconds=grace,
                _preload_content=False,
                _request_timeout=self._timeout,
            ).release_conn()
        except self._client.ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # The contract.

    def submit(self, spec: TaskSpec) -> str:
        namespace = self.config.namespace
        name = pod_name(self.deployment, spec)
        pod = build_pod(
            self._template,
            spec,
            name=name,
            namespace=namespace,
            deployment=self.deployment,
            image=self._image,
            pod_home=self.config.pod_home,
        )
        body = self._client.V1Pod.from_dict(pod)
        for _ in range(3):
            try:
                response = self.api.create_namespaced_pod(
                    namespace, body, _preload_content=False, _request_timeout=self._timeout
                )
                self.pods.record(json.loads(response.data))
                log.info("launched %s in pod %s/%s", spec.label, namespace, name)
                return make_handle(namespace, name)
            except self._client.ApiException as exc:
                if exc.status != 409:
                    raise
            existing = self._read(namespace, name)  # the try was submitted before
            if existing is not None:
                self.pods.record(existing)
                return make_handle(namespace, name)
        raise RuntimeError(f"pod {namespace}/{name} keeps appearing and disappearing")

    def poll(self, handles: Sequence[str]) -> dict[str, HandleState]:
        states = {}
        for handle in handles:
            where = parse_handle(handle)
            if where is None:
                states[handle] = HandleState(False, "not a handle of the kubernetes executor")
            else:
                states[handle] = self._state(*where)
        if any(not s.alive for s in states.values()):
            with self.pods.changed:
                self.pods.changed.notify_all()  # the cleanup thread deletes what is dead
        return states

    def _state(self, namespace: str, name: str) -> HandleState:
        watched = namespace == self.config.namespace
        known = self.pods.state(name) if watched else None
        if known is not None:
            return known
        if watched and not self.pods.synced.is_set():
            waited, self._waited_for_list = self._waited_for_list, True
            if waited or not self.pods.synced.wait(self._timeout):
                return HandleState(True)  # the API is away: no news is not death
            known = self.pods.state(name)
            if known is not None:
                return known
        try:
            pod = self._read(namespace, name)
        except Exception as exc:  # noqa: BLE001 - the API is away: no news is not death
            log.warning("cannot read pod %s/%s: %s", namespace, name, exc)
            return HandleState(True)
        if pod is None:
            if watched:
                self.pods.record_missing(name)
            return HandleState(False, "pod not found")
        if watched and (pod["metadata"].get("labels") or {}).get(DEPLOYMENT) == self.deployment:
            self.pods.record(pod)
            return self.pods.state(name) or HandleState(True)
        # Not among the watched pods (another namespace or deployment): read each time.
        seen = view(pod)
        return HandleState(not seen.finished, seen.detail)

    def cancel(self, handle: str, grace: float) -> None:
        where = parse_handle(handle)
        if where is None:
            return
        namespace, name = where
        watched = namespace == self.config.namespace
        if self._delete(namespace, name, math.ceil(max(grace, 0.0))):
            deadline = time.monotonic() + grace + CANCEL_MARGIN
            while not (watched and self.pods.wait_gone(name, 1.0)):
                if not watched:
                    self._stopped.wait(0.5)
                if self._read(namespace, name) is None:  # the watch may be behind, or away
                    break
                if time.monotonic() > deadline:
                    log.warning("pod %s/%s outlived its grace: force-deleting it", namespace, name)
                    self._delete(namespace, name, 0)
                    break
        if watched:
            self.pods.record_missing(name, DELETED)

    def adopt(self) -> list[str]:
        if not self.pods.synced.wait(self._timeout):
            log.warning("the pods of %s could not be listed: none adopted", self.deployment)
            return []
        namespace = self.config.namespace
        entries = self.pods.states()
        return [make_handle(namespace, n) for n, (_, state) in entries.items() if state.alive]

    def capacity(self) -> int | None:
        limit = self.config.parallelism
        if limit is None:
            return None
        alive = sum(1 for _, state in self.pods.states().values() if state.alive)
        return max(0, limit - alive)

    # The cleanup thread.

    def _clean(self) -> None:
        while not self._stopped.is_set():
            for name in self._dead_pods():
                try:
                    if not self._delete(self.config.namespace, name, 0):
                        self.pods.record_missing(name, DELETED)
                except Exception as exc:  # noqa: BLE001 - tried again on the next sweep
                    log.warning("cannot delete the finished pod %s: %s", name, exc)
                    self._deleting.discard(name)
            with self.pods.changed:
                if not self._stopped.is_set():
                    self.pods.changed.wait(SWEEP_SECONDS)

    def _dead_pods(self) -> list[str]:
        """Pods seen dead and not deleted yet: finished ones (with delete_finished_pods)
        and those that never started (always: they might start later)."""
        found = []
        for name, (entry, state) in self.pods.states().items():
            if entry.gone:
                self._deleting.discard(name)
            if entry.gone or entry.deleting or name in self._deleting or state.alive:
                continue
            if self.config.delete_finished_pods or entry.view.phase is not Phase.DEAD:
                found.append(name)
        self._deleting.update(found)
        return found
