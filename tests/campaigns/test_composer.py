"""The campaign composer: one form in four steps (the message, who, how and when, the review).
Without JavaScript the page holds every field and posts them at once; with htmx, the push preview
and the review come from the server as fragments."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.campaigns.models import Campaign, CampaignRun
from app.extensions import db
from app.releases.models import CountRelease
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as
from tests.support.csrf import csrf_token


class FormReader(HTMLParser):
    """What a browser without JavaScript would post from the page's composer form:
    every named control with its value (checked boxes only, a select's chosen option)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.names: set[str] = set()
        self.buttons: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "data-composer" in a and not self.done:
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            self.names.add(name)
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            self.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.names.add(name)
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.names.add(name)
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.fields += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def _read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def _login(client, town: Town) -> str:  # type: ignore[no-untyped-def]
    login_as(client, town.editor, acting_actor=town.actor)
    return csrf_token(client, "/manage/campaigns/new")


def _htmx(token: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRFToken": token}


def test_the_composer_holds_every_step_and_every_field_in_one_form(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    _login(client, town)
    html = client.get("/manage/campaigns/new").get_data(as_text=True)
    for step in ("what", "who", "when", "review"):
        assert f'id="step-{step}"' in html and f'href="#step-{step}"' in html
    form = _read_form(html)
    expected = {"csrf_token", "title", "body", "link", "hashtags", "hashtag_mode", "followers", "neighbourhoods",
                "population", "languages", "present_zone", "present_lat", "present_lon", "present_radius",
                "resident_zone", "channels", "when", "send_at", "weekday", "at_time", "repeat_until"}
    assert expected <= form.names
    assert ("action", "send") in form.buttons and ("action", "draft") in form.buttons
    # hashtags are chips: real checkboxes, each in its label, in a fieldset with its legend
    assert re.search(rf'<label class="chip" for="hashtags-0"><input class="chip-input" id="hashtags-0" '
                     rf'name="hashtags" type="checkbox" value="{town.bio.id}"><span class="chip-face">#bio</span>', html)
    assert '<fieldset class="field chips" id="hashtags-group">' in html
    # the preview as the page first shows it, and what asks for it again as the text is typed
    assert 'id="push-preview"' in html and 'hx-post="/manage/campaigns/preview"' in html
    assert 'hx-trigger="input delay:300ms, change"' in html
    assert 'style="' not in html and "<script>" not in html and "hx-on" not in html


def test_without_javascript_the_whole_form_posts_at_once_and_sends(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    _login(client, town)
    add_citizens(town.territory, 14, hashtags=[town.bio])
    form = _read_form(client.get("/manage/campaigns/new").get_data(as_text=True))
    data = [(k, v) for k, v in form.fields if k not in ("title", "body")]
    data += [("title", "Pain bio"), ("body", "Fresh organic bread this Saturday."), ("hashtags", str(town.bio.id)),
             ("action", "send")]
    response = client.post("/manage/campaigns/new", data=MultiDict(data))
    assert response.status_code == 303, response.get_data(as_text=True)
    campaign = db.session.scalars(select(Campaign)).one()
    assert (campaign.title, campaign.channels, campaign.schedule_kind) == ("Pain bio", ["push", "inbox"], "now")
    assert db.session.scalars(select(CampaignRun)).one().audience_size == 14


def test_a_refused_post_opens_the_step_holding_the_first_error_and_keeps_what_was_typed(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    base = {"csrf_token": token, "title": "Pain bio", "body": "Fresh bread.", "link": "page",
            "hashtags": [str(town.bio.id)], "channels": ["inbox"], "when": "now", "action": "draft"}
    cases = [
        ({"title": ""}, "what"),
        ({"hashtags": ["999999"]}, "who"),
        ({"hashtags": None}, "who"),  # no criterion at all: an error of the criteria as a whole
        ({"channels": None}, "when"),
        ({"title": "", "channels": None}, "what"),  # the first step with an error
    ]
    for change, step in cases:
        data = {k: v for k, v in {**base, **change}.items() if v is not None}
        response = client.post("/manage/campaigns/new", data=data)
        assert response.status_code == 422, change
        html = response.get_data(as_text=True)
        assert f'data-start-step="{step}"' in html, change
        assert "Fresh bread." in html  # nothing typed is lost
        assert "To fix before sending:" in html  # listed again on the review, with links to the steps
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_the_preview_shows_the_notification_as_typed(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    response = client.post("/manage/campaigns/preview", headers=_htmx(token),
                           data={"title": "Pain <b>bio</b>", "body": "Fresh bread\non Saturday."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<figure id="push-preview"') and "<html" not in html
    assert '<p class="push-title">Pain &lt;b&gt;bio&lt;/b&gt;</p>' in html
    assert "Fresh bread\non Saturday." in html
    assert 'src="/icons/192.png"' in html and f"{town.territory.name}</bdi> · localhost" in html
    empty = client.post("/manage/campaigns/preview", headers=_htmx(token), data={}).get_data(as_text=True)
    assert "push-placeholder" in empty and "Your title" in empty and "Your text" in empty
    # a POST like any other: refused without the CSRF token
    assert client.post("/manage/campaigns/preview", headers={"HX-Request": "true"},
                       data={"title": "x"}).status_code == 400


def test_the_preview_and_review_are_for_an_actors_members_only(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    login_as(client, town.editor)  # a citizen, not acting for the shop
    token = csrf_token(client, "/")
    for path in ("/manage/campaigns/preview", "/manage/campaigns/review"):
        assert client.post(path, headers=_htmx(token), data={"title": "x"}).status_code == 403


def test_the_review_puts_every_choice_in_words_and_counts_nobody(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    add_citizens(town.territory, 14, hashtags=[town.bio])
    data = {"csrf_token": token, "title": "Pain bio", "body": "Fresh bread.", "link": "page",
            "hashtags": [str(town.bio.id)], "neighbourhoods": [str(town.port.id)], "channels": ["push", "inbox"],
            "when": "weekly", "weekday": "4", "at_time": "09:00", "repeat_until": "2099-01-01"}
    response = client.post("/manage/campaigns/review", headers=_htmx(token), data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="composer-step') and 'id="step-review"' in html
    assert "Pain bio" in html and "Fresh bread." in html and "The page of Boulangerie du Port" in html
    assert "are interested in #bio" in html and "live in Port" in html
    assert "Web push notification, In-app inbox" in html
    assert "Every Friday at 09:00 until" in html
    assert "To fix before sending:" not in html
    assert db.session.scalar(select(func.count()).select_from(CountRelease)) == 0  # no count asked
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0  # nothing saved

    unfinished = client.post("/manage/campaigns/review", headers=_htmx(token),
                             data={"csrf_token": token, "link": "page", "when": "now"}).get_data(as_text=True)
    assert "To fix before sending:" in unfinished
    assert 'href="#step-what" data-step-link="what">Title</a>: Please give a title.' in unfinished
    assert 'data-step-link="who"' in unfinished and "Choose at least one criterion." in unfinished
    assert "Choose at least one channel." in unfinished and "No criterion chosen yet" in unfinished
