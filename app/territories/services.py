"""Territory set-up: creating a territory with its first admin, its hashtag catalogue, and the
checks on what an administrator may configure (colours, time zone, host names, GeoJSON areas)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask_babel import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import select

from app.colours import WHITE, contrast, hex_to_rgb
from app.extensions import db
from app.geo import distance_m, prepared_area
from app.i18n import SUPPORTED
from app.security import tile_source
from app.territories.models import RELEASE_BOUNDS, Hashtag, Neighbourhood, Territory, TerritoryHost
from app.territories.scoping import belongs, same_territory, scoped
from app.text import normalise_hashtag, slugify
from app.timezones import is_known_zone

# The default catalogue: local life only. It deliberately contains NO tag about religion,
# political opinions, trade-union membership, health or sexual life: following such a tag would
# reveal "special categories of personal data" (GDPR art. 9), which a town app has no reason to
# process. ``is_sensitive_hashtag`` enforces the same rule on tags an administrator adds.
DEFAULT_HASHTAGS: tuple[str, ...] = (
    "bio", "marche", "theatre", "concert", "cinema", "braderie", "brocante", "benevolat",
    "sport", "randonnee", "velo", "plage", "ski", "enfants", "famille", "jeunesse", "seniors",
    "patrimoine", "musee", "lecture", "jardinage", "environnement", "recyclage", "artisanat",
    "gastronomie", "vin", "fete", "soldes", "emploi", "travaux", "transport", "stationnement",
    "securite", "associations", "ecole", "numerique", "animaux", "nature", "exposition",
    "danse", "musique", "commerce", "tourisme", "photo",
)

# Stems that make a tag sensitive wherever they appear in it (tags are normalised: lower case,
# no accents, no separators), and short words that are sensitive only as the whole tag
# (``culte`` alone, but ``culture`` is fine).
SENSITIVE_STEMS: tuple[str, ...] = (
    # religion and beliefs
    "religi", "eglise", "mosquee", "synagogue", "catholi", "musulman", "islam", "chretien",
    "protestant", "bouddh", "hindou", "judai", "paroiss", "priere", "ramadan", "careme",
    "bible", "coran", "torah", "atheis", "laicite", "evangeli", "imam", "rabbin", "pretre",
    # political opinions and trade unions
    "politi", "election", "electora", "syndica", "militant", "communis", "socialis",
    "conservat", "liberalis", "extremedroite", "extremegauche", "referendum", "candidat",
    # health, sexual life and orientation, origin, genetics
    "sante", "maladie", "malade", "cancer", "diabet", "vih", "sida", "handicap", "medec",
    "medic", "hopital", "clinique", "psychi", "psycho", "depress", "therap", "grossesse",
    "avortement", "covid", "vaccin", "addict", "alcoolis", "lgbt", "homosex", "sexual",
    "sexuel", "ethni", "racial", "genetique", "biometri", "migrant",
)
SENSITIVE_WORDS: frozenset[str] = frozenset(
    {"culte", "messe", "foi", "dieu", "vote", "voter", "parti", "partis", "gauche", "droite",
     "manif", "greve", "psy", "ivg", "cure", "gay", "trans", "race"}
)

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,58}[a-z0-9]")
MAX_GEOMETRY_POINTS = 5000
# Without a drawn boundary, a territory reaches this far from its centre.
DEFAULT_REACH_M = 50_000


class TerritoryError(ValueError):
    """Bad input when creating or configuring a territory; the message is shown as is."""


# --- hashtags -------------------------------------------------------------------------------


def is_sensitive_hashtag(tag: str) -> bool:
    """True for a tag that would reveal religion, politics, health... (GDPR art. 9)."""
    tag = normalise_hashtag(tag)
    return tag in SENSITIVE_WORDS or any(stem in tag for stem in SENSITIVE_STEMS)


def hashtag_problem(territory: Territory, raw: str) -> str | None:
    """Why ``raw`` cannot be added to the catalogue, or None."""
    if not re.search(r"\w", (raw or "").replace("_", "")):
        return _("Type a hashtag made of letters and digits, e.g. #braderie.")
    tag = normalise_hashtag(raw)
    if len(tag) < 2:
        return _("A hashtag needs at least 2 letters.")
    if is_sensitive_hashtag(tag):
        return _(
            "#%(tag)s is refused: following it would reveal a religion, a political opinion, "
            "health or sexual life, which are sensitive personal data (GDPR art. 9).",
            tag=tag,
        )
    exists = db.session.scalar(
        scoped(Hashtag, territory, Hashtag.tag == tag)
    )
    if exists is not None:
        return _("#%(tag)s is already in the catalogue.", tag=tag)
    return None


def add_hashtag(territory: Territory, raw: str) -> Hashtag:
    problem = hashtag_problem(territory, raw)
    if problem:
        raise TerritoryError(problem)
    hashtag = Hashtag(territory_id=territory.id, tag=normalise_hashtag(raw), active=True)
    db.session.add(hashtag)
    db.session.commit()
    return hashtag


def set_hashtag_active(hashtag: Hashtag, active: bool) -> Hashtag:
    hashtag.active = active
    db.session.commit()
    return hashtag


def ensure_hashtags(territory: Territory, tags: tuple[str, ...] | list[str] = DEFAULT_HASHTAGS) -> list[Hashtag]:
    """Add the missing tags of ``tags`` to the catalogue (no commit); return all of them."""
    existing = {
        h.tag: h for h in db.session.scalars(scoped(Hashtag, territory))
    }
    result = []
    for raw in tags:
        tag = normalise_hashtag(raw)
        if tag not in existing:
            existing[tag] = Hashtag(territory_id=territory.id, tag=tag, active=True)
            db.session.add(existing[tag])
        result.append(existing[tag])
    return result


# --- settings -------------------------------------------------------------------------------


def colour_problem(value: str) -> str | None:
    """Colours go straight into the theme stylesheet: only ``#rrggbb`` is accepted."""
    if not HEX_COLOUR.fullmatch(value or ""):
        return _("Use a colour written as # followed by 6 hexadecimal digits, e.g. #0b5fa5.")
    return None


