"""Accounts: register, verify the e-mail, log in and out, reset or change the password,
onboarding, profile, consents and the language choice. Routes load, check, call a service, render."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import abort, after_this_request, flash, g, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import bp, devices, services, tasks, two_factor
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DisableTwoFactorForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    TwoFactorCodeForm,
)
from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.sessions import (
    active_sessions,
    end_session,
    revoke_all_sessions,
    session_timeouts,
    start_session,
)
from app.extensions import PASSWORD_FORM_LIMIT, db, limiter
from app.htmx import render, see_other
from app.i18n import SUPPORTED
from app.legal import services as legal_services
from app.security import safe_next
from app.territories.context import current_territory
from app.territories.scoping import same_territory

ONBOARDING_STEPS = ("interests", "follow", "about")
# A log-in waiting for its second factor: kept in the (signed) cookie session this long, and
# nothing more than whose it is; no server-side session exists until the code is given.
PENDING_LOGIN = "pending_login"
PENDING_LOGIN_SECONDS = 5 * 60


def _email_key() -> str:
    email = services.normalise_email(request.form.get("email", ""))
    return "email:" + hashlib.sha256(f"{request.host}|{email}".encode()).hexdigest()


def _trusted_device_token() -> str | None:
    """The device cookie's token that this browser earned by logging in to the account the
    log-in form names (app.accounts.devices), if any; looked up once per request."""
    if request.method != "POST":
        return None
    if "trusted_device_token" not in g:
        user = services.find_user(current_territory(), request.form.get("email", ""))
        cookie = request.cookies.get(devices.COOKIE)
        g.trusted_device_token = devices.token_for(user, cookie) if user is not None else None
    return g.trusted_device_token


def _from_trusted_device() -> bool:
    return _trusted_device_token() is not None


def _from_untrusted_device() -> bool:
    return _trusted_device_token() is None


def _device_key() -> str:
    token = _trusted_device_token() or ""
    return "device:" + hashlib.sha256(token.encode()).hexdigest()


def _log_in(user) -> None:  # type: ignore[no-untyped-def]
    """A fresh cookie session (no fixation), keeping only the language chosen before; the
    browser is remembered as one that logged in to this account (its device cookie)."""
    if current_user.is_authenticated:
        end_session()  # logging in again replaces the session, it does not add one
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    start_session(user)
    after_this_request(lambda response: devices.remember_device(response, user))


# --- register, verify ------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return see_other("feed.for_you")
    form = RegisterForm()
    if form.validate_on_submit():
        # The account is made by the worker, which tells the address's owner, and only them,
        # whether it was new (a confirmation link) or already had an account: this page answers
        # the same either way, after the same work (hashing the password, queueing the task).
        tasks.register_account(
            current_territory().id,
            form.email.data,
            hash_password(form.password.data),
            form.display_name.data or "",
            # The language the person registered in (chosen, else their browser's): their
            # messages and their archive are then written in it.
            str(get_locale()),
            *services.mail_origin(),
            # The terms as the page linked them: the version the person accepted is recorded.
            terms_version=legal_services.page_version(current_territory(), legal_services.TERMS),
        )
        return see_other("accounts.check_email")
    return render("accounts/register.html", form=form, status=422 if form.errors else 200)


@bp.get("/register/sent")
def check_email() -> Any:
    return render("accounts/check_email.html")


@bp.get("/verify/<token>")
def verify_email(token: str) -> Any:
    user = services.verify_email(current_territory(), token)
    if user is None:
        return render("accounts/invalid_link.html", status=400)
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if current_user.is_authenticated:
        return see_other("profiles.profile")
    if user.onboarded_at is None:  # a new account: its first log-in goes on to the onboarding
        return see_other("accounts.login", next=url_for("profiles.onboarding"))
    return see_other("accounts.login")


@bp.post("/verify/resend")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def resend_verification() -> Any:
    if current_user.email_verified:
        flash(_("Your e-mail address is already confirmed."), "success")
    else:
        tasks.send_account_mail(current_user.id, tasks.VERIFY, *services.mail_origin())
        flash(_("We sent you a new confirmation link. It works for 48 hours."), "success")
    return see_other(safe_next(request.form.get("next"), url_for("profiles.profile")))


# --- log in, log out -------------------------------------------------------------------------


# Guesses are slowed per address and per e-mail. A browser that logged in to the account before
# (its device cookie) is not held back by those, but by its own limit: someone guessing elsewhere
# does not lock the owner out (OWASP's device cookies).
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"], exempt_when=_from_trusted_device)
@limiter.limit(
    PASSWORD_FORM_LIMIT, methods=["POST"], key_func=_email_key, exempt_when=_from_trusted_device
)
@limiter.limit(
    PASSWORD_FORM_LIMIT, methods=["POST"], key_func=_device_key, exempt_when=_from_untrusted_device
)
def login() -> Any:
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return see_other(safe_next(form.next.data, url_for("feed.for_you")))
    if form.validate_on_submit():
        user = services.authenticate(current_territory(), form.email.data, form.password.data)
        if user is not None and user.two_factor_enabled:
            _start_pending_login(user, safe_next(form.next.data, url_for("feed.for_you")))
            return see_other("accounts.login_code")
        if user is not None:
            _log_in(user)
            if two_factor.must_enrol(user):
                return see_other("accounts.two_factor_setup")
            if not user.email_verified:
                flash(
                    _("Please confirm your e-mail address: look for our message in your mailbox."),
                    "info",
                )
            return see_other(safe_next(form.next.data, url_for("feed.for_you")))
        form.password.errors.append(_("Wrong e-mail address or password."))
    return render("accounts/login.html", form=form, status=422 if form.errors else 200)


def _start_pending_login(user: User, next_url: str) -> None:
    """The password is right; the second factor is still to come. A fresh cookie session that
    names whose log-in this is, until when, and where to go next: no session is started."""
    if current_user.is_authenticated:
        end_session()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session[PENDING_LOGIN] = {
        "user": user.id,
        "territory": user.territory_id,
        "until": int(time.time()) + PENDING_LOGIN_SECONDS,
        "next": next_url,
    }


def _pending_login_user() -> User | None:
    """The person whose log-in waits for a code here, if it has not expired."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    if pending.get("territory") != current_territory().id:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not same_territory(user, current_territory()) or not user.two_factor_enabled:
        return None
    return user


