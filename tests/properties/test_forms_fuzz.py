"""Every form of the app, fuzzed: each POST endpoint of the URL map (and each GET page, with
random query parameters) is sent random and oversized values by the person it is for (a
citizen, an actor's owner acting as the actor, the town's administrator), the fields being read
from the page's own forms. Nothing may answer 500; a refusal (4xx) says why.

CSRF is switched off for the fuzzing (one app per test); ``test_a_post_without_the_csrf_token_is_refused``
proves that, switched on, every POST but the token-authenticated ones needs the token."""

from __future__ import annotations

import io
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, Rule

from app import create_app
from app.accounts.models import Consent, User
from app.actors.models import Actor, Membership
from app.campaigns.models import Campaign
from app.delivery.models import InboxItem
from app.extensions import csrf, db, limiter
from app.kiosks.models import KioskToken
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory
from tests.campaigns.conftest import add_citizens
from tests.factories import (
    login_as,
    make_actor,
    make_campaign,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_publication,
    make_territory,
)

POST_SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                HealthCheck.data_too_large])
GET_SETTINGS = settings(POST_SETTINGS, max_examples=4)
ERROR_MARKERS = ("field-error", 'role="alert"', "error-box", "flash-error", "has-error",
                 "This link does not work")


# --- the URL map -------------------------------------------------------------------------------

def _url_map() -> list[Rule]:
    """The routes, read at collection from an app of its own (so that one test per route can be
    named), whatever domains other work has added since."""
    app = create_app({"TESTING": True, "SECRET_KEY": "url-map", "SQLALCHEMY_URL": "sqlite://",
                      "INSTANCE_DIR": tempfile.mkdtemp(prefix="url-map-")})
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


RULES = sorted(_url_map(), key=lambda r: r.rule)
POST_RULES = [r for r in RULES if "POST" in (r.methods or ())]
GET_RULES = [r for r in RULES if "GET" in (r.methods or ())]


NOT_PAGES = ("/service-worker.js", "/manifest.webmanifest", "/theme.css", "/healthz")


def role_for(rule: str) -> str:
    """Who a page is for: the town's administrator, an actor's team, a visitor with a link
    (tokens, logging in), or a citizen."""
    if rule.startswith("/admin"):
        return "admin"
    if rule.startswith(("/manage", "/role")):
        return "owner"
    if rule.startswith(("/login", "/register", "/password", "/verify/<", "/unsubscribe", "/n/", "/r/",
                        "/kiosk", "/invitations")):
        return "visitor"
    return "citizen"


# --- a small town, cheap to build --------------------------------------------------------------

_seq = itertools.count(1)


@dataclass
class FuzzTown:
    territory: Territory
    actor: Actor
    pending_actor: Actor
    owner: User
    editor_membership: Membership
    admin: User
    citizen: User
    hashtag: Hashtag
    neighbourhood: Neighbourhood
    publication: Publication
    draft_campaign: Campaign
    sent_campaign: Campaign
    consent: Consent
    inbox_item: InboxItem
    kiosk: KioskToken

    def _repr_pretty_(self, printer, cycle) -> None:  # type: ignore[no-untyped-def]
        printer.text("<FuzzTown>")

    def path_value(self, name: str, role: str) -> Any:
        """A value for a path parameter: the person's own object, else something plausible."""
        values = {
            "campaign_id": self.draft_campaign.id,
            "publication_id": self.publication.id,
            "membership_id": self.editor_membership.id,
            "kiosk_id": self.kiosk.id,
            "actor_id": self.pending_actor.id if role == "admin" else self.actor.id,
            "hashtag_id": self.hashtag.id,
            "neighbourhood_id": self.neighbourhood.id,
            "consent_id": self.consent.id,
            "inbox_item_id": self.inbox_item.id,
            "slug": self.actor.slug,
            "step": "about",
            "size": 192,
            "user_id": self.citizen.id,
        }
        return values.get(name)

    def person(self, role: str) -> tuple[User | None, Actor | None]:
        return {
            "admin": (self.admin, None),
            "owner": (self.owner, self.actor),
            "citizen": (self.citizen, None),
            "visitor": (None, None),
        }[role]


