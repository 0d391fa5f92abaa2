"""The batch job: 'trains' a model on Spark and writes it as JSON (argv[1])."""

import json
import sys
import time

from pyspark.sql import SparkSession

output = sys.argv[1]
spark = SparkSession.builder.appName("train_model").getOrCreate()
mean = spark.range(1, 1001).selectExpr("avg(id) AS mean").first()["mean"]
spark.stop()
with open(output, "w") as f:
    json.dump({"version": int(time.time() * 1000), "mean": mean}, f)
print(f"model written to {output}")
