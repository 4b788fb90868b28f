"""What actors do, testable without HTTP: opening hours, the directory, following, creating and
verifying an actor, members and invitations.

Services commit their own unit of work; routes only load, authorise, call and render."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import lazyload, selectinload

from app import changes
from app.accounts.models import AuthSession, User
from app.accounts.sessions import hash_token, person_has
from app.actors import hours
from app.actors.hours import WEEKDAYS
from app.actors.models import (
    ACTOR_KINDS,
    POWERED_KINDS,
    Actor,
    ActorHashtag,
    Follow,
    Invitation,
    Membership,
)
from app.extensions import db
from app.mail import send_mail
from app.models_common import Kept, KeptRows, staggered_minute, utcnow
from app.releases.engine import DAY, Asker, Question, Released, established, release
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.territories.scoping import belongs, same_territory, scoped
from app.text import normalise_hashtag, slugify

INVITATION_LIFETIME = timedelta(days=7)
DIRECTORY_PAGE_SIZE = 20
# Paths under /actors/ that are routes, not actor pages.
RESERVED_SLUGS = {"new"}


class MembershipError(ValueError):
    """A member change that would leave the actor in a bad state (e.g. without an owner)."""


class InvitationError(ValueError):
    """An invitation that cannot be accepted; ``reason`` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str, invitation: Invitation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


# ---------------------------------------------------------------- opening hours


def is_open_now(actor: Actor, at: datetime, timezone: str | None = None) -> bool:
    """Whether ``actor`` is open at the aware datetime ``at``, read in the territory's time zone,
    with its exceptions (holidays, special days): app.actors.hours."""
    return hours.is_open_at(actor, at, timezone)


def has_opening_hours(actor: Actor) -> bool:
    return any(actor.opening_hours.get(day) for day in WEEKDAYS)


# ---------------------------------------------------------------- directory


@dataclass
class DirectoryPage:
    actors: list[Actor]
    page: int
    has_more: bool


def search_directory(
    territory: Territory,
    text: str = "",
    kind: str = "",
    hashtag: str = "",
    neighbourhood: str = "",
    page: int = 1,
    page_size: int = DIRECTORY_PAGE_SIZE,
) -> DirectoryPage:
    """Verified actors of ``territory`` matching the text (name or summary) and the filters."""
    query = scoped(Actor, territory, Actor.status == "verified")
    text = text.strip()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(Actor.name.ilike(pattern, escape="\\"), Actor.summary.ilike(pattern, escape="\\"))
        )
    if kind:
        query = query.where(Actor.kind == kind)
    if hashtag:
        query = query.where(
            Actor.id.in_(
                select(ActorHashtag.actor_id)
                .join(Hashtag, Hashtag.id == ActorHashtag.hashtag_id)
                .where(belongs(Hashtag, territory), Hashtag.tag == normalise_hashtag(hashtag))
            )
        )
    if neighbourhood:
        query = query.join(Neighbourhood, Neighbourhood.id == Actor.neighbourhood_id).where(
            belongs(Neighbourhood, territory), Neighbourhood.slug == neighbourhood
        )
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            query.options(selectinload(Actor.neighbourhood))
            .order_by(Actor.name, Actor.id)
            .offset((page - 1) * page_size)
            .limit(page_size + 1)
        )
    )
    return DirectoryPage(actors=rows[:page_size], page=page, has_more=len(rows) > page_size)


# Actors as read for their public pages, kept per process (detached copies, app.models_common):
# an entry holds while the feed data is unchanged in any process of the instance (app.changes:
# the actor's row is in that group), and for the minute at most, as the page's kept parts.
kept_actors = KeptRows(512)


def find_actor(territory: Territory, slug: str, with_hashtags: bool = True) -> Actor | None:
    """The territory's actor ``slug``; its hashtags read with it unless ``with_hashtags`` is
    False (then only if used: its public page reads them only when it is drawn anew, and the
    actor itself comes from the per-process copies while they hold)."""
    if with_hashtags:
        return db.session.scalar(scoped(Actor, territory, Actor.slug == slug))
    engine = db.engine
    key = (id(current_app._get_current_object()), str(engine.url), territory.id, slug)  # type: ignore[attr-defined]
    version = (changes.version("feed", engine), staggered_minute(key))
    kept = kept_actors.get(db.session(), key, version)
    if kept is not None:
        return kept[0]  # type: ignore[no-any-return]
    actor = db.session.scalar(
        scoped(Actor, territory, Actor.slug == slug).options(lazyload(Actor.hashtags))
    )
    if actor is not None:
        kept_actors.put(key, version, actor)
    return actor


