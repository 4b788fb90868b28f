"""Loading the demo territories (``flask demo load``): territory, neighbourhoods, actors with
their members, publications and citizens, from app.demo.data."""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from app.accounts.models import Consent, User, UserHashtag
from app.accounts.passwords import hash_password
from app.actors.models import Actor, Follow, Membership
from app.audit.demo_inventory import load_inventory_demo
from app.audit.demo_rounds import load_demo_round
from app.audit.demo_shops import load_demo_shops
from app.demo.data import (
    CITIZENS_PER_TERRITORY,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_TERRITORIES,
    EVENT_BODY,
    FIRST_NAMES,
    HOURS,
    NEWS_BODY,
    OFFER_BODY,
    PUBLICATIONS_PER_TERRITORY,
    PollSpec,
    QuestionSpec,
    TerritorySpec,
)
from app.extensions import db
from app.models_common import utcnow
from app.opendata.models import OpenDataCatalogue
from app.polls.answers import submit
from app.polls.models import PollOption, PollQuestion
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory, TerritoryHost
from app.territories.services import DEFAULT_HASHTAGS, ensure_hashtags
from app.text import slugify
from app.timezones import local_to_utc, parse_hhmm, zone

DEMO_OPEN_DATASETS = ("actors", "publications", "opening-hours")


def cell_polygon(spec: TerritorySpec, column: int, row: int) -> dict[str, Any]:
    dlat, dlon = spec.cell
    west = spec.lon + (column - 0.5) * dlon
    south = spec.lat + (row - 0.5) * dlat
    east, north = west + dlon, south + dlat
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def boundary_polygon(spec: TerritorySpec) -> dict[str, Any]:
    columns = [c for c, _r in spec.hoods.values()]
    rows = [r for _c, r in spec.hoods.values()]
    dlat, dlon = spec.cell
    west = spec.lon + (min(columns) - 0.5) * dlon - dlon / 4
    east = spec.lon + (max(columns) + 0.5) * dlon + dlon / 4
    south = spec.lat + (min(rows) - 0.5) * dlat - dlat / 4
    north = spec.lat + (max(rows) + 0.5) * dlat + dlat / 4
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def point_in_cell(spec: TerritorySpec, column: int, row: int, rng: random.Random) -> tuple[float, float]:
    dlat, dlon = spec.cell
    lat = spec.lat + (row + rng.uniform(-0.4, 0.4)) * dlat
    lon = spec.lon + (column + rng.uniform(-0.4, 0.4)) * dlon
    return round(lat, 6), round(lon, 6)


def load_demo(reset: bool = False) -> Iterator[str]:
    """Load both demo territories; yields progress lines for the command line."""
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once, reused: argon2 is slow on purpose
    for spec in DEMO_TERRITORIES:
        existing = db.session.scalar(select(Territory).where(Territory.slug == spec.slug))
        if existing is not None and not reset:
            yield f"{spec.name}: already loaded (use --reset to reload)"
            continue
        if existing is not None:
            _delete_territory(existing)
            yield f"{spec.name}: deleted"
        territory = _load_territory(spec, password_hash, random.Random(42))
        hosts = ", ".join(h.hostname for h in territory.hosts)
        yield f"{spec.name}: loaded on {hosts or '(no free host name)'}"
    yield f"demo accounts (password {DEMO_PASSWORD}): " + ", ".join(
        f"{who}@{DEMO_DOMAIN}" for who in ("citoyen", "commercant", "president", "admin")
    )


def _delete_territory(territory: Territory) -> None:
    """Everything of the territory goes with it (ON DELETE CASCADE in the schema)."""
    db.session.execute(delete(Territory).where(Territory.id == territory.id))
    db.session.commit()
    db.session.expunge_all()


def _local_datetime(tz: Any, day: datetime, hhmm: str) -> datetime:
    at = parse_hhmm(hhmm)
    assert at is not None, hhmm
    return local_to_utc(day.date(), at, tz)


