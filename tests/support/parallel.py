"""The suite on several processes (pytest-xdist, ``-n 2``): what each worker has to itself.

- SQLite: a file in the worker's own temporary folder (``tmp_path_factory`` is per worker).
- PostgreSQL (``TEST_DATABASE_URL``): a database per worker, the given one's name and the worker's
  (``test_gw0``, ``test_gw1``...), made on the same server when the worker starts, dropped when
  it ends. Without xdist the given database itself, as before.
- Redis (``TEST_REDIS_URL``): a database number per worker, counting down from the given one
  (``/15``, ``/14``...): a worker's ``limiter.reset()`` or queue flush never touches another's.
- Ports: servers bind port 0 or ``free_port()``, never a fixed number.
- What cannot be had alone, a PostgreSQL restart, runs inside ``Turnstile.alone()``: the other
  workers finish the test they are in and wait before their next one.
"""

from __future__ import annotations

import fcntl
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool


def worker_index(worker_id: str) -> int | None:
    """0 for xdist's ``gw0``...; None when the suite runs in one process (``master``)."""
    match = re.fullmatch(r"gw(\d+)", worker_id)
    return int(match.group(1)) if match else None


@contextmanager
def worker_database(url: str, worker_id: str) -> Iterator[str]:
    """The URL of a PostgreSQL database of this worker's own, new (a leftover of an interrupted
    run is dropped first), dropped afterwards."""
    if worker_index(worker_id) is None:
        yield url
        return
    given = make_url(url)
    name = f"{given.database}_{worker_id}"
    # A new connection each time: one kept from the start would not outlive a server restart.
    server = create_engine(given, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield given.set(database=name).render_as_string(hide_password=False)
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


def worker_redis_url(url: str, worker_id: str) -> str:
    """The given Redis URL with this worker's database number (the given one minus its index)."""
    index = worker_index(worker_id)
    if not url or index is None:
        return url
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) - index
    assert number >= 0, f"{url}: too few Redis databases below it for worker {worker_id}"
    return urlunsplit(parts._replace(path=f"/{number}"))


def free_port() -> int:
    """A loopback port nobody listens on now (for a server whose port must be known before it
    starts; one that can bind port 0 itself should)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Turnstile:
    """Every test of every worker runs inside ``running()`` (a shared lock); a test that must be
    alone for a moment takes ``alone()``: the gate closes, so that no other test starts, then it
    waits for the tests in progress to end. Locks are held by open files in a folder the
    workers share, and end with the process."""

    def __init__(self, folder: Path) -> None:
        self._gate: IO[str] = (folder / "gate.lock").open("a")
        self._running: IO[str] = (folder / "running.lock").open("a")

    @contextmanager
    def running(self) -> Iterator[None]:
        fcntl.flock(self._gate, fcntl.LOCK_SH)  # not while another test is alone
        fcntl.flock(self._running, fcntl.LOCK_SH)
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._running, fcntl.LOCK_UN)

    @contextmanager
    def alone(self) -> Iterator[None]:
        """From inside ``running()``: until the block ends, no other worker is in a test."""
        fcntl.flock(self._running, fcntl.LOCK_UN)  # two waiting at once must not block each other
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        fcntl.flock(self._running, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._running, fcntl.LOCK_SH)
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    def close(self) -> None:
        self._gate.close()
        self._running.close()
