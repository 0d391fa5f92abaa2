"""Flink: ``ai_flow.operators.flink.FlinkOperator`` (also ``...flink.flink_operator``)."""

from ai_flow.operators.flink.flink_operator import FlinkOperator

__all__ = ["FlinkOperator"]