def _load_territory(spec: TerritorySpec, password_hash: str, rng: random.Random) -> Territory:
    now = utcnow()
    tz = zone("Europe/Paris")
    session = db.session
    taken = set(session.scalars(select(TerritoryHost.hostname).where(TerritoryHost.hostname.in_(spec.hosts))))
    territory = Territory(
        slug=spec.slug, name=spec.name, tagline=spec.tagline, primary_color=spec.colours[0],
        accent_color=spec.colours[1], timezone="Europe/Paris", default_language="fr",
        enabled_languages_csv="fr,nl,en", center_lat=spec.lat, center_lon=spec.lon,
        boundary_geojson=json.dumps(boundary_polygon(spec), separators=(",", ":")),
        tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    )
    territory.hosts = [TerritoryHost(hostname=h) for h in spec.hosts if h not in taken]
    session.add(territory)
    session.flush()

    hoods = {
        name: Neighbourhood(territory_id=territory.id, name=name, slug=slugify(name),
                            geojson=json.dumps(cell_polygon(spec, *cell), separators=(",", ":")))
        for name, cell in spec.hoods.items()
    }
    session.add_all(hoods.values())
    catalogue = ensure_hashtags(territory, (*DEFAULT_HASHTAGS, *spec.local_tags))
    session.flush()
    tags = {h.tag: h for h in catalogue}

    actors: dict[str, Actor] = {}
    for number, a in enumerate(spec.actors):
        lat, lon = point_in_cell(spec, *spec.hoods[a.hood], rng)
        slug = slugify(a.name)
        actor = Actor(
            territory_id=territory.id, kind=a.kind, name=a.name, slug=slug, summary=a.summary,
            description_md=(
                f"{a.summary}\n\n**{a.name}** vous accueille {a.address}.\n\n"
                "Suivez-nous pour ne rien manquer de nos nouveautés."
            ),
            address=a.address, lat=lat, lon=lon, neighbourhood_id=hoods[a.hood].id,
            phone=f"04 {90 + number % 10:02d} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            email=f"contact@{slug}.example", website=f"https://{slug}.example",
            status=a.status, verified_at=now - timedelta(days=60) if a.status == "verified" else None,
            created_at=now - timedelta(days=90 if a.status == "verified" else 2),
        )
        actor.opening_hours = HOURS[a.hours]
        actor.hashtags = [tags[t] for t in a.tags.split()]
        actors[a.name] = actor
    session.add_all(actors.values())
    session.flush()

    publications = _publications(spec, territory, actors, tags, rng, now, tz)
    session.add_all(publications)

    users = _people(spec, territory, actors, hoods, tags, password_hash, rng, now)
    session.flush()
    session.add_all(
        Consent(user_id=user.id, purpose=purpose, granted_at=user.created_at)
        for user in users for purpose in ("terms", "profile_targeting")
    )
    session.commit()
    # Their own generator: the polls leave the rest of the demo as it was.
    _polls(spec, territory, actors, tags, users, random.Random(f"{spec.slug}-polls"), now)
    # Open data: the demo towns publish their directory, agenda and opening hours (README: Open data).
    session.add(OpenDataCatalogue(territory_id=territory.id, published=",".join(DEMO_OPEN_DATASETS),
                                  licence="etalab-2.0", contact_email=f"donnees-ouvertes.{spec.slug}@{DEMO_DOMAIN}"))
    session.commit()
    load_demo_shops(territory)  # the commerce audit: shops' declarations and self-assessments
    load_inventory_demo(territory)  # the commerce audit's data inventory (La Ciotat)
    load_demo_round(territory)  # the commerce audit: La Ciotat's completed round and plan
    return territory


