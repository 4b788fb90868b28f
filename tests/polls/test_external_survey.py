"""A poll can invite to the town's own survey tool instead of asking questions here: a link, or
the survey shown inside the poll page when the town allows its host in its settings. Only that
page's Content-Security-Policy lets the host in (frame-src), and the policy stays strict."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.polls.models import PollRespondent, PollTally
from app.publications.models import Publication
from app.territories.models import Territory
from tests.factories import login_as, make_user
from tests.polls.conftest import PollTown, logged_in, make_poll
from tests.support.csrf import csrf_token

SURVEY_HOST = "enquetes.laciotat.example"
SURVEY_URL = f"https://{SURVEY_HOST}/s/market-2026"


def _allow(territory: Territory, hosts: str = SURVEY_HOST) -> None:
    territory.survey_hosts = hosts
    db.session.commit()


def _directives(csp: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    return {part[0]: (part[1] if len(part) > 1 else "") for part in parts}


def _assert_strict(csp: str) -> None:
    directives = _directives(csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "*" not in directives.get("frame-src", "")
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"


def test_a_survey_from_an_allowed_host_is_shown_in_the_poll_page_and_only_there(app: Flask, town: PollTown) -> None:
    _allow(town.territory, f"forms.other.example\n{SURVEY_HOST}")
    poll = make_poll(town.association, kinds=(), survey_url=SURVEY_URL, survey_embed=True)
    client = app.test_client()

    response = client.get(f"/polls/{poll.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<iframe class="poll-survey" src="{SURVEY_URL}"' in page
    assert 'sandbox="' in page and 'referrerpolicy="no-referrer"' in page
    assert f'href="{SURVEY_URL}"' in page  # the link stays, for whoever prefers a page of its own
    csp = response.headers["Content-Security-Policy"]
    assert _directives(csp)["frame-src"] == f"https://{SURVEY_HOST}"  # that host, not every allowed one
    _assert_strict(csp)

    # Every other page keeps the policy without frames: the feed, another poll, the results.
    plain_poll = make_poll(town.association)
    for path in ("/", f"/polls/{plain_poll.id}", f"/polls/{poll.id}/results", "/polls/results-readme.txt"):
        other = client.get(path)
        assert "frame-src" not in other.headers["Content-Security-Policy"], path
        _assert_strict(other.headers["Content-Security-Policy"])
    assert "<iframe" not in client.get(f"/polls/{plain_poll.id}").get_data(as_text=True)


def test_a_boosted_link_to_an_embedding_poll_loads_it_as_a_page_of_its_own(app: Flask, town: PollTown) -> None:
    """A boosted link swaps the body into the current document, whose CSP has no frame-src:
    the survey would stay blank. The poll page asks htmx for a full load instead."""
    _allow(town.territory)
    poll = make_poll(town.association, kinds=(), survey_url=SURVEY_URL, survey_embed=True)
    response = app.test_client().get(f"/polls/{poll.id}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.headers["HX-Redirect"] == f"/polls/{poll.id}"
    assert "<iframe" not in response.get_data(as_text=True)
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def test_a_survey_from_a_host_the_town_did_not_allow_is_only_linked_to(app: Flask, town: PollTown) -> None:
    _allow(town.territory)
    # Embedding asked for, then the town took the host off its list (or never had it).
    poll = make_poll(town.association, kinds=(), survey_url="https://forms.elsewhere.example/s/1", survey_embed=True)
    response = app.test_client().get(f"/polls/{poll.id}")
    page = response.get_data(as_text=True)
    assert "<iframe" not in page
    assert 'href="https://forms.elsewhere.example/s/1"' in page and "Answer the survey" in page
    assert "frame-src" not in response.headers["Content-Security-Policy"]

    # A survey on an allowed host that the poll only links to is not framed either.
    linked = make_poll(town.association, kinds=(), survey_url=SURVEY_URL, survey_embed=False)
    response = app.test_client().get(f"/polls/{linked.id}")
    assert "<iframe" not in response.get_data(as_text=True)
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def test_a_closed_survey_poll_shows_no_frame(app: Flask, town: PollTown) -> None:
    from datetime import timedelta

    _allow(town.territory)
    poll = make_poll(town.association, kinds=(), survey_url=SURVEY_URL, survey_embed=True,
                     opens_in=timedelta(days=-9), closes_in=timedelta(days=-2))
    response = app.test_client().get(f"/polls/{poll.id}")
    assert "This poll is closed." in response.get_data(as_text=True)
    assert "<iframe" not in response.get_data(as_text=True)
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def _new_poll(app: Flask, town: PollTown, **fields: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, town.president, acting_actor=town.association)
    token = csrf_token(client, "/manage/publications/new?kind=poll")
    data = {"csrf_token": token, "title": "Le marché de demain", "summary": "", "body_md": "", "hashtags": "",
            "valid_from": "2030-05-01T08:00", "valid_until": "2030-05-15T20:00", "place_name": "", "lat": "",
            "lon": "", "radius_m": "", "zone_geojson": "", "poll_results": "closed", "action": "publish", **fields}
    return client.post("/manage/publications/new?kind=poll", data=data)


def test_the_poll_form_refuses_to_embed_from_a_host_the_town_did_not_allow(app: Flask, town: PollTown) -> None:
    _allow(town.territory)
    before = db.session.scalar(select(func.count()).select_from(Publication))
    refused = _new_poll(app, town, survey_url="https://forms.elsewhere.example/s/1", survey_embed="y")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="survey_embed-error"' in html
    assert "The town does not show surveys from forms.elsewhere.example inside its pages" in html
    assert db.session.scalar(select(func.count()).select_from(Publication)) == before

    # The same survey as a link is fine; and one from the allowed host may be embedded.
    assert _new_poll(app, town, survey_url="https://forms.elsewhere.example/s/1").status_code == 303
    assert _new_poll(app, town, survey_url=SURVEY_URL, survey_embed="y").status_code == 303
    stored = db.session.scalars(select(Publication).where(Publication.survey_url != "")
                                .order_by(Publication.id)).all()
    assert [(p.survey_url, p.survey_embed) for p in stored] == [
        ("https://forms.elsewhere.example/s/1", False), (SURVEY_URL, True),
    ]


def test_the_poll_form_refuses_a_survey_address_that_is_not_https(app: Flask, town: PollTown) -> None:
    _allow(town.territory)
    for url in (f"http://{SURVEY_HOST}/s/1", f"javascript://{SURVEY_HOST}/%0aalert(1)", "ftp://files.example/s"):
        refused = _new_poll(app, town, survey_url=url)
        assert refused.status_code == 422, url
        html = refused.get_data(as_text=True)
        assert 'id="survey_url-error"' in html and "starting with https://" in html
    refused = _new_poll(app, town, survey_embed="y")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="survey_embed-error"' in html and "address to show it inside the page." in html
    assert db.session.scalar(select(func.count()).select_from(Publication).where(Publication.survey_url != "")) == 0


def test_a_survey_poll_takes_no_answer_here(app: Flask, town: PollTown) -> None:
    poll = make_poll(town.association, survey_url=SURVEY_URL)  # questions written before switching to the tool
    client = logged_in(app, make_user(town.territory))
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Send my answer" not in page and "Answer the survey" in page
    assert "See the results" not in page  # the survey tool keeps its answers and its results
    token = csrf_token(client, f"/polls/{poll.id}")
    refused = client.post(f"/polls/{poll.id}/answer", data={"csrf_token": token, "share": "yes"})
    assert refused.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PollRespondent)) == 0
    assert db.session.scalar(select(func.count()).select_from(PollTally)) == 0


def _admin_client(app: Flask, territory: Territory):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, make_user(territory, is_admin=True))
    client.csrf = csrf_token(client, "/admin/settings")  # type: ignore[attr-defined]
    return client


def _settings(territory: Territory, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": territory.name, "tagline": "", "primary_color": "#0b5fa5", "accent_color": "#e4572e",
        "timezone": "Europe/Paris", "default_language": "fr", "enabled_languages": ["fr", "en"],
        "hosts": "localhost",
    }
    data.update(overrides)
    return data


def test_the_town_admin_sets_the_hosts_whose_surveys_polls_may_show(app: Flask, town: PollTown) -> None:
    client = _admin_client(app, town.territory)
    form = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="survey_hosts"' in form and "Hosts whose surveys may be shown inside poll pages" in form

    saved = client.post("/admin/settings", data={
        **_settings(town.territory, survey_hosts=f"  {SURVEY_HOST.upper()}\nforms.other.example, {SURVEY_HOST}"),
        "csrf_token": client.csrf,
    })
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Territory, town.territory.id).survey_hosts == f"{SURVEY_HOST}\nforms.other.example"
    assert f"{SURVEY_HOST}\nforms.other.example</textarea>" in client.get("/admin/settings").get_data(as_text=True)

    # From now on, a poll of the town may show a survey from that host.
    poll = make_poll(town.association, kinds=(), survey_url=SURVEY_URL, survey_embed=True)
    assert "<iframe" in app.test_client().get(f"/polls/{poll.id}").get_data(as_text=True)

    # Emptying the list takes the frames away again.
    assert client.post("/admin/settings", data={**_settings(town.territory, survey_hosts=""),
                                                "csrf_token": client.csrf}).status_code == 303
    response = app.test_client().get(f"/polls/{poll.id}")
    assert "<iframe" not in response.get_data(as_text=True)
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def test_the_town_admin_cannot_save_a_survey_host_that_is_not_a_host_name(app: Flask, town: PollTown) -> None:
    _allow(town.territory)
    client = _admin_client(app, town.territory)
    for bad in ("https://enquetes.example/s", "enquetes.example/s", "localhost", "*.example.org", "a;b.example"):
        refused = client.post("/admin/settings", data={**_settings(town.territory, survey_hosts=bad),
                                                       "csrf_token": client.csrf})
        assert refused.status_code == 422, bad
        html = refused.get_data(as_text=True)
        assert 'id="survey_hosts-error"' in html and "is not a host name: write only the name" in html, bad
    db.session.expire_all()
    assert db.session.get(Territory, town.territory.id).survey_hosts == SURVEY_HOST
