"""The rounds' pages: who may open them, CSRF, a round walked a step per page, completion, the
heat map, the plan, attachments, and the exports read back by their own libraries."""

from __future__ import annotations

import io
from datetime import date

import pypdf
from openpyxl import load_workbook

from app.audit import services_rounds as services
from app.audit.journey import ANGLES
from tests.audit.conftest import completed_round, opted_in_town
from tests.factories import login_as, make_user
from tests.support.csrf import csrf_token


def _step_form(token: str, level: int | str, then: str = "next") -> dict[str, str]:
    data = {"csrf_token": token, "then": then}
    for code, _name, _hint in ANGLES:
        data[f"{code}_maturity"] = str(level)
        data[f"{code}_evidence"] = f"Evidence for {code}"
        data[f"{code}_notes"] = ""
    return data


def test_anonymous_people_log_in_and_citizens_are_refused(client, territory):
    assert client.get("/audit").status_code in (302, 303)
    citizen = make_user(territory, email="someone@laciotat.example")
    login_as(client, citizen)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/steps").status_code == 403


def test_a_round_is_walked_a_step_per_page_and_completed(admin_client, territory):
    token = csrf_token(admin_client, "/audit")
    response = admin_client.post("/audit/rounds", data={"csrf_token": token, "title": "Spring 2026", "held_on": "2026-04-01"})
    assert response.status_code == 303
    audit_round = services.rounds(territory)[0]
    steps = services.round_steps(audit_round)
    assert response.headers["Location"].endswith(f"/audit/rounds/{audit_round.id}/steps/{steps[0].id}")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 of 9 steps assessed" in page and "Save and next" in page
    response = admin_client.post(f"/audit/rounds/{audit_round.id}/steps/{steps[0].id}", data=_step_form(token, 1))
    assert response.headers["Location"].endswith(f"/steps/{steps[1].id}")
    response = admin_client.post(f"/audit/rounds/{audit_round.id}/complete", data={"csrf_token": token},
                                 follow_redirects=True)
    assert "cannot be completed yet" in response.get_data(as_text=True)
    assert steps[1].label in response.get_data(as_text=True)
    for step in steps[1:]:
        admin_client.post(f"/audit/rounds/{audit_round.id}/steps/{step.id}", data=_step_form(token, 3))
    response = admin_client.post(f"/audit/rounds/{audit_round.id}/complete", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/heat-map")
    heat = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "audit-level-1" in heat and "Emerging" in heat and "Add an action" in heat


def test_state_changes_need_the_csrf_token(admin_client, territory):
    assert admin_client.post("/audit/rounds", data={"title": "x", "held_on": "2026-04-01"}).status_code in (400, 422)
    audit_round = services.create_round(territory, "Spring", date(2026, 4, 1))
    step = services.round_steps(audit_round)[0]
    admin_client.post(f"/audit/rounds/{audit_round.id}/steps/{step.id}", data=_step_form("", 2))
    assert services.progress(audit_round)[0] == 0
    assert admin_client.post(f"/audit/rounds/{audit_round.id}/complete").status_code == 400


def test_invited_accounts_edit_rounds_but_not_the_other_admin_pages(client, admin_client, territory, outbox):
    manager = make_user(territory, email="manager@laciotat.example")
    token = csrf_token(admin_client, "/audit/people")
    assert admin_client.post("/audit/people", data={"csrf_token": token, "email": "manager@laciotat.example"}).status_code == 303
    assert "manager@laciotat.example" not in admin_client.get("/audit/people").get_data(as_text=True)
    (mail,) = outbox
    assert mail["To"] == "manager@laciotat.example" and "http://localhost/audit" in mail.get_content()
    audit_round = services.create_round(territory, "Spring", date(2026, 4, 1))
    login_as(client, manager)
    assert client.get(f"/audit/rounds/{audit_round.id}").status_code == 200
    assert client.get("/audit/people").status_code == 403
    assert client.get("/audit/steps").status_code == 403
    assert client.get("/admin").status_code == 403
    invitation = services.invitations(territory)[0][0]
    services.revoke(invitation)
    assert client.get(f"/audit/rounds/{audit_round.id}").status_code == 403


def test_another_towns_round_is_a_404(admin_client, territory, other_town):
    theirs = completed_round(other_town)
    step = services.round_steps(theirs)[0]
    for path in (f"/audit/rounds/{theirs.id}", f"/audit/rounds/{theirs.id}/heat-map", f"/audit/rounds/{theirs.id}/actions",
                 f"/audit/rounds/{theirs.id}/steps/{step.id}", f"/audit/rounds/{theirs.id}/export.pdf"):
        assert admin_client.get(path).status_code == 404, path


def test_attachments_are_served_only_within_their_round(admin_client, territory):
    audit_round = services.create_round(territory, "Spring", date(2026, 4, 1))
    other_round = services.create_round(territory, "Autumn", date(2026, 10, 1))
    step = services.round_steps(audit_round)[0]
    token = csrf_token(admin_client, f"/audit/rounds/{audit_round.id}/steps/{step.id}")
    response = admin_client.post(f"/audit/rounds/{audit_round.id}/steps/{step.id}/attachments",
                                 data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4 study"), "study.pdf")},
                                 content_type="multipart/form-data")
    assert response.status_code == 303
    attachment = services.attachments(audit_round)[0]
    served = admin_client.get(f"/audit/rounds/{audit_round.id}/attachments/{attachment.id}")
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert "attachment" in served.headers["Content-Disposition"]
    assert admin_client.get(f"/audit/rounds/{other_round.id}/attachments/{attachment.id}").status_code == 404


def test_an_action_from_a_weak_link_and_the_exports(admin_client, territory):
    audit_round = completed_round(territory, level_of=lambda i, j: 0 if (i, j) == (3, 0) else 3)
    parking = services.round_steps(audit_round)[3]
    form = admin_client.get(f"/audit/rounds/{audit_round.id}/actions/new?step={parking.id}&angle=people").get_data(as_text=True)
    assert f'<option selected value="{parking.id}">' in form or f'value="{parking.id}" selected' in form
    token = csrf_token(admin_client, f"/audit/rounds/{audit_round.id}/actions/new")
    response = admin_client.post(f"/audit/rounds/{audit_round.id}/actions/new", data={
        "csrf_token": token, "step_id": parking.id, "angle": "people", "title": "Parking wardens brief shops",
        "owner": "Police municipale, Société d’économie mixte", "budget_eur": "2500", "due_on": "2026-09-30", "status": "planned",
        "indicator": "shops_hours"})
    assert response.status_code == 303
    assert "Parking wardens brief shops" in admin_client.get(f"/audit/rounds/{audit_round.id}/actions").get_data(as_text=True)

    pdf = admin_client.get(f"/audit/rounds/{audit_round.id}/export.pdf")
    assert pdf.mimetype == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Parking wardens brief shops" in text and "Société d’économie mixte" in text  # accents: DejaVu is embedded
    assert "Absent" in text or "Absente" in text
    sheet = admin_client.get(f"/audit/rounds/{audit_round.id}/export.xlsx")
    assert "attachment" in sheet.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(sheet.data))
    scores, evidence, actions = book.worksheets
    assert scores.cell(row=5, column=2).value == 0 and scores.cell(row=2, column=2).value == 3
    assert actions.cell(row=2, column=1).value == "Parking wardens brief shops"
    assert actions.cell(row=2, column=6).value == 2500
    assert evidence.max_row == 1 + 9 * 5