def _pending_login_key() -> str:
    """Codes are limited per account too, whatever address they come from."""
    pending = session.get(PENDING_LOGIN)
    user_id = pending.get("user") if isinstance(pending, dict) else None
    return "login-code:" + hashlib.sha256(f"{request.host}|{user_id}".encode()).hexdigest()


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"], key_func=_pending_login_key)
def login_code() -> Any:
    user = _pending_login_user()
    if user is None:
        session.pop(PENDING_LOGIN, None)
        if current_user.is_authenticated:
            return see_other("feed.for_you")
        flash(_("Your log-in has expired. Please log in again."), "info")
        return see_other("accounts.login")
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        used = two_factor.check_second_factor(user, form.code.data)
        if used is not None:
            next_url = session[PENDING_LOGIN].get("next", "")
            _log_in(user)
            if used == two_factor.RECOVERY:
                flash(
                    _(
                        "You used a recovery code: %(left)d left. Make new ones from your security page.",
                        left=two_factor.recovery_codes_left(user),
                    ),
                    "info",
                )
            return see_other(safe_next(next_url, url_for("feed.for_you")))
        form.code.errors.append(
            _("This code is not valid. Type the current code of your app, or a recovery code.")
        )
    return render("accounts/login_code.html", form=form, status=422 if form.errors else 200)


# Reachable by a platform administrator who has not set up two-factor log-in yet: the
# enrolment, logging out, and what pages need to show (styles, icons, the app's manifest).
REACHABLE_BEFORE_ENROLMENT = frozenset(
    {
        "accounts.two_factor_setup",
        "accounts.two_factor_enable",
        "accounts.logout",
        "static",
        "territories.theme_css",
    }
)


@bp.before_app_request
def _platform_admin_must_enrol() -> Any:
    if request.endpoint is None or request.endpoint in REACHABLE_BEFORE_ENROLMENT:
        return None
    if request.blueprint == "pwa" or getattr(g, "territory", None) is None:
        return None
    if current_user.is_authenticated and two_factor.must_enrol(current_user):
        return see_other("accounts.two_factor_setup")
    return None


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        end_session()
    session.pop("_fresh", None)
    flash(_("You are logged out."), "success")
    return see_other("feed.for_you")


