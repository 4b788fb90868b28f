"""The polls benchmark (issue 13): 100,000 answers over 20 polls, on SQLite.

Prints exactly (each with its goal):
    poll_results_p95_ms: N        server time of a results page with two cross-tables (a poll
                                  with a single- and a multiple-choice question, ?by=population),
                                  200 views mixing 8 such polls (Flask test client, a different
                                  logged-in citizen each time): the first view of a poll in the
                                  day releases its figures and stores them, later ones read them
                                  (goal <= 200)
    poll_answer_req_per_s: N      answers per second through POST /polls/<id>/answer under
                                  gunicorn with 2 workers, each request a different logged-in
                                  citizen with their CSRF token, answering a poll they had not
                                  answered (goal >= 300)
    observatory_p95_ms: N         /admin/observatory as the town's admin, 50 views, the first of the
                                  day releasing its figures (goal <= 300); "n/a (observatory not
                                  built)" when that page does not answer 200
Progress and side figures (first views, polls with four cross-tables) go to stderr.

The territory (a temporary SQLite file): 42,000 citizens over 12 neighbourhoods, with the six
population types, four languages (one in sixteen gives none) and 1 to 9 followed hashtags out
of 60 (a few popular, a long tail); 70 % agreed to profile data being used. 20 polls by 20
actors, of three shapes: single + multiple choice + two short texts (8 polls: two
cross-tables), and two five-question shapes with a scale (1-5 or 0-10), a ranking, etc. (12
polls: four cross-tables). Popular polls get more answers (from about 2,000 to 12,000);
choices lean differently per population type, so cross-tables differ.

How the 100,000 answers are planted: **in bulk, not through the service**. For each answer the
script builds what ``app.polls.answers.submit`` would store — the tally cells of
``answers._cells`` in the groups ``answers.groups_of`` gives (everybody, the ISO week of the
answer, and population / neighbourhood / language / hashtags for people who shared, "not
given" for the others), ``counted`` as ``answers.is_counted`` decides (established accounts
outside the poll's actor), scrubbed short texts under random keys, a PollRespondent row, and
the sheet sealed with ``app.polls.keys`` under a per-citizen ballot key — then sums the
tallies and writes every table with executemany. A check compares ``answers.groups_of`` with
the planted groups for a sample of citizens, and, after the load, each poll's "answered"
tally with its number of respondents.

The load generator is ``wrk`` with bench/rotate_cookies.lua (a POST per line) when installed (`make wrk`), else a
single-process asyncio client.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_feed import SECRET_KEY, free_port, load, log_in_citizens, start_gunicorn  # noqa: E402
from bench.bench_geo import checkin_citizens  # noqa: E402
from bench.feed_data import log  # noqa: E402

ANSWERS = 100_000
POLLS = 20
ANSWERING = 30_000  # citizens the planted answers come from
FRESH = 12_000  # citizens who have answered nothing: the load test's
NEIGHBOURHOODS = 12
HASHTAGS = 60
BATCH = 5000
GOALS = {"poll_results_p95_ms": "<= 200", "poll_answer_req_per_s": ">= 300", "observatory_p95_ms": "<= 300"}

POPULATIONS = {"resident": 44, "seasonal_local": 7, "seasonal_elsewhere": 6, "second_home": 14,
               "tourist": 21, "day_visitor": 8}
LANGUAGES = {"fr": 66, "en": 14, "nl": 14, None: 6}
PROFILE_CONSENT = 0.70  # agreed to profile data being used
SHARES = 0.85  # of those, ticked "count my answer in my groups" on this poll
NEW_ACCOUNTS = 0.02  # created two days ago: not established, not counted

# (kind, text, options or scale max, required)
TWO_TABLES = (
    ("single", "Where should the market go?", ["Square", "Harbour", "Park", "Station", "Beach"], True),
    ("multiple", "What would you like there?", ["Trees", "Benches", "Fountain", "Shade", "Bike racks", "Toilets"], False),
    ("text", "Why?", [], False),
    ("text", "Anything else?", [], False),
)
FOUR_TABLES_A = (
    ("single", "Which day for the market?", ["Saturday", "Sunday", "Wednesday", "Friday"], True),
    ("multiple", "What brings you to the centre?", ["Shops", "Cafés", "Beach", "Services", "Events"], False),
    ("scale", "How happy are you with the square now?", 5, True),
    ("ranking", "Rank the projects", ["Cycle lane", "Playground", "Car park", "Library"], False),
    ("text", "Anything else?", [], False),
)
FOUR_TABLES_B = (
    ("single", "How do you come to the village?", ["On foot", "By bike", "By car", "By bus"], True),
    ("scale", "How likely are you to recommend the resort?", 10, True),
    ("multiple", "What is missing?", ["Parking", "Shade", "Buses", "Night life", "Shops", "Quiet"], False),
    ("text", "What would you change?", [], False),
    ("single", "Did you come last year?", ["Yes", "No"], False),
)
TEXTS = ["More shade please", "Keep it as it is", "Trees!", "Less traffic", "Write to me at jo@example.org",
         "Call me 06 12 34 56 78", "Open later in summer", "Merci", "Benches near the fountain", "No cars"]


@dataclass
class Citizen:
    id: int
    population: str
    neighbourhood: int
    language: str | None
    hashtags: list[int]
    consent: bool
    established: bool


@dataclass
class Poll:
    id: int
    actor_id: int
    shape: str
    questions: list[Any] = field(default_factory=list)  # PollQuestion, options loaded
    members: set[int] = field(default_factory=set)


def make_app(db_path: Path, instance: str) -> Any:
    """The app on the benchmark's database, rate limits and the access log off (as under gunicorn)."""
    os.environ["RATELIMIT_ENABLED"] = "0"
    from app import create_app

    return create_app({
        "SQLALCHEMY_URL": f"sqlite:///{db_path}", "SECRET_KEY": SECRET_KEY, "INSTANCE_DIR": instance,
        "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": False, "ACCESS_LOG": False,
    })


