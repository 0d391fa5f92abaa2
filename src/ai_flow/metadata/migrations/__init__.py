"""Alembic migrations of the AIFlow metadata database."""
