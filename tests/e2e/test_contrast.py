"""Every badge reads at 4.5:1 at least (WCAG AA), as the browser draws it: the open and closed
badges of an actor's page, the header's unread count, publications' and campaigns' statuses and
kinds, hashtags; with the town's own colours and accents a town may choose (text on the town's
colours is black or white, whichever reads better: app.colours; the main colour, the links' too,
must read on white: tests/admin)."""

import json

import pytest

from tests.e2e.conftest import act_as, describe_violations, log_in

pytestmark = pytest.mark.e2e

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BADGES = ".badge, .unread-count, .campaign-status, .pub-status, .pub-kind, .tag, .status"

# The contrast of each badge's text with the background it is drawn on (the first ancestor with
# an opaque background), as WCAG computes it.
CONTRASTS = """(selector) => {
  const parse = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const rgba = parse(getComputedStyle(node).backgroundColor);
      if (rgba.length === 3 || rgba[3] > 0.99) return rgba.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].filter((el) => el.offsetParent !== null).map((el) => {
    const a = lum(parse(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
    return {badge: el.className + ': ' + el.textContent.trim().slice(0, 30),
            ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""


def _contrasts(page):
    return page.evaluate(CONTRASTS, BADGES)


@pytest.fixture
def badges_shown(seed, live_db):
    """The theatre open at every hour (its page shows "Open now"), the shop open only on other
    days than today ("Closed now"), two unread messages for the citizen; put back afterwards."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.actors.models import Actor
    from app.delivery.models import InboxItem
    from app.extensions import db
    from app.territories.models import Territory

    with live_db():
        theatre = db.session.get(Actor, seed.ids["theatre"])
        all_day = {day: [["00:00", "23:59"]] for day in WEEKDAYS}
        theatre.opening_hours_json = json.dumps(all_day)
        coast = db.session.get(Territory, seed.ids["coast"])
        today = WEEKDAYS[datetime.now(ZoneInfo(coast.timezone)).weekday()]
        shop = db.session.get(Actor, seed.ids["shop"])
        shop.opening_hours_json = json.dumps({day: [["10:00", "11:00"]] for day in WEEKDAYS if day != today})
        items = [InboxItem(user_id=seed.ids["citizen"], territory_id=seed.ids["coast"], title=f"Message {n}")
                 for n in range(2)]
        db.session.add_all(items)
        colours = coast.primary_color, coast.accent_color
        db.session.commit()
        ids = [item.id for item in items]
    yield
    with live_db():
        db.session.get(Actor, seed.ids["theatre"]).opening_hours_json = "{}"
        db.session.get(Actor, seed.ids["shop"]).opening_hours_json = "{}"
        for item_id in ids:
            db.session.delete(db.session.get(InboxItem, item_id))
        coast = db.session.get(Territory, seed.ids["coast"])
        coast.primary_color, coast.accent_color = colours
        db.session.commit()


def _set_colours(live_db, seed, primary, accent):
    from app.extensions import db
    from app.territories.models import Territory

    with live_db():
        coast = db.session.get(Territory, seed.ids["coast"])
        coast.primary_color, coast.accent_color = primary, accent
        db.session.commit()


@pytest.mark.parametrize("colours", [None, ("#0b5fa5", "#f0e442"), ("#7a1f5c", "#e4572e"), ("#1d7a3a", "#0b5fa5")],
                         ids=["the town's", "light accent", "mid-tone accent", "dark accent"])
def test_every_badge_reads_at_4_5_to_1(page, live_server, seed, live_db, badges_shown, axe, colours):
    if colours:
        _set_colours(live_db, seed, *colours)
    log_in(page, live_server, seed.citizen_email, seed.password)
    seen = []
    for path in (f"/actors/{seed.shop_slug}", f"/actors/{seed.theatre_slug}", "/all"):
        page.goto(live_server.url(path))
        seen += _contrasts(page)
        violations = [v for v in axe(page) if v["id"] == "color-contrast"]
        assert not violations, f"{path}:\n{describe_violations(violations)}"
    names = " | ".join(s["badge"] for s in seen)
    assert "badge-closed" in names and "badge-open" in names and "unread-count" in names and "tag" in names
    low = [s for s in seen if s["ratio"] < 4.5]
    assert not low, low


def test_the_merchants_status_badges_read_at_4_5_to_1(page, live_server, seed, axe):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    seen = []
    for path in ("/manage/publications", "/manage/campaigns"):
        page.goto(live_server.url(path))
        seen += _contrasts(page)
    assert any("pub-status" in s["badge"] for s in seen), seen
    low = [s for s in seen if s["ratio"] < 4.5]
    assert not low, low
