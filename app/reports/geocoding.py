"""Finding a typed address on the map, for street reports placed by an address: the geocoder the
operator configures (``GEOCODER_URL``), a service speaking the Base Adresse Nationale's API
(api-adresse.data.gouv.fr, or an addok of one's own): ``GET <url>?q=…&lat=…&lon=…&limit=…``
answers a GeoJSON FeatureCollection of Points, best first, each with its ``label`` and ``score``.

Only the territory's answers count: the search is biased by the town's centre, and a point
outside the territory is left out (an "Avenue de la République" of another town is not ours).

The request goes out as the push services' do (app.webpush.endpoint_allowed): https on the
configured host and its default port, no credentials in the address; a redirect is never
followed; a short time-out for the whole answer; at most ``MAX_BYTES`` read. What is typed is
sent and nothing else (no person, no session, no cookie), and it is never logged."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app

from app.territories.models import Territory
from app.territories.services import in_territory
from app.webpush import endpoint_allowed

log = logging.getLogger(__name__)

MAX_BYTES = 256 * 1024  # a page of suggestions is a few kilobytes
QUERY_MAX = 200  # characters sent (the address field's length)
QUERY_MIN = 3  # fewer typed: nothing worth asking
MIN_SCORE = 0.4  # below, the geocoder is guessing: better no point than a wrong one
SUGGESTIONS = 5


@dataclass(frozen=True)
class FoundAddress:
    label: str
    lat: float
    lon: float
    score: float


def configured() -> bool:
    return bool(current_app.config.get("GEOCODER_URL"))


def search(query: str, near: tuple[float, float] | None = None, limit: int = SUGGESTIONS) -> list[FoundAddress]:
    """The geocoder's answers for ``query``, best first; none when it is not configured, cannot
    be reached, refuses, or answers something else than its format."""
    config = current_app.config
    url = config.get("GEOCODER_URL") or ""
    query = " ".join(query.split())[:QUERY_MAX]
    if not url or len(query) < QUERY_MIN:
        return []
    host = urlsplit(url).hostname or ""
    if not endpoint_allowed(url, [host], config.get("GEOCODER_ALLOW_INSECURE_HOSTS", ())):
        log.warning("geocoder not contacted: GEOCODER_URL must be https on its default port")
        return []
    params = {"q": query, "limit": str(limit)}
    if near is not None:
        params["lat"], params["lon"] = f"{near[0]:.5f}", f"{near[1]:.5f}"
    timeout = float(config.get("GEOCODER_TIMEOUT_SECONDS", 3))
    try:
        body = _get(url, params, timeout)
    except requests.RequestException as error:
        log.warning("geocoder unreachable: %s", type(error).__name__)
        return []
    return parse(body, limit) if body is not None else []


def _get(url: str, params: dict[str, str], timeout: float) -> bytes | None:
    """The answer's body; None when it is not a 200 or is too long or too slow to come."""
    deadline = time.monotonic() + timeout
    with requests.get(url, params=params, timeout=(timeout, timeout), allow_redirects=False, stream=True,
                      headers={"Accept": "application/geo+json, application/json"}) as response:
        if response.status_code != 200:
            log.warning("geocoder answered %d", response.status_code)
            return None
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BYTES:
            log.warning("geocoder answer too long")
            return None
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(16 * 1024):
            size += len(chunk)
            if size > MAX_BYTES or time.monotonic() > deadline:
                log.warning("geocoder answer too long or too slow")
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def parse(body: bytes, limit: int = SUGGESTIONS) -> list[FoundAddress]:
    """The Points of a BAN FeatureCollection, in its order; anything malformed left out."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    features = document.get("features") if isinstance(document, dict) else None
    found: list[FoundAddress] = []
    for feature in features if isinstance(features, list) else []:
        place = _place(feature)
        if place is not None:
            found.append(place)
        if len(found) >= limit:
            break
    return found


def _place(feature: Any) -> FoundAddress | None:
    if not isinstance(feature, dict):
        return None
    geometry = feature.get("geometry") or {}
    properties = feature.get("properties") or {}
    if not isinstance(geometry, dict) or not isinstance(properties, dict) or geometry.get("type") != "Point":
        return None
    coordinates = geometry.get("coordinates")
    try:
        lon, lat = float(coordinates[0]), float(coordinates[1])  # type: ignore[index]
        score = float(properties.get("score", 1.0))
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    label = properties.get("label")
    if not isinstance(label, str) or not label.strip():
        return None
    return FoundAddress(label=label.strip()[:QUERY_MAX], lat=lat, lon=lon, score=score)


# --- within the territory -------------------------------------------------------------------------


def suggestions(territory: Territory, query: str, limit: int = SUGGESTIONS) -> list[FoundAddress]:
    """Addresses of the territory that match what is typed, best first."""
    return [place for place in search(query, (territory.center_lat, territory.center_lon), limit)
            if in_territory(territory, place.lat, place.lon)]


def locate(territory: Territory, address: str) -> FoundAddress | None:
    """The point of a typed address: the geocoder's best answer inside the territory, when it
    is sure enough; None otherwise (the report then keeps its address without a point)."""
    found = suggestions(territory, address, limit=SUGGESTIONS)
    best = found[0] if found else None
    return best if best is not None and best.score >= MIN_SCORE else None