def _publications(spec: TerritorySpec, territory: Territory, actors: dict[str, Actor],
                  tags: dict[str, Hashtag], rng: random.Random, now: datetime, tz: Any) -> list[Publication]:
    result = []
    local_today = now.astimezone(tz)
    extra_topics = _extra_topics(spec)
    planned = {a.name: list(a.publications) for a in spec.actors}
    # Top up to PUBLICATIONS_PER_TERRITORY with generic topics, one more per actor in turn.
    missing = PUBLICATIONS_PER_TERRITORY - sum(len(items) for items in planned.values())
    verified = [a.name for a in spec.actors
                if a.status == "verified" and a.kind in ("merchant", "association", "sports_club")]
    for number in range(max(0, missing)):
        planned[verified[number % len(verified)]].append(extra_topics[number % len(extra_topics)])
    for a in spec.actors:
        actor = actors[a.name]
        for index, item in enumerate(planned[a.name]):
            kind, title, summary, tag_text = item[:4]
            publication = Publication(
                territory_id=territory.id, actor_id=actor.id, kind=kind, title=title, summary=summary,
                status="published", place_name="", created_by_id=None,
            )
            values = {"summary": summary, "actor": a.name, "address": a.address, "place": a.address}
            if kind == "event":
                day_offset, start, hours = item[4], item[5], item[6]
                starts = _local_datetime(tz, local_today + timedelta(days=day_offset), start)
                publication.starts_at = starts
                publication.ends_at = starts + timedelta(hours=hours)
                publication.place_name = a.address.split(",")[0]
                publication.published_at = now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 12))
                publication.body_md = EVENT_BODY.format(**values)
            elif kind == "offer":
                days = item[6]
                publication.valid_from = now - timedelta(days=rng.randint(1, 3))
                # Offers end at 19:00 local time, as a shop would say.
                publication.valid_until = _local_datetime(tz, local_today + timedelta(days=days), "19:00")
                publication.published_at = publication.valid_from
                publication.body_md = OFFER_BODY.format(**values)
            else:
                publication.published_at = now - timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 20))
                publication.body_md = NEWS_BODY.format(**values)
            if a.name == spec.shop and index == 0:
                # The demo's showcase: the shop's #bio offer is the newest publication.
                publication.published_at = now - timedelta(minutes=10)
            publication.lat, publication.lon = actor.lat, actor.lon
            publication.created_at = publication.published_at
            publication.updated_at = publication.published_at
            publication.hashtags = [tags[t] for t in tag_text.split() if t in tags]
            result.append(publication)
    return result


def _extra_topics(spec: TerritorySpec) -> list[tuple[Any, ...]]:
    """Generic publications that any local actor could write, to reach the demo's volume."""
    if spec.slug == "montgenevre":
        return [
            ("news", "Bulletin neige : 40 cm de poudreuse cette nuit", "Toutes les pistes sont ouvertes ce matin.", "ski montagne"),
            ("event", "Randonnée raquettes au coucher du soleil", "Vin chaud au retour.", "raquettes nature", 4, "16:00", 2),
            ("news", "Nouvel horaire d’ouverture pendant les vacances", "Ouvert tous les jours, y compris le dimanche.", "tourisme"),
            ("event", "Initiation au ski de fond", "Matériel prêté, tous niveaux.", "ski sport", 9, "10:00", 2),
            ("offer", "Carte fidélité : le 10e achat offert", "Demandez votre carte en boutique.", "commerce", 0, "", 21),
            ("event", "Atelier luge pour les petits", "Glisse encadrée pour les 3-6 ans.", "luge enfants", 3, "14:00", 2),
        ]
    return [
        ("news", "Nouveaux horaires d’été", "Ouvert en continu en juillet et août.", "tourisme"),
        ("event", "Apéro-rencontre des voisins", "Faisons connaissance autour d’un verre.", "fete associations", 6, "18:30", 2),
        ("offer", "Carte fidélité : le 10e achat offert", "Demandez votre carte en boutique.", "commerce", 0, "", 21),
        ("event", "Journée portes ouvertes", "Découvrez nos activités, entrée libre.", "associations famille", 11, "10:00", 6),
        ("news", "Nous recrutons pour la saison", "Envoyez votre candidature, postes ouverts aux étudiants.", "emploi jeunesse"),
        ("event", "Pique-nique sur la plage", "Chacun apporte un plat à partager.", "plage famille", 8, "12:00", 3),
    ]


