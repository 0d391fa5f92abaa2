"""Notification service: a durable event log with dense offsets, served over gRPC."""

__version__ = "0.1.0"
