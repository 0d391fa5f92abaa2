"""Every workflow-defining code sample of the docs evaluates and yields the documented shape.

The samples are copied from the docs (re-indented). Imports of the notification client
and of ``ai_flow.ops`` belong to other parts of AIFlow, so they are replaced by stubs:
the functions using them are never called while a workflow is being defined.
"""

from __future__ import annotations

import textwrap

from ai_flow.model.action import TaskAction
from ai_flow.model.internal.conditions import SingleEventCondition
from ai_flow.model.internal.memory_context import MemoryContext
from ai_flow.model.rule import WorkflowRule
from ai_flow.model.workflow import Workflow, collect_workflows
from notification_service.model.event import Event

_FOREIGN_IMPORTS = (
    "from ai_flow.notification.notification_client import",
    "from ai_flow import ops",
)


class _Stub:
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return _Stub


def exec_sample(source: str) -> dict[str, Workflow]:
    code = "\n".join(
        line
        for line in textwrap.dedent(source).splitlines()
        if not line.startswith(_FOREIGN_IMPORTS)
    )
    namespace = {
        "__name__": "spec_sample",
        "AIFlowNotificationClient": _Stub,
        "ListenerProcessor": _Stub,
        "Event": Event,
        "ops": _Stub(),
    }
    exec(compile(code, "<spec sample>", "exec"), namespace)
    return {w.name: w for w in collect_workflows(namespace)}


def test_quickstart():
    flows = exec_sample(
        """
        import time
        from ai_flow.model.action import TaskAction
        from ai_flow.notification.notification_client import AIFlowNotificationClient
        from ai_flow.operators.bash import BashOperator
        from ai_flow.operators.python import PythonOperator
        from ai_flow.model.workflow import Workflow
        EVENT_KEY = "key"
        def func():
            time.sleep(5)
            notification_client = AIFlowNotificationClient("localhost:50052")
            print(f"Sending event with key: {EVENT_KEY}")
            notification_client.send_event(key=EVENT_KEY,
                                           value='This is a custom message.')
        with Workflow(name='quickstart_workflow') as w1:
            task1 = BashOperator(name='task1', bash_command='echo I am the 1st task.')
            task2 = BashOperator(name='task2', bash_command='echo I am the 2nd task.')
            task3 = PythonOperator(name='task3', python_callable=func)
            task4 = BashOperator(name='task4', bash_command='echo I am the 4th task.')
            task3.start_after([task1, task2])
            task4.action_on_event_received(action=TaskAction.START, event_key=EVENT_KEY)
        """
    )
    wf = flows["quickstart_workflow"]
    assert list(wf.tasks) == ["task1", "task2", "task3", "task4"]
    assert wf.initial_tasks == ["task1", "task2"]
    assert [t for t, _ in wf.rules_expecting("key")] == ["task4"]


def test_tutorial_workflow_structure():
    flows = exec_sample(
        """
        from ai_flow.model.action import TaskAction
        from ai_flow.operators.python import PythonOperator
        from ai_flow.model.workflow import Workflow
        def preprocess(): pass
        def train(): pass
        def validate(): pass
        def deploy(): pass
        def predict(): pass
        with Workflow(name="online_machine_learning") as workflow:
            preprocess_task = PythonOperator(name="pre_processing",
                                             python_callable=preprocess)
            train_task = PythonOperator(name="training",
                                        python_callable=train)
            validate_task = PythonOperator(name="validating",
                                           python_callable=validate)
            deploy_task = PythonOperator(name="deploying",
                                         python_callable=deploy)
            predict_task = PythonOperator(name="predicting",
                                          python_callable=predict)
            train_task.action_on_event_received(action=TaskAction.START, event_key="data_prepared")
            validate_task.start_after(train_task)
            deploy_task.action_on_event_received(action=TaskAction.START,
                                                 event_key="model_validated")
        """
    )
    wf = flows["online_machine_learning"]
    assert wf.initial_tasks == ["pre_processing", "predicting"]


def test_declaring_workflows_and_status_rules():
    flows = exec_sample(
        """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name='workflow_name') as workflow:
            task1 = BashOperator(name='task_1',
                                 bash_command='echo I am the 1st task')
            task2 = BashOperator(name='task_2',
                                 bash_command='echo I am the 2nd task')
            task2.start_after([task1, ])
        """
    )
    assert flows["workflow_name"].initial_tasks == ["task_1"]

    flows = exec_sample(
        """
        from ai_flow.model.action import TaskAction
        from ai_flow.model.status import TaskStatus
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name='my_workflow') as workflow:
            task1 = BashOperator(name='task_1',
                                 bash_command='sleep 10')
            task2 = BashOperator(name='task_2',
                                 bash_command='sleep 20')
            task3 = BashOperator(name='task_3',
                                 bash_command='sleep 100')
            task3.action_on_task_status(action=TaskAction.STOP,
                                        upstream_task_status_dict={
                                            task1: TaskStatus.SUCCESS,
                                            task2: TaskStatus.SUCCESS
                                        })
        """
    )
    wf = flows["my_workflow"]
    assert wf.initial_tasks == ["task_1", "task_2", "task_3"]
    assert wf.rules["task_3"][0].action == TaskAction.STOP


def test_periodic_task():
    flows = exec_sample(
        """
        from ai_flow.model.workflow import Workflow
        from ai_flow.operators.bash import BashOperator
        with Workflow(name='periodic_task_example') as workflow:
            task1 = BashOperator(name='task_1',
                                 bash_command='echo I am the 1st task',
                                 periodic_expression='cron@*/1 * * * *')
            task2 = BashOperator(name='task_2',
                                 bash_command='echo I am the 2nd task',
                                 periodic_expression='interval@0 0 1 0')
            task3 = BashOperator(name='task_3',
                                 bash_command='echo I am the 3rd task')
            task3.start_after([task1, ])
        """
    )
    assert flows["periodic_task_example"].periodic_tasks == {
        "task_1": "cron@*/1 * * * *",
        "task_2": "interval@0 0 1 0",
    }


