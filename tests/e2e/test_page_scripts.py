"""The maps' scripts load only where there is a map: not on the feed, and on "Near me" reached
by a boosted link (the <head> stays the first page's) as well as by a fresh load."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def loaded_scripts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "performance.getEntriesByType('resource').map(r => new URL(r.name).pathname)"
        ".filter(p => p.endsWith('.js'))"
    )


def test_the_map_scripts_load_only_on_the_page_with_a_map_even_by_a_boosted_link(page, live_server, seed):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url("/"))
    page.wait_for_load_state("load")
    scripts = loaded_scripts(page)
    assert "/static/js/app.js" in scripts
    assert not [s for s in scripts if s.endswith(("near.js", "zone-editor.js", "leaflet.js"))], scripts

    page.locator(".main-nav a[href='/near']").first.click()  # boosted: only the <body> is swapped
    page.wait_for_url(live_server.url("/near"))
    page.locator("#near-map.has-map").wait_for()
    scripts = loaded_scripts(page)
    assert "/static/js/near.js" in scripts and "/static/vendor/leaflet-1.9.4/leaflet.js" in scripts
    assert "/static/js/zone-editor.js" not in scripts
    # Back to the feed and to the map again: the map comes back, near.js is not fetched twice.
    page.locator(".main-nav a[href='/']").first.click()
    page.wait_for_url(live_server.url("/"))
    page.locator(".main-nav a[href='/near']").first.click()
    page.locator("#near-map.has-map").wait_for()
    assert loaded_scripts(page).count("/static/js/near.js") == 1
