"""The merchants' self-assessment on a phone: the merchant declares click-and-collect on the shop's
page and answers the questionnaire without consent; the town's admin sees only the totals; the
merchant consents; the town's admin sees the shop's own answers."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from app.actors.models import Actor
from app.audit import services_shops
from app.audit.models_shops import ShopAnswer
from app.extensions import db
from app.territories.models import Territory
from tests.audit.shops import answered_shops
from tests.e2e.conftest import act_as, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def other_shops(live_db, seed):  # type: ignore[no-untyped-def]
    """Five shops of the town that answered and keep their answers private: enough for the totals
    and for the list of consenting shops to be shown."""
    with live_db():
        town = db.session.get(Territory, seed.ids["coast"])
        names = [a.name for a in answered_shops(town, services_shops.MIN_ANSWERS, prefix="Commerce du quai")]
    yield names
    with live_db():
        shop = db.session.get(Actor, seed.ids["shop"])
        shop.click_and_collect, shop.click_and_collect_note = False, ""
        db.session.execute(delete(ShopAnswer).where(ShopAnswer.actor_id == shop.id))
        db.session.execute(delete(Actor).where(Actor.name.in_(names)))


def test_merchant_answers_and_the_town_sees_the_shop_only_with_consent(
        context, page, incognito_context, live_server, live_db, seed, other_shops):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)

    # The shop declares click-and-collect on its page.
    page.locator("main a[href$='/manage/page']").first.click()
    page.locator("#click_and_collect").check()
    page.locator("#click_and_collect_note").fill("Commandez la veille, retrait dès 9 h")
    page.locator("main form button[type=submit]").click()
    page.locator(".flash-success").wait_for()
    page.goto(live_server.url(f"/actors/{seed.shop_slug}"))
    assert page.locator("[data-commerce=click-and-collect]").is_visible()
    assert "Commandez la veille, retrait dès 9 h" in page.locator(".actor-commerce").inner_text()

    # The questionnaire, without consent.
    page.goto(live_server.url("/manage"))
    page.locator("main a[href$='/manage/self-assessment']").click()
    for box in ("#listed_online-0", "#listed_online-2", "#hours_up_to_date-0", "#click_and_collect-0",
                "#delivery-1", "#payment-1", "#payment-2", "#loyalty-0"):
        page.locator(box).check()
    page.locator("#comment").fill("Un point de retrait près de la gare aiderait")
    assert not page.locator("#town_may_see").is_checked()
    page.locator("main form button[type=submit]").click()
    page.locator(".flash-success").wait_for()
    with live_db():
        answer = db.session.scalar(select(ShopAnswer).where(ShopAnswer.actor_id == seed.ids["shop"]))
        assert answer is not None and not answer.town_may_see and answer.click_and_collect == "yes"

    # The town's admin: the totals over six shops, no shop's own answers.
    admin = incognito_context.new_page()
    log_in(admin, live_server, seed.admin_email, seed.password)
    admin.goto(live_server.url("/admin/audit/shops"))
    collect = admin.locator("#question-click_and_collect tr[data-option=yes]")
    assert "1" in collect.inner_text() and "17 %" in collect.inner_text()
    body = admin.locator("main").inner_text()
    assert seed.shop_name not in body and "retrait près de la gare" not in body
    assert admin.locator("[data-shop]").count() == 0

    # The merchant consents, and sees plainly what the town now sees.
    page.locator("#town_may_see").check()
    page.locator("main form button[type=submit]").click()
    page.locator("#what-the-town-sees .shop-answers").wait_for()
    assert page.locator("#town_may_see").is_checked()
    assert "retrait près de la gare" in page.locator("#what-the-town-sees").inner_text()

    admin.reload()
    shared = admin.locator(f"[data-shop='{seed.shop_slug}']")
    assert seed.shop_name in shared.inner_text() and "retrait près de la gare" in shared.inner_text()
    assert admin.locator("[data-shop]").count() == 1  # the five private shops stay out
    for name in other_shops:
        assert name not in admin.locator("main").inner_text()
