from app.accounts.passwords import (
    common_passwords,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from app.config import Config


def test_password_hashes_are_argon2id_and_verify(app):
    hashed = hash_password("a quiet harbour at dawn")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a quiet harbour at dawn")
    assert not verify_password(hashed, "a quiet harbour at dusk")
    assert not verify_password(None, "anything at all")


def test_production_hashes_passwords_with_argon2id_rfc_9106_low_memory_parameters(app):
    """The tests hash with argon2's cheapest parameters; production with RFC 9106's low-memory
    ones: argon2id, 64 MiB, 3 passes, 4 lanes. A hash keeps the parameters it was made with, so
    the tests' hashes still verify under production's, which hash them again at the next log-in."""
    cheap = hash_password("a quiet harbour at dawn")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    app.config["PASSWORD_HASH_PROFILE"] = Config.PASSWORD_HASH_PROFILE  # production's setting
    hashed = hash_password("a quiet harbour at dawn")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "a quiet harbour at dawn")
    assert not verify_password(hashed, "a quiet harbour at dusk")
    assert not verify_password(None, "anything at all")
    assert verify_password(cheap, "a quiet harbour at dawn")
    assert not verify_password(cheap, "a quiet harbour at dusk")
    assert needs_rehash(cheap) and not needs_rehash(hashed)


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
