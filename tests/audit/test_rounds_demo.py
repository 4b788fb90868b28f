"""La Ciotat's demo ships with a completed audit round and a plan tied to its weak links."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import services_rounds as services
from app.extensions import db
from app.territories.models import Territory


def test_the_demo_town_has_a_completed_round_and_a_plan(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    la_ciotat = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
    (audit_round,) = services.rounds(la_ciotat)
    assert audit_round.status == "completed"
    heat = services.heat_map(audit_round)
    weak = {(cell.step.id, cell.angle) for cell in heat.weak}
    plan = services.actions(audit_round)
    assert 4 <= len(plan) <= 6
    assert all((action.step_id, action.angle) in weak for action in plan)
    assert heat.strong and all(cell.maturity is not None for cell in heat.cells.values())
    other = db.session.scalar(select(Territory).where(Territory.slug == "montgenevre"))
    assert services.rounds(other) == []
