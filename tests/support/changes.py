"""What another process's (or another machine's) commit does to the caches of this one."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine

from app import changes


def announce_from_another_process(group: str, engine: Engine) -> None:
    """Touch the group's stamp file, as another process of the instance does; or, where the
    changes are shared through Redis, increment its counter, as another machine does."""
    counters = changes._shared.get(str(engine.url))
    if counters is not None:
        changes.SharedCounters(counters.redis_url, counters.namespace).bump((group,))
        return
    stamp = Path(changes._stamps[str(engine.url)][group])
    later = stamp.stat().st_mtime_ns + 1_000_000
    os.utime(stamp, ns=(later, later))


def seen_by_other_processes(group: str, engine: Engine) -> object:
    """What the other processes (or machines) read of the group's changes: its stamp file's
    time, or its counter in Redis."""
    counters = changes._shared.get(str(engine.url))
    if counters is not None:
        return changes.SharedCounters(counters.redis_url, counters.namespace).read((group,))
    return Path(changes._stamps[str(engine.url)][group]).stat().st_mtime_ns
