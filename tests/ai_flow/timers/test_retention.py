"""History retention: old finished executions are purged with their files."""

from __future__ import annotations

from aiflow_servers import Servers
from sqlalchemy import update

from ai_flow import ops
from ai_flow.metadata import WorkflowExecutionRow, write_session
from notification_service.util.clock import now_ms

WORKFLOW = """
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='quick') as quick:
        BashOperator(name='hello', bash_command='echo hello')

    with Workflow(name='long') as long_workflow:
        BashOperator(name='sleeper', bash_command='sleep 60')
"""

DAY_MS = 24 * 3600 * 1000


def test_purge_removes_old_finished_executions_and_their_files(servers: Servers) -> None:
    servers.upload(WORKFLOW)
    old, recent = (ops.start_workflow_execution("quick") for _ in range(2))
    running = ops.start_workflow_execution("long")
    for execution_id in (old, recent):
        servers.wait_execution(execution_id, "SUCCESS")
    servers.wait_tasks(running, {"sleeper": ["RUNNING"]})
    with write_session(servers.db()) as s:
        s.execute(
            update(WorkflowExecutionRow)
            .where(WorkflowExecutionRow.id.in_([old, running]))
            .values(end_date=now_ms() - 31 * DAY_MS)
        )
    logs, work = servers.home / "logs", servers.home / "working_dir"
    assert (logs / "quick" / str(old) / "hello" / "1.log").exists()

    assert servers.aiflow.timers.purge_history() == 1
    assert ops.get_workflow_execution(old) is None
    assert ops.list_task_executions(recent)
    assert not (logs / "quick" / str(old)).exists()
    assert not (work / "quick" / str(old)).exists()
    # Recent and running executions are kept, with their files.
    assert (logs / "quick" / str(recent) / "hello" / "1.log").exists()
    assert ops.get_workflow_execution(running).status == "RUNNING"
    assert servers.aiflow.timers.purge_history() == 0