def _weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- the territory ------------------------------------------------------------------------------


def generate_people(app: Any, rng: random.Random, now: datetime) -> list[Citizen]:
    """The territory, its neighbourhoods and hashtags, and the citizens (ids 1..ANSWERING+FRESH),
    then the town's admin."""
    from sqlalchemy import insert

    from app.accounts.consents import PROFILE_TARGETING
    from app.accounts.models import Consent, User, UserHashtag
    from app.extensions import db
    from app.models import Base
    from app.territories.models import Hashtag, Neighbourhood, Territory, TerritoryHost

    with app.app_context():
        engine = db.engine
        Base.metadata.create_all(engine)
        territory = Territory(id=1, slug="bench", name="Bench-les-Pins", center_lat=44.93, center_lon=6.72,
                              timezone="Europe/Paris", enabled_languages_csv="fr,nl,en", established_after_days=7)
        territory.hosts = [TerritoryHost(hostname="localhost")]
        db.session.add(territory)
        db.session.flush()
        for i in range(1, NEIGHBOURHOODS + 1):
            db.session.add(Neighbourhood(id=i, territory_id=1, name=f"Quartier {i:02d}", slug=f"quartier-{i}"))
        for i in range(1, HASHTAGS + 1):
            db.session.add(Hashtag(id=i, territory_id=1, tag=f"tag{i:02d}", active=True))
        db.session.commit()

        hood_weights = {i: 1.0 / (1 + 0.15 * i) for i in range(1, NEIGHBOURHOODS + 1)}
        tag_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(HASHTAGS)]
        citizens, users, tags, consents = [], [], [], []
        for user_id in range(1, ANSWERING + FRESH + 1):
            population = _weighted(rng, POPULATIONS)
            chosen = sorted(set(rng.choices(range(1, HASHTAGS + 1), weights=tag_weights, k=rng.randint(1, 9))))
            citizen = Citizen(user_id, population, _weighted(rng, hood_weights), _weighted(rng, LANGUAGES),
                              chosen, rng.random() < PROFILE_CONSENT, rng.random() >= NEW_ACCOUNTS)
            citizens.append(citizen)
            created = now - (timedelta(days=400) if citizen.established else timedelta(days=2))
            users.append({
                "id": user_id, "territory_id": 1, "email": f"citoyen{user_id}@bench.territory",
                "password_hash": "!unusable", "display_name": "", "language": citizen.language,
                "email_verified_at": created, "is_admin": False, "neighbourhood_id": citizen.neighbourhood,
                "population_type": population, "onboarded_at": created, "created_at": created,
            })
            tags += [{"user_id": user_id, "hashtag_id": tag} for tag in chosen]
            if citizen.consent:
                consents.append({"user_id": user_id, "purpose": PROFILE_TARGETING, "channel": None,
                                 "detail": "bench", "granted_at": created, "withdrawn_at": None})
        users.append({
            "id": ANSWERING + FRESH + 1, "territory_id": 1, "email": "mairie@bench.territory",
            "password_hash": "!unusable", "display_name": "Mairie", "language": "fr",
            "email_verified_at": now - timedelta(days=400), "is_admin": True, "neighbourhood_id": None,
            "population_type": None, "onboarded_at": now, "created_at": now - timedelta(days=400),
        })
        with engine.begin() as connection:
            for table, rows in ((User, users), (UserHashtag, tags), (Consent, consents)):
                for start in range(0, len(rows), BATCH):
                    connection.execute(insert(table), rows[start:start + BATCH])
    return citizens


