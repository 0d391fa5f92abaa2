"""KubernetesTaskExecutor against a FAKE Kubernetes API server (k8s_fake.py, a real HTTP
server spoken to by the official client; not a cluster), plus one test on a real
cluster that runs only when KUBECONFIG names one.

With its kubelet emulation the fake runs each pod's command as a local process: the
executor contract (test_executor_contract.py) and an end to end run through real AIFlow
and notification servers then run the real task runtime in the "pods".
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from k8s_fake import FakeKubernetesApiServer
from taskenv import TaskEnv, wait_until
from test_executor_contract import (  # noqa: F401 - the contract, run here on this backend
    Backend,
    _local,
    test_a_cancelled_try_polls_dead_once_cancel_returns,
    test_a_restarted_executor_adopts_what_still_runs,
    test_a_submitted_try_polls_alive_until_it_ends,
    test_capacity_counts_live_tries,
    test_submitting_a_try_twice_runs_it_once,
    test_the_handle_of_a_finished_try_polls_dead_after_a_restart,
)

from ai_flow.blob_manager import SnapshotFiles
from ai_flow.executor import ExecutorError, HandleState, create_task_executor
from ai_flow.executor._k8s_pods import DEPLOYMENT, parse_handle
from ai_flow.executor._k8s_watch import PodWatch
from ai_flow.executor._kubernetes import MISSING_PACKAGE, KubernetesTaskExecutor
from ai_flow.runtime import TaskSpec
from ai_flow.runtime._run import load_spec
from ai_flow.settings import AIFlowServerSettings
from notification_service.util.environment import is_ci

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiflow_servers import Servers, servers_factory  # noqa: E402, F401

_ids = iter(range(1, 10**6))
# Short watches and timeouts, so a frozen watch is noticed within seconds.
FAST = {"watch_timeout_seconds": 1, "request_timeout_seconds": 1.0}


@pytest.fixture
def fake() -> Iterator[FakeKubernetesApiServer]:
    """Pods that the test moves through their phases."""
    server = FakeKubernetesApiServer()
    yield server
    server.close()


@pytest.fixture
def kubelet(tmp_path: Path) -> Iterator[FakeKubernetesApiServer]:
    """Pods whose command runs as a local process."""
    (tmp_path / "pods").mkdir()
    server = FakeKubernetesApiServer(kubelet=True, root=tmp_path / "pods")
    yield server
    server.close()


def _settings(fake: FakeKubernetesApiServer, tmp_path: Path, **config: Any) -> AIFlowServerSettings:
    kube_config = fake.write_kube_config(tmp_path / "kube_config")
    values = {"image_repository": "aiflow", "image_tag": "1", "kube_config_file": str(kube_config)}
    return AIFlowServerSettings(
        task_executor="kubernetes",
        metadata_backend_uri=f"sqlite:///{tmp_path}/aiflow.db",
        k8s_executor_config={**values, **FAST, **config},
    )


@pytest.fixture
def make(fake: FakeKubernetesApiServer, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    made: list[KubernetesTaskExecutor] = []

    def build(**config: Any) -> KubernetesTaskExecutor:
        executor = KubernetesTaskExecutor(settings=_settings(fake, tmp_path, **config))
        made.append(executor)
        return executor

    yield build
    for executor in made:
        executor.close()


def _spec(task: str = "train model", try_number: int = 1) -> TaskSpec:
    n = next(_ids)
    snapshot = SnapshotFiles(1, "w.py", "blob://w")
    return TaskSpec(
        n, n, task, 1, try_number, "wf", "team", snapshot, "ns:50052", "af:50000", "cls"
    )


def _name(handle: str) -> str:
    where = parse_handle(handle)
    assert where is not None
    return where[1]


def _state(executor: KubernetesTaskExecutor, handle: str) -> HandleState:
    return executor.poll([handle])[handle]


def _phase(executor: KubernetesTaskExecutor, name: str) -> str | None:
    entry = executor.pods.entry(name)
    return entry.view.phase.value if entry is not None else None


def _posts(fake: FakeKubernetesApiServer) -> int:
    return sum(1 for method, _ in fake.requests if method == "POST")


# Configuration


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"pod_template": "x.yaml"}, "k8s_executor_config: unknown key(s) pod_template; known: "),
        ({"pending_timeout_seconds": "soon"}, "k8s_executor_config.pending_timeout_seconds: "),
        ({"image_repository": None, "image_tag": "1"}, "image_tag is set without image_rep"),
        ({"image_repository": None, "image_tag": None}, "set image_repository (and image_tag)"),
        ({"pod_template_file": "/no/such.yaml"}, "pod_template_file: [Errno 2]"),
        ({"deployment": "not a label!"}, "deployment: 'not a label!' is not a Kubernetes label"),
        ({"kube_config_file": "/no/such/config"}, "task_executor kubernetes: no cluster cred"),
        ({"in_cluster": True}, "task_executor kubernetes: no cluster credentials: "),
    ],
)
def test_a_bad_config_is_one_clear_line(
    fake: FakeKubernetesApiServer, tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    settings = _settings(fake, tmp_path, **config)
    with pytest.raises(ExecutorError) as caught:
        create_task_executor("kubernetes", settings=settings, home=tmp_path, parallelism=3)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_kubernetes_package_is_needed(
    fake: FakeKubernetesApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # `import kubernetes` fails
    with pytest.raises(ExecutorError, match="^task_executor kubernetes needs the kuber"):
        create_task_executor("kubernetes", settings=_settings(fake, tmp_path))
    assert MISSING_PACKAGE.endswith("pip install 'ai-flow[kubernetes]'")


def test_the_template_and_config_make_the_pod(
    fake: FakeKubernetesApiServer, tmp_path: Path, make: Callable[..., Any]
) -> None:
    template = {
        "metadata": {"labels": {"team": "ml"}, "annotations": {"owner": "me"}},
        "spec": {
            "serviceAccountName": "runner",
            "restartPolicy": "Always",
            "containers": [
                {"name": "sidecar", "image": "proxy:2"},
                {"name": "base", "env": [{"name": "STAGE", "value": "prod"}]},
            ],
        },
    }
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(template))
    # An empty key of the file is its default (namespace: default).
    executor = make(pod_template_file=str(tmp_path / "pod.yaml"), namespace=None, pod_home="/h")
    spec = _spec("Train Model!")
    handle = executor.submit(spec)
    assert (
        handle == f"k8s:default/aiflow-train-model-{spec.task_execution_id}-1-{_name(handle)[-8:]}"
    )
    pod = fake.pod(_name(handle))
    assert pod is not None
    labels = pod["metadata"]["labels"]
    assert labels == {
        "team": "ml",
        "app.kubernetes.io/managed-by": "aiflow",
        DEPLOYMENT: executor.deployment,
        "aiflow/workflow-execution-id": str(spec.workflow_execution_id),
        "aiflow/task-execution-id": str(spec.task_execution_id),
        "aiflow/try-number": "1",
    }
    annotations = pod["metadata"]["annotations"]
    assert annotations["owner"] == "me"
    assert (annotations["aiflow/namespace"], annotations["aiflow/task-name"]) == (
        "team",
        "Train Model!",
    )
    assert annotations["aiflow/sequence-number"] == "1"
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["serviceAccountName"] == "runner"
    sidecar, base = pod["spec"]["containers"]
    assert sidecar == {"name": "sidecar", "image": "proxy:2"}
    assert base["image"] == "aiflow:1"
    assert base["command"] == ["python", "-m", "ai_flow.runtime"]
    assert base["args"][:2] == ["--home", "/h"]
    assert load_spec(base["args"][2]) == spec  # the spec travels as JSON text
    assert {"name": "STAGE", "value": "prod"} in base["env"]


def test_another_deployment_names_its_pods_apart(make: Callable[..., Any]) -> None:
    spec = _spec()
    first = make(deployment="blue").submit(spec)
    second = make(deployment="green").submit(spec)
    assert first != second


# Submitting and polling


def test_submitting_the_same_try_again_finds_its_pod(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make()
    spec = _spec()
    handle = executor.submit(spec)
    assert executor.submit(spec) == handle  # 409 Conflict: the same pod
    assert _posts(fake) == 2 and fake.names() == [_name(handle)]
    again = make()  # after a restart too
    assert again.submit(spec) == handle
    retry = executor.submit(dataclasses.replace(spec, try_number=2))
    assert retry != handle and len(fake.names()) == 2


def test_poll_follows_the_phases_through_the_watch(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make()
    handles = [executor.submit(_spec()) for _ in range(20)]
    handle, name = handles[0], _name(handles[0])
    fake.set_phase(name, "Pending", reason="ContainerCreating")
    assert _state(executor, handle).alive
    fake.set_phase(name, "Running")
    wait_until(lambda: _phase(executor, name) == "alive")
    before = len(fake.requests)
    states = executor.poll(handles)
    assert all(s.alive for s in states.values())
    assert all(m == "GET" and "watch=" in p for m, p in fake.requests[before:])  # no reads
    fake.set_phase(name, "Failed", exit_code=3)
    wait_until(lambda: not _state(executor, handle).alive)
    assert _state(executor, handle).detail == "pod failed, base exit code 3 (Error)"
    ok = _name(handles[1])
    fake.set_phase(ok, "Succeeded")
    wait_until(lambda: not _state(executor, handles[1]).alive)
    assert _state(executor, handles[1]).detail == "pod succeeded, base exit code 0 (Completed)"


@pytest.mark.parametrize("reason", ["ErrImagePull", "InvalidImageName"])
def test_a_container_that_cannot_start_is_dead_with_the_reason(
    fake: FakeKubernetesApiServer, make: Callable[..., Any], reason: str
) -> None:
    executor = make(delete_finished_pods=False)  # pods that never ran go all the same
    handle = executor.submit(_spec())
    fake.set_waiting(_name(handle), reason, "pull access denied for aiflow")
    wait_until(lambda: not _state(executor, handle).alive)
    detail = _state(executor, handle).detail
    assert detail == f"pod cannot start, {reason}: pull access denied for aiflow"
    wait_until(lambda: fake.names() == [])
    assert _state(executor, handle) == HandleState(False, detail)


def test_an_unschedulable_pod_is_dead_after_the_pending_timeout(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make(pending_timeout_seconds=2)
    handle = executor.submit(_spec())
    name = _name(handle)
    fake.set_unschedulable(name, "0/3 nodes are available: 3 Insufficient memory.")
    wait_until(lambda: _phase(executor, name) == "unschedulable")
    assert _state(executor, handle).alive  # for 2 seconds
    wait_until(lambda: not _state(executor, handle).alive)
    assert _state(executor, handle).detail == (
        "pod unschedulable: 0/3 nodes are available: 3 Insufficient memory. (for more than 2s)"
    )
    wait_until(lambda: fake.names() == [])  # deleted: it must not start later


def test_finished_pods_are_deleted_and_keep_their_outcome(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make()
    handle = executor.submit(_spec())
    fake.set_phase(_name(handle), "Succeeded")
    wait_until(lambda: fake.names() == [])
    assert _state(executor, handle) == HandleState(
        False, "pod succeeded, base exit code 0 (Completed)"
    )
    assert make().poll([handle])[handle] == HandleState(False, "pod not found")  # restarted


def test_finished_pods_may_be_kept(fake: FakeKubernetesApiServer, make: Callable[..., Any]) -> None:
    executor = make(delete_finished_pods=False)
    handle = executor.submit(_spec())
    fake.set_phase(_name(handle), "Failed", reason="Evicted")
    wait_until(lambda: not _state(executor, handle).alive)
    assert _state(executor, handle).detail == "pod failed (Evicted), base exit code 1 (Error)"
    assert fake.names() == [_name(handle)]
    assert make(delete_finished_pods=False).adopt() == []


# The watch


def _pod(
    uid: str, version: int, phase: str = "Pending", name: str = "p", **status: Any
) -> dict[str, Any]:
    meta = {"name": name, "uid": uid, "resourceVersion": str(version)}
    return {"metadata": meta, "status": {"phase": phase, **status}}


def test_the_pod_map_keeps_outcomes_final() -> None:
    now = [100.0]
    pods = PodWatch(
        None,
        "default",
        "",
        watch_timeout=1,
        request_timeout=1,
        pending_timeout=60,
        clock=lambda: now[0],
    )
    unschedulable = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "no nodes",
    }
    pods.record(_pod("a", 5, conditions=[unschedulable]))
    now[0] += 60
    assert pods.state("p") == HandleState(True)
    now[0] += 1
    dead = HandleState(False, "pod unschedulable: no nodes (for more than 60s)")
    assert pods.state("p") == dead
    with pods.changed:
        pods._apply(_pod("a", 6, "Running"))  # scheduled after all: too late
    assert pods.state("p") == dead
    with pods.changed:
        pods._apply(_pod("a", 4, "Succeeded"))  # older than what is known: ignored
        pods._deleted(_pod("a", 7, "Running"))
    entry = pods.entry("p")
    assert entry is not None and entry.gone and pods.state("p") == dead
    pods.record_missing("q")  # read: 404
    with pods.changed:
        pods._apply(_pod("b", 8, "Running", name="q"))  # a late event of it
    assert pods.state("q") == HandleState(False, "pod not found")
    pods.record(_pod("c", 9, "Running", name="q"))  # a new pod of that name
    assert pods.state("q") == HandleState(True)


def test_a_410_gone_watch_lists_again_without_losing_state(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make()
    ends, goes, stays = (executor.submit(_spec()) for _ in range(3))
    wait_until(lambda: executor.pods.relists == 1 and fake.watch_requests() >= 1)
    with fake.watches_held():  # the watch is down while the pods change...
        fake.set_phase(_name(ends), "Succeeded")
        fake._remove("default", _name(goes))
        fake.set_phase(_name(stays), "Running")
        fake.compact()  # ...and the history it would resume from is compacted away
    wait_until(lambda: executor.pods.relists >= 2)
    assert fake.gone_answers >= 1
    states = executor.poll([ends, goes, stays])
    assert states[ends] == HandleState(False, "pod succeeded, base exit code 0 (Completed)")
    assert states[goes] == HandleState(False, "pod deleted before it finished")
    assert states[stays].alive
    fake.set_phase(_name(stays), "Succeeded")  # and the new watch goes on
    wait_until(lambda: not _state(executor, stays).alive)


def test_a_frozen_watch_is_noticed_and_restarted(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make()  # the read of a watch times out after 1 + 1 s of silence
    handle = executor.submit(_spec())
    wait_until(lambda: fake.freeze_watches() == 1)
    watches = fake.watch_requests()
    fake.set_phase(_name(handle), "Failed", exit_code=2)  # only a new watch can tell
    wait_until(lambda: not _state(executor, handle).alive)
    assert fake.watch_requests() > watches


# Cancelling and adopting


def test_cancel_deletes_the_pod(fake: FakeKubernetesApiServer, make: Callable[..., Any]) -> None:
    executor = make()
    handle = executor.submit(_spec())
    fake.set_phase(_name(handle), "Running")
    executor.cancel(handle, grace=3)
    assert fake.names() == []
    assert _state(executor, handle) == HandleState(False, "pod deleted before it finished")
    deletes = [p for m, p in fake.requests if m == "DELETE"]
    assert deletes == [f"/api/v1/namespaces/default/pods/{_name(handle)}?gracePeriodSeconds=3"]
    executor.cancel(handle, grace=3)  # again: harmless
    executor.cancel("k8s:default/no-such-pod", grace=1)


def test_a_restarted_executor_adopts_the_pods_that_run(
    fake: FakeKubernetesApiServer, make: Callable[..., Any]
) -> None:
    executor = make(delete_finished_pods=False, parallelism=3)
    running, pending, done = (executor.submit(_spec()) for _ in range(3))
    fake.set_phase(_name(running), "Running")
    fake.set_phase(_name(done), "Succeeded")
    wait_until(lambda: executor.capacity() == 1)
    executor.close()
    again = make(delete_finished_pods=False, parallelism=3)
    assert sorted(again.adopt()) == sorted([running, pending])
    assert again.capacity() == 1
    other = make(deployment="elsewhere")  # another deployment's pods are not its own
    assert other.adopt() == []


# The executor contract, on pods run by the fake's kubelet emulation


@pytest.fixture
def backend(
    task_env: TaskEnv, kubelet: FakeKubernetesApiServer, tmp_path: Path
) -> Iterator[Backend]:
    """The contract's local driver (the release file, the RUNNING count), with the task
    runtime in "pods" whose AIFLOW_HOME is the test's home."""
    made: list[KubernetesTaskExecutor] = []

    def make(parallelism: int | None = None) -> KubernetesTaskExecutor:
        settings = _settings(
            kubelet, tmp_path, pod_home=str(task_env.home), parallelism=parallelism
        )
        executor = KubernetesTaskExecutor(settings=settings)
        made.append(executor)
        return executor

    local = _local(task_env)

    def release(executor: Any, handle: str, spec: TaskSpec) -> None:
        # The working directory is made by the runtime in the pod, maybe not yet.
        working = task_env.home / "working_dir" / spec.workflow_name
        (working / str(spec.workflow_execution_id)).mkdir(parents=True, exist_ok=True)
        local.release(executor, handle, spec)

    yield dataclasses.replace(local, make=make, release=release)
    for executor in made:
        executor.close()


