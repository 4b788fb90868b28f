"""The citizens of the load benchmark (bench/bench_load.py runs this file with locust, headless).

Each simulated citizen is logged in (a session cookie minted by the benchmark, read from the
JSON file named by BENCH_LOAD_DATA) and browses as a person would, with 1 to 5 seconds between
pages: "For you" most, then "Everything", publication pages, "Near me" around a point of the
town, actor pages and the inbox. Full pages, as on a first visit; a few "For you" pages come as
the htmx fragment that the infinite scroll asks for.

Each locust process also writes every request it made (start time, response time in ms,
succeeded) to ``$BENCH_LOAD_SAMPLES-<pid>.csv`` when the test stops: the benchmark splits them
into "while the campaign sends" and "without it".
"""

from __future__ import annotations

import json
import os
import random
from itertools import count

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["BENCH_LOAD_DATA"]) as _file:
    DATA = json.load(_file)
_next_citizen = count()
# The time between two of locust's spawn batches (locust.dispatch: one batch a second).
SPAWN_INTERVAL = 1.0
_samples: list[str] = []


@events.request.add_listener
def _record(start_time: float, response_time: float, exception: object, **_kwargs: object) -> None:
    _samples.append(f"{start_time:.3f},{response_time:.1f},{0 if exception else 1}")


@events.test_stop.add_listener
def _write_samples(**_kwargs: object) -> None:
    if _samples and os.environ.get("BENCH_LOAD_SAMPLES"):
        with open(f"{os.environ['BENCH_LOAD_SAMPLES']}-{os.getpid()}.csv", "a") as handle:
            handle.write("\n".join(_samples) + "\n")
        _samples.clear()


class Citizen(FastHttpUser):
    wait_time = between(1, 5)
    # One connection per simulated citizen, as a browser would mostly have.
    concurrency = 1

    def on_start(self) -> None:
        cookie = DATA["cookies"][next(_next_citizen) % len(DATA["cookies"])]
        self.citizen_headers = {"Cookie": f"{DATA['cookie_name']}={cookie}", "Accept-Language": "fr"}
        # locust starts each second's share of the spawn rate at the same instant (its dispatcher
        # hands out floor(spawn_rate) users a second, in one go), and a user's first page follows
        # at once: 100 requests in the same millisecond, every second of the arrival. People do
        # not arrive in step: each one opens their first page at a random moment of its second.
        gevent.sleep(random.uniform(0.0, SPAWN_INTERVAL))

    def _get(self, path: str, name: str, logged_in_marker: bool = False, htmx: bool = False) -> None:
        headers = {**self.citizen_headers, "HX-Request": "true"} if htmx else self.citizen_headers
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif logged_in_marker and b"join-invitation" in (response.content or b""):
                response.failure("the citizen is not logged in")

    @task(8)
    def for_you(self) -> None:
        self._get("/", "/ (for you)", logged_in_marker=True)

    @task(2)
    def for_you_next_page(self) -> None:
        self._get("/?page=2", "/?page=2 (htmx)", htmx=True)

    @task(4)
    def everything(self) -> None:
        self._get("/all", "/all (everything)")

    @task(3)
    def publication(self) -> None:
        self._get(f"/p/{random.choice(DATA['publications'])}", "/p/[id]")

    @task(3)
    def near(self) -> None:
        lat, lon = random.choice(DATA["points"])
        self._get(f"/near?lat={lat:.5f}&lon={lon:.5f}", "/near?lat&lon")

    @task(2)
    def actor_page(self) -> None:
        self._get(f"/actors/{random.choice(DATA['actors'])}", "/actors/[slug]")

    @task(3)
    def inbox(self) -> None:
        self._get("/me/inbox", "/me/inbox")
