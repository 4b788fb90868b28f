from app.accounts.passwords import (
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)


def test_password_hashes_are_argon2id_and_verify():
    hashed = hash_password("a quiet harbour at dawn")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a quiet harbour at dawn")
    assert not verify_password(hashed, "a quiet harbour at dusk")
    assert not verify_password(None, "anything at all")


def test_shipped_common_password_list_is_loaded():
    assert len(common_passwords()) > 19000
    assert "password" in common_passwords()


def test_password_policy(app):
    with app.test_request_context():
        assert password_problems("short") != []
        assert password_problems("x" * 65) != []
        assert password_problems("x" * 64 + "") == []
        assert password_problems("Password1") != []  # common, compared lower-cased
        assert password_problems("jeanne.dupont", "jeanne.dupont@example.org") != []
        assert password_problems("my jeanne.dupont 2024", "jeanne.dupont@example.org") != []
        assert password_problems("sea spray and pine trees", "jeanne.dupont@example.org") == []
