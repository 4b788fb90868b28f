"""Nobody learns from the registration or reset forms whether an address has an account: not from
the answer, nor from the time it takes. The mails leave from the worker, so the request only
queues one, whoever the address belongs to."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

import pytest
from flask import has_request_context
from flask.testing import FlaskClient
from huey.storage import MemoryStorage

from app.accounts import tasks
from app.accounts.passwords import hash_password
from app.accounts.services import find_user
from app.queue import huey
from tests.accounts.conftest import link_in
from tests.factories import make_user
from tests.support.csrf import csrf_token

ROUNDS = 40


@pytest.fixture
def queued() -> Iterator[MemoryStorage]:
    """Tasks queued as in production (here in memory) instead of run in the request."""
    saved = (huey._immediate, huey.storage)
    storage = MemoryStorage(huey.name)
    huey._immediate, huey.storage = False, storage
    try:
        yield storage
    finally:
        huey._immediate, huey.storage = saved


def _timed_post(client: FlaskClient, path: str, data: dict, address: str) -> float:
    start = time.perf_counter()
    response = client.post(path, data=data, environ_base={"REMOTE_ADDR": address})
    elapsed = time.perf_counter() - start
    assert response.status_code == 303, response.get_data(as_text=True)
    with client.session_transaction() as session:
        session.pop("_flashes", None)  # read by the next page in a browser: the cookie stays as small
    return elapsed


def _medians(post: Callable[[bool, int], float], attempt: int) -> tuple[float, float]:
    known: list[float] = []
    unknown: list[float] = []
    for n in range(attempt * ROUNDS, (attempt + 1) * ROUNDS):
        pair = [(True, known), (False, unknown)]
        for exists, times in pair if n % 2 else reversed(pair):
            times.append(post(exists, n))
    return statistics.median(known), statistics.median(unknown)


def assert_same_time(post: Callable[[bool, int], float], attempts: int = 3) -> None:
    """Medians of ROUNDS requests for known and unknown addresses, interleaved (so that a slow
    moment of the machine weighs on both), within max(2 ms, a quarter of the median). A busy
    machine can tip one measurement; a real difference shows in every one."""
    measured = []
    for attempt in range(attempts):
        known, unknown = _medians(post, attempt)
        if abs(known - unknown) < max(0.002, 0.25 * (known + unknown) / 2):
            return
        measured.append((round(known * 1000, 2), round(unknown * 1000, 2)))
    pytest.fail(f"medians (ms) for known and unknown addresses: {measured}")


def test_registering_takes_as_long_whether_the_address_has_an_account_or_not(
    client, territory, queued
):
    for n in range(3 * ROUNDS):
        make_user(territory, email=f"known{n}@example.org")
    token = csrf_token(client, "/register")
    sent: list[str] = []

    def post(exists: bool, n: int) -> float:
        email = f"known{n}@example.org" if exists else f"new{n}@example.org"
        data = {"csrf_token": token, "email": email, "password": "sea spray and pine trees",
                "accept_terms": "y"}
        # One address per request: the rate limit is not what is measured.
        sent.append(email)
        return _timed_post(client, "/register", data, f"198.51.100.{2 * n + exists}")

    assert_same_time(post)
    # Each request queued the registration; the worker makes the account or tells the owner.
    assert queued.queue_size() == len(sent)


def test_asking_for_a_reset_takes_as_long_whether_the_address_has_an_account_or_not(
    client, territory, queued
):
    make_user(territory, email="lea@example.org")
    token = csrf_token(client, "/password/forgot")
    sent: list[str] = []

    def post(exists: bool, n: int) -> float:
        email = "lea@example.org" if exists else f"nobody{n}@example.org"
        data = {"csrf_token": token, "email": email}
        sent.append(email)
        return _timed_post(client, "/password/forgot", data, f"198.51.100.{2 * n + exists}")

    assert_same_time(post)
    # Each request queued the same task; the worker finds out whether the address has an account.
    assert queued.queue_size() == len(sent)


def test_the_worker_sends_the_account_mails_outside_any_request(app, territory, outbox):
    """What the pages queue runs in the worker: no request there, the links name the site the
    request came from, and the mail speaks the person's language, else the request's."""
    make_user(territory, email="lea@example.org", language="nl")
    assert not has_request_context()
    tasks.send_password_reset.call_local(territory.id, " LEA@example.org", "https://town.example/", "fr")
    tasks.send_password_reset.call_local(territory.id, "nobody@example.org", "https://town.example/", "fr")
    tasks.register_account.call_local(
        territory.id, "lea@example.org", hash_password("another sentence here"), "", None,
        "https://town.example/", "en",
    )
    tasks.register_account.call_local(
        territory.id, "noe@example.org", hash_password("another sentence here"), "Noé", None,
        "https://town.example/", "en",
    )
    reset, someone_tried, verify = outbox
    assert reset["To"] == someone_tried["To"] == "lea@example.org"
    assert link_in(reset, "/password/reset/").startswith("https://town.example/password/reset/")
    assert reset["Subject"] == "Stel uw wachtwoord opnieuw in"  # Léa chose Dutch
    assert "https://town.example/password/forgot" in someone_tried.get_body(("plain",)).get_content()
    assert verify["To"] == "noe@example.org" and verify["Subject"] == "Confirm your e-mail address"
    assert link_in(verify, "/verify/").startswith("https://town.example/verify/")
    assert find_user(territory, "noe@example.org").display_name == "Noé"
