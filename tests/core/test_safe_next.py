"""``next=``: every route that goes back somewhere after a form (follow, unfollow, mute, unmute,
log-in...) goes through the one ``app.security.safe_next``: only a path of this site, never another
host (open redirect), never a 500, whatever the value. The audit's values, then a fuzz."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.security import safe_next
from tests.factories import login_as, make_actor, make_territory, make_user
from tests.support.csrf import csrf_token

AUDIT = ["/\t/evil.test", "/\r/evil.test", "/\n/evil.test", "/\r\nSet-Cookie: x=1", "//evil.test",
         "/\\evil.test", "https://evil.test/", " //evil.test", "\t//evil.test",
         "///evil.test", "/\x00/evil.test", "javascript:alert(1)"]
# Local paths, however odd: a browser reads them as paths of this site (no host in them).
ODD_BUT_LOCAL = ["/%09/evil.test", "/\u3000/evil.test", "/%2F%2Fevil.test"]


def _is_local(location: str) -> bool:
    """A Location a browser resolves to this site: a path, not ``//host`` nor ``/\\host``,
    no scheme, no host, no control character (browsers drop tabs and newlines before parsing)."""
    cleaned = "".join(c for c in location if c not in "\t\r\n")
    parts = urlsplit(cleaned)
    return (cleaned.startswith("/") and not cleaned.startswith(("//", "/\\"))
            and not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in location))


@pytest.fixture
def town(app):
    territory = make_territory("laciotat", "La Ciotat", hosts=("localhost",))
    actor = make_actor(territory, "Fromagerie")
    citizen = make_user(territory)
    return actor, citizen


def _routes(actor) -> list[str]:
    return [f"/actors/{actor.slug}/follow", f"/actors/{actor.slug}/unfollow",
            f"/me/notifications/mutes/actors/{actor.id}", f"/me/notifications/mutes/actors/{actor.id}/unmute"]


@pytest.mark.parametrize("target", AUDIT)
def test_safe_next_keeps_nothing_but_a_local_path(target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_safe_next_keeps_a_local_path_and_its_query():
    assert safe_next("/actors/fromagerie?tab=news#x", "/f") == "/actors/fromagerie?tab=news#x"
    assert safe_next("/manage/publications/3", "/f", within="/manage/publications") == "/manage/publications/3"
    assert safe_next("/manage/pages", "/f", within="/manage/publications") == "/f"


def test_the_audits_values_on_follow_unfollow_and_mute_go_home_never_elsewhere_never_500(client, town):
    actor, citizen = town
    login_as(client, citizen)
    token = csrf_token(client, "/actors")
    for path in _routes(actor):
        for target in AUDIT:
            response = client.post(path, data={"csrf_token": token, "next": target})
            assert response.status_code == 303, (path, repr(target), response.status_code)
            location = response.headers["Location"]
            assert _is_local(location), (path, repr(target), location)
            assert "evil" not in location
        for target in ODD_BUT_LOCAL:
            response = client.post(path, data={"csrf_token": token, "next": target})
            assert response.status_code == 303 and _is_local(response.headers["Location"]), repr(target)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(target=st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("/\\\t\r\n .:@%?#evil.test\x00\x0b\x0c\u2028\u3000"), max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(["/", "//", "/\\", "\\", " /", "/\t/", "http:", "/%2F"]),
              st.text(max_size=20)),
), route=st.integers(min_value=0, max_value=3))
@example(target="/\t/evil.test", route=0)
@example(target="/\r\n/evil.test", route=2)
def test_fuzzed_next_is_a_local_path_or_the_fallback(client, town, target, route):
    actor, citizen = town
    login_as(client, citizen)
    token = csrf_token(client, "/actors")
    response = client.post(_routes(actor)[route], data={"csrf_token": token, "next": target})
    assert response.status_code == 303, (repr(target), response.status_code)
    assert _is_local(response.headers["Location"]), (repr(target), response.headers["Location"])
