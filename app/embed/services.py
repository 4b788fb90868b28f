"""The sites a territory lets frame its embeddable pages (the agenda, an actor's news), and the
Content-Security-Policy those pages carry: ``frame-ancestors`` names exactly those sites."""

from __future__ import annotations

import re

from app.embed.models import EmbedSetting
from app.extensions import db
from app.territories.models import Territory

MAX_ORIGINS = 20
# An origin as CSP's frame-ancestors takes it: https (http for localhost only), a host name
# (a leading "*." for every sub-domain), an optional port, nothing after.
ORIGIN = re.compile(
    r"(https://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"
    r"|http://localhost|http://(\*\.)?[a-z0-9-]+\.localhost)(:\d{1,5})?"
)


def allowed_origins(territory: Territory) -> list[str]:
    setting = db.session.get(EmbedSetting, territory.id)
    return setting.origin_list if setting is not None else []


def parse_origins(text: str) -> tuple[list[str], list[str]]:
    """The origins of ``text`` (one a line; a trailing slash dropped, lower case) and the lines
    that are not origins."""
    good, bad = [], []
    for line in (text or "").splitlines():
        value = line.strip().rstrip("/").lower()
        if not value:
            continue
        if ORIGIN.fullmatch(value):
            good.append(value)
        else:
            bad.append(line.strip())
    return list(dict.fromkeys(good)), bad


def save_origins(territory: Territory, origins: list[str]) -> None:
    setting = db.session.get(EmbedSetting, territory.id)
    if setting is None:
        setting = EmbedSetting(territory_id=territory.id)
        db.session.add(setting)
    setting.origins = "\n".join(origins[:MAX_ORIGINS])
    db.session.commit()


def frame_csp(base: str, origins: list[str]) -> str:
    """``base`` (the app's CSP) with frame-ancestors naming ``origins`` ('none' without any)."""
    ancestors = " ".join(origins) if origins else "'none'"
    return base.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