# ---------------------------------------------------------------- following


def followers(actor: Actor) -> Released:
    """The actor's followers as anybody sees them (its page, its dashboard): released once a
    day, counting established people who are not its own members."""
    territory = db.session.get(Territory, actor.territory_id)
    assert territory is not None

    def count() -> int:
        members = select(Membership.user_id).where(Membership.actor_id == actor.id)
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Follow)
                .join(User, User.id == Follow.user_id)
                .where(
                    Follow.actor_id == actor.id,
                    established(territory),
                    Follow.user_id.not_in(members),
                )
            )
            or 0
        )

    return release(
        Asker.public(territory), Question("followers", (actor.id,), DAY, chosen=False), count
    )


_FOLLOWING = select(Follow.user_id).where(
    Follow.user_id == bindparam("user_id"), Follow.actor_id == bindparam("value")
)
_FOLLOWED = select(Follow.actor_id).where(Follow.user_id == bindparam("user_id"))
# Whom a person follows, kept per process between their requests where a person's own is
# (app.accounts.sessions.keeps_per_person), while nobody's follows changed ("interests").
_followed = Kept(4096)


def is_following(user: Any, actor: Actor) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return person_has(_followed, "interests", user.id, actor.id, _FOLLOWING, _FOLLOWED)


def follow(user: User, actor: Actor) -> None:
    if db.session.get(Follow, (user.id, actor.id)) is None:
        db.session.add(Follow(user_id=user.id, actor_id=actor.id))
        db.session.commit()


def unfollow(user: User, actor: Actor) -> None:
    db.session.execute(delete(Follow).where(Follow.user_id == user.id, Follow.actor_id == actor.id))
    db.session.commit()


# ---------------------------------------------------------------- creating, editing, verifying


def unique_slug(territory: Territory, name: str, exclude_id: int | None = None) -> str:
    base = slugify(name, max_length=120)
    slug, n = base, 1
    while True:
        query = select(Actor.id).where(belongs(Actor, territory), Actor.slug == slug)
        if exclude_id is not None:
            query = query.where(Actor.id != exclude_id)
        if slug not in RESERVED_SLUGS and db.session.scalar(query) is None:
            return slug
        n += 1
        slug = f"{base}-{n}"


class KindError(ValueError):
    """A kind only the town gives (app.actors.models.POWERED_KINDS)."""


def create_actor(territory: Territory, creator: User, **fields: Any) -> Actor:
    """A new actor, pending until a territory admin verifies it; its creator is its owner.
    Kinds that carry powers are the town's to give: a citizen cannot create one."""
    if fields.get("kind") in POWERED_KINDS:
        raise KindError(fields["kind"])
    actor = Actor(
        territory_id=territory.id,
        slug=unique_slug(territory, fields["name"]),
        status="pending",
        created_by_id=creator.id,
        **fields,
    )
    db.session.add(actor)
    db.session.flush()
    db.session.add(Membership(actor_id=actor.id, user_id=creator.id, role="owner"))
    db.session.commit()
    _notify_admins_of_new_actor(territory, actor)
    return actor


def update_actor(actor: Actor, hashtags: Iterable[Hashtag] | None = None, **fields: Any) -> bool:
    """Save the members' changes to the page. A verified actor's new name or kind goes to the town
    for verification (its verified name and kind stay public until then; the admins are told);
    a kind that carries powers is never taken from here. Returns whether a change now waits."""
    kind = fields.pop("kind", actor.kind)
    name = fields.pop("name", actor.name)
    if kind != actor.kind and kind in POWERED_KINDS:
        raise KindError(kind)
    for field_name, value in fields.items():
        setattr(actor, field_name, value)
    if hashtags is not None:
        actor.hashtags = list(hashtags)
    waiting = False
    if actor.is_verified:
        actor.pending_name = name if name != actor.name else None
        actor.pending_kind = kind if kind != actor.kind else None
        waiting = actor.has_pending_change
    else:
        actor.name, actor.kind = name, kind
    db.session.commit()
    if waiting:
        territory = db.session.get(Territory, actor.territory_id)
        assert territory is not None
        _notify_admins_of_change(territory, actor)
    return waiting


