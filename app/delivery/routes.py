"""Routes of the delivery domain."""

from app.delivery import bp  # noqa: F401
