"""``PORT=8000 make run``: the links in messages (built by a worker, outside any request) lead
to the port the server listens on, unless ``PUBLIC_PORT`` says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A process started as make run starts the server and the worker: the settings come from its
# environment when app.config is imported. It prints a message's unsubscribe link.
MESSAGE_LINK = """
import sys
from app import create_app
from app.delivery.links import territory_base_url, unsubscribe_url
from app.extensions import db
from app.models import Base
from app.territories.models import Territory, TerritoryHost

app = create_app({"SQLALCHEMY_URL": "sqlite:///" + sys.argv[1] + "/t.db", "INSTANCE_DIR": sys.argv[1],
                  "SECRET_KEY": "port-test"})
with app.app_context():
    Base.metadata.create_all(db.engine)
    town = Territory(slug="laciotat", name="La Ciotat", center_lat=43.17, center_lon=5.6)
    town.hosts = [TerritoryHost(hostname="localhost")]
    db.session.add(town)
    db.session.commit()
    print(unsubscribe_url(territory_base_url(town.id), 1, "email"))
"""


def message_link(tmp_path: Path, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PORT", "PUBLIC_PORT", "BEHIND_HTTPS_PROXY", "PREFERRED_URL_SCHEME",
                        "DATABASE_URL"}}
    done = subprocess.run([sys.executable, "-c", MESSAGE_LINK, str(tmp_path)], cwd=ROOT,
                          env={**env, **environment}, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("environment", "origin"),
    [
        ({"PORT": "8000"}, "http://localhost:8000/"),
        ({"PORT": "8000", "PUBLIC_PORT": "8443"}, "http://localhost:8443/"),
        ({"PORT": "8000", "BEHIND_HTTPS_PROXY": "1", "PREFERRED_URL_SCHEME": "https"},
         "https://localhost/"),
    ],
)
def test_links_in_messages_carry_the_port_the_server_listens_on(tmp_path, environment, origin):
    link = message_link(tmp_path, **environment)

    assert link.startswith(origin + "unsubscribe/"), link