def test_the_comparison_is_refused_with_a_reason(admin_client, territory):
    services.set_compares(territory, True)
    audit_round = completed_round(territory)
    page = admin_client.get(f"/audit/rounds/{audit_round.id}/heat-map").get_data(as_text=True)
    assert "comparison-refused" in page and f"at least {services.COMPARISON_MIN_TOWNS}" in page


def test_the_comparison_is_shown_from_the_minimum_without_naming_a_town(admin_client, territory):
    services.set_compares(territory, True)
    audit_round = completed_round(territory)
    towns = [opted_in_town(n, level=3) for n in range(services.COMPARISON_MIN_TOWNS)]
    page = admin_client.get(f"/audit/rounds/{audit_round.id}/heat-map").get_data(as_text=True)
    assert "comparison-refused" not in page and "2 / 3.0" in page
    assert not [town.name for town in towns if town.name in page]


def test_admins_rename_reorder_retire_and_add_steps(admin_client, territory):
    token = csrf_token(admin_client, "/audit/steps")
    first, second = services.steps(territory)[:2]
    admin_client.post(f"/audit/steps/{first.id}", data={"csrf_token": token, "change": "rename", "name": "Search the web"})
    admin_client.post(f"/audit/steps/{second.id}", data={"csrf_token": token, "change": "up"})
    admin_client.post(f"/audit/steps/{first.id}", data={"csrf_token": token, "change": "retire"})
    admin_client.post("/audit/steps", data={"csrf_token": token, "name": "Rest on a bench"})
    assert admin_client.post(f"/audit/steps/{first.id}", data={"change": "restore"}).status_code == 400  # no token
    steps = services.steps(territory)
    assert steps[0] == second and steps[1].label == "Search the web" and steps[1].retired
    assert steps[-1].label == "Rest on a bench"
    page = admin_client.get("/audit/steps").get_data(as_text=True)
    assert "Search the web" in page and "Rest on a bench" in page
