"""Lighthouse over the main screens (issue 12): `make lighthouse`.

The app is served with the demo territories on a temporary SQLite database (gunicorn, two
workers, as `make run` serves it); Lighthouse (npm, pinned in tests/lighthouse/package.json)
drives Debian's Chromium with its mobile settings (a Moto G Power's screen, simulated slow 4G
and a 4x slower CPU) over:

    home         /                      anonymous
    for_you      /                      the demo citizen, logged in
    everything   /all                   anonymous
    near         /near                  anonymous
    actor        /actors/<slug>         anonymous
    publication  /p/<id>                anonymous
    composer     /manage/campaigns/new  the demo merchant, acting for their shop

Prints ``lighthouse_<page>_<category>: N`` (0-100) for performance, accessibility,
best_practices and seo, then the audits that lost points on any page below the goal; exits 1
when a score is under the goal (95, or ``--goal``). Nothing is fetched from the network: the demo
map tiles are switched off (``tile_url`` empty) as a town without a tile server has them.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless=new --no-sandbox --disable-background-networking --disable-component-update "
    "--disable-sync --disable-gpu"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
DEMO_PASSWORD = "territoire-demo-2026"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(folder: Path) -> dict[str, str]:
    """Migrate and load the demo into a fresh SQLite file; return the environment to serve it."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'lighthouse.db'}",
        "INSTANCE_DIR": str(folder),
        "SECRET_KEY": "lighthouse-secret-key",
        "MAIL_BACKEND": "memory",
        "RATELIMIT_ENABLED": "0",
        "FLASK_APP": "app",
    }
    flask = str(ROOT / ".venv" / "bin" / "flask")
    subprocess.run([flask, "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([flask, "demo", "load"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    # No tile server is reachable from here: the pages show their map without tiles, as the
    # town's own settings allow, rather than waiting on the network.
    script = (
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from sqlalchemy import text\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    db.session.execute(text(\"UPDATE territory SET tile_url = ''\"))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", script], cwd=ROOT, env=env, check=True)
    return env


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the app did not start")


class Browser:
    """A cookie jar and a form poster: logs in as the site's own forms do (CSRF included)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, page: str, fields: dict[str, str]) -> str:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no CSRF token on the page before {path}"
        data = urllib.parse.urlencode({"csrf_token": token.group(1), **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return response.read().decode()

    def log_in(self, email: str) -> None:
        self.post("/login", self.get("/login"), {"email": email, "password": DEMO_PASSWORD})
        assert self.session_cookie(), f"{email} could not log in"

    def session_cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def pages(base: str) -> list[tuple[str, str, str]]:
    """(name, path, Cookie header) for each screen."""
    visitor = Browser(base)
    everything = visitor.get("/all")
    publication = re.search(r'href="(/p/\d+)"', everything)
    actors = visitor.get("/actors")
    actor = re.search(r'href="(/actors/[a-z0-9-]+)"', actors)
    assert publication and actor, "the demo has no publication or actor to open"

    citizen = Browser(base)
    citizen.log_in("citoyen@demo.territory")
    merchant = Browser(base)
    merchant.log_in("commercant@demo.territory")
    feed = merchant.get("/")
    shop = re.search(r'name="actor_id"[^>]*value="(\d+)"', feed) or re.search(
        r'value="(\d+)"[^>]*name="actor_id"', feed
    )
    assert shop, "the demo merchant has no role to take"
    merchant.post("/role", feed, {"actor_id": shop.group(1)})
    return [
        ("home", "/", ""),
        ("for_you", "/", citizen.session_cookie()),
        ("everything", "/all", ""),
        ("near", "/near", ""),
        ("actor", actor.group(1), ""),
        ("publication", publication.group(1), ""),
        ("composer", "/manage/campaigns/new", merchant.session_cookie()),
    ]


def lighthouse(url: str, cookie: str, output: Path) -> dict:  # type: ignore[type-arg]
    command = [
        "node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={output}",
        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROMIUM_FLAGS}",
        "--max-wait-for-load=30000",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    # Lighthouse now and then loses a trace on a busy machine (NO_NAVSTART, NO_FCP): run again.
    for attempt in range(3):
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
        if done.returncode == 0:
            report = json.loads(output.read_text())
            if not report.get("runtimeError"):
                return report
        log(f"  Lighthouse failed (attempt {attempt + 1}), running it again")
    raise SystemExit(f"Lighthouse failed three times on {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goal", type=int, default=95)
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median score counts")
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--keep", type=Path, help="keep the JSON reports in this folder")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run `make lighthouse`")

    folder = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    port = free_port()
    server = None
    failed = []
    try:
        log("preparing the demo database...")
        env = prepare_database(folder)
        server = serve(env, port)
        base = f"http://localhost:{port}"
        screens = pages(base)
        if args.only:
            wanted = set(args.only.split(","))
            screens = [s for s in screens if s[0] in wanted]
        losses: dict[str, set[str]] = {}
        for name, path, cookie in screens:
            runs = []
            for run in range(args.runs):
                log(f"lighthouse {name} ({path}) run {run + 1}")
                report = lighthouse(base + path, cookie, folder / f"{name}-{run}.json")
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(folder / f"{name}-{run}.json", args.keep / f"{name}-{run}.json")
                runs.append(report)
            for category in CATEGORIES:
                scores = sorted(round(100 * (r["categories"][category]["score"] or 0)) for r in runs)
                score = scores[len(scores) // 2]
                print(f"lighthouse_{name}_{category.replace('-', '_')}: {score}", flush=True)
                if score < args.goal:
                    failed.append(f"{name} {category} {score}")
                    report = runs[len(runs) // 2]
                    for ref in report["categories"][category]["auditRefs"]:
                        audit = report["audits"][ref["id"]]
                        if ref["weight"] and audit.get("score") is not None and audit["score"] < 0.9:
                            losses.setdefault(f"{name} {category}", set()).add(
                                f"{ref['id']} ({audit.get('displayValue', '')})"
                            )
        for where, audits in losses.items():
            log(f"  {where}: " + ", ".join(sorted(audits)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        log("under the goal: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
