"""One rule for every part of the commerce audit: the town's admins and the accounts they invited
take part (rounds, the data inventory, the shops' answers as the town sees them); the invited see
no other admin page, and lose the audit when the invitation is revoked."""

from __future__ import annotations

from app.audit import services_rounds as services
from tests.factories import login_as, make_user

AUDIT_PAGES = ("/audit", "/admin/audit/data", "/admin/audit/data/coverage", "/admin/audit/shops")


def test_an_invited_manager_takes_part_in_every_part_of_the_audit_until_revoked(client, territory):
    manager = make_user(territory, email="manager@laciotat.example")
    login_as(client, manager)
    assert {path: client.get(path).status_code for path in AUDIT_PAGES} == dict.fromkeys(AUDIT_PAGES, 403)
    invitation = services.invite(territory, manager.email)
    assert {path: client.get(path).status_code for path in AUDIT_PAGES} == dict.fromkeys(AUDIT_PAGES, 200)
    assert client.get("/admin/data").status_code == 403  # no other admin page
    services.revoke(invitation)
    assert {path: client.get(path).status_code for path in AUDIT_PAGES} == dict.fromkeys(AUDIT_PAGES, 403)


def test_an_account_invited_elsewhere_does_not_take_part_here(client, territory, other_town):
    stranger = make_user(other_town, email="manager@other.example")
    services.invite(other_town, stranger.email)
    login_as(client, stranger)
    assert all(client.get(path).status_code in (403, 404, 302) for path in AUDIT_PAGES)
