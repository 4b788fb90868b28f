"""The tourism office's screen as a browser on a 1920×1080 screen draws it: each QR code at least a
quarter of the screen's height, its caption right under it, in the town's colours."""

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def screen_link(seed, live_db):
    from app.actors.models import Actor
    from app.extensions import db
    from app.territories.models import Territory
    from tests.factories import make_actor, make_kiosk, make_publication

    with live_db():
        office = make_actor(db.session.get(Territory, seed.ids["coast"]), "Office de Tourisme du Port",
                            kind="tourism_office", lat=43.1745, lon=5.6046)
        make_publication(office, "Visite guidée du port", kind="event", place_name="Quai",
                         lat=43.1746, lon=5.6047)
        _kiosk, token = make_kiosk(office)
        office_id = office.id
    yield f"/kiosk/{token}"
    with live_db():
        office = db.session.get(Actor, office_id)
        db.session.delete(office)
        db.session.commit()


def test_the_screens_qr_code_is_a_quarter_of_its_height_with_its_caption_beside(
        browser, live_server, screen_link):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        page.goto(live_server.url(screen_link))
        qr = page.locator(".kiosk-item.is-current .kiosk-qr svg").bounding_box()
        caption = page.locator(".kiosk-item.is-current .kiosk-qr figcaption").bounding_box()
        assert qr is not None and caption is not None
        assert qr["height"] >= 1080 / 4, qr
        assert 0 <= caption["y"] - (qr["y"] + qr["height"]) <= 40, (qr, caption)
        assert qr["x"] + qr["width"] <= 1920
    finally:
        context.close()
