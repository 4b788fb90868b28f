"""The town administrators issue Open311 keys (shown once, only a hash kept) and revoke them;
nobody else sees the page, and another town's key cannot be revoked from here."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.reports.models import Open311Key
from tests.factories import login_as, make_user
from tests.reports.helpers_open311 import make_town
from tests.support.csrf import csrf_token

PAGE = "/admin/reports/open311-keys"


def post_to_the_api(client: FlaskClient, key: str) -> int:
    return client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "pothole", "lat": "43.1752", "long": "5.6049"}).status_code


def test_an_administrator_issues_a_key_shown_once_and_revokes_it(app: Any, client: FlaskClient) -> None:
    town = make_town()
    admin = make_user(town.territory, "admin@town.test", is_admin=True, language="en")
    login_as(client, admin)
    token = csrf_token(client, PAGE)
    issued = client.post(PAGE, data={"csrf_token": token, "label": "Back office Voirie"})
    assert issued.status_code == 200
    shown = re.search(r'class="open311-key">([^<]+)<', issued.get_data(as_text=True)).group(1)
    row = db.session.scalar(select(Open311Key).where(Open311Key.label == "Back office Voirie"))
    assert row.key_hash == hashlib.sha256(shown.encode()).hexdigest()
    assert shown not in client.get(PAGE).get_data(as_text=True)  # only that once

    api = app.test_client()
    assert post_to_the_api(api, shown) == 200
    revoked = client.post(f"{PAGE}/{row.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert post_to_the_api(api, shown) == 403
    assert "revoked" in client.get(PAGE).get_data(as_text=True)


def test_the_keys_page_is_for_this_towns_administrators_only(app: Any, client: FlaskClient) -> None:
    town = make_town()
    citizen = make_user(town.territory, "citizen@town.test", language="en")
    assert client.get(PAGE).status_code in (302, 303)  # to the log-in
    login_as(client, citizen)
    assert client.get(PAGE).status_code == 404

    other = make_town("elsewhere", hosts=("b.localhost",))
    other_key = db.session.scalar(select(Open311Key).where(Open311Key.territory_id == other.territory.id))
    admin = make_user(town.territory, "admin@town.test", is_admin=True, language="en")
    admin_client = app.test_client()
    login_as(admin_client, admin)
    token = csrf_token(admin_client, PAGE)
    assert admin_client.post(f"{PAGE}/{other_key.id}/revoke", data={"csrf_token": token}).status_code == 404
    db.session.refresh(other_key)
    assert other_key.revoked_at is None
    assert admin_client.post(PAGE, data={"label": "No token"}).status_code == 400  # a form: CSRF applies
