"""The pair attack of the privacy audit, small and seeded, through the release engine (the
figures at scale: ``make bench-privacy``)."""

from __future__ import annotations

import math

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.releases.engine import reset_seeded_noise
from app.releases.models import CountRelease
from tests.factories import make_territory
from tests.support.privacy_attacks import pair_attack

TRIALS = 200
GOAL = 0.56


def test_one_pair_of_estimates_barely_beats_a_coin(app: Flask) -> None:
    app.config["RELEASE_NOISE_SEED"] = 2026  # the engine's seeded generator of the same law
    reset_seeded_noise()
    try:
        territory = make_territory()
        attack = pair_attack(territory, TRIALS)
    finally:
        reset_seeded_noise()

    # Every answer went through the engine: two stored releases per trial, one actor each.
    assert db.session.scalar(select(func.count()).select_from(CountRelease)) == 2 * TRIALS
    assert attack.trials == TRIALS
    rule, accuracy = attack.best()
    bound = GOAL + 4 * math.sqrt(0.25 / TRIALS)  # 0.70: 4 standard errors above the goal
    assert accuracy <= bound, f"{rule}: {accuracy:.3f} > {bound:.3f}"
    assert attack.optimum is not None and attack.optimum <= GOAL
