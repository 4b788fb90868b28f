"""A territory with its admin, for the legal pages' tests: the administration tests' own."""

from __future__ import annotations

from tests.admin.conftest import admin, admin_client, territory  # noqa: F401 (fixtures)
