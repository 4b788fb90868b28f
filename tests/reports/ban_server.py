"""A local stand-in for the Base Adresse Nationale's search API (api-adresse.data.gouv.fr): a real
HTTP server on 127.0.0.1 answering ``GET /search/?q=&lat=&lon=&limit=`` with a GeoJSON
FeatureCollection as the BAN writes it. A test says what it answers (its features, or a
redirect, a huge body, an error) and reads what it was asked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask


def feature(label: str, lat: float, lon: float, score: float = 0.93, kind: str = "housenumber") -> dict[str, Any]:
    """A feature of the BAN's answer (the fields it sends, trimmed of the ones we do not read)."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "score": score, "type": kind, "name": label.split(" 13600")[0],
                       "postcode": "13600", "citycode": "13028", "city": "La Ciotat",
                       "x": 914000.0, "y": 6236000.0, "importance": 0.6, "id": "13028_0001_00003"},
    }


@dataclass
class BanServer:
    url: str
    host: str
    features: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # ok | redirect | huge | error
    asked: list[dict[str, list[str]]] = field(default_factory=list)

    def answer(self, *features: dict[str, Any]) -> None:
        self.features = list(features)


def _handler(server_state: BanServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            server_state.asked.append({"path": [parts.path], **parse_qs(parts.query)})
            if server_state.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", f"{server_state.url}?q=elsewhere")
                self.end_headers()
                return
            if server_state.mode == "error" or parts.path != "/search/":
                self.send_response(503)
                self.end_headers()
                return
            if server_state.mode == "huge":
                body = b'{"type":"FeatureCollection","features":[' + b" " * (400 * 1024) + b"]}"
            else:
                limit = int((parse_qs(parts.query).get("limit") or ["5"])[0])
                body = json.dumps({"type": "FeatureCollection", "version": "draft", "licence": "ETALAB-2.0",
                                   "query": (parse_qs(parts.query).get("q") or [""])[0],
                                   "features": server_state.features[:limit]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(config: dict[str, Any]) -> Iterator[BanServer]:
    """The BAN stand-in, running, and ``config`` (an app's) pointing at it until the end."""
    state = BanServer(url="", host="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    port = server.server_address[1]
    state.host = f"127.0.0.1:{port}"
    state.url = f"http://{state.host}/search/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    before = {name: config.get(name) for name in ("GEOCODER_URL", "GEOCODER_ALLOW_INSECURE_HOSTS")}
    config["GEOCODER_URL"] = state.url
    config["GEOCODER_ALLOW_INSECURE_HOSTS"] = (state.host,)
    try:
        yield state
    finally:
        config.update(before)
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def ban(app: Flask) -> Iterator[BanServer]:
    """The BAN stand-in, running, and the app configured to use it."""
    with serving(app.config) as state:
        yield state
