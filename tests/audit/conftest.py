"""The commerce audit's rounds: a town with its admin, a second town on another host, and a
helper that scores a whole round."""

from __future__ import annotations

from datetime import date

import pytest

from app.audit import services_rounds as services
from app.audit.journey import ANGLES
from tests.factories import NEGLIGIBLE_NOISE, login_as, make_territory, make_user


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",), **NEGLIGIBLE_NOISE)


@pytest.fixture
def other_town(app):
    return make_territory("other", "Other Town", hosts=("other.localhost",), **NEGLIGIBLE_NOISE)


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


def score_all(audit_round, level_of=lambda step_index, angle_index: 2, complete: bool = True):
    """Assess every cell of ``audit_round``: ``level_of(step index, angle index)``."""
    for i, step in enumerate(services.round_steps(audit_round)):
        services.save_step(audit_round, step, {
            code: services.Assessment(level_of(i, j), f"evidence {i}-{j}", f"notes {i}-{j}")
            for j, (code, _name, _hint) in enumerate(ANGLES)
        })
    if complete:
        assert services.complete(audit_round) == []
    return audit_round


def completed_round(territory, title="Spring audit", held_on=date(2026, 4, 1), level_of=lambda i, j: 2):
    return score_all(services.create_round(territory, title, held_on), level_of)


def opted_in_town(n: int, level: int):
    """Another town that compares its rounds, with a completed round scored ``level`` everywhere."""
    town = make_territory(f"town{n}", f"Town {n}", hosts=(f"town{n}.localhost",), **NEGLIGIBLE_NOISE)
    services.set_compares(town, True)
    completed_round(town, level_of=lambda i, j: level)
    return town
