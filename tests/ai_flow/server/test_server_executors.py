"""`task_executor` selects the backend the server runs tasks with."""

from __future__ import annotations

import pytest
from aiflow_servers import Servers, wait_until

from ai_flow.executor import MemoryTaskExecutor
from ai_flow.server import AIFlowServer, ServerStartError

SIMPLE = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='simple') as workflow:
        BashOperator(name='only', bash_command='echo hi')
"""


def test_a_class_path_selects_the_executor(servers_factory) -> None:  # noqa: ANN001
    servers: Servers = servers_factory(task_executor="ai_flow.executor:MemoryTaskExecutor")
    assert isinstance(servers.aiflow.executor, MemoryTaskExecutor)
    execution_id = servers.run(SIMPLE, "simple")
    executor = servers.aiflow.executor
    wait_until(lambda: executor.submitted, 10, "the START handed over")
    [(_handle, spec)] = executor.submitted
    assert (spec.workflow_execution_id, spec.task_name) == (execution_id, "only")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_such_module:Executor", "task_executor 'no_such_module:Executor' cannot be imported"),
        ("ai_flow.executor:ExecutorError", "is not a TaskExecutor subclass"),
    ],
)
def test_an_executor_that_cannot_be_made_is_one_clear_error(
    servers_factory,
    value: str,
    message: str,  # noqa: ANN001
) -> None:
    servers: Servers = servers_factory(aiflow=False)
    with pytest.raises(ServerStartError, match=message):
        AIFlowServer(servers.settings(task_executor=value), servers.home)