def generate_polls(app: Any, rng: random.Random, now: datetime) -> list[Poll]:
    """20 actors (associations, the town hall, shops), each with a poll open for answers and its
    results shown live; three of each actor's members are citizens (their answers do not count)."""
    from app.actors.models import Actor, Membership
    from app.extensions import db
    from app.polls.models import PollOption, PollQuestion
    from app.publications.models import Publication

    shapes = ["two"] * 8 + ["four_a"] * 6 + ["four_b"] * 6
    rng.shuffle(shapes)
    templates = {"two": TWO_TABLES, "four_a": FOUR_TABLES_A, "four_b": FOUR_TABLES_B}
    kinds = ("association", "town_service", "merchant", "tourism_office", "culture")
    polls = []
    with app.app_context():
        for number, shape in enumerate(shapes, start=1):
            actor = Actor(territory_id=1, name=f"Acteur {number}", slug=f"acteur-{number}",
                          kind=kinds[number % len(kinds)], status="verified", created_at=now - timedelta(days=500),
                          verified_at=now - timedelta(days=499))
            db.session.add(actor)
            db.session.flush()
            members = set(rng.sample(range(1, ANSWERING + 1), 3))
            for user_id in members:
                db.session.add(Membership(actor_id=actor.id, user_id=user_id, role="editor"))
            opened = now - timedelta(days=rng.randint(10, 60))
            poll = Publication(territory_id=1, actor_id=actor.id, kind="poll", status="published",
                               title=f"Consultation {number}", summary="Votre avis compte.", body_md="",
                               valid_from=opened, valid_until=now + timedelta(days=rng.randint(7, 30)),
                               poll_results="live", published_at=opened, created_at=opened, updated_at=opened)
            db.session.add(poll)
            db.session.flush()
            for position, (kind, text, extra, required) in enumerate(templates[shape], start=1):
                question = PollQuestion(publication_id=poll.id, position=position, kind=kind, text=text,
                                        required=required, scale_max=extra if kind == "scale" else None)
                if isinstance(extra, list):
                    question.options = [PollOption(label=label, position=i) for i, label in enumerate(extra, start=1)]
                db.session.add(question)
            polls.append(Poll(poll.id, actor.id, shape, members=members))
        db.session.commit()
        for poll in polls:
            questions = db.session.query(PollQuestion).filter_by(publication_id=poll.id).order_by(PollQuestion.position).all()
            for question in questions:
                question.options  # noqa: B018 (loaded now, used detached)
            db.session.expunge_all()
            poll.questions = questions
    return polls


# --- answers ------------------------------------------------------------------------------------


def leanings(rng: random.Random, polls: list[Poll]) -> dict[tuple[int, str], list[float]]:
    """For each question and population type, how much each option (or scale value) appeals."""
    out = {}
    for poll in polls:
        for question in poll.questions:
            size = len(question.options) or len(question.scale_values)
            base = [rng.uniform(0.5, 3.0) for _ in range(size)]
            for population in POPULATIONS:
                out[(question.id, population)] = [b * rng.uniform(0.3, 1.7) for b in base]
    return out