def approve_change(actor: Actor, admin: User, kind: str | None = None) -> Actor:
    """The town accepts the name or kind waiting (or sets ``kind``, any kind: the town gives
    the kinds that carry powers)."""
    _check_admin(actor, admin)
    if actor.pending_name is not None:
        actor.name = actor.pending_name
    if kind is not None:
        actor.kind = kind
    elif actor.pending_kind is not None and actor.pending_kind not in POWERED_KINDS:
        actor.kind = actor.pending_kind
    actor.pending_name = actor.pending_kind = None
    db.session.commit()
    _mail_owners(
        actor,
        "actors/mail/change_decided.txt",
        _subject=lambda: _("%(name)s: the change is verified", name=actor.name),
        accepted=True,
    )
    return actor


def refuse_change(actor: Actor, admin: User) -> Actor:
    """The town refuses the name or kind waiting: the verified ones stay."""
    _check_admin(actor, admin)
    actor.pending_name = actor.pending_kind = None
    db.session.commit()
    _mail_owners(
        actor,
        "actors/mail/change_decided.txt",
        _subject=lambda: _("%(name)s: the change was not accepted", name=actor.name),
        accepted=False,
    )
    return actor


def set_kind(actor: Actor, admin: User, kind: str) -> Actor:
    """The town sets an actor's kind (the only way to a kind that carries powers)."""
    _check_admin(actor, admin)
    if kind not in ACTOR_KINDS:
        raise KindError(kind)
    actor.kind = kind
    if actor.pending_kind is not None:
        actor.pending_kind = None
    db.session.commit()
    return actor


def verify_actor(actor: Actor, admin: User) -> Actor:
    """A territory admin verifies ``actor``: it becomes public and its owners are told."""
    _check_admin(actor, admin)
    actor.status = "verified"
    actor.verified_at = utcnow()
    db.session.commit()
    _mail_owners(
        actor,
        "actors/mail/verified.txt",
        _subject=lambda: _("%(name)s is now public", name=actor.name),
    )
    return actor


def reject_actor(actor: Actor, admin: User, reason: str = "") -> Actor:
    """A territory admin refuses ``actor``: it stays hidden and its owners are told why."""
    _check_admin(actor, admin)
    actor.status = "rejected"
    actor.verified_at = None
    db.session.commit()
    _mail_owners(
        actor,
        "actors/mail/rejected.txt",
        _subject=lambda: _("%(name)s was not verified", name=actor.name),
        reason=reason,
    )
    return actor


def _check_admin(actor: Actor, admin: User) -> None:
    if not admin.is_admin or not same_territory(admin, actor):
        raise PermissionError("only an administrator of the actor's territory may do this")


def _external_url(endpoint: str, **values: Any) -> str:
    if not has_request_context():
        return ""
    return url_for(endpoint, _external=True, **values)


def owners(actor: Actor) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.actor_id == actor.id, Membership.role == "owner")
        )
    )


def _mail_owners(actor: Actor, template: str, _subject: Any, **context: Any) -> None:
    territory = db.session.get(Territory, actor.territory_id)
    page_url = _external_url("actors.page", slug=actor.slug)
    for owner in owners(actor):
        with force_locale(owner.language or (territory.default_language if territory else "fr")):
            text = render_template(
                template, actor=actor, territory=territory, page_url=page_url, **context
            )
            send_mail(owner.email, _subject(), text)


def _notify_admins_of_new_actor(territory: Territory, actor: Actor) -> None:
    admins = db.session.scalars(scoped(User, territory, User.is_admin.is_(True)))
    admin_url = _external_url("admin.index")
    for admin in admins:
        with force_locale(admin.language or territory.default_language):
            text = render_template(
                "actors/mail/new_actor.txt", actor=actor, territory=territory, admin_url=admin_url
            )
            send_mail(
                admin.email,
                _("A new actor waits for verification: %(name)s", name=actor.name),
                text,
            )


def _notify_admins_of_change(territory: Territory, actor: Actor) -> None:
    admins = db.session.scalars(scoped(User, territory, User.is_admin.is_(True)))
    admin_url = _external_url("admin.actors")
    for admin in admins:
        with force_locale(admin.language or territory.default_language):
            text = render_template(
                "actors/mail/changed.txt", actor=actor, territory=territory, admin_url=admin_url
            )
            send_mail(
                admin.email, _("%(name)s asks to change its name or kind", name=actor.name), text
            )


