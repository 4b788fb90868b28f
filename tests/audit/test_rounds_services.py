"""Rounds, scores, the heat map, the change since the previous round, the comparison with other
towns, invitations, attachments and the action plan, without HTTP."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.audit import indicators_rounds as indicators
from app.audit import services_rounds as services
from app.audit.journey import ANGLES, DEFAULT_STEPS
from app.audit.models_rounds import AuditRound
from app.audit.permissions import is_invited, may_edit_audit
from app.territories.scoping import get_in
from tests.audit.conftest import completed_round, opted_in_town
from tests.factories import NEGLIGIBLE_NOISE, make_actor, make_territory, make_user


def test_a_town_starts_with_the_default_steps_and_edits_them(territory):
    steps = services.steps(territory)
    assert [s.code for s in steps] == [code for code, _name in DEFAULT_STEPS]
    services.rename_step(steps[0], "Find us on the web")
    services.move_step(territory, steps[1], -1)
    added = services.add_step(territory, "Rest on a bench")
    services.set_retired(steps[3], True)
    active = services.steps(territory, include_retired=False)
    assert active[0].code == "plan_trip" and active[1].label == "Find us on the web"
    assert added in active and steps[3] not in active


def test_retiring_a_step_keeps_it_in_past_rounds(territory):
    past = completed_round(territory)
    parking = next(s for s in services.steps(territory) if s.code == "park")
    services.set_retired(parking, True)
    assert parking in services.round_steps(past)
    assert parking not in services.round_steps(services.create_round(territory, "Autumn", date(2026, 10, 1)))


def test_a_round_is_saved_halfway_and_resumed(territory):
    audit_round = services.create_round(territory, "Spring audit", date(2026, 4, 1))
    assert audit_round.status == "draft"
    first, second = services.round_steps(audit_round)[:2]
    for step in (first, second):
        services.save_step(audit_round, step, {code: services.Assessment(3, "seen", "") for code, _n, _h in ANGLES})
    assert audit_round.status == "in_progress"
    assert services.progress(audit_round) == (2, len(DEFAULT_STEPS))
    gaps = services.complete(audit_round)
    assert audit_round.status == "in_progress"
    assert [step.code for step, _angles in gaps] == [code for code, _name in DEFAULT_STEPS[2:]]
    assert len(gaps[0][1]) == 5


def test_not_assessed_is_not_a_score(territory):
    audit_round = services.create_round(territory, "Spring audit", date(2026, 4, 1))
    step = services.round_steps(audit_round)[0]
    services.save_step(audit_round, step, {"people": services.Assessment(None), "gdpr": services.Assessment(0)})
    assert services.progress(audit_round)[0] == 0
    heat = services.heat_map(audit_round)
    assert heat.cells[(step.id, "people")].maturity is None
    assert heat.cells[(step.id, "gdpr")].weak


def test_heat_map_averages_links_and_change_since_the_previous_round(territory):
    completed_round(territory, "2025", date(2025, 4, 1), level_of=lambda i, j: 2)
    latest = completed_round(territory, "2026", date(2026, 4, 1), level_of=lambda i, j: (i + j) % 5)
    heat = services.heat_map(latest)
    first = heat.steps[0]
    assert [c.maturity for c in heat.row(first)] == [0, 1, 2, 3, 4]
    assert [c.delta for c in heat.row(first)] == [-2, -1, 0, 1, 2]
    assert heat.step_averages[first.id] == 2.0
    assert heat.angle_averages["people"] == round(sum(i % 5 for i in range(9)) / 9, 1)
    assert all(c.maturity <= 1 for c in heat.weak) and all(c.maturity >= 3 for c in heat.strong)
    assert len(heat.weak) == sum(1 for i in range(9) for j in range(5) if (i + j) % 5 <= 1)
    assert heat.previous is not None and heat.previous.title == "2025"


def test_the_first_round_has_no_change(territory):
    heat = services.heat_map(completed_round(territory))
    assert heat.previous is None and all(c.delta is None for c in heat.cells.values())


def test_comparison_is_refused_below_the_minimum_and_shown_from_it(territory):
    assert services.comparison(territory) is None  # not opted in
    services.set_compares(territory, True)
    completed_round(territory, level_of=lambda i, j: 4)
    for n in range(services.COMPARISON_MIN_TOWNS - 1):
        opted_in_town(n, level=n % 3)
    not_opted = make_territory("quiet", "Quiet", hosts=("quiet.localhost",), **NEGLIGIBLE_NOISE)
    completed_round(not_opted, level_of=lambda i, j: 0)
    refused = services.comparison(territory)
    assert refused is not None and not refused.shown and refused.medians == {}
    assert refused.towns == services.COMPARISON_MIN_TOWNS - 1  # the town itself and a town not opted in are not counted
    opted_in_town(99, level=1)
    shown = services.comparison(territory)
    assert shown.shown and shown.towns == services.COMPARISON_MIN_TOWNS
    # Towns at 0, 1, 2, 0 and 1: the median is 1 (the town's own 4 is not in it).
    assert shown.medians[("find_online", "people")] == 1.0


def test_invited_accounts_may_edit_the_audit_until_revoked(territory, other_town):
    manager = make_user(territory, email="manager@laciotat.example")
    assert not may_edit_audit(manager, territory)
    invitation = services.invite(territory, "Manager@laciotat.example")
    assert is_invited(manager, territory)
    with pytest.raises(services.InvitationError):
        services.invite(territory, make_user(other_town, email="someone@other.example").email)
    services.revoke(invitation)
    assert not is_invited(manager, territory)


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(output, format="PNG")
    return output.getvalue()


def test_attachments_are_checked_and_scoped_to_their_round(territory, other_town):
    audit_round = services.create_round(territory, "Spring", date(2026, 4, 1))
    step = services.round_steps(audit_round)[0]
    image = services.add_attachment(audit_round, step, FileStorage(io.BytesIO(_png()), "photo.png"))
    pdf = services.add_attachment(audit_round, step, FileStorage(io.BytesIO(b"%PDF-1.4 minimal"), "study.pdf"))
    assert image.content_type == "image/webp" and image.filename == "photo.webp"
    assert pdf.content_type == "application/pdf"
    with pytest.raises(services.AttachmentError):
        services.add_attachment(audit_round, step, FileStorage(io.BytesIO(b"MZ\x90 not allowed"), "tool.exe"))
    other_round = services.create_round(other_town, "Theirs", date(2026, 4, 1))
    assert services.attachment_of(other_round, image.id) is None
    assert services.attachment_of(audit_round, image.id) == image


def test_another_towns_round_is_not_found(territory, other_town):
    theirs = services.create_round(other_town, "Theirs", date(2026, 4, 1))
    assert get_in(AuditRound, theirs.id, territory) is None


def test_an_action_keeps_its_indicators_baseline(territory):
    make_actor(territory, "Bakery", opening_hours_json='{"mon": [["08:00", "13:00"]]}', click_and_collect=True)
    make_actor(territory, "Florist")
    audit_round = completed_round(territory, level_of=lambda i, j: 1)
    step = services.round_steps(audit_round)[0]
    action = services.add_action(audit_round, services.ActionFields(
        step.id, "technology", "Help shops put their hours online", owner="Commerce service", budget_eur=1500,
        due_on=date(2026, 9, 30), indicator="shops_hours"))
    assert action.baseline == 50.0
    make_actor(territory, "Butcher", opening_hours_json='{"tue": [["08:00", "13:00"]]}')
    assert indicators.read(territory, "shops_hours").value == pytest.approx(66.7)
    assert action.baseline == 50.0
    assert indicators.read(territory, "shops_collect").value == pytest.approx(33.3)
    with pytest.raises(ValueError):
        services.add_action(audit_round, services.ActionFields(123456, "technology", "Nowhere"))


def test_people_indicators_are_released_figures(territory):
    reading = indicators.read(territory, "footfall")
    assert reading.value is None and str(territory.anonymity_floor) in reading.text  # "fewer than 11"
    assert indicators.read(territory, "campaign_reach").value is None