def random_answer(rng: random.Random, question: Any, appeal: list[float]) -> Any:
    """A value as ``answers.parse`` returns it, or None (an optional question left blank)."""
    if not question.required and rng.random() < (0.7 if question.kind == "text" else 0.15):
        return None
    option_ids = [option.id for option in question.options]
    if question.kind == "single":
        return [rng.choices(option_ids, weights=appeal)[0]]
    if question.kind == "multiple":
        top = max(appeal)
        chosen = sorted(o for o, a in zip(option_ids, appeal, strict=True) if rng.random() < 0.6 * a / top)
        return chosen or [rng.choices(option_ids, weights=appeal)[0]]
    if question.kind == "scale":
        return rng.choices(question.scale_values, weights=appeal)[0]
    if question.kind == "ranking":  # an order drawn by appeal (Plackett-Luce)
        keyed = sorted(option_ids, key=lambda o: -rng.random() ** (1.0 / appeal[option_ids.index(o)]))
        return keyed
    return rng.choice(TEXTS)


def plant_answers(app: Any, rng: random.Random, now: datetime, citizens: list[Citizen], polls: list[Poll]) -> None:
    from sqlalchemy import insert

    from app.extensions import db
    from app.polls import keys
    from app.polls.answers import HASHTAGS_COUNTED, NOT_GIVEN, _cells, scrub
    from app.polls.models import PollRespondent, PollSheet, PollTally, PollText
    from app.territories.models import Territory
    from app.timezones import zone

    appeal = leanings(rng, polls)
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(polls))]
    sizes = [int(ANSWERS * w / sum(weights)) for w in weights]
    sizes[0] += ANSWERS - sum(sizes)
    rng.shuffle(sizes)
    ballot_keys = {c.id: os.urandom(32) for c in citizens[:ANSWERING]}
    tallies: Counter[tuple[Any, ...]] = Counter()
    respondents, sheets, texts = [], [], []
    with app.test_request_context():
        tz = zone(db.session.get(Territory, 1))
        for poll, size in zip(polls, sizes, strict=True):
            questions = {q.id: q for q in poll.questions}
            opened = now - timedelta(days=45)
            for user_id in rng.sample(range(1, ANSWERING + 1), size):
                person = citizens[user_id - 1]
                answer = {}
                for question in poll.questions:
                    value = random_answer(rng, question, appeal[(question.id, person.population)])
                    if value is not None:
                        answer[str(question.id)] = scrub(value) if question.kind == "text" else value
                if not answer:
                    first = poll.questions[0]
                    answer[str(first.id)] = [first.options[0].id]
                answered_at = opened + timedelta(seconds=rng.uniform(0, (now - opened).total_seconds()))
                week = answered_at.astimezone(tz).isocalendar()
                groups = [("all", ""), ("week", f"{week.year}-W{week.week:02d}")]
                shared = person.consent and rng.random() < SHARES
                if shared:
                    groups += [("population", person.population), ("neighbourhood", str(person.neighbourhood)),
                               ("language", person.language or NOT_GIVEN)]
                    groups += [("hashtag", str(tag)) for tag in person.hashtags[:HASHTAGS_COUNTED]]
                else:
                    groups += [("population", NOT_GIVEN), ("neighbourhood", NOT_GIVEN), ("language", NOT_GIVEN)]
                counted = person.established and user_id not in poll.members
                for q, o, v in _cells(answer, questions):
                    for dim, group in groups:
                        tallies[(poll.id, q, o, v, dim, group, counted)] += 1
                text_ids = []
                for key, value in answer.items():
                    if questions[int(key)].kind == "text":
                        text_ids.append(secrets.token_hex(16))
                        texts.append({"id": text_ids[-1], "publication_id": poll.id, "question_id": int(key),
                                      "counted": counted, "text": value})
                secret = keys.poll_secret(ballot_keys[user_id], poll.id, user_id)
                sheets.append({"key_hash": keys.sheet_name(secret), "publication_id": poll.id, "sealed": keys.seal(
                    secret, poll.id, {"answer": answer, "groups": groups, "counted": counted, "texts": text_ids,
                                      "shared": shared})})
                respondents.append({"publication_id": poll.id, "user_id": user_id})
            log(f"  poll {poll.id} ({poll.shape.replace('_', ' ')} tables): {size} answers")
        rows = [{"publication_id": p, "question_id": q, "option_id": o, "value": v, "dim": d, "grp": g,
                 "counted": c, "count": n} for (p, q, o, v, d, g, c), n in tallies.items()]
        sheets.sort(key=lambda row: row["key_hash"])
        respondents.sort(key=lambda row: (row["publication_id"], row["user_id"]))
        with db.engine.begin() as connection:
            for table, batch in ((PollTally, rows), (PollRespondent, respondents), (PollSheet, sheets),
                                 (PollText, texts)):
                for start in range(0, len(batch), BATCH):
                    connection.execute(insert(table), batch[start:start + BATCH])
            connection.exec_driver_sql("ANALYZE")
        log(f"  {len(rows)} tally rows, {len(respondents)} respondents and sheets, {len(texts)} short texts")


