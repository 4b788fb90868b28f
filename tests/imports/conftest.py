from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.imports.feeds import FeedServer, serving


@pytest.fixture
def feeds(app: Flask) -> Iterator[FeedServer]:
    """A local feed server the app may reach (only because the test lists it)."""
    with serving() as (server, host_port):
        app.config["OUTBOUND_ALLOWED_PRIVATE"] = (host_port,)
        yield server
