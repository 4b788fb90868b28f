"""The MDN HTTP Observatory grades the site A+: its own scanner (``@mdn/mdn-http-observatory``,
pinned in tests/observatory/package.json, installed by ``make observatory``), run unchanged
against the app served over HTTPS on a loopback port, offline.

What production looks like, on one port: TLS with a certificate the scanner trusts (a CA made
for this test, given to Node through ``NODE_EXTRA_CA_CERTS``), and plain http answered with a
redirect to https, as the HTTPS proxy in front of the app does (``BEHIND_HTTPS_PROXY``). The
scanner takes ``localhost:PORT`` as its host name, so it tries http and https on that port."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from app import create_app
from app.config import ROOT
from tests.factories import make_actor, make_publication, make_territory

OBSERVATORY = ROOT / "tests" / "observatory" / "node_modules" / "@mdn" / "mdn-http-observatory"
SCANNER = OBSERVATORY / "src" / "scan.js"

pytestmark = pytest.mark.skipif(
    not SCANNER.exists() or shutil.which("node") is None,
    reason="the MDN HTTP Observatory is not installed: run `make observatory`",
)


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and, signed by it, a certificate for localhost and 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Territory test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


class _Handler(WSGIRequestHandler):
    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ["wsgi.url_scheme"] = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        return environ


class HttpsServer(ThreadedWSGIServer):
    """TLS, and plain http on the same port (told apart by the first byte, 0x16 opening a TLS
    handshake) for the redirect to https."""

    def __init__(self, app: Any, tls: ssl.SSLContext) -> None:
        super().__init__("127.0.0.1", 0, _redirect_plain_http(app), handler=_Handler)
        self.tls = tls

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        try:
            connection.settimeout(10)
            if connection.recv(1, socket.MSG_PEEK) == b"\x16":
                connection = self.tls.wrap_socket(connection, server_side=True)
        except OSError:
            connection.close()
            raise
        return connection, address


def _redirect_plain_http(app: Any) -> Any:
    """What the HTTPS proxy does with plain http: a permanent redirect to the same URL in https."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["wsgi.url_scheme"] == "http":
            query = environ.get("QUERY_STRING")
            location = f"https://{environ['HTTP_HOST']}{quote(environ.get('PATH_INFO', '/'))}"
            location += f"?{query}" if query else ""
            start_response("301 Moved Permanently", [("Location", location), ("Content-Length", "0")])
            return [b""]
        return app(environ, start_response)

    return wsgi


@pytest.fixture
def https_site(app: Flask, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The app configured as in production behind the HTTPS proxy, on a loopback port."""
    territory = make_territory(timezone="Europe/Paris")
    make_publication(make_actor(territory, "Boulangerie du Port"), title="Fresh bread at 7")
    production = create_app({
        "SECRET_KEY": "observatory-secret",
        "SQLALCHEMY_URL": app.config["SQLALCHEMY_URL"],
        "INSTANCE_DIR": app.config["INSTANCE_DIR"],
        "MAIL_BACKEND": "memory",
        "SERVER_NAME": None,
        "BEHIND_HTTPS_PROXY": True,
        "SESSION_COOKIE_SECURE": True,  # what BEHIND_HTTPS_PROXY=1 in the environment gives
        "REMEMBER_COOKIE_SECURE": True,
    })
    ca_file, cert_file, key_file = _certificates(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server = HttpsServer(production, tls)
    thread = threading.Thread(target=server.serve_forever, name="observatory-site", daemon=True)
    thread.start()
    try:
        yield server.server_port, ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_mdn_http_observatory_grades_the_site_a_plus(https_site: tuple[int, Path]) -> None:
    port, ca_file = https_site
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NODE_EXTRA_CA_CERTS=str(ca_file), NODE_OPTIONS="--dns-result-order=ipv4first",
               NO_PROXY="*")
    scan = subprocess.run(["node", str(SCANNER), f"localhost:{port}"], cwd=OBSERVATORY, env=env,
                          capture_output=True, text=True, timeout=120)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    report = json.loads(scan.stdout)
    grade, score = report["scan"]["grade"], report["scan"]["score"]
    print(f"MDN HTTP Observatory: {grade}, score {score}")
    for name, test in sorted(report["tests"].items()):
        print(f"  {name}: {test['result']} ({test['scoreModifier']:+d})")
    failed = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    assert failed == {}
    # The scan saw the site as production serves it: a trusted certificate, http redirected.
    assert report["tests"]["redirection"]["result"] == "redirection-to-https"
    assert report["tests"]["strict-transport-security"]["result"] == "hsts-implemented-max-age-at-least-six-months"
    assert grade == "A+", report["scan"]