def _cheap_user(territory: Territory, **fields: Any) -> User:
    n = next(_seq)
    user = User(territory_id=territory.id, email=f"fuzz{n}@example.org", password_hash="x",
                display_name=f"Person {n}", language="en", **fields)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def fuzz_town(app: Flask) -> FuzzTown:
    from app.models_common import utcnow

    territory = make_territory(timezone="Europe/Paris")
    actor = make_actor(territory, "Boulangerie du Port")
    pending = make_actor(territory, "Nouveau Club", status="pending")
    owner = _cheap_user(territory, email_verified_at=utcnow())
    make_member(owner, actor, role="owner")
    editor = _cheap_user(territory, email_verified_at=utcnow())
    membership = make_member(editor, actor, role="editor")
    admin = _cheap_user(territory, is_admin=True, email_verified_at=utcnow())
    citizen = _cheap_user(territory, email_verified_at=utcnow())
    hashtag = make_hashtag(territory, "bio")
    hood = make_neighbourhood(territory, "Port")
    publication = make_publication(actor, "Pain bio", hashtags=[hashtag])
    criteria = f'{{"match": "all", "rules": [{{"kind": "hashtags", "ids": [{hashtag.id}]}}]}}'
    draft = make_campaign(actor, status="draft", criteria_json=criteria, channels_csv="inbox")
    sent = make_campaign(actor, status="sent", criteria_json=criteria, channels_csv="inbox")
    consent = Consent(user_id=citizen.id, purpose="profile_targeting")
    inbox = InboxItem(user_id=citizen.id, territory_id=territory.id, actor_id=actor.id, title="Hello")
    kiosk = KioskToken(territory_id=territory.id, actor_id=actor.id, token_hash="0" * 64, label="Window")
    db.session.add_all([consent, inbox, kiosk])
    db.session.commit()
    add_citizens(territory, 3, hashtags=[hashtag], follows=actor)
    return FuzzTown(territory, actor, pending, owner, membership, admin, citizen, hashtag, hood, publication,
                    draft, sent, consent, inbox, kiosk)


@pytest.fixture
def fuzz_app(app: Flask) -> Iterator[Flask]:
    """This test's app without CSRF checks and rate limits (restored for the next app)."""
    app.config["WTF_CSRF_ENABLED"] = False
    enabled = limiter.enabled
    limiter.enabled = False
    try:
        yield app
    finally:
        limiter.enabled = enabled


def fill(rule: Rule, town: FuzzTown, role: str) -> str | None:
    values = {}
    for name in rule.arguments:
        value = town.path_value(name, role)
        if value is None:
            value = 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x"  # noqa: SLF001
        values[name] = value
    try:
        return rule.build(values, append_unknown=False)[1]  # type: ignore[index]
    except Exception:  # noqa: BLE001 - a rule that cannot be built is skipped
        return None


def client_as(app: Flask, town: FuzzTown, role: str) -> FlaskClient:
    """A fresh client (fresh cookies) logged in as the role's person, as at each example the
    previous one may have logged out, switched role or changed the session."""
    client = app.test_client()
    user, actor = town.person(role)
    if user is not None:
        if db.session.get(User, user.id) is None:  # deleted by an earlier example
            pytest.skip("the account was deleted by an earlier example")
        login_as(client, user, acting_actor=actor)
    return client


# --- reading the app's own forms ----------------------------------------------------------------

@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea"
    values: list[str]  # values offered by the page (options, checkbox values, current value)


def _merge(into: dict[str, Field], field: Field) -> None:
    known = into.setdefault(field.name, Field(field.name, field.kind, []))
    known.values += [v for v in field.values if v not in known.values]


