from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.sealing import seal, unseal
from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class User(UserMixin, Base):
    """A person's account in one territory. The same e-mail in two territories is two accounts:
    nothing of one territory's people is reachable from another."""

    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("territory_id", "email"),
        # "Lives in this zone" (app.places.services): by residence cell, or by neighbourhood
        # for people without one; the index covers both look-ups.
        Index("ix_user_residence_cell", "territory_id", "residence_cell", "neighbourhood_id"),
        # Audience criteria (app.campaigns.criteria) filter the territory's people on these.
        Index("ix_user_neighbourhood", "territory_id", "neighbourhood_id"),
        Index("ix_user_population", "territory_id", "population_type"),
        Index("ix_user_language", "territory_id", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    language: Mapped[str | None] = mapped_column(String(5))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)  # territory administrator
    # Runs the instance (set only with ``flask platform-admin``): must log in with a second factor.
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Two-factor log-in (TOTP, app.accounts.two_factor): the secret is kept from the start of the
    # enrolment, the date only once a first code confirmed it; the last accepted time step, so
    # that a code cannot be used twice. The secret is sealed (``totp_secret`` below): a copy of
    # the database alone does not give the codes.
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL")
    )
    population_type: Mapped[str | None] = mapped_column(String(20))
    # Where the person lives, as a coarse H3 cell (resolution 9) of a point they picked; none:
    # their neighbourhood's centre stands for it. Only zone counts ever use it.
    residence_cell: Mapped[int | None] = mapped_column(BigInteger)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the inactivity warning went out (app.privacy.retention); logging in clears it.
    inactivity_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded when used (profile, onboarding), not with every request's user.
    hashtags = relationship("Hashtag", secondary="user_hashtag", lazy="select")
    neighbourhood = relationship("Neighbourhood")

    def get_id(self) -> str | None:
        """Flask-Login keeps this in the cookie: the server-side session's token, never the id."""
        return self.__dict__.get("_session_token")

    @property
    def session_token(self) -> str | None:
        return self.__dict__.get("_session_token")

    @session_token.setter
    def session_token(self, token: str | None) -> None:
        self.__dict__["_session_token"] = token

    @property
    def totp_secret(self) -> str | None:
        """The TOTP secret in clear, unsealed with a key derived from ``SECRET_KEY``."""
        return unseal(self.totp_secret_sealed, "totp") if self.totp_secret_sealed else None

    @totp_secret.setter
    def totp_secret(self, secret: str | None) -> None:
        self.totp_secret_sealed = seal(secret, "totp") if secret else None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class UserHashtag(Base):
    __tablename__ = "user_hashtag"
    # (hashtag, person): the people of a hashtag straight from the index (audiences, counts).
    __table_args__ = (Index("ix_user_hashtag_hashtag_user", "hashtag_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag_id: Mapped[int] = mapped_column(
        ForeignKey("hashtag.id", ondelete="CASCADE"), primary_key=True
    )


class AuthSession(Base):
    """A logged-in session, kept server-side so that logging out or changing the password
    revokes it: a replayed cookie then names a revoked row and logs nobody in."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    acting_actor_id: Mapped[int | None] = mapped_column(ForeignKey("actor.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use code that stands for a two-factor code when the device is lost; only its
    hash is kept (the codes are long and random: a plain SHA-256 is enough)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountToken(Base):
    """A single-use, expiring token sent by e-mail (verification, password reset)."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # verify_email | reset_password
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Consent(Base):
    """A consent given for one purpose (and channel), with when; withdrawing keeps the record."""

    __tablename__ = "consent"
    __table_args__ = (
        Index("ix_consent_user_purpose", "user_id", "purpose"),
        # The people who let their profile be used for targeting, straight from a small index
        # (audiences, app.campaigns.criteria, write the purpose as a literal to use it).
        Index(
            "ix_consent_targeting",
            "user_id",
            "purpose",
            "withdrawn_at",
            postgresql_where=text("purpose = 'profile_targeting' AND withdrawn_at IS NULL"),
            sqlite_where=text("purpose = 'profile_targeting' AND withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))  # terms | profile_targeting | email | ...
    channel: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    # The version of the text agreed to, for the terms (app.legal: 0 is the app's default text).
    version: Mapped[int | None] = mapped_column(Integer)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
