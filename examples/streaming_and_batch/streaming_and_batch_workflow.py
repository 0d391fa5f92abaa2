"""A Spark batch job trains a model; a task publishes it as an event; a Flink streaming
job that serves the model RESTARTs on that event, resuming from the savepoint its stop
took. Upload with the two job files:

    aiflow workflow upload streaming_and_batch_workflow.py \
        --files spark_train.py,flink_serve.py

FLINK_REST_ADDRESS names the Flink session cluster (default localhost:8081) and
SPARK_MASTER the Spark master (default local[1]); `flink` and `spark-submit` are found on
PATH, else in $FLINK_HOME/bin and $SPARK_HOME/bin.
"""

import os

from ai_flow.model.action import TaskAction
from ai_flow.model.workflow import Workflow
from ai_flow.notification.notification_client import AIFlowNotificationClient
from ai_flow.operators.flink import FlinkOperator
from ai_flow.operators.python import PythonOperator
from ai_flow.operators.spark.spark_submit import SparkSubmitOperator

NOTIFICATION_SERVER_URI = "localhost:50052"
FLINK_REST_ADDRESS = os.environ.get("FLINK_REST_ADDRESS", "localhost:8081")
SPARK_MASTER = os.environ.get("SPARK_MASTER", "local[1]")

HERE = os.path.dirname(os.path.abspath(__file__))
# Tasks run in the workflow execution's working directory: the model and the
# savepoints live there.
MODEL = os.path.abspath("model.json")
SAVEPOINTS = os.path.abspath("savepoints")


def publish_model():
    client = AIFlowNotificationClient(NOTIFICATION_SERVER_URI)
    try:
        client.send_event(key="new_model", value=MODEL)
    finally:
        client.close()


with Workflow(name="streaming_and_batch") as workflow:
    train = SparkSubmitOperator(
        name="train_model",
        application=os.path.join(HERE, "spark_train.py"),
        application_args=[MODEL],
        master=SPARK_MASTER,
    )
    publish = PythonOperator(name="publish_model", python_callable=publish_model)
    publish.start_after(train)

    serve = FlinkOperator(
        name="serve_model",
        application=os.path.join(HERE, "flink_serve.py"),
        application_args=[MODEL],
        command_options=f"-m {FLINK_REST_ADDRESS}",
        stop_with_savepoint=True,
        savepoint_dir=f"file://{SAVEPOINTS}",
        resume_from_savepoint=True,
        stop_timeout=120,
    )
    serve.action_on_event_received(TaskAction.RESTART, "new_model")