def _people(spec: TerritorySpec, territory: Territory, actors: dict[str, Actor],
            hoods: dict[str, Neighbourhood], tags: dict[str, Hashtag], password_hash: str,
            rng: random.Random, now: datetime) -> list[User]:
    session = db.session
    verified = [a for a in actors.values() if a.status == "verified"]
    hood_list = list(hoods.values())
    types = list(spec.population_weights)
    weights = list(spec.population_weights.values())
    popular = [t for t in tags.values() if t.tag in DEFAULT_HASHTAGS or t.tag in spec.local_tags]

    def person(email: str, name: str, **fields: Any) -> User:
        return User(territory_id=territory.id, email=email, password_hash=password_hash, display_name=name,
                    email_verified_at=now - timedelta(days=30), onboarded_at=now - timedelta(days=30),
                    created_at=now - timedelta(days=rng.randint(31, 400)), language="fr", **fields)

    centre = hood_list[len(hood_list) // 2]
    citizen = person(f"citoyen@{DEMO_DOMAIN}", "Camille Martin", neighbourhood_id=centre.id, population_type="resident")
    merchant = person(f"commercant@{DEMO_DOMAIN}", "Karim Benali", neighbourhood_id=centre.id, population_type="resident")
    president = person(f"president@{DEMO_DOMAIN}", "Sylvie Roux", neighbourhood_id=centre.id, population_type="resident")
    admin = person(f"admin@{DEMO_DOMAIN}", "Mairie – administration", is_admin=True)
    generated = []
    for number in range(1, CITIZENS_PER_TERRITORY + 1):
        first = rng.choice(FIRST_NAMES)
        generated.append(person(
            f"habitant{number:03d}@{spec.slug}.example", f"{first} {chr(65 + rng.randrange(26))}.",
            neighbourhood_id=rng.choice(hood_list).id,
            population_type=rng.choices(types, weights)[0],
        ))
    users = [citizen, merchant, president, admin, *generated]
    session.add_all(users)
    session.flush()

    user_tags = [(citizen, ["bio", "theatre", "marche"]), (merchant, ["bio", "marche", "gastronomie"]),
                 (president, ["sport", "jeunesse", "benevolat"])]
    user_tags += [(u, [t.tag for t in rng.sample(popular, rng.randint(2, 7))]) for u in generated]
    session.add_all(UserHashtag(user_id=u.id, hashtag_id=tags[t].id) for u, chosen in user_tags for t in chosen)

    follows = [(citizen, [actors[name] for name in spec.followed]),
               (merchant, [a for a in verified if a.name != spec.shop][:4]),
               (president, [a for a in verified if a.kind == "town_service"][:2])]
    follows += [(u, rng.sample(verified, rng.randint(1, 6))) for u in generated]
    session.add_all(Follow(user_id=u.id, actor_id=a.id, created_at=now - timedelta(days=rng.randint(1, 30)))
                    for u, followed in follows for a in followed)

    session.add_all([
        Membership(user_id=merchant.id, actor_id=actors[spec.shop].id, role="owner"),
        Membership(user_id=president.id, actor_id=actors[spec.club].id, role="owner"),
    ])
    # A few generated people run the other actors, so that every actor has an owner.
    for index, actor in enumerate(a for a in actors.values() if a.name not in (spec.shop, spec.club)):
        session.add(Membership(user_id=generated[index % len(generated)].id, actor_id=actor.id, role="owner"))
        actor.created_by_id = generated[index % len(generated)].id
    return users


VISITORS = ("tourist", "day_visitor")


def _polls(spec: TerritorySpec, territory: Territory, actors: dict[str, Actor], tags: dict[str, Hashtag],
           users: list[User], rng: random.Random, now: datetime) -> None:
    """The territory's polls, answered by its generated citizens as a person would (through
    app.polls.answers.submit, each from a browser of their own: a random ballot key, dropped),
    over the days the poll was open, some of them counted by population type, neighbourhood…"""
    generated = [user for user in users if not user.email.endswith("@" + DEMO_DOMAIN)]
    for poll_spec in spec.polls:
        publication = _poll(poll_spec, territory, actors[poll_spec.actor], tags, now)
        questions = list(db.session.scalars(
            select(PollQuestion).where(PollQuestion.publication_id == publication.id).order_by(PollQuestion.position)
        ))
        opens, closes = publication.valid_from, publication.valid_until
        assert opens is not None and closes is not None
        for user in rng.sample(generated, round(len(generated) * poll_spec.respondents)):
            visitor = user.population_type in VISITORS
            answer = {str(q.id): value for q, q_spec in zip(questions, poll_spec.questions, strict=True)
                      if (value := _demo_answer(q, q_spec, visitor, rng)) is not None}
            if not answer:
                continue
            answered_at = opens + (min(now, closes) - opens) * rng.uniform(0.02, 0.98)
            submit(publication, territory, user, secrets.token_bytes(32), answer,
                   shared=rng.random() < poll_spec.shared, now=answered_at)


def _poll(poll_spec: PollSpec, territory: Territory, actor: Actor, tags: dict[str, Hashtag],
          now: datetime) -> Publication:
    opens = now - timedelta(days=poll_spec.opened_days_ago, hours=2)
    publication = Publication(
        territory_id=territory.id, actor=actor, kind="poll", title=poll_spec.title, summary=poll_spec.summary,
        body_md=poll_spec.body, status="published", valid_from=opens,
        valid_until=now + timedelta(days=poll_spec.closes_in_days), poll_results=poll_spec.results,
        place_name=poll_spec.place_name, lat=actor.lat, lon=actor.lon, radius_m=poll_spec.radius_m,
        published_at=opens, created_at=opens, updated_at=opens,
    )
    publication.hashtags = [tags[t] for t in poll_spec.hashtags.split() if t in tags]
    db.session.add(publication)
    db.session.flush()
    for position, q_spec in enumerate(poll_spec.questions, start=1):
        question = PollQuestion(publication_id=publication.id, position=position, kind=q_spec.kind, text=q_spec.text,
                                help_text=q_spec.help_text, required=q_spec.required, scale_max=q_spec.scale_max)
        question.options = [PollOption(label=label, position=i) for i, label in enumerate(q_spec.options, start=1)]
        db.session.add(question)
    db.session.commit()
    return publication


def _demo_answer(question: PollQuestion, q_spec: QuestionSpec, visitor: bool, rng: random.Random) -> Any:
    """One person's answer to ``question``, leaning as ``q_spec`` says; None: left out."""
    weights = q_spec.visitors if visitor and q_spec.visitors else q_spec.weights
    option_ids = [option.id for option in question.options]
    if question.kind == "single":
        return [rng.choices(option_ids, weights)[0]]
    if question.kind == "multiple":
        chosen = [option_id for option_id, chance in zip(option_ids, weights, strict=True) if rng.random() < chance]
        return chosen or [rng.choice(option_ids)]
    if question.kind == "scale":
        return rng.choices(question.scale_values, weights)[0]
    if question.kind == "ranking":
        if not question.required and rng.random() < 0.2:
            return None
        # The options in the order of a weighted draw without replacement; the last ones often left out.
        keys = {option_id: rng.random() ** (1 / weight) for option_id, weight in zip(option_ids, weights, strict=True)}
        ranked = sorted(option_ids, key=keys.__getitem__, reverse=True)
        return ranked[:rng.randint(2, len(ranked))]
    if question.kind == "text" and q_spec.texts and rng.random() < 0.12:
        return rng.choice(q_spec.texts)
    return None
