"""A person's session is kept per process between their requests (app.accounts.sessions, on
SQLite, and on PostgreSQL where Redis shares which data changed): most requests read no row to
know who asks, yet a revoked session, a changed account or a new membership counts at the very
next request, here or announced by another process or machine."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app import changes
from app.accounts import sessions
from app.accounts.models import AuthSession, User
from app.extensions import db
from app.models_common import utcnow
from tests.accounts.conftest import is_logged_in, log_in, post_form
from tests.factories import PASSWORD, login_as, make_actor, make_member, make_user
from tests.support.changes import announce_from_another_process
from tests.support.statements import statements_sent


@pytest.fixture(autouse=True)
def _nothing_kept(app):  # type: ignore[no-untyped-def]
    sessions.forget_kept_sessions()


@pytest.fixture
def kept_here(app):  # type: ignore[no-untyped-def]
    if not sessions.keeps_per_person():
        pytest.skip("sessions are kept where every machine sees each write (SQLite, or Redis)")


def _statements(client, path="/me"):  # type: ignore[no-untyped-def]
    """The response and every statement the request sent."""
    with statements_sent(db.engine) as statements:
        response = client.get(path)
    return response, statements


def _get(client, path="/me"):  # type: ignore[no-untyped-def]
    """The response and the statements that asked for a session."""
    response, statements = _statements(client, path)
    return response, [s for s in statements if "FROM auth_session" in s]


def _behind_the_back(statement) -> None:  # type: ignore[no-untyped-def]
    """A write no process of the app noticed (a connection of its own, unnoticed)."""
    with db.engine.connect() as other:
        other.execution_options(**{changes.UNNOTICED: True}).execute(statement)
        other.commit()


def _announce_from_another_process(group: str) -> None:
    announce_from_another_process(group, db.engine)


def test_the_next_request_reads_no_session_row(client, territory, kept_here):
    login_as(client, make_user(territory, display_name="Léa"))

    first, asked_first = _get(client)
    again, asked_again = _get(client, "/actors")

    assert first.status_code == again.status_code == 200
    assert len(asked_first) == 1 and asked_again == []
    assert "Léa" in again.get_data(as_text=True)


def test_logging_out_everywhere_else_ends_a_kept_session_at_its_next_request(
    client, app, territory
):
    make_user(territory, email="lea@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    log_in(client, "lea@example.org", PASSWORD)
    assert is_logged_in(phone) and is_logged_in(phone)  # kept

    assert post_form(client, "/me/sessions/log-out-others").status_code == 303

    assert not is_logged_in(phone)
    assert is_logged_in(client)


def test_a_revocation_by_another_process_counts_at_the_next_request(
    client, territory, app, kept_here
):
    person = make_user(territory)
    login_as(client, person)
    assert is_logged_in(client) and _get(client)[1] == []  # kept

    # Another process (or machine) revokes the session, then announces it.
    _behind_the_back(
        update(AuthSession).where(AuthSession.user_id == person.id).values(revoked_at=utcnow())
    )
    assert is_logged_in(client)  # kept: nobody said anything yet
    _announce_from_another_process("accounts")

    assert not is_logged_in(client)


def test_an_account_change_and_a_new_membership_count_at_once(client, territory):
    person = make_user(territory, display_name="Léa")
    login_as(client, person)
    assert "Léa" in _get(client)[0].get_data(as_text=True)

    person.display_name = "Léa Martin"
    db.session.commit()
    shop = make_actor(territory, "Epicerie Verte")
    make_member(person, shop)

    response, asked = _get(client, "/actors")
    html = response.get_data(as_text=True)
    assert "Léa Martin" in html and "Epicerie Verte" in html
    assert len(asked) == 1  # read anew


def test_the_last_seen_time_is_written_but_empties_no_kept_session(
    client, app, territory, kept_here
):
    lea, tom = make_user(territory), make_user(territory)
    login_as(client, lea)
    other = app.test_client()
    login_as(other, tom)
    assert is_logged_in(client) and is_logged_in(other)  # both kept
    # Léa's session last used long ago, in the database (behind the app's back) and as kept.
    long_ago = utcnow() - sessions.TOUCH_EVERY - timedelta(minutes=1)
    _behind_the_back(
        update(AuthSession).where(AuthSession.user_id == lea.id).values(last_seen_at=long_ago)
    )
    for entry in sessions._kept.values():
        if entry[3].id == lea.id:
            set_committed_value(entry[2], "last_seen_at", long_ago)
    versions = changes.version("accounts", db.engine)

    response, asked = _get(client)

    assert response.status_code == 200 and asked == []  # kept, and touched
    db.session.expire_all()
    seen = db.session.scalar(select(AuthSession.last_seen_at).where(AuthSession.user_id == lea.id))
    assert seen > long_ago + timedelta(minutes=1)
    assert db.session.get(User, lea.id).last_seen_at == seen
    assert changes.version("accounts", db.engine) == versions  # the touch invalidated nothing
    assert _get(other)[1] == []  # Tom's session still kept
    assert _get(client)[1] == []  # and Léa's, with its new time


def test_a_session_idle_too_long_is_refused_even_when_kept(client, app, territory):
    app.config["SESSION_IDLE_MINUTES"] = 30
    person = make_user(territory)
    login_as(client, person)
    assert is_logged_in(client)
    db.session.execute(
        AuthSession.__table__.update().values(last_seen_at=utcnow() - timedelta(minutes=31))
    )
    db.session.commit()
    assert not is_logged_in(client)


def test_an_inbox_written_leaves_the_session_kept_and_reads_the_count_alone_once(
    client, app, territory, kept_here
):
    """A campaign writing inboxes changes the "inbox" group at every batch: the kept sessions stay
    kept, and a person's unread count alone is read again, once, then kept with their session."""
    from app.delivery.models import InboxItem

    person = make_user(territory)
    login_as(client, person)
    assert is_logged_in(client) and _get(client)[1] == []  # kept

    db.session.add(InboxItem(user_id=person.id, territory_id=territory.id, title="Coupure d'eau"))
    db.session.commit()

    def page():  # type: ignore[no-untyped-def]
        response, statements = _statements(client)
        return response.get_data(as_text=True), statements

    html, asked = page()
    assert not [s for s in asked if "FROM auth_session" in s]  # the session stays kept
    assert len([s for s in asked if "FROM inbox_item" in s]) == 1  # the count, alone
    assert '<span class="unread-count">1<' in html
    html, asked = page()
    assert not [s for s in asked if "inbox_item" in s or "auth_session" in s]  # both kept
    assert '<span class="unread-count">1<' in html