def test_single_event_rules_and_sending_events():
    single = """
        import time
        from ai_flow.model.action import TaskAction
        from ai_flow.model.workflow import Workflow
        from ai_flow.notification.notification_client import AIFlowNotificationClient
        from ai_flow.operators.bash import BashOperator
        from ai_flow.operators.python import PythonOperator
        def func():
            time.sleep(5)
            print('I am the 1st task')
            notification_client = AIFlowNotificationClient("localhost:50052")
            notification_client.send_event(key="key",
                                           value="")
        with Workflow(name='quickstart_workflow') as workflow:
            task1 = PythonOperator(name='task1', python_callable=func)
            task2 = BashOperator(name='task2', bash_command='echo I am the 2nd task.')
            task2.action_on_event_received(action=TaskAction.START, event_key="key")
        """
    sending = """
        from ai_flow.model.action import TaskAction
        from ai_flow.notification.notification_client import AIFlowNotificationClient
        from ai_flow.operators.bash import BashOperator
        from ai_flow.operators.python import PythonOperator
        from ai_flow.model.workflow import Workflow
        def func():
            notification_client = AIFlowNotificationClient("localhost:50052")
            notification_client.send_event(key="key",
                                           value='This is a custom message.')
        with Workflow(name='workflow') as workflow:
            task1 = PythonOperator(name='task1', python_callable=func)
            task2 = BashOperator(name='task2', bash_command='echo I am the 2nd task.')
            task2.action_on_event_received(action=TaskAction.START, event_key="key")
        """
    for source in (single, sending):
        [wf] = exec_sample(source).values()
        [(task, rule)] = wf.rules_expecting("key")
        assert task == "task2" and wf.initial_tasks == ["task1"]
        assert rule.trigger(Event(key="key", value=""), MemoryContext()) == TaskAction.START


def test_custom_rules_num_condition():
    flows = exec_sample(
        """
        import random
        import time
        from notification_service.model.event import Event
        from ai_flow.model.action import TaskAction
        from ai_flow.model.condition import Condition
        from ai_flow.model.context import Context
        from ai_flow.model.state import ValueState, ValueStateDescriptor
        from ai_flow.model.workflow import Workflow
        from ai_flow.notification.notification_client import AIFlowNotificationClient
        from ai_flow.operators.bash import BashOperator
        from ai_flow.operators.python import PythonOperator
        class NumCondition(Condition):
            def is_met(self, event: Event, context: Context) -> bool:
                state: ValueState = context.get_state(ValueStateDescriptor(name='num_state'))
                num = 0 if state.value() is None else int(state.value())
                num += int(event.value)
                if num >= 100:
                    return True
                else:
                    state.update(num)
                    return False
        def random_produce():
            notification_client = \\
                AIFlowNotificationClient(server_uri='localhost:50052')
            while True:
                num = random.randint(0, 9)
                notification_client.send_event(key='num_event', value=str(num))
                time.sleep(1)
        with Workflow(name='condition_workflow') as workflow:
            task1 = PythonOperator(name='producer',
                                   python_callable=random_produce)
            task2 = BashOperator(name='consumer',
                                 bash_command='echo Got 100 records.')
            task2.action_on_condition(action=TaskAction.START,
                                      condition=NumCondition(expect_event_keys=['num_event']))
        """
    )
    wf = flows["condition_workflow"]
    [rule] = wf.rules["consumer"]
    ctx = MemoryContext()
    fired = [rule.trigger(Event(key="num_event", value="9"), ctx) for _ in range(12)]
    assert fired == [None] * 11 + [TaskAction.START]  # 12 * 9 = 108 >= 100
    assert wf.describe()["rules"]["consumer"][0]["condition"]["class"].endswith("NumCondition")


def test_event_trigger_workflows():
    flows = exec_sample(
        """
        from ai_flow import ops
        from ai_flow.model.internal.conditions import SingleEventCondition
        from ai_flow.model.rule import WorkflowRule
        from ai_flow.model.workflow import Workflow
        from ai_flow.notification.notification_client import AIFlowNotificationClient
        from ai_flow.operators.bash import BashOperator
        from ai_flow.operators.python import PythonOperator
        def send_event():
            client = AIFlowNotificationClient(server_uri='localhost:50052')
            client.send_event(key='trigger_workflow', value=None)
        with Workflow(name='event_trigger_workflow_1') as w1:
            event_task = PythonOperator(name='event_task',
                                        python_callable=send_event)
        with Workflow(name='event_trigger_workflow_2') as w2:
            task1 = BashOperator(name='task1',
                                 bash_command='echo I am 1st task.')
        if __name__ == "__main__":
            ops.upload_workflows(__file__)
            trigger_rule = WorkflowRule(SingleEventCondition(expect_event_key="trigger_workflow"))
            ops.add_workflow_trigger(rule=trigger_rule, workflow_name='event_trigger_workflow_2')
            ops.start_workflow_execution('event_trigger_workflow_1')
        """
    )
    assert list(flows) == ["event_trigger_workflow_1", "event_trigger_workflow_2"]
    trigger_rule = WorkflowRule(SingleEventCondition(expect_event_key="trigger_workflow"))
    assert trigger_rule.trigger(Event(key="trigger_workflow"), MemoryContext())