# ---------------------------------------------------------------- roles and members


def set_acting_actor(auth_session: AuthSession, user: User, actor_id: int | None) -> Actor | None:
    """Act as ``actor_id`` (None: as oneself). Raises PermissionError unless ``user`` is a member
    of that actor, in ``user``'s territory."""
    actor = None
    if actor_id is not None:
        membership = db.session.scalar(
            select(Membership)
            .join(Actor, Actor.id == Membership.actor_id)
            .where(
                Membership.user_id == user.id,
                Membership.actor_id == actor_id,
                belongs(Actor, user),
            )
        )
        if membership is None:
            raise PermissionError("not a member of this actor")
        actor = membership.actor
    auth_session.acting_actor_id = actor.id if actor else None
    db.session.commit()
    return actor


def members_of(actor: Actor) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.actor_id == actor.id)
            .order_by(Membership.role.desc(), User.display_name, User.email)
        )
    )


def _owner_count(actor: Actor) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Membership.actor_id == actor.id, Membership.role == "owner")
        )
        or 0
    )


def change_member_role(membership: Membership, role: str) -> Membership:
    if membership.role == "owner" and role != "owner" and _owner_count(membership.actor) <= 1:
        raise MembershipError(_("An actor must keep at least one owner."))
    membership.role = role
    db.session.commit()
    return membership


def remove_member(membership: Membership) -> None:
    """Remove a membership; the person loses the role on their very next request."""
    if membership.role == "owner" and _owner_count(membership.actor) <= 1:
        raise MembershipError(_("The last owner cannot be removed."))
    db.session.execute(
        AuthSession.__table__.update()
        .where(
            AuthSession.user_id == membership.user_id,
            AuthSession.acting_actor_id == membership.actor_id,
        )
        .values(acting_actor_id=None)
    )
    db.session.delete(membership)
    db.session.commit()


def pending_invitations(actor: Actor) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.actor_id == actor.id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def invite(actor: Actor, inviter: User, email: str, role: str = "editor") -> tuple[Invitation, str]:
    """Create a single-use invitation valid 7 days and e-mail its link; returns it and its token
    (only the token's hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        actor_id=actor.id,
        email=email.strip(),
        role=role,
        token_hash=hash_token(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.commit()
    territory = db.session.get(Territory, actor.territory_id)
    text = render_template(
        "actors/mail/invitation.txt",
        actor=actor,
        inviter=inviter,
        invitation=invitation,
        territory=territory,
        accept_url=_external_url("actors.accept_invitation", token=token),
    )
    send_mail(
        invitation.email,
        _(
            "Join %(name)s on %(territory)s",
            name=actor.name,
            territory=territory.name if territory else "",
        ),
        text,
    )
    return invitation, token


def find_invitation(territory: Territory, token: str) -> Invitation:
    """The invitation named by ``token`` in ``territory``, usable now; else InvitationError."""
    invitation = db.session.scalar(
        select(Invitation)
        .join(Actor, Actor.id == Invitation.actor_id)
        .where(Invitation.token_hash == hash_token(token), belongs(Actor, territory))
    )
    if invitation is None:
        raise InvitationError("invalid")
    if invitation.accepted_at is not None:
        raise InvitationError("used", invitation)
    if invitation.expires_at <= utcnow():
        raise InvitationError("expired", invitation)
    return invitation


def accept_invitation(territory: Territory, token: str, user: User) -> Membership:
    invitation = find_invitation(territory, token)
    if not same_territory(user, territory):
        raise InvitationError("invalid")
    membership = db.session.scalar(
        select(Membership).where(
            Membership.actor_id == invitation.actor_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(actor_id=invitation.actor_id, user_id=user.id, role=invitation.role)
        db.session.add(membership)
    elif invitation.role == "owner":
        membership.role = "owner"
    invitation.accepted_at = utcnow()
    db.session.commit()
    return membership


def inviter_name(invitation: Invitation) -> str:
    inviter = db.session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    if inviter is None:
        return ""
    return inviter.display_name or inviter.email


# ---------------------------------------------------------------- dashboard
