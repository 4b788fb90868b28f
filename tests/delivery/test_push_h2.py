"""Web push over HTTP/2 (app.delivery.channels.push_h2) against the real local push service:
one connection carrying many streams, the server's limits and windows, the answers and the
failures a push service can give, and the fall-back to HTTP/1.1."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.campaigns.models import Delivery
from app.delivery import runs as delivery_runs
from app.delivery.channels.push import PushRequest, PushSender
from app.extensions import db
from app.models_common import utcnow
from app.webpush import signer
from tests.delivery.conftest import make_campaign, make_citizens
from tests.support.push_service import PushService

TITLE = '{"title":"Fête du port"}'.encode()


def _requests(service: PushService, count: int, payload: bytes = TITLE) -> list[PushRequest]:
    requests = []
    for index in range(count):
        subscription = service.make_subscription()
        keys = subscription["keys"]
        requests.append(PushRequest(subscription["endpoint"], keys["p256dh"], keys["auth"], payload, topic=f"d{index}"))
    return requests


def _sender(service: PushService, **options: object) -> PushSender:
    return PushSender(signer(), (), (service.netloc,), **options)  # type: ignore[arg-type]


def _accepted_endpoints(service: PushService) -> Counter[str]:
    return Counter(r.endpoint for r in service.received if 200 <= r.status < 300)


def test_many_pushes_go_as_streams_of_one_connection(app):
    with PushService(delay=0.05, max_concurrent_streams=500) as service:
        requests = _requests(service, 300)
        with _sender(service) as sender:
            outcomes = sender.send(requests)
        assert [o.kind for o in outcomes] == ["sent"] * 300
        assert service.connections == {"h2": 1}
        assert {r.protocol for r in service.received} == {"h2"}
        assert service.errors == []  # VAPID verified, every body decrypted
        assert {r.payload for r in service.received} == {TITLE}
        first = service.received[0].headers
        assert (first["TTL"], first["Urgency"], first["Content-Encoding"]) == ("86400", "normal", "aes128gcm")
        assert {r.topic for r in service.received} == {f"d{i}" for i in range(300)}


def test_the_servers_stream_limit_opens_more_connections_never_more_streams(app):
    # the h2 server resets the connection if a client opens more streams than it allows: every
    # push arriving means the limit was kept
    with PushService(delay=0.05, max_concurrent_streams=10) as service:
        requests = _requests(service, 120)
        with _sender(service, concurrency=40) as sender:
            outcomes = sender.send(requests)
        assert [o.kind for o in outcomes] == ["sent"] * 120
        assert service.connections == {"h2": 4}  # 40 in flight, 10 per connection
        assert service.errors == []


def test_a_small_flow_control_window_holds_the_bodies_back_without_losing_any(app):
    payload = ('{"title":"' + "é" * 1400 + '"}').encode()  # about 2.9 kB, the window is 100 bytes
    with PushService(initial_window=100) as service:
        requests = _requests(service, 30, payload)
        with _sender(service) as sender:
            outcomes = sender.send(requests)
        assert [o.kind for o in outcomes] == ["sent"] * 30
        assert service.errors == []
        assert [r.payload for r in service.received] == [payload] * 30


def test_answers_over_http2_become_outcomes(app):
    with PushService() as service:
        requests = _requests(service, 8)
        script = [201, 404, 410, (429, {"Retry-After": "7"}), 500, (503, {"Retry-After": "3"}), 400, (301, {"Location": "/x"})]
        for request, answer in zip(requests, script, strict=True):
            service.script(request.endpoint, [answer])
        with _sender(service) as sender:
            outcomes = sender.send(requests)
        assert [(o.kind, o.error, o.after) for o in outcomes] == [
            ("sent", None, None),
            ("gone", "404", None),
            ("gone", "410", None),
            ("retry", "429", 7.0),
            ("retry", "500", None),
            ("retry", "503", 3.0),
            ("failed", "400", None),
            ("failed", "301", None),  # a redirect is not followed
        ]
        assert len(service.received) == 8 and service.connections == {"h2": 1}


@pytest.mark.parametrize("how", ["goaway", "close"])
def test_a_connection_ending_mid_flight_ends_in_retries_and_the_next_send_reconnects(app, how):
    with PushService() as service:
        requests = _requests(service, 40)
        service.drop_next(how, after=5)
        with _sender(service) as sender:
            outcomes = sender.send(requests)
            kinds = Counter(o.kind for o in outcomes)
            assert kinds["retry"] >= 1 and kinds["sent"] + kinds["retry"] == 40
            # "sent" only for what the service took (it may have taken more: their answers
            # were lost with the connection; the retry carries the same Topic)
            sent = Counter(r.endpoint for r, o in zip(requests, outcomes, strict=True) if o.kind == "sent")
            assert sent and sent <= _accepted_endpoints(service)
            assert {o.error for o in outcomes if o.kind == "retry"} == {"StreamFailed"}

            again = [r for r, o in zip(requests, outcomes, strict=True) if o.kind == "retry"]
            assert [o.kind for o in sender.send(again)] == ["sent"] * len(again)
        assert service.connections == {"h2": 2}
        assert set(_accepted_endpoints(service)) == {r.endpoint for r in requests}


def test_a_refused_stream_is_retried_and_the_others_go_through(app):
    with PushService() as service:
        requests = _requests(service, 10)
        service.drop_next("reset", after=3)
        with _sender(service) as sender:
            outcomes = sender.send(requests)
        assert Counter(o.kind for o in outcomes) == {"sent": 9, "retry": 1}
        assert service.connections == {"h2": 1}


def test_a_request_past_its_timeout_is_retried(app):
    with PushService(delay=3.0) as service:
        requests = _requests(service, 3)
        with _sender(service, timeout=0.5) as sender:
            outcomes = sender.send(requests)
        assert [(o.kind, o.error) for o in outcomes] == [("retry", "TimeoutError")] * 3


def test_a_host_not_on_the_allow_list_is_refused_before_any_connection(app):
    with PushService() as allowed, PushService() as other:
        requests = _requests(allowed, 2) + _requests(other, 2)
        with _sender(allowed) as sender:
            outcomes = sender.send(requests)
            assert sender.stats.refused_hosts == 2
        assert [(o.kind, o.error) for o in outcomes][2:] == [("failed", "host_not_allowed")] * 2
        assert other.connections == {} and other.received == []
        assert len(allowed.received) == 2


def test_a_push_service_without_http2_gets_http1(app):
    with PushService(http2=False) as service:  # a plain aiohttp HTTP/1.1 server
        requests = _requests(service, 20)
        with _sender(service) as sender:
            outcomes = sender.send(requests)
            assert [o.kind for o in sender.send(_requests(service, 5))] == ["sent"] * 5  # no new try
        assert [o.kind for o in outcomes] == ["sent"] * 20
        assert {r.protocol for r in service.received} == {"http/1.1"}
        assert len(service.received) == 25 and service.errors == []


def test_http2_off_sends_http1(app):
    with PushService() as service:
        with _sender(service, http2=False) as sender:
            outcomes = sender.send(_requests(service, 5))
        assert [o.kind for o in outcomes] == ["sent"] * 5
        assert set(service.connections) == {"http/1.1"}
        assert {r.protocol for r in service.received} == {"http/1.1"}


# -- TLS: ALPN picks the protocol, certificates are verified --------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "push.pem", tmp_path / "push.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    yield cert_file, key_file


def _tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize(("http2", "protocol"), [(True, "h2"), (False, "http/1.1")])
def test_over_tls_alpn_chooses_the_protocol(app, certificate, http2, protocol):
    with PushService(tls=_tls(certificate), http2=http2) as service:
        assert service.origin.startswith("https://")
        with _sender(service, ca_file=str(certificate[0])) as sender:
            outcomes = sender.send(_requests(service, 10))
        assert [o.kind for o in outcomes] == ["sent"] * 10
        assert {r.protocol for r in service.received} == {protocol}
        assert service.errors == []


def test_an_untrusted_certificate_is_refused(app, certificate):
    with PushService(tls=_tls(certificate)) as service:
        with _sender(service) as sender:  # the system's roots: this certificate is not one of them
            outcomes = sender.send(_requests(service, 3))
        assert {o.kind for o in outcomes} == {"retry"}
        assert service.received == []


# -- the campaign, end to end ------------------------------------------------------------------


def test_a_campaign_reaches_the_push_service_over_one_http2_connection(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 12, push_service=push_service)
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
    statuses = db.session.scalars(select(Delivery.status).where(Delivery.run_id == run.id))
    assert list(statuses) == ["sent"] * len(people)
    assert {r.protocol for r in push_service.received} == {"h2"}
    assert push_service.connections == {"h2": 1}
    assert push_service.errors == []


def test_header_blocks_decode_to_the_headers_given_while_the_table_changes():
    # the encoder reuses the bytes of headers already in the table and writes the new ones
    # itself: hpack's decoder must read back every header, and path, length and topic (or any
    # header marked so) never indexed, whatever the table's size does in between (a server may
    # change it with its SETTINGS)
    import random

    from hpack import Decoder, NeverIndexedHeaderTuple

    from app.delivery.channels.push_h2 import _HeaderEncoder

    encoder, decoder, rng = _HeaderEncoder(), Decoder(), random.Random(7)
    for index in range(2000):
        if index % 400 == 399:
            encoder.header_table_size = decoder.header_table_size = rng.choice([0, 120, 4096])
        new = NeverIndexedHeaderTuple if index % 2 else lambda name, value: (name, value)
        headers = [
            (b":method", b"POST"),
            (b":scheme", b"https"),
            (b":authority", b"push.example"),
            new(b":path", b"/wpush/" + b"%d" % index * rng.randint(1, 40)),
            (b"authorization", b"vapid t=" + b"x" * rng.choice([10, 200])),
            (b"ttl", rng.choice([b"0", b"86400"])),
            (b"urgency", rng.choice([b"high", b"normal"])),
            new(b"content-length", b"%d" % index),
            new(b"topic", b"d%d" % index),
            NeverIndexedHeaderTuple(b"x-secret", b"s%d" % (index % 3)),
        ]
        if rng.random() < 0.1:  # a header seen once, added to the table: every index moves
            headers.append((b"x-once-%d" % index, b"v" * rng.randint(0, 300)))
        decoded = decoder.decode(encoder.encode(headers), raw=True)
        assert [tuple(h) for h in decoded] == [tuple(h) for h in headers]
        never = {b":path", b"content-length", b"topic", b"x-secret"}
        assert [h.indexable for h in decoded] == [h[0] not in never for h in headers]
    encoder, decoder = _HeaderEncoder(), Decoder()
    repeated = [(b":method", b"POST"), (b"authorization", b"vapid t=" + b"x" * 200), (b"ttl", b"86400")]
    first, second = encoder.encode(repeated), encoder.encode(repeated)
    assert len(first) > 200 and len(second) == 3  # three indices into the table
    assert decoder.decode(first, raw=True) == decoder.decode(second, raw=True)


def test_a_long_fan_out_lets_go_of_its_finished_streams(app):
    from app.delivery.channels.push_h2 import _CLEAN_EVERY

    with PushService() as service:
        requests = _requests(service, 1200)
        with _sender(service, concurrency=50) as sender:
            outcomes = sender.send(requests)
            assert [o.kind for o in outcomes] == ["sent"] * 1200
            assert sender._h2 is not None
            connections = [c for origin in sender._h2._origins.values() for c in origin.connections]
            assert connections and all(len(c.h2.streams) <= _CLEAN_EVERY + 50 for c in connections)
            assert all(c.h2.open_outbound_streams == 0 for c in connections)
        assert service.errors == []
