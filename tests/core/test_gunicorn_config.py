"""gunicorn's settings (gunicorn_config.py): what `make run` and `make bench-load` start."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

from babel import localedata

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn_config.py"


def test_a_worker_freezes_its_heap_once_the_app_is_made():
    settings = runpy.run_path(str(CONFIG))
    assert settings["worker_class"] == "gthread"
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        before = gc.get_freeze_count()
        settings["post_worker_init"](object())
        assert before == 0 and gc.get_freeze_count() > 100_000  # this process's modules at least
        assert len(gc.get_objects()) < 1_000  # the collector now follows only what came since
        # A young generation that holds a few pages, not a fraction of one.
        assert gc.get_threshold() == (50_000, 20, 10)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_the_collector_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_GC_THRESHOLDS", "20000,10,5")
    assert runpy.run_path(str(CONFIG))["gc_thresholds"] == (20_000, 10, 5)


def test_a_worker_reads_the_languages_and_compiles_the_templates_before_its_first_page(app):
    """What the first pages of a new process did while the requests behind them waited."""
    settings = runpy.run_path(str(CONFIG))
    localedata._cache.clear()  # babel's CLDR data, read on first use
    app.jinja_env.cache.clear()
    compiled = lambda: {key[1] for key in app.jinja_env.cache.keys()}  # noqa: E731
    assert "publications/_card.html" not in compiled()
    thresholds = gc.get_threshold()
    try:
        settings["post_worker_init"](SimpleNamespace(wsgi=app))
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert {"fr", "nl", "en"} <= set(localedata._cache)
    assert {"base.html", "publications/_card.html", "feed/everything.html"} <= compiled()
