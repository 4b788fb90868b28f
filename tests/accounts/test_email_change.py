"""Changing the e-mail address needs the password; the new address is confirmed again and the old
one is told."""

from app.extensions import db
from tests.accounts.conftest import is_logged_in, link_in, log_in, post_form
from tests.factories import PASSWORD, make_territory, make_user


def change_email(client, email, password=PASSWORD):  # type: ignore[no-untyped-def]
    return post_form(client, "/me/email", {"email": email, "current_password": password})


def test_a_person_changes_their_address_and_confirms_the_new_one(client, territory, outbox):
    lea = make_user(territory, email="lea@example.org", display_name="Léa")
    log_in(client, "lea@example.org", PASSWORD)

    response = change_email(client, "Lea.New@Example.org")
    assert response.status_code == 303
    db.session.refresh(lea)
    assert lea.email == "lea.new@example.org"
    assert lea.email_verified_at is None

    to_new, to_old = sorted(outbox, key=lambda m: m["To"] != "lea.new@example.org")
    assert to_new["To"] == "lea.new@example.org"
    assert to_old["To"] == "lea@example.org"
    assert to_old["Subject"] == "The e-mail address of your account was changed"
    notice = to_old.get_body(preferencelist=("plain",)).get_content()
    assert "contact the town's team" in notice
    assert "lea.new" not in notice  # the old address learns of the change, not the new address

    assert "Please confirm your e-mail address" in client.get("/me").get_data(as_text=True)
    assert client.get(link_in(to_new, "/verify/")).status_code == 303
    db.session.refresh(lea)
    assert lea.email_verified_at is not None

    post_form(client, "/logout")
    assert log_in(client, "lea.new@example.org", PASSWORD).status_code == 303
    assert log_in(client, "lea@example.org", PASSWORD).status_code == 422


def test_a_wrong_password_changes_nothing(client, territory, outbox):
    lea = make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    response = change_email(client, "lea.new@example.org", password="not my password at all")
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    db.session.refresh(lea)
    assert lea.email == "lea@example.org" and lea.email_verified_at is not None
    assert outbox == []


def test_an_address_used_by_another_account_here_is_refused_without_details(
    client, territory, outbox
):
    make_user(territory, email="lea@example.org")
    make_user(territory, email="taken@example.org", display_name="Marc")
    log_in(client, "lea@example.org", PASSWORD)

    response = change_email(client, "Taken@example.org")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This e-mail address cannot be used for your account. Choose another one." in page
    assert "Marc" not in page
    assert outbox == []


def test_an_address_used_in_another_territory_is_free_here(client, territory, outbox):
    elsewhere = make_territory("b", "Montgenèvre", hosts=("b.localhost",))
    make_user(elsewhere, email="lea.new@example.org")
    make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    assert change_email(client, "lea.new@example.org").status_code == 303
    assert len(outbox) == 2


def test_the_same_address_and_a_wrong_password_for_a_taken_address(client, territory, outbox):
    make_user(territory, email="lea@example.org")
    make_user(territory, email="taken@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    same = change_email(client, "lea@example.org")
    assert same.status_code == 422
    assert "This is already your e-mail address." in same.get_data(as_text=True)
    # Without the password, nothing is said about whether the address is taken.
    guessing = change_email(client, "taken@example.org", password="not my password at all")
    assert guessing.status_code == 422
    assert "cannot be used" not in guessing.get_data(as_text=True)
    assert outbox == []


def test_a_reset_link_sent_to_the_old_address_stops_working(client, app, territory, outbox):
    make_user(territory, email="lea@example.org")
    post_form(app.test_client(), "/password/forgot", {"email": "lea@example.org"})
    reset_link = link_in(outbox[0], "/password/reset/")
    log_in(client, "lea@example.org", PASSWORD)

    assert change_email(client, "lea.new@example.org").status_code == 303
    assert app.test_client().get(reset_link).status_code == 400


def test_changing_the_address_needs_to_be_logged_in(client, territory):
    response = client.get("/me/email")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not is_logged_in(client)
