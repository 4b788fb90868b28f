"""Settings from the environment, with safe defaults for one machine running SQLite."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
    SECRET_KEY = os.environ.get("SECRET_KEY")  # filled from instance/secret_key when absent
    DATABASE_URL = os.environ.get("DATABASE_URL", "")  # empty: SQLite in the instance folder
    REDIS_URL = os.environ.get("REDIS_URL", "")
    DEFAULT_TERRITORY = os.environ.get("DEFAULT_TERRITORY", "")  # slug; empty: the first one
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")  # smtp | console | memory
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Territory <no-reply@territory.local>")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Cookies over HTTPS only when the site is served over HTTPS (behind the proxy, or https as
    # its preferred scheme); never readable by scripts; not sent by cross-site requests.
    SESSION_COOKIE_SECURE = _bool(
        "SESSION_COOKIE_SECURE",
        _bool("BEHIND_HTTPS_PROXY", False) or os.environ.get("PREFERRED_URL_SCHEME") == "https",
    )
    # Server-side sessions end after this long without a request, and this long after log-in
    # whatever happens; shorter for the town's administrators (app.accounts.sessions).
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", str(14 * 24 * 60)))
    SESSION_ABSOLUTE_DAYS = int(os.environ.get("SESSION_ABSOLUTE_DAYS", "60"))
    ADMIN_SESSION_IDLE_MINUTES = int(os.environ.get("ADMIN_SESSION_IDLE_MINUTES", "120"))
    ADMIN_SESSION_ABSOLUTE_DAYS = int(os.environ.get("ADMIN_SESSION_ABSOLUTE_DAYS", "7"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    BEHIND_HTTPS_PROXY = _bool("BEHIND_HTTPS_PROXY", False)
    # Passwords are hashed with argon2id and the parameters of this profile of argon2.profiles:
    # RFC 9106's low-memory one (3 passes over 64 MiB, 4 lanes), argon2-cffi's default. A hash
    # keeps its parameters, so older ones still verify and are hashed again at the next log-in.
    # Not read from the environment (tests alone lower it, to "CHEAPEST").
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_IMAGE_BYTES = 5 * 1024 * 1024
    # Rate limits (app.extensions.limiter). Storage: RATELIMIT_STORAGE_URI, else REDIS_URL, else
    # the app's database (territorydb://): shared by every process either way. Redis keys start
    # with RATELIMIT_REDIS_PREFIX. A refused request is a 429 with Retry-After and a translated
    # page (app.security.too_many_requests).
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_REDIS_PREFIX = os.environ.get("RATELIMIT_REDIS_PREFIX", "territory-limits")
    RATELIMIT_HEADERS_ENABLED = True
    # A moving window: N per minute means N in any 60 seconds, not 2N across a minute's edge.
    RATELIMIT_STRATEGY = os.environ.get("RATELIMIT_STRATEGY", "moving-window")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # storage down: limit per process, still answer
    # Every endpoint answering scripts (JSON, polled fragments: app.security.SCRIPT_ENDPOINTS),
    # per address.
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "120 per minute")
    # The position check-in, per person (the app sends one every 5 minutes at most).
    RATELIMIT_CHECKIN = os.environ.get("RATELIMIT_CHECKIN", "30 per minute")
    # Campaigns created, per acting actor and per address (drafts count, refused forms do not).
    RATELIMIT_CAMPAIGN_ACTOR = os.environ.get("RATELIMIT_CAMPAIGN_ACTOR", "20 per hour")
    RATELIMIT_CAMPAIGN_ADDRESS = os.environ.get("RATELIMIT_CAMPAIGN_ADDRESS", "60 per hour")
    # One line per request in the log ``app.access``, naming the route by its rule (app.access_log);
    # off only for benchmarks.
    ACCESS_LOG = _bool("ACCESS_LOG", True)
    HUEY_IMMEDIATE = _bool("HUEY_IMMEDIATE", False)
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGES = ("fr", "nl", "en")
    ANONYMITY_FLOOR = 11
    FEED_PAGE_SIZE = 20
    SQL_ECHO = _bool("SQL_ECHO", False)
    # Delivery (campaigns). VAPID keys are generated on first run into the instance folder.
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@territory.local")
    # Push services a subscription endpoint may point at (host names; a leading "." allows
    # sub-domains). No request is ever made to another address.
    PUSH_ALLOWED_HOSTS = tuple(
        host.strip()
        for host in os.environ.get(
            "PUSH_ALLOWED_HOSTS",
            "fcm.googleapis.com,.push.services.mozilla.com,.notify.windows.com,"
            ".push.apple.com",
        ).split(",")
        if host.strip()
    )
    PUSH_TTL_SECONDS = int(os.environ.get("PUSH_TTL_SECONDS", str(24 * 3600)))
    # Street reports placed by a typed address: a geocoder speaking the Base Adresse Nationale's
    # API (``https://api-adresse.data.gouv.fr/search/``, or an addok of one's own), https on its
    # default port. Empty: no address is looked up (a report keeps its address, with no point).
    GEOCODER_URL = os.environ.get("GEOCODER_URL", "").strip()
    GEOCODER_TIMEOUT_SECONDS = float(os.environ.get("GEOCODER_TIMEOUT_SECONDS", "3"))
    # Tests only ("127.0.0.1:PORT" of a local geocoder, plain http): never read from the environment.
    GEOCODER_ALLOW_INSECURE_HOSTS: tuple[str, ...] = ()
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")  # console | http | memory
    SMS_PROVIDER_URL = os.environ.get("SMS_PROVIDER_URL", "")
    SMS_PROVIDER_TOKEN = os.environ.get("SMS_PROVIDER_TOKEN", "")
    DELIVERY_BATCH_SIZE = int(os.environ.get("DELIVERY_BATCH_SIZE", "500"))
    # Requests in flight per push worker; how long a claimed batch is a worker's before another
    # may take it again (longer than any batch takes); drain tasks started per run.
    PUSH_CONCURRENCY = int(os.environ.get("PUSH_CONCURRENCY", "200"))
    # HTTP/2 to push services (one connection per service, many requests on it); an origin that
    # does not negotiate it gets HTTP/1.1. Off: HTTP/1.1 always.
    PUSH_HTTP2 = _bool("PUSH_HTTP2", True)
    # Tests and benchmarks only ("127.0.0.1:PORT" of a local push service, plain http): never
    # read from the environment, production stays https on PUSH_ALLOWED_HOSTS.
    PUSH_ALLOW_INSECURE_HOSTS: tuple[str, ...] = ()
    # Addresses people type (feeds to import, webhook endpoints) go through app.outbound: public
    # addresses on ports 80/443 only. Tests list their local servers here ("127.0.0.1:PORT"):
    # never read from the environment.
    OUTBOUND_ALLOWED_PRIVATE: tuple[str, ...] = ()
    # Webhooks out (app.webhooks): per request, how long a claim is a sender's, requests at
    # once per sender, days the delivery log keeps.
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "15"))
    WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
    WEBHOOK_CONCURRENCY = int(os.environ.get("WEBHOOK_CONCURRENCY", "8"))
    WEBHOOK_LOG_DAYS = int(os.environ.get("WEBHOOK_LOG_DAYS", "30"))
    DELIVERY_LEASE_SECONDS = int(os.environ.get("DELIVERY_LEASE_SECONDS", "120"))
    DELIVERY_DRAIN_TASKS = int(os.environ.get("DELIVERY_DRAIN_TASKS", "2"))
    DELIVERY_RETRY_BASE_SECONDS = float(os.environ.get("DELIVERY_RETRY_BASE_SECONDS", "30"))
    DELIVERY_MAX_WAIT_SECONDS = float(os.environ.get("DELIVERY_MAX_WAIT_SECONDS", "30"))
    # A campaign's pace: deliveries a second for one run, all its drains together (civic alerts
    # and the messages about a person's own report go at once); 0: as fast as the workers go.
    CAMPAIGN_SEND_RATE = float(os.environ.get("CAMPAIGN_SEND_RATE", "250"))
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", "18"))  # territory time
    # The port written in the links of messages (when not 80/443): PUBLIC_PORT, else the port the
    # server listens on (``PORT=8000 make run``), except behind an HTTPS proxy, whose own port is
    # the public one. PUBLIC_PORT set, even empty, wins.
    PUBLIC_PORT = os.environ.get(
        "PUBLIC_PORT", "" if _bool("BEHIND_HTTPS_PROXY", False) else os.environ.get("PORT", "")
    )
