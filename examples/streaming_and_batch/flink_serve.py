"""The streaming job: serves the latest model (argv[1]) on an endless stream.

Its plan does not depend on the model, so a RESTART resumes it from the savepoint the
stop took; the model it picked up is printed to the task log."""

import json
import os
import sys

from pyflink.table import EnvironmentSettings, TableEnvironment

model_path = sys.argv[1] if len(sys.argv) > 1 else "model.json"
if os.path.exists(model_path):
    with open(model_path) as f:
        print(f"serving model version {json.load(f)['version']}", flush=True)
else:
    print("no model yet: serving the default", flush=True)

t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
config = t_env.get_config()
config.set("pipeline.name", "serve_model")
config.set("execution.checkpointing.interval", "2 s")
t_env.execute_sql(
    "CREATE TABLE requests (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')"
)
t_env.execute_sql("CREATE TABLE answers (n BIGINT) WITH ('connector' = 'blackhole')")
t_env.execute_sql("INSERT INTO answers SELECT n FROM requests")