def main_colour_problem(value: str) -> str | None:
    """The main colour is also the colour of links and buttons' text on white: it must read
    there at 4.5:1 at least (WCAG AA). Text on it is black or white (app.colours)."""
    problem = colour_problem(value)
    if problem is None and contrast(hex_to_rgb(value), WHITE) < 4.5:
        return _("This colour is too light for text on a white page: choose a darker one "
                 "(a contrast of at least 4.5:1 with white).")
    return problem


def timezone_problem(value: str) -> str | None:
    if not value or value not in available_timezones():
        return _("Unknown time zone: use a name such as Europe/Paris or Europe/Brussels.")
    if not is_known_zone(value):
        return _("Unknown time zone: use a name such as Europe/Paris or Europe/Brussels.")
    return None


def languages_problem(default: str, enabled: list[str]) -> str | None:
    if not enabled or any(code not in SUPPORTED for code in enabled):
        return _("Enable at least one language among French, Dutch and English.")
    if default not in enabled:
        return _("The default language must be one of the enabled languages.")
    return None


def tile_url_problem(value: str) -> str | None:
    """An empty URL (no background map) or an https template with {z}, {x} and {y}."""
    value = (value or "").strip()
    if not value:
        return None
    if tile_source(value) is None or not all(part in value for part in ("{z}", "{x}", "{y}")):
        return _(
            "Use an https address with {z}, {x} and {y}, e.g. "
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png, or leave it empty for no map background."
        )
    return None


def parse_hostnames(text: str) -> list[str]:
    names = []
    for line in re.split(r"[\s,]+", text or ""):
        name = line.strip().lower().rstrip(".")
        if name and name not in names:
            names.append(name)
    return names


def survey_host_list(territory: Territory) -> list[str]:
    """The hosts whose surveys may be embedded in the town's poll pages."""
    return parse_hostnames(territory.survey_hosts or "")


