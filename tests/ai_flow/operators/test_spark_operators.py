"""SparkSubmitOperator and SparkSqlOperator on a real Spark (see tests/engines.py), in
workflows run by real servers: the task's status is the job's, in local mode by the
client's exit code, in standalone cluster mode by the driver's state on the master
(spark-submit exits 0 there even when the driver fails)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiflow_servers import Servers  # noqa: E402
from engine_rig import ENGINE_TIMEOUT, task, use_engine_env  # noqa: E402
from engines import (  # noqa: E402
    Engines,
    SparkStandaloneCluster,
    spark_driver_jar,
    spark_failing_driver_jar,
    spark_job,
    spark_local_env,
)

pytestmark = pytest.mark.engine

LOCAL = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.spark.spark_sql import SparkSqlOperator
    from ai_flow.operators.spark.spark_submit import SparkSubmitOperator

    with Workflow(name='spark_local') as workflow:
        SparkSubmitOperator(name='ok', application={ok!r}, master='local[1]',
                            executable_path={submit!r}, application_args=[{out!r}, 'x'])
        SparkSubmitOperator(name='bad', application={bad!r}, master='local[1]',
                            executable_path={submit!r})
        SparkSqlOperator(name='sql', sql='SELECT 1 + 1', master='local[1]',
                         executable_path={sql!r},
                         submit_options='--conf spark.sql.catalogImplementation=in-memory')
"""


def test_local_jobs_succeed_or_fail_by_their_exit_code(
    engines: Engines,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, spark_local_env(engines, tmp_path))
    servers: Servers = servers_factory()
    out = tmp_path / "sum.json"
    source = LOCAL.format(
        ok=str(spark_job(tmp_path / "ok.py")),
        bad=str(spark_job(tmp_path / "bad.py", exit_code=3)),
        submit=str(engines.spark_submit),
        sql=str(engines.spark_sql),
        out=str(out),
    )
    execution_id = servers.run(source, "spark_local")
    expected = {"ok": ["SUCCESS"], "bad": ["FAILED"], "sql": ["SUCCESS"]}
    servers.wait_tasks(execution_id, expected, ENGINE_TIMEOUT * 2)
    assert json.loads(out.read_text()) == {"sum": 55, "args": ["x"]}
    assert "spark-submit exited with code 3" in (task(servers, execution_id, "bad").error or "")
    working_dir = servers.home / "working_dir" / "spark_local" / str(execution_id)
    assert working_dir.is_dir() and not (working_dir / "metastore_db").exists()
    log = next(servers.home.glob("logs/spark_local/*/sql/1.log")).read_text()
    assert "--master local[1]" in log  # master is passed (the original never did)


CLUSTER = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.spark.spark_submit import SparkSubmitOperator

    with Workflow(name='spark_cluster') as workflow:
        for name, jar, main in (('good', {good!r}, 'AiflowDriver'),
                                ('failing', {failing!r}, 'AiflowFailingDriver')):
            SparkSubmitOperator(name=name, application=jar, master={master!r},
                                deploy_mode='cluster', executable_path={submit!r},
                                submit_options=f'--class {{main}}')
"""


def test_a_failing_cluster_mode_driver_fails_the_task_though_submit_exits_0(
    spark_cluster: SparkStandaloneCluster,
    servers_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    use_engine_env(monkeypatch, spark_cluster.env)
    servers: Servers = servers_factory()
    source = CLUSTER.format(
        good=str(spark_driver_jar(tmp_path)),
        failing=str(spark_failing_driver_jar(tmp_path)),
        master=spark_cluster.rest_url,
        submit=str(spark_cluster.engines.spark_submit),
    )
    execution_id = servers.run(source, "spark_cluster")
    servers.wait_tasks(
        execution_id, {"good": ["SUCCESS"], "failing": ["FAILED"]}, ENGINE_TIMEOUT * 2
    )
    failing = task(servers, execution_id, "failing")
    job = json.loads(failing.external_job or "{}")
    assert job["kind"] == "spark-standalone" and job["job_id"].startswith("driver-")
    assert f"Spark driver {job['job_id']} FAILED" in (failing.error or "")
    assert spark_cluster.driver_status(job["job_id"])["driverState"] == "FAILED"