class PageForms(HTMLParser):
    """Where a page's forms and htmx elements send, with the fields each one sends; and the
    fields of its GET forms (query parameters)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.posts: dict[str, dict[str, Field]] = {}
        self.queries: dict[str, Field] = {}
        self.links: list[str] = []
        self.form: dict[str, Field] | None = None
        self.form_targets: list[str] = []
        self.form_is_get = False
        self.select: str | None = None

    def _url(self, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "localhost":
            return None
        if not parts.path:
            return self.page
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _add(self, name: str, kind: str, value: str | None) -> None:
        if self.form is not None and name != "csrf_token":
            _merge(self.form, Field(name, kind, [] if value is None else [value]))

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "form":
            self._close_form()
            self.form, self.form_targets = {}, []
            self.form_is_get = (attrs.get("method") or "get").lower() == "get" and not attrs.get("hx-post")
            if not self.form_is_get:
                self.form_targets.append(self._url(attrs.get("action") or "") or "")
        if attrs.get("hx-post") is not None and tag != "form":
            target = self._url(attrs["hx-post"])
            if target and self.form is not None:
                self.form_targets.append(target)
            elif target:
                self.posts.setdefault(target, {})
        elif tag == "form" and attrs.get("hx-post"):
            self.form_targets.append(self._url(attrs["hx-post"]) or "")
        if tag in ("input", "textarea", "button") and attrs.get("name"):
            kind = "textarea" if tag == "textarea" else (attrs.get("type") or "text").lower()
            self._add(attrs["name"] or "", kind, attrs.get("value"))
        elif tag == "select" and attrs.get("name"):
            self.select = attrs["name"]
            self._add(self.select or "", "select", None)
        elif tag == "option" and self.select:
            self._add(self.select, "select", attrs.get("value", ""))
        elif tag == "a" and attrs.get("href"):
            link = self._url(attrs["href"])
            if link:
                self.links.append(link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._close_form()
        elif tag == "select":
            self.select = None

    def _close_form(self) -> None:
        if self.form is None:
            return
        if self.form_is_get:
            for field in self.form.values():
                _merge(self.queries, field)
        for target in filter(None, self.form_targets):
            bag = self.posts.setdefault(target, {})
            for field in self.form.values():
                _merge(bag, field)
        self.form = None

    def close(self) -> None:
        super().close()
        self._close_form()


@dataclass
class Harvest:
    posts: dict[str, dict[str, Field]]  # URL (path and query) -> fields
    queries: dict[str, dict[str, Field]]  # page path -> fields of its GET forms


_HARVESTS: dict[str, Harvest] = {}  # per role: the seeded town is the same in every test


def harvest(app: Flask, town: FuzzTown, role: str) -> Harvest:
    """Read every page meant for ``role`` (and the variants its links lead to, such as
    ``?kind=event``) and note what each of their forms sends where."""
    if role in _HARVESTS:
        return _HARVESTS[role]
    client = client_as(app, town, role)
    found = Harvest({}, {})
    pages = [fill(r, town, role) for r in GET_RULES if role_for(r.rule) == role and r.rule not in NOT_PAGES]
    queue = [p for p in pages if p]
    seen: set[str] = set()
    while queue and len(seen) < 80:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        response = client.get(page)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        reader = PageForms(page)
        reader.feed(response.get_data(as_text=True))
        reader.close()
        for target, fields in reader.posts.items():
            for field in fields.values():
                _merge(found.posts.setdefault(target, {}), field)
        for field in reader.queries.values():
            _merge(found.queries.setdefault(urlsplit(page).path, {}), field)
        # variants of a page read (the same path with a query), once
        queue += [link for link in reader.links
                  if "?" in link and urlsplit(link).path in pages and link not in seen][:4]
    _HARVESTS[role] = found
    return found


def endpoint_of(app: Flask, url: str, method: str) -> str | None:
    try:
        endpoint, _args = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except Exception:  # noqa: BLE001 - not a route of this method
        return None
    return str(endpoint)


GENERIC_FIELDS = [Field(name, "text", []) for name in ("name", "title", "body", "email", "value", "q", "id")]


def post_targets(app: Flask, town: FuzzTown, rule: Rule, role: str) -> list[tuple[str, list[Field]]]:
    """The URLs of this endpoint that the role's pages send forms to, with their fields; when no
    page shows one, the endpoint's URL with the person's own objects and common field names."""
    found = harvest(app, town, role)
    targets = [(url, list(fields.values()) or GENERIC_FIELDS) for url, fields in sorted(found.posts.items())
               if endpoint_of(app, url, "POST") == rule.endpoint]
    if targets:
        return targets
    path = fill(rule, town, role)
    return [(path, GENERIC_FIELDS)] if path else []


# --- values ------------------------------------------------------------------------------------

NASTY = st.one_of(
    st.text(max_size=20),
    st.sampled_from([
        "", " ", "\x00", "a\x00b", "-1", "0", "-2147483649", "9" * 30, "1e309", "NaN", "inf", "-inf", "1.5",
        "true", "on", "null", "[]", "{}", "<script>alert(1)</script>", "../../etc/passwd", "http://evil.example/",
        "javascript:alert(1)", "2024-02-30", "25:61", "9999-12-31T23:59", "0001-01-01T00:00", "2024-13-01",
        "\u202egnp.exe", "😀" * 50, "é" * 300, "x@y", "a" * 255 + "@example.org", "+" + "9" * 40,
    ]),
    st.just("x" * 10_000),
    st.just("é" * 10_000),
    st.integers(-(2**70), 2**70).map(str),
)


@st.composite
def value_for(draw: st.DrawFn, field: Field) -> Any:
    if field.kind == "file":
        content = draw(st.sampled_from([b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b"GIF89a", b"not an image",
                                        b"{}", b"<svg onload=alert(1)>", bytes(range(256))]))
        return (io.BytesIO(content), draw(st.sampled_from(["photo.png", "a.geojson", "x.svg", "", "../x.jpg"])))
    offered = st.sampled_from(field.values) if field.values else NASTY
    single = st.one_of(offered, offered, NASTY)
    return draw(st.one_of(single, single, single, st.lists(single, min_size=2, max_size=4)))


@st.composite
def submission(draw: st.DrawFn, fields: list[Field]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in fields:
        if draw(st.integers(0, 5)) == 0:
            continue  # a missing field
        data[field.name] = draw(value_for(field))
    if draw(st.integers(0, 4)) == 0:
        data[draw(st.sampled_from(["extra", "id", "territory_id", "user_id", "is_admin", "role"]))] = draw(NASTY)
    return data


# --- the answer --------------------------------------------------------------------------------

def assert_answer(response: Any, where: str) -> None:
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if 400 <= status < 500:
        body = response.get_data(as_text=True)
        content_type = response.content_type or ""
        if "json" in content_type:
            payload = response.get_json()
            # An error's message: ours, or an RFC 9457 problem's detail (the read API).
            assert isinstance(payload, dict) and (payload.get("error") or payload.get("message")
                                                  or payload.get("detail")), where
        elif "html" in content_type:
            assert any(marker in body for marker in ERROR_MARKERS), f"{where}: {status} without a message"
        else:
            assert body.strip(), f"{where}: {status} with an empty body"


def rule_id(rule: Rule) -> str:
    return rule.rule


@pytest.mark.parametrize("rule", POST_RULES, ids=rule_id)
def test_post_with_random_values_never_fails(fuzz_app: Flask, fuzz_town: FuzzTown, rule: Rule) -> None:
    role = role_for(rule.rule)
    targets = post_targets(fuzz_app, fuzz_town, rule, role)
    if not targets:
        pytest.skip("cannot build this URL")
    first_url, first_fields = targets[0]
    texts = [f.name for f in first_fields if f.kind != "file"]

    @POST_SETTINGS
    @given(sent=st.sampled_from(targets).flatmap(
        lambda target: st.tuples(st.just(target[0]), submission(target[1]))),
        how=st.sampled_from(["form", "form", "htmx", "json"]))
    @example(sent=(first_url, {}), how="form")
    @example(sent=(first_url, dict.fromkeys(texts, "x" * 10_000)), how="form")
    @example(sent=(first_url, dict.fromkeys(texts, ["\x00", "-1"])), how="htmx")
    @example(sent=(first_url, dict.fromkeys(texts, "a\x00b")), how="json")
    def post(sent: tuple[str, dict[str, Any]], how: str) -> None:
        url, data = sent
        client = client_as(fuzz_app, fuzz_town, role)
        headers = {"HX-Request": "true"} if how == "htmx" else {}
        if how == "json":  # what the app's scripts send to its JSON endpoints, tampered with
            body = {k: v for k, v in data.items() if not isinstance(v, tuple)}
            response = client.post(url, json=body, headers=headers)
        else:
            response = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
        assert_answer(response, f"POST {url}")
        db.session.rollback()

    post()


QUERY_NAMES = ["q", "page", "kind", "tag", "hashtag", "status", "date", "from", "to", "before", "after",
               "cursor", "lat", "lon", "radius", "sort", "filter", "neighbourhood", "actor", "step", "next"]


@pytest.mark.parametrize("rule", [r for r in GET_RULES if r.rule not in NOT_PAGES], ids=rule_id)
def test_get_with_random_query_parameters_never_fails(fuzz_app: Flask, fuzz_town: FuzzTown, rule: Rule) -> None:
    role = role_for(rule.rule)
    path = fill(rule, fuzz_town, role)
    if path is None:
        pytest.skip("cannot build this URL")
    names = sorted({*QUERY_NAMES, *harvest(fuzz_app, fuzz_town, role).queries.get(path, {})})

    @GET_SETTINGS
    @given(query=st.dictionaries(st.sampled_from(names), st.one_of(NASTY, st.lists(NASTY, max_size=3)), max_size=5),
           htmx=st.booleans())
    def get(query: dict[str, Any], htmx: bool) -> None:
        client = client_as(fuzz_app, fuzz_town, role)
        response = client.get(path, query_string=query, headers={"HX-Request": "true"} if htmx else {})
        assert_answer(response, f"GET {path}")
        db.session.rollback()

    get()


def test_a_post_without_the_csrf_token_is_refused(app: Flask, fuzz_town: FuzzTown) -> None:
    """With CSRF on (the app as deployed), every POST endpoint but those authenticated by a token
    of their own (push subscriptions from the service worker, links in messages) refuses a
    form without the token with 400."""
    checked = 0
    for rule in POST_RULES:
        view = app.view_functions[rule.endpoint]
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views:  # noqa: SLF001
            continue
        role = role_for(rule.rule)
        path = fill(rule, fuzz_town, role)
        if path is None:
            continue
        response = client_as(app, fuzz_town, role).post(path, data={"name": "x"})
        assert response.status_code == 400, f"POST {path}: {response.status_code}"
        assert "This request could not be understood" in response.get_data(as_text=True)
        checked += 1
    assert checked >= len(POST_RULES) // 2


# --- what the fuzzing found, kept as plain cases ------------------------------------------------

def test_switching_role_with_a_blank_or_huge_actor_id_is_refused(fuzz_app: Flask, fuzz_town: FuzzTown) -> None:
    client = client_as(fuzz_app, fuzz_town, "owner")
    assert client.post("/role", data={"actor_id": " "}).status_code == 303  # blank: back to citizen
    assert client.post("/role", data={"actor_id": "9" * 30}).status_code == 400


def test_confirming_an_sms_code_never_asked_for_says_so(fuzz_app: Flask, fuzz_town: FuzzTown) -> None:
    response = client_as(fuzz_app, fuzz_town, "citizen").post("/me/notifications/sms/confirm", data={})
    assert response.status_code == 422
    assert "Ask for a code first." in response.get_data(as_text=True)


def test_unpublishing_twice_keeps_the_first_reason(fuzz_app: Flask, fuzz_town: FuzzTown) -> None:
    client = client_as(fuzz_app, fuzz_town, "admin")
    url = f"/admin/publications/{fuzz_town.publication.id}/unpublish"
    prefix = f"p{fuzz_town.publication.id}"
    assert client.post(url, data={f"{prefix}-reason": "Spam"}).status_code == 303
    again = client.post(url, data={f"{prefix}-reason": ""}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and "Spam" in again.get_data(as_text=True)
    db.session.refresh(fuzz_town.publication)
    assert fuzz_town.publication.moderation_reason == "Spam"


def test_nul_characters_in_a_form_are_dropped_not_stored(fuzz_app: Flask, fuzz_town: FuzzTown) -> None:
    """PostgreSQL cannot store a NUL character: the form is checked without them."""
    client = client_as(fuzz_app, fuzz_town, "owner")
    url = f"/manage/publications/{fuzz_town.publication.id}/edit"
    response = client.post(url, data={"title": "Pain\x00 bio", "summary": "", "body_md": "Du\x00 pain",
                                      "hashtags": "", "action": "publish"})
    assert response.status_code == 303
    db.session.refresh(fuzz_town.publication)
    assert (fuzz_town.publication.title, fuzz_town.publication.body_md) == ("Pain bio", "Du pain")