def embed_host(territory: Territory, url: str) -> str | None:
    """The host of ``url`` when it is an https address on a host the town allows surveys to be
    embedded from (the one host the poll page's CSP then lets in), else None."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme == "https" and not parts.username and host and host in survey_host_list(territory):
        return host
    return None


def embed_allowed(territory: Territory, url: str) -> bool:
    """``url`` is an https address on a host the town allows surveys to be embedded from."""
    return embed_host(territory, url) is not None


def survey_hosts_problem(names: list[str]) -> str | None:
    """Each survey host is a public host name (with a dot: the page's CSP names it as
    ``https://host``), written alone, without https:// or a path."""
    for name in names:
        if not HOSTNAME.fullmatch(name) or "." not in name:
            return _("%(host)s is not a host name: write only the name, e.g. enquetes.laciotat.fr.", host=name)
    return None


def hostnames_problem(territory: Territory | None, names: list[str]) -> str | None:
    if not names:
        return _("Give at least one host name.")
    for name in names:
        if not (HOSTNAME.fullmatch(name) or name in {"127.0.0.1", "[::1]"}):
            return _("%(host)s is not a valid host name.", host=name)
        owner = db.session.scalar(select(TerritoryHost).where(TerritoryHost.hostname == name))
        if owner is not None and (territory is None or not same_territory(owner, territory)):
            return _("%(host)s is already used by another territory.", host=name)
    return None


@dataclass
class Settings:
    """What the town admin sets on the settings page (already checked)."""

    name: str
    tagline: str
    primary_color: str
    accent_color: str
    timezone: str
    default_language: str
    enabled_languages: list[str]
    hostnames: list[str]
    tile_url: str
    release: dict[str, float | None]  # release settings by column (RELEASE_BOUNDS); None: kept
    logo: Any = None  # a stored Media, when a new logo was sent
    survey_hosts: list[str] | None = None  # hosts whose surveys polls may embed; None: kept


def save_settings(territory: Territory, settings: Settings) -> None:
    territory.name = settings.name.strip()
    territory.tagline = settings.tagline.strip()
    territory.primary_color = settings.primary_color.lower()
    territory.accent_color = settings.accent_color.lower()
    territory.timezone = settings.timezone
    territory.default_language = settings.default_language
    territory.enabled_languages = [c for c in SUPPORTED if c in settings.enabled_languages]
    set_hostnames(territory, settings.hostnames)
    territory.tile_url = settings.tile_url.strip()
    if settings.survey_hosts is not None:
        territory.survey_hosts = "\n".join(settings.survey_hosts)
    for name, value in settings.release.items():
        if value is None:
            continue
        low, high = RELEASE_BOUNDS[name]
        setattr(territory, name, type(low)(min(max(value, low), high)))
    if settings.logo is not None:
        territory.logo_media_id = settings.logo.id
    db.session.commit()


def set_hostnames(territory: Territory, names: list[str]) -> None:
    """Replace the host names, keeping the rows of the names that stay."""
    keep = {host.hostname: host for host in territory.hosts}
    territory.hosts = [keep.get(name) or TerritoryHost(hostname=name) for name in names]


# --- GeoJSON areas --------------------------------------------------------------------------


@dataclass
class AreaCheck:
    """The outcome of checking a pasted or uploaded GeoJSON area."""

    geometry: dict[str, Any] | None
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and self.geometry is not None


def _rings(geometry: dict[str, Any]) -> list[Any]:
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Polygon":
        return list(coordinates) if isinstance(coordinates, list) else [None]
    if not isinstance(coordinates, list):
        return [None]
    return [ring for polygon in coordinates for ring in (polygon if isinstance(polygon, list) else [None])]


def _position_ok(position: Any) -> bool:
    return (
        isinstance(position, list)
        and len(position) in (2, 3)
        # finite numbers (an altitude too: NaN or Infinity would be stored as invalid JSON)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and -1e9 < v < 1e9 for v in position)
        and -180 <= position[0] <= 180
        and -90 <= position[1] <= 90
    )


def check_area(text: str, within: Territory | None = None) -> AreaCheck:
    """Check GeoJSON text for a neighbourhood or a boundary: valid JSON, a Polygon or
    MultiPolygon (a Feature or a one-feature collection is unwrapped), closed rings of valid
    positions, no self-intersection, at most 5,000 points, and inside ``within``'s boundary."""
    if not text or not text.strip():
        return AreaCheck(None, [_("Paste a GeoJSON geometry or upload a .geojson file.")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return AreaCheck(
            None, [_("This is not valid JSON (line %(line)d, column %(col)d).", line=error.lineno, col=error.colno)]
        )
    except RecursionError:  # brackets nested thousands deep: no geometry is like that
        return AreaCheck(None, [_("The GeoJSON is nested too deeply to be a geometry.")])
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if not isinstance(features, list) or len(features) != 1:
            return AreaCheck(None, [_("The feature collection must hold exactly one feature.")])
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        return AreaCheck(
            None, [_("The geometry must be a Polygon or a MultiPolygon (found: %(type)s).", type=str(found)[:40])]
        )
    errors: list[str] = []
    rings = _rings(data)
    points = 0
    if not rings:
        errors.append(_("The polygon has no coordinates."))
    for number, ring in enumerate(rings, start=1):
        if not isinstance(ring, list) or not all(_position_ok(p) for p in ring):
            errors.append(_("Ring %(n)d: every position must be [longitude, latitude] in degrees.", n=number))
            continue
        points += len(ring)
        if len(ring) < 4:
            errors.append(_("Ring %(n)d: a ring needs at least 4 positions.", n=number))
        elif ring[0] != ring[-1]:
            errors.append(
                _("Ring %(n)d is not closed: its last position must repeat its first one.", n=number)
            )
    if points > MAX_GEOMETRY_POINTS:
        errors.append(
            _("The area has %(count)d points; simplify it to %(max)d at most.", count=points, max=MAX_GEOMETRY_POINTS)
        )
    if errors:
        return AreaCheck(None, errors)
    geometry = _shape(data)
    if geometry is None:
        return AreaCheck(None, [_("These coordinates do not make a polygon.")])
    if not geometry.is_valid:
        return AreaCheck(
            None,
            [_("The polygon is not valid: %(reason)s. Its edges must not cross each other.",
               reason=explain_validity(geometry))],
        )
    if geometry.is_empty or geometry.area == 0:
        return AreaCheck(None, [_("The polygon has no area.")])
    if within is not None and within.boundary_geojson:
        boundary = _shape(json.loads(within.boundary_geojson))
        if boundary is not None and not boundary.buffer(1e-9).covers(geometry):
            return AreaCheck(None, [_("The area goes outside the territory's boundary.")])
    return AreaCheck({"type": data["type"], "coordinates": data["coordinates"]}, [])


def _shape(data: dict[str, Any]) -> BaseGeometry | None:
    try:
        return shape(data)
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def save_neighbourhood(territory: Territory, name: str, geometry: dict[str, Any],
                       neighbourhood: Neighbourhood | None = None) -> Neighbourhood:
    if neighbourhood is None:
        neighbourhood = Neighbourhood(territory_id=territory.id)
        db.session.add(neighbourhood)
    neighbourhood.name = name.strip()
    neighbourhood.slug = slugify(name)
    neighbourhood.geojson = json.dumps(geometry, separators=(",", ":"))
    db.session.commit()
    return neighbourhood


def neighbourhood_name_problem(territory: Territory, name: str, current_id: int | None = None) -> str | None:
    name = (name or "").strip()
    if not name:
        return _("Give the neighbourhood a name.")
    taken = db.session.scalar(
        select(Neighbourhood).where(
            belongs(Neighbourhood, territory),
            Neighbourhood.slug == slugify(name),
            Neighbourhood.id != (current_id or 0),
        )
    )
    if taken is not None:
        return _("A neighbourhood already has this name.")
    return None


def set_boundary(territory: Territory, geometry: dict[str, Any] | None) -> None:
    territory.boundary_geojson = json.dumps(geometry, separators=(",", ":")) if geometry else None
    db.session.commit()


# --- creating a territory -------------------------------------------------------------------


def in_territory(territory: Territory, lat: float, lon: float) -> bool:
    """Inside the territory's boundary; without one, within 50 km of its centre."""
    if territory.boundary_geojson:
        return bool(prepared_area(territory.boundary_geojson).covers(Point(lon, lat)))
    return distance_m(lat, lon, territory.center_lat, territory.center_lon) <= DEFAULT_REACH_M


# --- the hashtag catalogue and the neighbourhoods -----------------------------------------------


def active_hashtags(territory: Territory | int) -> list[Hashtag]:
    """The territory's catalogue as people choose from it: the active hashtags, by name."""
    territory_id = territory if isinstance(territory, int) else territory.id
    return list(db.session.scalars(
        scoped(Hashtag, territory_id, Hashtag.active.is_(True))
        .order_by(Hashtag.tag)
    ))


def find_hashtag(territory: Territory | int, tag: str | None) -> Hashtag | None:
    """The active hashtag of the catalogue named ``tag`` ("#Bio", "bio"...), if any (none for
    an empty tag, without a query)."""
    if not (tag or "").strip().lstrip("#").strip():
        return None
    tag = normalise_hashtag(tag or "")
    if not tag:
        return None
    territory_id = territory if isinstance(territory, int) else territory.id
    return db.session.scalar(
        scoped(Hashtag, territory_id, Hashtag.tag == tag,
                              Hashtag.active.is_(True))
    )


def neighbourhoods(territory: Territory) -> list[Neighbourhood]:
    return list(db.session.scalars(
        scoped(Neighbourhood, territory)
        .order_by(Neighbourhood.name)
    ))
