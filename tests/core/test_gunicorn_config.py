"""gunicorn's settings (gunicorn_config.py): what `make run` and `make bench-load` start."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn_config.py"


def test_a_worker_freezes_its_heap_once_the_app_is_made():
    settings = runpy.run_path(str(CONFIG))
    assert settings["worker_class"] == "gthread"
    gc.unfreeze()
    try:
        before = gc.get_freeze_count()
        settings["post_worker_init"](object())
        assert before == 0 and gc.get_freeze_count() > 100_000  # this process's modules at least
        assert len(gc.get_objects()) < 1_000  # the collector now follows only what came since
    finally:
        gc.unfreeze()