def check_groups(app: Any, rng: random.Random, citizens: list[Citizen], now: datetime) -> None:
    """The planted groups are those ``answers.groups_of`` gives (for people who share)."""
    from app.accounts.models import User
    from app.extensions import db
    from app.polls.answers import groups_of
    from app.territories.models import Territory

    with app.test_request_context():
        territory = db.session.get(Territory, 1)
        week = groups_of(db.session.get(User, 1), territory, False, now)[1]
        for person in rng.sample(citizens[:ANSWERING], 30):
            expected = [("all", ""), week]
            if person.consent:
                expected += [("population", person.population), ("neighbourhood", str(person.neighbourhood)),
                             ("language", person.language or ""), *[("hashtag", str(t)) for t in person.hashtags]]
            else:
                expected += [("population", ""), ("neighbourhood", ""), ("language", "")]
            given = groups_of(db.session.get(User, person.id), territory, True, now)
            if given != expected:
                raise SystemExit(f"planted groups differ from answers.groups_of: {given} != {expected}")


def respondents(app: Any) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.polls.models import PollRespondent

    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(PollRespondent)) or 0)


def check_tallies(app: Any, polls: list[Poll]) -> None:
    """Each poll's "answered" tally (everybody, counted or not) equals its respondents."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.polls.models import ANSWERED, PollRespondent, PollTally

    with app.app_context():
        for poll in polls:
            answered = db.session.scalar(select(func.sum(PollTally.count)).where(
                PollTally.publication_id == poll.id, PollTally.question_id == 0, PollTally.value == ANSWERED,
                PollTally.dim == "all"))
            respondents = db.session.scalar(select(func.count()).select_from(PollRespondent).where(
                PollRespondent.publication_id == poll.id))
            if answered != respondents:
                raise SystemExit(f"poll {poll.id}: {answered} answered in the tallies, {respondents} respondents")


# --- results --------------------------------------------------------------------------------------


def time_results(app: Any, cookies: list[str], polls: list[Poll], views: int, rng: random.Random,
                 breakdown: str = "population") -> tuple[list[float], list[float]]:
    """Server times of ``views`` results pages (``?by=breakdown``) mixing ``polls``, each as the
    next citizen: (all views, first views of a poll)."""
    client = app.test_client()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    seen: set[int] = set()
    timings, first = [], []
    for view in range(views):
        poll = rng.choice(polls)
        client.set_cookie(cookie_name, cookies[view % len(cookies)])
        started = time.perf_counter()
        response = client.get(f"/polls/{poll.id}/results?by={breakdown}")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or b"<table" not in response.data:
            raise SystemExit(f"the results page did not answer: {response.status_code}")
        timings.append(elapsed)
        if poll.id not in seen:
            seen.add(poll.id)
            first.append(elapsed)
    return timings, first


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def time_observatory(app: Any, cookie: str, views: int) -> tuple[int, list[float]]:
    """(status of the first view, server times of ``views`` views as the town's admin); the
    first view, which releases the day's figures, is one of them. No timings unless it answers 200."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    timings = []
    for _view in range(views):
        started = time.perf_counter()
        response = client.get("/admin/observatory")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            if timings[1:]:
                raise SystemExit(f"the observatory stopped answering: {response.status_code}")
            return response.status_code, []
    return 200, timings


# --- answering under load -----------------------------------------------------------------------


def answer_lines(app: Any, rng: random.Random, polls: list[Poll], citizens: list[Citizen]) -> list[str]:
    """One line per (fresh citizen, poll): "<cookie> <path> <form>", the form as a person sends
    it (CSRF token, each question, "share"); every citizen answers two polls."""
    fresh = citizens[ANSWERING:]
    logged = checkin_citizens(app, [c.id for c in fresh])
    appeal = leanings(random.Random(5), polls)
    lines = []
    for person, (cookie, token) in zip(fresh, logged, strict=True):
        for poll in rng.sample(polls, 2):
            form: list[tuple[str, Any]] = [("csrf_token", token)]
            for question in poll.questions:
                weights = appeal[(question.id, person.population)]
                value = random_answer(rng, question, weights)
                if value is None:
                    continue
                name = f"q{question.id}"
                if question.kind == "ranking":
                    form += [(f"{name}-{option_id}", rank) for rank, option_id in enumerate(value, start=1)]
                elif isinstance(value, list):
                    form += [(name, option_id) for option_id in value]
                else:
                    form.append((name, value))
            if person.consent and rng.random() < SHARES:
                form.append(("share", "yes"))
            lines.append(f"{cookie} /polls/{poll.id}/answer {urllib.parse.urlencode(form)}")
    rng.shuffle(lines)
    return lines


def load_answers(url: str, lines: list[str], seconds: float, concurrency: int, cookie_name: str) -> tuple[float, int, int]:
    """(answers per second, failed, requests sent)."""
    if shutil.which("wrk"):
        return _load_wrk(url, lines, seconds, concurrency, cookie_name)
    return asyncio.run(_load_aiohttp(url, lines, seconds, concurrency, cookie_name))


def _load_wrk(url: str, lines: list[str], seconds: float, concurrency: int, cookie_name: str) -> tuple[float, int, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(lines))
        answer_file = handle.name
    try:
        result = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
             "-s", str(ROOT / "bench" / "rotate_cookies.lua"), url, "--", cookie_name, answer_file,
             "/polls/%d+$"],
            capture_output=True, text=True, check=True,
        )
    finally:
        os.unlink(answer_file)
    for line in result.stdout.splitlines():
        if line.startswith("wrk-result "):
            requests, duration_us, failed, socket_errors = (int(v) for v in line.split()[1:])
            return (requests - failed) / (duration_us / 1e6), failed + socket_errors, requests
    raise SystemExit(f"wrk gave no result: {result.stdout} {result.stderr}")


