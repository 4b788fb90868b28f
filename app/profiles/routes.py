"""The citizen's profile: onboarding (interests, actors to follow, place), the profile page with
its consents and follows. Routes load, check, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import consents
from app.accounts.consents import CONSENT_LABELS, PROFILE_TARGETING
from app.accounts.permissions import own_consent_or_404
from app.actors.models import Actor
from app.htmx import render, render_fragment, see_other, wants_fragment
from app.i18n import LANGUAGE_NAMES, SUPPORTED
from app.profiles import bp, services
from app.profiles.forms import FollowForm, HashtagsForm, PlaceForm, ProfileForm
from app.territories.context import current_territory, get_scoped_or_404
from app.territories.models import POPULATION_LABELS, POPULATION_TYPES
from app.territories.services import active_hashtags, neighbourhoods

ONBOARDING_STEPS = ("interests", "follow", "about")


# --- onboarding ------------------------------------------------------------------------------


def _hashtag_choices() -> list[tuple[int, str]]:
    return [(h.id, h.label) for h in active_hashtags(current_territory())]


def _neighbourhood_choices() -> list[tuple[str, str]]:
    return [("", _("I would rather not say"))] + [
        (str(n.id), n.name) for n in neighbourhoods(current_territory())
    ]


def _population_choices() -> list[tuple[str, str]]:
    return [("", _("I would rather not say"))] + [
        (code, str(POPULATION_LABELS[code])) for code in POPULATION_TYPES
    ]


def _onboarding_form(step: str) -> Any:
    if step == "interests":
        form = HashtagsForm(data={"hashtags": [h.id for h in current_user.hashtags]})
        form.hashtags.choices = _hashtag_choices()
    elif step == "follow":
        form = FollowForm()
        form.actors.choices = [(a.id, a.name) for a in services.suggested_actors(current_user)]
    else:
        form = PlaceForm(
            data={
                "neighbourhood": current_user.neighbourhood_id,
                "population_type": current_user.population_type,
            }
        )
        form.neighbourhood.choices = _neighbourhood_choices()
        form.population_type.choices = _population_choices()
    return form


def _save_onboarding_step(step: str, form: Any) -> None:
    if step == "interests":
        services.set_hashtags(current_user, form.hashtags.data or [])
        if current_user.hashtags:
            consents.grant_consent(current_user, PROFILE_TARGETING, detail="onboarding")
    elif step == "follow":
        services.follow_actors(current_user, form.actors.data or [])
    else:
        services.set_place(current_user, form.neighbourhood.data, form.population_type.data)
        if current_user.neighbourhood_id or current_user.population_type:
            consents.grant_consent(current_user, PROFILE_TARGETING, detail="onboarding")


@bp.route("/welcome", defaults={"step": "interests"}, methods=["GET", "POST"])
@bp.route("/welcome/<step>", methods=["GET", "POST"])
@login_required
def onboarding(step: str) -> Any:
    if step not in ONBOARDING_STEPS:
        abort(404)
    form = _onboarding_form(step)
    if request.method == "POST":
        action = request.form.get("action", "next")
        if action == "skip_all":
            services.finish_onboarding(current_user)
            return see_other("feed.for_you")
        if action == "next":
            if not form.validate_on_submit():
                return render(
                    "profiles/onboarding.html",
                    form=form,
                    step=step,
                    steps=ONBOARDING_STEPS,
                    status=422,
                )
            _save_onboarding_step(step, form)
        index = ONBOARDING_STEPS.index(step)
        if index + 1 < len(ONBOARDING_STEPS):
            return see_other("profiles.onboarding", step=ONBOARDING_STEPS[index + 1])
        services.finish_onboarding(current_user)
        flash(_("All set! Here is what is happening around you."), "success")
        return see_other("feed.for_you")
    return render("profiles/onboarding.html", form=form, step=step, steps=ONBOARDING_STEPS)


# --- profile, consents, follows --------------------------------------------------------------


def _profile_form() -> ProfileForm:
    user = current_user
    form = ProfileForm(
        data={
            "display_name": user.display_name,
            "language": user.language,
            "hashtags": [h.id for h in user.hashtags],
            "neighbourhood": user.neighbourhood_id,
            "population_type": user.population_type,
            "personalise": consents.has_profile_targeting_consent(user),
        }
    )
    form.language.choices = [("", _("As my browser asks"))] + [
        (code, LANGUAGE_NAMES[code])
        for code in current_territory().enabled_languages
        if code in SUPPORTED
    ]
    form.hashtags.choices = _hashtag_choices()
    form.neighbourhood.choices = _neighbourhood_choices()
    form.population_type.choices = _population_choices()
    return form


def _profile_context(form: ProfileForm) -> dict[str, Any]:
    return {
        "form": form,
        "consent_labels": CONSENT_LABELS,
        "follows": services.followed_actors(current_user),
        "consents": consents.consents_of(current_user),
    }


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    form = _profile_form()
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            services.ProfileChoices(
                display_name=form.display_name.data or "",
                language=form.language.data,
                hashtag_ids=form.hashtags.data or [],
                neighbourhood_id=form.neighbourhood.data,
                population_type=form.population_type.data,
                personalise=form.personalise.data,
            ),
        )
        if current_user.language:
            session["language"] = current_user.language
        flash(_("Your profile is saved."), "success")
        return see_other("profiles.profile")
    return render(
        "profiles/profile.html", status=422 if form.errors else 200, **_profile_context(form)
    )


@bp.post("/me/consents/<int:consent_id>/withdraw")
@login_required
def withdraw_consent(consent_id: int) -> Any:
    consent = own_consent_or_404(consent_id)
    if consents.withdraw_consent(current_user, consent.id):
        flash(_("Your consent is withdrawn."), "success")
    return see_other("profiles.profile", "#consents")


@bp.post("/me/follows/<int:actor_id>/unfollow")
@login_required
def unfollow(actor_id: int) -> Any:
    actor = get_scoped_or_404(Actor, actor_id)
    services.unfollow_actor(current_user, actor.id)
    if not wants_fragment():
        return see_other("profiles.profile", "#follows")
    return render_fragment("profiles/_follows.html", **_profile_context(_profile_form()))
