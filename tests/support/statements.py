"""The SQL statements a block of a test sent to the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent to ``engine`` within the block, in order (the list fills as it runs)."""
    statements: list[str] = []

    def listener(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)
