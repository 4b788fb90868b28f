"""The default hashtag catalogue and ``flask territory create``."""

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.extensions import db
from app.territories.models import Hashtag, Territory
from app.territories.services import DEFAULT_HASHTAGS, is_sensitive_hashtag
from app.text import normalise_hashtag
from tests.factories import make_territory

# Written independently of the service's own list: words that reveal GDPR art. 9 data.
FORBIDDEN = [
    "religion", "eglise", "messe", "mosquee", "synagogue", "priere", "catholique", "islam", "culte",
    "politique", "election", "vote", "parti", "syndicat", "manif", "gauche", "droite",
    "sante", "maladie", "medecin", "hopital", "handicap", "cancer", "vaccin", "psy", "covid",
    "sexualite", "lgbt", "ethnie",
]


def test_default_catalogue_has_forty_local_life_tags_and_no_sensitive_one():
    assert len(DEFAULT_HASHTAGS) >= 40
    assert len(set(DEFAULT_HASHTAGS)) == len(DEFAULT_HASHTAGS)
    for tag in DEFAULT_HASHTAGS:
        assert normalise_hashtag(tag) == tag
        assert not is_sensitive_hashtag(tag), tag
        assert not any(word in tag for word in FORBIDDEN), tag
    for expected in ("bio", "theatre", "marche", "braderie", "benevolat", "ski", "plage"):
        assert expected in DEFAULT_HASHTAGS


def test_every_forbidden_word_is_recognised_as_sensitive():
    for word in FORBIDDEN:
        assert is_sensitive_hashtag(word), word
    assert not is_sensitive_hashtag("culture") and not is_sensitive_hashtag("participation")


def _create(runner, *extra, password="Calanques-et-cigales-2026"):
    return runner.invoke(args=[
        "territory", "create", "--slug", "cassis", "--name", "Cassis", "--host", "cassis.example",
        "--host", "www.cassis.example", "--admin-email", "Mairie@Cassis.example",
        "--admin-password", password, "--lat", "43.21", "--lon", "5.54", *extra,
    ])


def test_cli_creates_a_territory_whose_admin_can_log_in(runner, app):
    result = _create(runner)
    assert result.exit_code == 0, result.output
    assert "territory cassis created" in result.output
    territory = db.session.scalar(select(Territory).where(Territory.slug == "cassis"))
    assert sorted(h.hostname for h in territory.hosts) == ["cassis.example", "www.cassis.example"]
    assert territory.center_lat == 43.21 and territory.timezone == "Europe/Paris"
    tags = set(db.session.scalars(select(Hashtag.tag).where(Hashtag.territory_id == territory.id)))
    assert tags == set(DEFAULT_HASHTAGS)
    admin = db.session.scalar(select(User).where(User.territory_id == territory.id))
    assert admin.email == "mairie@cassis.example" and admin.is_admin and admin.email_verified
    assert verify_password(admin.password_hash, "Calanques-et-cigales-2026")


def test_cli_refuses_a_taken_slug_or_host_and_a_weak_password(runner, app):
    make_territory("laciotat", "La Ciotat", hosts=("cassis.example",))
    taken_host = _create(runner)
    assert taken_host.exit_code != 0 and "cassis.example" in taken_host.output
    weak = runner.invoke(args=[
        "territory", "create", "--slug", "cassis", "--name", "Cassis", "--host", "other.example",
        "--admin-email", "mairie@cassis.example", "--admin-password", "password"])
    assert weak.exit_code != 0 and ("common" in weak.output or "courant" in weak.output)
    taken_slug = runner.invoke(args=[
        "territory", "create", "--slug", "laciotat", "--name", "X", "--host", "x.example",
        "--admin-email", "a@x.example", "--admin-password", "Calanques-et-cigales-2026"])
    assert taken_slug.exit_code != 0 and "laciotat" in taken_slug.output
    bad_zone = runner.invoke(args=[
        "territory", "create", "--slug", "cassis", "--name", "Cassis", "--host", "other.example",
        "--admin-email", "a@x.example", "--admin-password", "Calanques-et-cigales-2026", "--timezone", "Nowhere/Land"])
    assert bad_zone.exit_code != 0 and "Nowhere/Land" not in bad_zone.output.split("Error:")[0]
    assert "time zone" in bad_zone.output.lower() or "fuseau" in bad_zone.output.lower()
    assert db.session.scalar(select(Territory).where(Territory.slug == "cassis")) is None
