from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

# Population types a citizen may declare (the resort's seed: who lives here and who passes
# through); the order is the one shown in forms. Migration 0009 mapped the earlier codes.
POPULATION_TYPES = (
    "resident", "seasonal_local", "seasonal_elsewhere", "second_home", "tourist", "day_visitor",
)
POPULATION_LABELS = {
    "resident": _l("Permanent resident"),
    "seasonal_local": _l("Local seasonal worker"),
    "seasonal_elsewhere": _l("Seasonal worker from elsewhere"),
    "second_home": _l("Second-home owner"),
    "tourist": _l("Tourist"),
    "day_visitor": _l("Day visitor"),
}


# What a town admin may set of how counts are released (app.releases.engine): bounds that keep
# the guarantees the README states (the defaults are the territory's column defaults).
RELEASE_BOUNDS: dict[str, tuple[float, float]] = {
    "release_epsilon": (0.05, 0.5),
    "release_daily_budget": (1.0, 20.0),
    "established_after_days": (3, 90),
    "presence_window_minutes": (15, 120),
    "statistics_window_minutes": (60, 1440),
    "min_zone_radius_m": (300, 2000),
}


class Territory(Base):
    """One town (tenant). Every other object belongs to exactly one territory."""

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    tagline: Mapped[str] = mapped_column(String(200), default="")
    logo_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    primary_color: Mapped[str] = mapped_column(String(7), default="#0b5fa5")
    accent_color: Mapped[str] = mapped_column(String(7), default="#e4572e")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    default_language: Mapped[str] = mapped_column(String(5), default="fr")
    enabled_languages_csv: Mapped[str] = mapped_column(String(40), default="fr,nl,en")
    center_lat: Mapped[float] = mapped_column(default=0.0)
    center_lon: Mapped[float] = mapped_column(default=0.0)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    anonymity_floor: Mapped[int] = mapped_column(Integer, default=11)
    # How counts of people are released (app.releases.engine; the admin sets them within the
    # bounds of RELEASE_BOUNDS): the privacy spent per release
    # (epsilon: the noise is 1/epsilon), each asker's daily budget, how old an account must be
    # to count, how long a presence answer and a campaign's figures stand, the smallest zone.
    release_epsilon: Mapped[float] = mapped_column(Float, default=0.12, server_default="0.12")
    release_daily_budget: Mapped[float] = mapped_column(Float, default=2.4, server_default="2.4")
    established_after_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    presence_window_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    statistics_window_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    min_zone_radius_m: Mapped[int] = mapped_column(Integer, default=300, server_default="300")
    # Map tiles of "Near me" ({z}/{x}/{y} URL template); empty: markers without a background map.
    tile_url: Mapped[str] = mapped_column(String(255), default="")
    # Hosts whose surveys a poll may show inside its page (one per line; the poll page's CSP
    # allows them in frame-src, for that page only). Any other survey is linked to, not embedded.
    survey_hosts: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The parts of the observatory of needs the town publishes for everyone (app.observatory),
    # comma-separated ("mix,hashtags,footfall"); empty: the observatory is the admins' alone.
    observatory_public: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    hosts: Mapped[list[TerritoryHost]] = relationship(
        back_populates="territory", cascade="all, delete-orphan"
    )
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="Neighbourhood.name"
    )

    @property
    def enabled_languages(self) -> list[str]:
        return [code for code in self.enabled_languages_csv.split(",") if code]

    @enabled_languages.setter
    def enabled_languages(self, codes: list[str]) -> None:
        self.enabled_languages_csv = ",".join(codes)

    @property
    def boundary(self) -> dict[str, Any] | None:
        return json.loads(self.boundary_geojson) if self.boundary_geojson else None


class TerritoryHost(Base):
    """A host name that reaches a territory (``ville.example``, ``station.localhost``)."""

    __tablename__ = "territory_host"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    hostname: Mapped[str] = mapped_column(String(255), unique=True)

    territory: Mapped[Territory] = relationship(back_populates="hosts")


class Neighbourhood(Base):
    __tablename__ = "neighbourhood"
    __table_args__ = (UniqueConstraint("territory_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120))
    geojson: Mapped[str | None] = mapped_column(Text)  # a GeoJSON Polygon or MultiPolygon geometry

    territory: Mapped[Territory] = relationship(back_populates="neighbourhoods")


class Hashtag(Base):
    """An entry of the town's curated hashtag catalogue (stored without '#', lower case)."""

    __tablename__ = "hashtag"
    __table_args__ = (UniqueConstraint("territory_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        return f"#{self.tag}"
