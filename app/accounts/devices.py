"""Device cookies, after OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a
browser that has logged in to an account keeps an allowance of log-in attempts of its own for
that account, so that someone guessing the password elsewhere, who uses up the limits per e-mail
and per address, does not lock its owner out (app.accounts.routes.login).

The cookie holds, for each account logged in from this browser (the last few), a random nonce and
an HMAC of the account's id, its password hash and that nonce under a key derived from
``SECRET_KEY``: it names the account only to the server, nothing in it is readable, and it cannot
be made for another account. A new one is given at every log-in; a copied cookie is worth one
account's device allowance, and a new password (changed or reset) makes every earlier one void."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Response, current_app, request

from app.accounts.models import User

COOKIE = "device"
# Sent with the log-in form only (and its second step, /login/code).
COOKIE_PATH = "/login"
LIFETIME = timedelta(days=365)
# Accounts remembered by one browser (a family computer); the oldest goes first.
ACCOUNTS_PER_BROWSER = 5


def _tag(user: User, nonce: str) -> str:
    key = hashlib.sha256(f"territory-device:{current_app.config['SECRET_KEY']}".encode()).digest()
    digest = hmac.new(key, f"{user.id}|{user.password_hash}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _tokens(cookie: str | None) -> list[str]:
    return [token for token in (cookie or "").split(":") if token][:ACCOUNTS_PER_BROWSER]


def new_token(user: User) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_tag(user, nonce)}"


def token_for(user: User, cookie: str | None) -> str | None:
    """The token of ``cookie`` that a log-in to ``user``'s account from this browser left, if any."""
    for token in _tokens(cookie):
        nonce, _, tag = token.partition(".")
        if nonce and hmac.compare_digest(tag, _tag(user, nonce)):
            return token
    return None


def remember_device(response: Response, user: User) -> Response:
    """After a log-in: the browser's cookie gets a new token for ``user``, first, in place of
    the one it had for them; the other accounts' tokens are kept."""
    cookie = request.cookies.get(COOKIE)
    old = token_for(user, cookie)
    tokens = [new_token(user), *(token for token in _tokens(cookie) if token != old)]
    response.set_cookie(
        COOKIE,
        ":".join(tokens[:ACCOUNTS_PER_BROWSER]),
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response
