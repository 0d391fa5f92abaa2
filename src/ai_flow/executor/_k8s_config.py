"""The `k8s_executor_config` of aiflow_server.yaml, typed (task_executor: kubernetes).

Validated when the executor is built: an unknown key, a wrong type or an unreadable pod
template stops the server with one line naming the problem. Keys left empty in the file
(``namespace:``) mean their default.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ai_flow.executor import ExecutorError

#: A label value: at most 63 characters, alphanumeric at both ends, ``-_.`` inside.
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
# A password in a database URI (user:secret@host) is not part of a deployment's identity.
_PASSWORD = re.compile(r"(//[^:/@]*):[^@/]*@")


class KubernetesExecutorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: YAML of a Pod to start from; its container ``base`` (else its first) runs the task.
    pod_template_file: str | None = None
    #: The task image is ``image_repository:image_tag`` (just the repository without a
    #: tag); without a repository, the template's container must name an image.
    image_repository: str | None = None
    image_tag: str | None = None
    namespace: str = "default"
    #: Credentials of the service account the server runs as, in a pod of the cluster.
    in_cluster: bool = False
    #: A kube config file; default: $KUBECONFIG, else ~/.kube/config.
    kube_config_file: str | None = None
    #: Seconds a pod may stay unschedulable before its try is failed with the reason.
    pending_timeout_seconds: float = Field(300.0, gt=0)
    #: Most pods of this deployment alive at once; default: no limit but the cluster's.
    parallelism: int | None = Field(None, gt=0)
    #: Delete a pod once it is seen finished (its outcome stays known to the server).
    delete_finished_pods: bool = True
    #: AIFLOW_HOME of the task runtime inside the pod (working dirs and logs go there).
    pod_home: str = "/tmp/aiflow"
    #: Value of the pod label ``aiflow/deployment`` that tells this deployment's pods
    #: apart; default: derived from metadata_backend_uri (shared by HA servers).
    deployment: str | None = None
    #: Seconds one watch of the pods lasts before it is renewed (server side); a watch
    #: silent for this plus request_timeout_seconds is taken as frozen and restarted.
    watch_timeout_seconds: int = Field(60, gt=0)
    #: Seconds an API call may take (connect and read).
    request_timeout_seconds: float = Field(30.0, gt=0)

    def image(self) -> str | None:
        if self.image_repository is None:
            return None
        if self.image_tag is None:
            return self.image_repository
        return f"{self.image_repository}:{self.image_tag}"


def parse_config(raw: dict[str, Any] | None, metadata_uri: str = "") -> KubernetesExecutorConfig:
    """The typed config; ExecutorError (one line) if it is not valid."""
    values = {k: v for k, v in (raw or {}).items() if v is not None}
    known = KubernetesExecutorConfig.model_fields
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        raise ExecutorError(
            f"k8s_executor_config: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    try:
        config = KubernetesExecutorConfig(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ExecutorError(f"k8s_executor_config.{where}: {first['msg']}") from None
    if config.image_tag is not None and config.image_repository is None:
        raise ExecutorError("k8s_executor_config: image_tag is set without image_repository")
    deployment = config.deployment or default_deployment(metadata_uri)
    if not _LABEL_VALUE.fullmatch(deployment) or not deployment:
        raise ExecutorError(
            f"k8s_executor_config.deployment: {deployment!r} is not a Kubernetes label value "
            "(at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)"
        )
    return config.model_copy(update={"deployment": deployment})


def default_deployment(metadata_uri: str) -> str:
    """``aiflow-`` and a digest of the metadata database's URI (without its password):
    the servers of one deployment share it, two deployments in a namespace differ."""
    digest = hashlib.sha256(_PASSWORD.sub(r"\1@", metadata_uri).encode()).hexdigest()
    return f"aiflow-{digest[:12]}"