# End to end: real AIFlow and notification servers


WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name="k8s") as wf:
        BashOperator(name="hello", bash_command="echo hello from a pod")
        BashOperator(name="long", bash_command="sleep 120")
"""


def test_tasks_run_in_pods_of_a_real_server(
    kubelet: FakeKubernetesApiServer,
    servers_factory: Callable[..., Servers],  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    from ai_flow import ops

    config = {
        "image_repository": "aiflow",
        "kube_config_file": str(kubelet.write_kube_config(tmp_path / "kube_config")),
        "pod_home": str(tmp_path / "pod_home"),
        **FAST,
    }
    servers = servers_factory(task_executor="kubernetes", k8s_executor_config=config)
    assert isinstance(servers.aiflow.executor, KubernetesTaskExecutor)
    execution_id = servers.run(WORKFLOW, "k8s")
    servers.wait_tasks(execution_id, {"hello": ["SUCCESS"], "long": ["RUNNING"]}, timeout=60)
    log = tmp_path / "pod_home" / "logs" / "k8s" / str(execution_id) / "hello" / "1.log"
    assert "hello from a pod" in log.read_text()
    long = next(t for t in servers.tasks(execution_id) if t.task_name == "long")
    pod = next(n for n in kubelet.names() if f"-{long.id}-1-" in n)
    ops.stop_task_execution(execution_id, "long")
    servers.wait_tasks(execution_id, {"long": ["STOPPED"]}, timeout=60)
    wait_until(lambda: pod not in kubelet.names())
    wait_until(lambda: kubelet.names() == [])  # the finished pod of hello is gone too


def test_a_pod_that_cannot_pull_its_image_fails_its_task(
    kubelet: FakeKubernetesApiServer,
    servers_factory: Callable[..., Servers],  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    kubelet.unpullable_images.add("registry.invalid/aiflow:2")
    config = {
        "image_repository": "registry.invalid/aiflow",
        "image_tag": "2",
        "kube_config_file": str(kubelet.write_kube_config(tmp_path / "kube_config")),
        **FAST,
    }
    servers = servers_factory(task_executor="kubernetes", k8s_executor_config=config)
    execution_id = servers.run(WORKFLOW, "k8s")
    servers.wait_tasks(execution_id, {"hello": ["FAILED"]}, timeout=60)
    hello = next(t for t in servers.tasks(execution_id) if t.task_name == "hello")
    assert hello.error == (
        "the task process died without reporting a status (pod cannot start, "
        "ErrImagePull: pull access denied for registry.invalid/aiflow:2)"
    )
    wait_until(lambda: not any(f"-{hello.id}-1-" in n for n in kubelet.names()))


# A real cluster, when there is one


def _real_cluster() -> str:
    if is_ci():
        pytest.skip("needs a Kubernetes cluster; CI=true runs have none (no cluster here)")
    if not os.environ.get("KUBECONFIG"):
        pytest.skip("needs a Kubernetes cluster: set KUBECONFIG to run it on one")
    return os.environ["KUBECONFIG"]


def test_a_real_cluster_runs_and_deletes_pods(tmp_path: Path) -> None:
    """Pods of a small stock image (AIFLOW_K8S_TEST_IMAGE, default python:3.12-slim,
    which lacks ai_flow: the runtime exits 1) in AIFLOW_K8S_TEST_NAMESPACE."""
    kube_config = _real_cluster()
    image = os.environ.get("AIFLOW_K8S_TEST_IMAGE", "python:3.12-slim")
    config = {
        "kube_config_file": kube_config,
        "namespace": os.environ.get("AIFLOW_K8S_TEST_NAMESPACE", "default"),
        "image_repository": image,
        "deployment": f"aiflow-test-{os.getpid()}",
    }
    settings = AIFlowServerSettings(task_executor="kubernetes", k8s_executor_config=config)
    executor = KubernetesTaskExecutor(settings=settings)
    try:
        spec = _spec()
        handle = executor.submit(spec)
        assert executor.submit(spec) == handle
        wait_until(lambda: not _state(executor, handle).alive, timeout=300)
        assert "exit code" in _state(executor, handle).detail
        wait_until(lambda: executor._read(config["namespace"], _name(handle)) is None, 120)
        bad = dataclasses.replace(spec, try_number=2)
        # Its own deployment label: the first executor would delete its pod otherwise.
        unpullable = {
            "image_repository": "aiflow.invalid/x",
            "deployment": f"{config['deployment']}-b",
        }
        broken = KubernetesTaskExecutor(
            settings=settings.model_copy(update={"k8s_executor_config": {**config, **unpullable}})
        )
        try:
            handle = broken.submit(bad)
            wait_until(lambda: not _state(broken, handle).alive, timeout=300)
            assert "cannot start" in _state(broken, handle).detail
        finally:
            broken.close()
        held = executor.submit(dataclasses.replace(spec, try_number=3))
        executor.cancel(held, grace=1)
        assert not _state(executor, held).alive
    finally:
        executor.close()
