"""Spark: ``ai_flow.operators.spark.spark_submit.SparkSubmitOperator`` and
``ai_flow.operators.spark.spark_sql.SparkSqlOperator``."""

from ai_flow.operators.spark.spark_sql import SparkSqlOperator
from ai_flow.operators.spark.spark_submit import SparkSubmitOperator

__all__ = ["SparkSqlOperator", "SparkSubmitOperator"]