async def _load_aiohttp(url: str, lines: list[str], seconds: float, concurrency: int,
                        cookie_name: str) -> tuple[float, int, int]:
    import aiohttp

    done = errors = sent = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def worker() -> None:
            nonlocal done, errors, sent
            while time.perf_counter() < deadline:
                cookie, path, body = lines[sent % len(lines)].split(" ")
                sent += 1
                headers = {"Cookie": f"{cookie_name}={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
                try:
                    async with session.post(url.rstrip("/") + path, data=body, headers=headers,
                                            allow_redirects=False) as response:
                        await response.read()
                        if response.status == 303 and response.headers.get("Location", "").rstrip("0123456789").endswith("/polls/"):
                            done += 1
                        else:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed, errors, sent


# --- main -------------------------------------------------------------------------------------------


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) the gunicorn workers have used: with the load average, it tells
    a slow server from a busy machine."""
    import psutil

    total = 0.0
    for worker in psutil.Process(server.pid).children(recursive=True):
        times = worker.cpu_times()
        total += times.user + times.system
    return total


def figure(name: str, value: str) -> None:
    print(f"{name}: {value}  (goal {GOALS[name]})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=200, help="results pages timed (two cross-tables)")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of the answering load")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true", help="only the in-process timings")
    args = parser.parse_args()

    rng = random.Random(13)
    workdir = Path(tempfile.mkdtemp(prefix="bench-polls-"))
    db_path = workdir / "polls.db"
    instance = str(workdir / "instance")
    app = make_app(db_path, instance)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        started = time.perf_counter()
        log(f"generating {ANSWERING + FRESH} citizens and {POLLS} polls in {db_path}")
        citizens = generate_people(app, rng, now)
        polls = generate_polls(app, rng, now)
        check_groups(app, rng, citizens, now)
        log(f"planting {ANSWERS} answers (in bulk, as app.polls.answers stores them)")
        plant_answers(app, rng, now, citizens, polls)
        log(f"  data ready in {time.perf_counter() - started:.1f} s")

        # The planting's Python objects stay alive in this process (a server's would not hold
        # them): kept out of the garbage collector's scans, so they do not pause the timed pages.
        gc.collect()
        gc.freeze()
        viewers = rng.sample(range(1, ANSWERING + 1), 100)
        admin_id = ANSWERING + FRESH + 1
        cookies = log_in_citizens(app, [*viewers, admin_id])
        viewer_cookies, admin_cookie = cookies[:-1], cookies[-1]
        two = [poll for poll in polls if poll.shape == "two"]
        four = [poll for poll in polls if poll.shape != "two"]
        # Warm-up: templates, the noise library's import; on other polls and another breakdown.
        time_results(app, viewer_cookies, four, 5, random.Random(1), breakdown="hashtag")
        log(f"timing {args.views} results pages (?by=population) over {len(two)} polls with two cross-tables")
        timings, first = time_results(app, viewer_cookies, two, args.views, random.Random(2))
        log(f"  median {statistics.median(timings):.1f} ms; first views of the day (they release): "
            f"{', '.join(f'{t:.0f}' for t in first)} ms")
        figure("poll_results_p95_ms", f"{p95(timings):.1f}")
        side, side_first = time_results(app, viewer_cookies, four, 100, random.Random(3))
        log(f"  polls with four cross-tables: p95 {p95(side):.1f} ms, median {statistics.median(side):.1f} ms, "
            f"first views {', '.join(f'{t:.0f}' for t in side_first)} ms")

        status, observatory = time_observatory(app, admin_cookie, 50)
        if observatory:
            log(f"  observatory: median {statistics.median(observatory):.1f} ms, first view {observatory[0]:.0f} ms, "
                f"slowest {', '.join(f'{t:.0f}' for t in sorted(observatory)[-4:])} ms")
            figure("observatory_p95_ms", f"{p95(observatory):.1f}")
        else:
            log(f"  /admin/observatory answered {status} to the town's admin")
            figure("observatory_p95_ms", "n/a (observatory not built)")
        if args.skip_load:
            return

        lines = answer_lines(app, rng, polls, citizens)
        warm, measured = lines[:3000], lines[3000:]
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        port = free_port()
        server = start_gunicorn(db_path, instance, port)
        try:
            base = f"http://127.0.0.1:{port}"
            log(f"load generator: {'wrk' if shutil.which('wrk') else 'aiohttp (install wrk for a leaner one)'}")
            log("warming up gunicorn")
            load_answers(base, warm, 3.0, args.concurrency, cookie_name)
            trivial_rps, _errors = load(f"{base}/healthz", [], 5.0, args.concurrency, cookie_name)
            log(f"  trivial page (same server, same run, for scale): {trivial_rps:.0f} req/s")
            log(f"answering: {args.concurrency} connections, {args.seconds:.0f} s, {len(measured)} answers ready")
            before = respondents(app)
            cpu_before, wall_before = server_cpu_seconds(server), time.perf_counter()
            rps, errors, sent = load_answers(base, measured, args.seconds, args.concurrency, cookie_name)
            cpu = server_cpu_seconds(server) - cpu_before
            wall = time.perf_counter() - wall_before
        finally:
            server.terminate()
            server.wait(timeout=30)
        taken = respondents(app) - before
        per_answer = cpu * 1000 / max(1, taken)
        log(f"  {rps:.0f} answers/s, {errors} failed, {sent} sent, {taken} taken (new respondents)")
        log(f"  the workers used {cpu / wall:.2f} of the 2 cores, {per_answer:.1f} ms of CPU per answer; load "
            f"average {os.getloadavg()[0]:.1f} (on a busy machine the workers get less than 2 cores: 2 free "
            f"cores at this CPU cost would take about {2000 / per_answer:.0f} answers/s, an estimate)")
        if sent > len(measured):
            log("  more requests than prepared answers: some were second answers (refused)")
        if taken < rps * args.seconds * 0.9:
            raise SystemExit(f"only {taken} answers were taken for {rps:.0f}/s over {args.seconds:.0f} s")
        check_tallies(app, polls)
        figure("poll_answer_req_per_s", f"{rps:.0f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