# --- forgotten password, reset, change -------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        tasks.send_password_reset(current_territory().id, form.email.data, *services.mail_origin())
        # The same answer whether an account exists or not.
        flash(
            _(
                "If an account exists for this address, we have sent it a link to choose a new password. The link works for one hour."
            ),
            "success",
        )
        return see_other("accounts.login")
    return render("accounts/forgot_password.html", form=form, status=422 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def reset_password(token: str) -> Any:
    row = services.valid_token(current_territory(), token, services.RESET_PASSWORD)
    if row is None:
        return render("accounts/invalid_link.html", status=400)
    form = ResetPasswordForm(email=services.email_of(row))
    if form.validate_on_submit():
        if services.reset_password(current_territory(), token, form.password.data) is None:
            return render("accounts/invalid_link.html", status=400)
        if current_user.is_authenticated:
            logout_user()  # its session is revoked like every other one
        flash(
            _(
                "Your password has been changed and every session logged out. Log in with the new password."
            ),
            "success",
        )
        return see_other("accounts.login")
    return render(
        "accounts/reset_password.html", form=form, token=token, status=422 if form.errors else 200
    )


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        if services.check_password(current_user, form.current_password.data):
            services.set_password(
                current_user,
                form.password.data,
                keep_session=g.get("auth_session"),
                log_out_others=form.log_out_others.data,
            )
            if form.log_out_others.data:
                flash(
                    _("Your password has been changed. Your other sessions are logged out."),
                    "success",
                )
            else:
                flash(_("Your password has been changed."), "success")
            return see_other("profiles.profile")
        form.current_password.errors.append(_("This is not your current password."))
    return render("accounts/change_password.html", form=form, status=422 if form.errors else 200)


@bp.route("/me/email", methods=["GET", "POST"])
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def change_email() -> Any:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.change_email(current_user, form.email.data, form.current_password.data)
        except services.WrongPassword:
            form.current_password.errors.append(_("This is not your current password."))
        except services.SameEmail:
            form.email.errors.append(_("This is already your e-mail address."))
        except services.EmailTaken:
            form.email.errors.append(
                _("This e-mail address cannot be used for your account. Choose another one.")
            )
        else:
            tasks.send_account_mail(current_user.id, tasks.VERIFY, *services.mail_origin())
            flash(
                _(
                    "Your e-mail address is changed. Confirm it with the link we sent to the new address."
                ),
                "success",
            )
            return see_other("profiles.profile")
    return render("accounts/change_email.html", form=form, status=422 if form.errors else 200)


# --- security: sessions, two-factor log-in ---------------------------------------------------


def _security_context(**extra: Any) -> dict[str, Any]:
    user = current_user
    auth = g.get("auth_session")
    idle, absolute = session_timeouts(user)
    context = {
        "sessions": active_sessions(user),
        "current_session_id": auth.id if auth is not None else None,
        "idle_hours": int(idle.total_seconds() // 3600),
        "absolute_days": absolute.days,
        "may_enrol": two_factor.may_enrol(user),
        "recovery_codes_left": (
            two_factor.recovery_codes_left(user) if user.two_factor_enabled else 0
        ),
        "disable_form": DisableTwoFactorForm(),
        "recovery_form": TwoFactorCodeForm(),
    }
    context.update(extra)
    return context


@bp.get("/me/security")
@login_required
def security() -> Any:
    return render("accounts/security.html", **_security_context())


@bp.post("/me/sessions/log-out-others")
@login_required
def log_out_other_sessions() -> Any:
    revoke_all_sessions(current_user, keep=g.get("auth_session"))
    flash(_("Your other sessions are logged out."), "success")
    return see_other(url_for("accounts.security") + "#sessions")


def _setup_page(form: TwoFactorCodeForm, status: int = 200) -> Any:
    secret = two_factor.start_enrolment(current_user)
    uri = two_factor.provisioning_uri(current_user, current_territory().name)
    return render(
        "accounts/two_factor_setup.html",
        form=form,
        secret=two_factor.grouped(secret),
        qr_code=two_factor.qr_code_data_uri(uri),
        status=status,
    )


def _recovery_codes_page(codes: list[str]) -> Any:
    """Shown once, in the answer to the POST that made them (never kept, nor in a cookie)."""
    response = render("accounts/recovery_codes.html", codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me/security/two-factor")
@login_required
def two_factor_setup() -> Any:
    if not two_factor.may_enrol(current_user):
        abort(404)
    if current_user.two_factor_enabled:
        return see_other("accounts.security")
    return _setup_page(TwoFactorCodeForm())


@bp.post("/me/security/two-factor")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def two_factor_enable() -> Any:
    if not two_factor.may_enrol(current_user):
        abort(404)
    if current_user.two_factor_enabled:
        return see_other("accounts.security")
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        codes = two_factor.enable(current_user, form.code.data)
        if codes is not None:
            return _recovery_codes_page(codes)
        form.code.errors.append(
            _("This code is not valid. Type the code your app shows now.")
        )
    return _setup_page(form, status=422)


@bp.post("/me/security/two-factor/disable")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def two_factor_disable() -> Any:
    if not current_user.two_factor_enabled:
        return see_other("accounts.security")
    if current_user.is_platform_admin:
        abort(403)
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        if not services.check_password(current_user, form.password.data):
            form.password.errors.append(_("This is not your current password."))
        elif two_factor.check_second_factor(current_user, form.code.data) is None:
            form.code.errors.append(_("This code is not valid."))
        else:
            two_factor.disable(current_user)
            flash(_("Two-factor log-in is turned off."), "success")
            return see_other("accounts.security")
    return render("accounts/security.html", status=422, **_security_context(disable_form=form))


@bp.post("/me/security/recovery-codes")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def new_recovery_codes() -> Any:
    if not current_user.two_factor_enabled:
        return see_other("accounts.security")
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if two_factor.accept_code(current_user, form.code.data):
            return _recovery_codes_page(two_factor.new_recovery_codes(current_user))
        form.code.errors.append(_("This code is not valid. Type the code your app shows now."))
    return render("accounts/security.html", status=422, **_security_context(recovery_form=form))


# --- language --------------------------------------------------------------------------------


@bp.post("/language")
def set_language() -> Any:
    language = request.form.get("language", "")
    back = safe_next(request.form.get("next"), url_for("feed.for_you"))
    if language not in current_territory().enabled_languages or language not in SUPPORTED:
        flash(_("This language is not available here."), "error")
        return see_other(back)
    session["language"] = language
    if current_user.is_authenticated:
        services.set_language(current_user, language)
    return see_other(back)
