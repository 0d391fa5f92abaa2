"""SparkSqlOperator: run SQL with `spark-sql` (client mode: the client is the job).

``sql`` is a statement (``-e``) or the path of a ``.sql`` file (``-f``). ``master`` is
passed (the original never did). Beyond the documented parameters, ``submit_options``
adds options, e.g. ``--conf spark.sql.catalogImplementation=in-memory``: without it
spark-sql's default Hive catalog leaves ``metastore_db/`` and ``derby.log`` in the
task's working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ai_flow.engines.environment import find_executable
from ai_flow.model.context import Context
from ai_flow.model.errors import WorkflowDefinitionError
from ai_flow.model.operator import AIFlowOperator
from ai_flow.operators._client import ClientProcess
from ai_flow.operators.spark._common import ClientJob, split_options


class SparkSqlOperator(AIFlowOperator):
    def __init__(
        self,
        name: str,
        sql: str,
        master: str = "yarn",
        application_name: str | None = None,
        executable_path: str | None = None,
        **kwargs: Any,
    ):
        if not isinstance(sql, str) or not sql.strip():
            raise WorkflowDefinitionError(
                f"SparkSqlOperator {name!r}: sql must be a non-empty string"
            )
        options = split_options(
            "SparkSqlOperator", name, "submit_options", kwargs.get("submit_options")
        )
        super().__init__(name, **kwargs)
        self.sql = sql
        self.master = master
        self.application_name = application_name or name
        self.executable_path = executable_path
        self.options = options
        self._job: ClientJob | None = None

    def command(self, spark_sql: str) -> list[str]:
        argv = [spark_sql, "--master", self.master, "--name", self.application_name]
        argv += self.options
        text = self.sql.strip()
        if text.endswith(".sql") and "\n" not in text and Path(text).is_file():
            return argv + ["-f", text]
        return argv + ["-e", self.sql]

    def start(self, context: Context) -> None:
        if self._job is not None and self._job.client.running():
            raise RuntimeError(f"Task {self.name!r} is already running")
        spark_sql = find_executable("spark-sql", self.executable_path)
        self._job = ClientJob(self.name, ClientProcess(self.command(spark_sql), {}))
        self._job.record(context)

    def await_termination(self, context: Context, timeout: float | None = None) -> None:
        if self._job is None:
            raise RuntimeError(f"Task {self.name!r} has not been started")
        self._job.await_exit(context, timeout, "spark-sql")

    def stop(self, context: Context) -> None:
        if self._job is not None:
            self._job.stop(context)

    def get_metrics(self, context: Context) -> dict[str, Any]:
        return self._job.metrics() if self._job is not None else {}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "sql": self.sql, "master": self.master}
