"""Web processes of their own, as gunicorn's workers are: ``WebProcess(config)`` starts
``python -m tests.support.web_process CONFIG`` (the app made with that JSON config, served on a
free port of 127.0.0.1), which prints its port and serves until stopped. ``Browser`` talks to
any of them over HTTP, keeping its cookies as a browser would."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class WebProcess:
    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.web_process", json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        self.port = 0

    @classmethod
    def start_many(cls, config: dict[str, Any], count: int) -> list[WebProcess]:
        """``count`` processes, started together; returned once each listens."""
        processes = [cls(config) for _ in range(count)]
        try:
            for process in processes:
                process.wait_until_listening()
        except BaseException:
            for process in processes:
                process.stop()
            raise
        return processes

    def wait_until_listening(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.strip().isdigit():
            raise RuntimeError(f"the web process did not start: {line!r}")
        self.port = int(line)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies kept across processes (one host, 127.0.0.1), redirects not followed."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.headers = {"Accept-Language": "en"}
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, headers=dict(self.headers))
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with self._opener.open(request, timeout=30) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        for header in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return status, body.decode(errors="replace")


def _serve(config: dict[str, Any]) -> None:
    from werkzeug.serving import make_server

    from app import create_app

    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
