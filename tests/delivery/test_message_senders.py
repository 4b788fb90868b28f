"""Every message shows who sent it (name, logo, a link to its page) and a way to mute that actor:
an opened inbox message, the in-app digest and the digest e-mail (whose mute links work without
logging in, through the held message's own token)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from app.delivery import digest as delivery_digest
from app.delivery import drain as delivery_drain
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.notifications.models import Mute
from tests.delivery.conftest import make_campaign, make_citizens
from tests.factories import login_as, make_actor, make_follow
from tests.support.csrf import csrf_from


def paris(day: int, hour: int) -> datetime:
    return datetime(2030, 6, day, hour - 2, 0, tzinfo=UTC)  # Europe/Paris is UTC+2 in June


def _run(actor, now, **fields):  # type: ignore[no-untyped-def]
    campaign = make_campaign(actor, channels=("email", "inbox"), **fields)
    run = delivery_runs.start_run(campaign, now, now=now, enqueue=False)
    delivery_drain.drain(run.id, clock=lambda: now)
    return run


def _mutes(person) -> set[int]:  # type: ignore[no-untyped-def]
    return set(db.session.scalars(select(Mute.actor_id).where(Mute.user_id == person.id, Mute.actor_id.is_not(None))))


def test_an_opened_message_names_its_sender_and_mutes_it_in_one_click(client, territory, actor, outbox):
    people = make_citizens(territory, actor, 11)
    _run(actor, paris(10, 9), title="Fresh bread")
    person = people[0]
    item = db.session.scalars(select(InboxItem).where(InboxItem.user_id == person.id)).one()
    login_as(client, person, base_url="http://ville.example")

    listing = client.get("/me/inbox", base_url="http://ville.example").get_data(as_text=True)
    assert f'href="/actors/{actor.slug}"><bdi>Bakery Martin</bdi></a>' in listing

    page = client.get(f"/me/inbox/{item.id}", base_url="http://ville.example").get_data(as_text=True)
    assert f'href="/actors/{actor.slug}"><bdi>Bakery Martin</bdi></a>' in page
    form = re.search(r'<form class="mute-form" method="post" action="([^"]+)">.*?name="next" value="([^"]+)"', page, re.S)
    assert form and form.group(1) == f"/me/notifications/mutes/actors/{actor.id}"
    assert form.group(2) == f"/me/inbox/{item.id}" and "Mute messages from Bakery Martin" in page

    response = client.post(form.group(1), data={"csrf_token": csrf_from(page), "next": form.group(2)},
                           base_url="http://ville.example")
    assert response.status_code == 303 and response.headers["Location"] == f"/me/inbox/{item.id}"
    assert _mutes(person) == {actor.id}
    again = client.get(f"/me/inbox/{item.id}", base_url="http://ville.example").get_data(as_text=True)
    assert "Receive messages from Bakery Martin again" in again


def test_the_digest_names_each_sender_with_a_way_to_mute_it(client, territory, actor, outbox):
    theatre = make_actor(territory, "Eden Theatre")
    people = make_citizens(territory, actor, 11, email=True, daily_cap=1)
    for person in people:
        make_follow(person, theatre)
    _run(actor, paris(10, 9), title="One")
    _run(actor, paris(10, 10), title="Two")  # over the cap: for the digest
    _run(theatre, paris(10, 11), title="Tonight")  # over the cap too
    outbox.clear()
    assert delivery_digest.send_digests(paris(10, 18)) == 11

    person = people[0]
    mail = next(m for m in outbox if m["To"] == person.email)
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "Bakery Martin" in html and "Eden Theatre" in html
    mute_links = re.findall(r'<a href="([^"]+/n/mute/[^"]+)">Mute Eden Theatre</a>', html)
    assert len(mute_links) == 1 and "Mute Eden Theatre: http" in text
    # The link works without logging in: its page asks to confirm (link scanners), the POST mutes.
    anonymous = client.application.test_client()
    path = mute_links[0].split("ville.example", 1)[1]
    confirm = anonymous.get(path, base_url="http://ville.example")
    assert confirm.status_code == 200 and "Eden Theatre" in confirm.get_data(as_text=True)
    anonymous.post(path, data={"csrf_token": csrf_from(confirm.get_data(as_text=True))}, base_url="http://ville.example")
    assert _mutes(person) == {theatre.id}

    digest = db.session.scalars(select(InboxItem).where(InboxItem.user_id == people[1].id,
                                                        InboxItem.kind == "digest")).one()
    login_as(client, people[1], base_url="http://ville.example")
    page = client.get(f"/me/inbox/{digest.id}", base_url="http://ville.example").get_data(as_text=True)
    for name, sender in (("Bakery Martin", actor), ("Eden Theatre", theatre)):
        assert f'href="/actors/{sender.slug}"><bdi>{name}</bdi></a>' in page
        assert f'action="/me/notifications/mutes/actors/{sender.id}"' in page
