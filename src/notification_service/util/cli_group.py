"""A click group that imports a sub-command only when it is run (or its help is shown).

A command line pays for what it runs: `aiflow version` must not import gRPC, and
`notification event send` must not import SQLAlchemy and Alembic. Known errors become
one `Error:` line and exit 1; which ones are known is also imported only on an error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """`lazy` maps a sub-command's name to ``"module:attribute"``; `known_errors`
    returns the exception classes whose str() is a one-line message for the user, and
    `translate` may turn another exception into a ClickException (or return None)."""

    def __init__(
        self,
        *args: Any,
        lazy: Mapping[str, str] | None = None,
        known_errors: Callable[[], tuple[type[BaseException], ...]] = tuple,
        translate: Callable[[BaseException], click.ClickException | None] = lambda exc: None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy or {})
        self._known_errors = known_errors
        self._translate = translate

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy.get(cmd_name)
        if target is not None and cmd_name not in self.commands:
            module, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is not None:
                raise translated from None
            if isinstance(exc, self._known_errors()):
                raise click.ClickException(str(exc)) from None
            raise


def first_line_of_database_error(exc: BaseException) -> click.ClickException | None:
    """A driver's multi-line message (SQL, background links) as its first line."""
    from sqlalchemy.exc import SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return click.ClickException(f"database error: {first}")
