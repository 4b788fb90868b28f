"""Every page of the app, for every role, as a browser draws it (issue 12).

A tour logs in once, then opens each page of the role: axe-core finds no violation of any
impact, the page does not scroll sideways on a 360×740 phone, and it is photographed at 360×740
and at 1280×800 into ``test-results/screenshots/`` (kept by CI as artefacts; git ignores the
folder). Paths may name the seed's objects in braces: {offer}, {event}, {news} (publication ids),
{shop} (the shop's slug), {neighbourhood}, {campaign}, {inbox_item}, {kiosk} (ids and tokens
made by the ``tour_names`` fixture of conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.conftest import describe_violations

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}

VISITOR = [
    "/", "/all", "/all?kind=event", "/agenda", "/actors", "/actors?hashtag=bio", "/actors/{shop}",
    "/p/{offer}", "/p/{event}", "/p/{news}", "/near", "/near?tag=bio", "/near?service=click-and-collect", "/login", "/register",
    "/register/sent", "/password/forgot", "/offline", "/kiosk/{kiosk}", "/legal/terms",
    "/legal/privacy", "/legal/notice", "/legal/accessibility", "/open-now", "/open-now?kind=merchant",
    "/api", "/embed", "/embed/agenda", "/embed/actors/{shop_id}/news",
]
CITIZEN = [
    "/", "/all", "/agenda", "/actors", "/actors/{shop}", "/p/{offer}", "/near", "/near/location",
    "/welcome", "/welcome/follow", "/welcome/about", "/me", "/me/residence", "/me/notifications",
    "/me/inbox", "/me/inbox/{inbox_item}", "/me/password", "/me/email", "/me/security",
    "/me/privacy", "/me/privacy/delete", "/actors/new",
]
SHOP = [
    "/manage", "/manage/page", "/manage/members", "/manage/publications",
    "/manage/publications?status=published", "/manage/publications/new",
    "/manage/publications/new?kind=news", "/manage/publications/new?kind=event",
    "/manage/publications/new?kind=offer", "/manage/publications/{offer}/edit",
    "/manage/campaigns", "/manage/campaigns/new", "/manage/campaigns/{campaign}",
    "/p/{offer}", "/actors/{shop}", "/manage/hours", "/manage/self-assessment",
]
TOURISM_OFFICE = ["/manage", "/manage/screens", "/manage/publications"]
ASSOCIATION = ["/manage", "/manage/page", "/manage/publications", "/manage/campaigns", "/p/{event}"]
TOWN_ADMIN = [
    "/admin", "/admin/settings", "/admin/neighbourhoods", "/admin/neighbourhoods/{neighbourhood}",
    "/admin/boundary", "/admin/hashtags", "/admin/actors", "/admin/moderation", "/me/security",
    "/me/security/two-factor", "/admin/legal", "/admin/legal/terms", "/admin/legal/accessibility",
    "/admin/embedding",
    "/admin/audit/shops",
]
TOWN_SERVICE = ["/manage", "/manage/publications", "/manage/campaigns", "/manage/campaigns/new"]


def slug(role: str, path: str) -> str:
    return f"{role}-" + (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home")


def visit(page: Any, url: str, expected_status: int = 200) -> str | None:
    """Open the page; a problem in words, or None."""
    response = page.goto(url)
    if response is None or response.status != expected_status:
        return f"status {response and response.status}, not {expected_status}"
    if urlsplit(page.url)[2:4] != urlsplit(url)[2:4]:
        return f"led to {page.url}"
    return None


def check_page(page: Any, axe: Any, url: str, role: str, path: str, expected_status: int = 200) -> list[str]:
    """The tour's checks on one page, at both sizes; the problems found, in words."""
    problems = []
    # axe reads colours as drawn: mid-animation (the kiosk's fade-in) they are not the page's own.
    page.emulate_media(reduced_motion="reduce")
    page.set_viewport_size(PHONE)
    problem = visit(page, url, expected_status)
    if problem:
        return [f"{path}: {problem}"]
    name = slug(role, path)
    violations = axe(page)
    if violations:
        problems.append(f"{path} at 360 px:\n{describe_violations(violations)}")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
                 .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
            PHONE["width"],
        )
        problems.append(f"{path} scrolls sideways at 360 px ({width} px wide): {wide}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-360x740.png"))
    page.set_viewport_size(WIDE)
    violations = axe(page)
    if violations:
        problems.append(f"{path} at 1280 px:\n{describe_violations(violations)}")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280x800.png"))
    page.set_viewport_size(PHONE)
    return problems


def tour(page: Any, live_server: Any, axe: Any, role: str, paths: list[str], names: dict[str, Any],
         host: str = "localhost") -> None:
    problems: list[str] = []
    for path in paths:
        problems += check_page(page, axe, live_server.url(path.format(**names), host=host), role, path)
    assert not problems, "\n".join(problems)
