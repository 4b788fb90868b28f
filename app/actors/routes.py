"""Actors: public pages, directory, follow, role switching, the actor's tools, members."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import changes
from app.actors import bp, routes_hours, routes_open_now, services  # noqa: F401  (their pages on bp)
from app.actors.forms import (
    KIND_LABELS,
    ROLE_LABELS,
    ActorCreateForm,
    ActorEditForm,
    DirectoryForm,
    InviteForm,
    MemberRoleForm,
    OpeningHoursForm,
    ReturningConfirmForm,
    SwitchRoleForm,
    kind_choices,
    open_kind_choices,
)
from app.actors.models import SHOP_KINDS, Actor
from app.actors.permissions import (
    acting_actor_membership_or_404,
    can_manage_members,
    can_view_actor,
)
from app.actors.roles import actor_role_required
from app.actors.sections import dashboard_context, page_context
from app.extensions import db
from app.fragments import remember
from app.htmx import fragment_or_see_other, render, see_other, with_oob
from app.media.services import ImageError, store_image
from app.models_common import staggered_minute, utcnow
from app.security import safe_next
from app.territories.context import current_territory
from app.territories.models import Hashtag
from app.territories.services import active_hashtags
from app.timezones import local_date

bp.app_template_global("kind_choices")(kind_choices)


@bp.app_template_filter("actor_kind")
def actor_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("member_role")
def member_role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _visible_actor_or_404(slug: str, with_hashtags: bool = True) -> Actor:
    actor = services.find_actor(current_territory(), slug, with_hashtags)
    if actor is None or not can_view_actor(current_user, actor):
        abort(404)
    return actor


# ---------------------------------------------------------------- public


@bp.get("/actors")
def directory() -> Response:
    territory = current_territory()
    form = DirectoryForm(request.args)
    form.kind.choices = [("", _("All kinds")), *kind_choices()]
    form.hashtag.choices = [("", _("All hashtags"))] + [
        (h.tag, h.label) for h in active_hashtags(territory)
    ]
    form.neighbourhood.choices = [("", _("All neighbourhoods"))] + [
        (n.slug, n.name) for n in territory.neighbourhoods
    ]
    page = request.args.get("page", "1")
    result = services.search_directory(
        territory,
        text=form.q.data or "",
        kind=form.kind.data or "",
        hashtag=form.hashtag.data or "",
        neighbourhood=form.neighbourhood.data or "",
        page=int(page) if page.isdigit() else 1,
    )
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render(
        "actors/directory.html",
        "actors/_directory_results.html",
        form=form,
        result=result,
        filters=filters,
    )


@bp.get("/actors/<slug>")
def page(slug: str) -> Response:
    actor = _visible_actor_or_404(slug, with_hashtags=False)
    territory = current_territory()
    now = utcnow()
    # What the page says of the actor is the same for everybody: rendered once per actor and
    # kept (app.fragments) while the feed data (its row, hours, hashtags, publications) is
    # unchanged in any process of this machine's instance, and for the minute at most (open now,
    # today, a publication scheduled for now; a change made on another machine), each actor's
    # own minute (not all redrawn at the clock's, app.models_common.staggered_minute). The follower
    # count (a release) and the person's own buttons are drawn at each request.
    stamp = changes.version("feed", db.engine)
    minute = staggered_minute(("actor", actor.id))

    def body() -> str:
        return render_template(
            "actors/_page_body.html",
            actor=actor,
            open_now=services.is_open_now(actor, now, territory.timezone),
            has_hours=services.has_opening_hours(actor),
            weekdays=services.WEEKDAYS,
            today=local_date(now, territory).weekday(),
            **page_context(actor),
        )

    return render(
        "actors/page.html",
        actor=actor,
        actor_top=remember("actor-top", (actor.id, stamp, minute), lambda: render_template("actors/_page_top.html", actor=actor)),
        actor_body=remember("actor-body", (actor.id, stamp, minute), body),
        followers=services.followers(actor),
        following=services.is_following(current_user, actor),
        next_url=request.path,
    )


def _follow_response(actor: Actor, following: bool) -> Response:
    form = ReturningConfirmForm()
    next_url = safe_next(form.next.data, url_for("actors.page", slug=actor.slug))
    context = {
        "actor": actor,
        "following": following,
        "followers": services.followers(actor),
        "next_url": next_url,
    }
    message = (_("You now follow %(name)s.", name=actor.name) if following
               else _("You no longer follow %(name)s.", name=actor.name))
    response = fragment_or_see_other("actors/_follow_button.html", next_url, message, **context)
    return with_oob(response, "actors/_follower_count.html", **context)


@bp.post("/actors/<slug>/follow")
@login_required
def follow(slug: str) -> Response:
    actor = _visible_actor_or_404(slug)
    if not actor.is_verified:
        abort(404)
    services.follow(_user(), actor)
    return _follow_response(actor, True)


@bp.post("/actors/<slug>/unfollow")
@login_required
def unfollow(slug: str) -> Response:
    actor = _visible_actor_or_404(slug)
    services.unfollow(_user(), actor)
    return _follow_response(actor, False)


@bp.route("/actors/new", methods=["GET", "POST"])
@login_required
def create() -> Response:
    form = ActorCreateForm()
    if form.validate_on_submit():
        actor = services.create_actor(
            current_territory(),
            _user(),
            name=form.name.data.strip(),
            kind=form.kind.data,
            summary=form.summary.data or "",
            address=form.address.data or "",
            phone=form.phone.data or "",
            email=form.email.data or "",
            website=form.website.data or "",
        )
        services.set_acting_actor(g.auth_session, _user(), actor.id)
        flash(
            _(
                "%(name)s is created. A territory administrator will verify it before it becomes public.",
                name=actor.name,
            ),
            "success",
        )
        return see_other("actors.dashboard")
    status = 422 if form.is_submitted() else 200
    return render("actors/create.html", form=form, status=status)


# ---------------------------------------------------------------- roles


@bp.post("/role")
@login_required
def switch_role() -> Response:
    form = SwitchRoleForm()
    if not form.validate_on_submit():
        abort(400)
    raw_id = (form.actor_id.data or "").strip()  # Optional() lets blanks through
    actor_id = int(raw_id) if raw_id else None
    try:
        actor = services.set_acting_actor(g.auth_session, _user(), actor_id)
    except PermissionError:
        abort(403)
    if actor is None:
        return see_other("feed.for_you")
    return see_other("actors.dashboard")


# ---------------------------------------------------------------- the actor's tools


@bp.get("/manage")
@actor_role_required()
def dashboard() -> Response:
    actor = g.actor
    return render(
        "actors/dashboard.html",
        actor=actor,
        followers=services.followers(actor),
        membership=g.membership,
        is_shop=actor.kind in SHOP_KINDS,
        **dashboard_context(actor),
    )


def _edit_form_choices(form: ActorEditForm, actor: Actor) -> list[Hashtag]:
    territory = current_territory()
    form.kind.choices = open_kind_choices(actor.kind)
    hashtags = active_hashtags(territory)
    form.neighbourhood.choices = [("", _("None"))] + [
        (str(n.id), n.name) for n in territory.neighbourhoods
    ]
    form.hashtags.choices = [(str(h.id), h.label) for h in hashtags]
    return hashtags


def _edit_initial_data(actor: Actor) -> dict[str, Any]:
    return {
        "name": actor.pending_name or actor.name,
        "kind": actor.pending_kind or actor.kind,
        "summary": actor.summary,
        "description": actor.description_md,
        "address": actor.address,
        "lat": actor.lat,
        "lon": actor.lon,
        "neighbourhood": str(actor.neighbourhood_id) if actor.neighbourhood_id else "",
        "phone": actor.phone,
        "email": actor.email,
        "website": actor.website,
        "hashtags": [str(h.id) for h in actor.hashtags],
        "hours": OpeningHoursForm.data_from(actor.opening_hours),
        "photo_alt": actor.photo_alt,
        "click_and_collect": actor.click_and_collect,
        "click_and_collect_note": actor.click_and_collect_note,
        "delivers": actor.delivers,
        "delivery_note": actor.delivery_note,
    }


@bp.route("/manage/page", methods=["GET", "POST"])
@actor_role_required()
def edit() -> Response:
    actor = g.actor
    form = (
        ActorEditForm()
        if request.method == "POST"
        else ActorEditForm(data=_edit_initial_data(actor))
    )
    hashtags = _edit_form_choices(form, actor)
    if form.validate_on_submit():
        images: dict[str, int] = {}
        for name in ("logo", "photo"):
            upload = form[name].data
            if upload:
                try:
                    images[f"{name}_media_id"] = store_image(upload, actor.territory_id).id
                except ImageError as error:
                    form[name].errors = [*form[name].errors, str(error)]
        if any(form[name].errors for name in ("logo", "photo")):
            db.session.rollback()
            return render(
                "actors/edit.html", form=form, actor=actor, weekdays=services.WEEKDAYS, status=422,
                is_shop=actor.kind in SHOP_KINDS,
            )
        chosen = set(form.hashtags.data or [])
        waiting = services.update_actor(
            actor,
            hashtags=[h for h in hashtags if str(h.id) in chosen],
            name=form.name.data.strip(),
            kind=form.kind.data,
            summary=form.summary.data or "",
            description_md=form.description.data or "",
            address=form.address.data or "",
            lat=form.lat.data,
            lon=form.lon.data,
            neighbourhood_id=int(form.neighbourhood.data) if form.neighbourhood.data else None,
            phone=form.phone.data or "",
            email=form.email.data or "",
            website=form.website.data or "",
            opening_hours=form.hours.form.to_dict(),
            photo_alt=(form.photo_alt.data or "").strip(),
            **(form.commerce_fields() if actor.kind in SHOP_KINDS else {}),
            **images,
        )
        if waiting:
            flash(
                _(
                    "The page is saved. Its new name or kind waits for the town's verification; "
                    "until then the page keeps its verified name and kind."
                ),
                "success",
            )
        else:
            flash(_("The page is saved."), "success")
        return see_other("actors.edit")
    status = 422 if form.is_submitted() else 200
    return render(
        "actors/edit.html", form=form, actor=actor, weekdays=services.WEEKDAYS, status=status,
        is_shop=actor.kind in SHOP_KINDS,
    )


# ---------------------------------------------------------------- members


def _members_page(invite_form: InviteForm | None = None, status: int = 200) -> Response:
    actor = g.actor
    is_owner = can_manage_members(g.membership)
    members = services.members_of(actor)
    role_forms = {}
    if is_owner:
        for m in members:
            role_form = MemberRoleForm(
                prefix=f"member-{m.id}", formdata=None, data={"role": m.role}
            )
            role_forms[m.id] = role_form
    return render(
        "actors/members.html",
        actor=actor,
        members=members,
        is_owner=is_owner,
        role_forms=role_forms,
        confirm_form=ReturningConfirmForm(formdata=None),
        invite_form=invite_form or InviteForm(formdata=None),
        invitations=services.pending_invitations(actor) if is_owner else [],
        status=status,
    )


@bp.get("/manage/members")
@actor_role_required()
def members() -> Response:
    return _members_page()


@bp.post("/manage/members/invite")
@actor_role_required("owner")
def invite() -> Response:
    form = InviteForm()
    if not form.validate_on_submit():
        return _members_page(form, status=422)
    services.invite(g.actor, _user(), form.email.data, form.role.data)
    flash(_("The invitation is sent to %(email)s.", email=form.email.data), "success")
    return see_other("actors.members")


@bp.post("/manage/members/<int:membership_id>/role")
@actor_role_required("owner")
def change_member_role(membership_id: int) -> Response:
    membership = acting_actor_membership_or_404(membership_id)
    form = MemberRoleForm(prefix=f"member-{membership.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_member_role(membership, form.role.data)
        flash(_("The role is changed."), "success")
    except services.MembershipError as error:
        flash(str(error), "error")
    return see_other("actors.members")


@bp.post("/manage/members/<int:membership_id>/remove")
@actor_role_required("owner")
def remove_member(membership_id: int) -> Response:
    membership = acting_actor_membership_or_404(membership_id)
    leaving = membership.user_id == current_user.id
    try:
        services.remove_member(membership)
    except services.MembershipError as error:
        flash(str(error), "error")
        return see_other("actors.members")
    if leaving:
        flash(_("You are no longer a member of %(name)s.", name=g.actor.name), "success")
        return see_other("feed.for_you")
    flash(_("The member is removed."), "success")
    return see_other("actors.members")


# ---------------------------------------------------------------- invitations


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response:
    territory = current_territory()
    form = ReturningConfirmForm()
    try:
        invitation = services.find_invitation(territory, token)
    except services.InvitationError as error:
        status = 404 if error.reason == "invalid" else 410
        return render(
            "actors/invitation.html",
            problem=error.reason,
            invitation=error.invitation,
            status=status,
        )
    if request.method == "POST" and current_user.is_authenticated and form.validate_on_submit():
        membership = services.accept_invitation(territory, token, _user())
        services.set_acting_actor(g.auth_session, _user(), membership.actor_id)
        flash(
            _("Welcome to %(name)s: you now act as this actor.", name=membership.actor.name),
            "success",
        )
        return see_other("actors.dashboard")
    return render(
        "actors/invitation.html",
        problem=None,
        invitation=invitation,
        inviter=services.inviter_name(invitation),
        form=form,
    )
