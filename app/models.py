"""Every domain's models, imported once so that metadata (Alembic, tests) knows all tables."""

from app.accounts.models import AccountToken, AuthSession, Consent, User, UserHashtag
from app.actors.hours_models import HoursException
from app.actors.models import Actor, ActorHashtag, Follow, Invitation, Membership
from app.audit.models_inventory import AuditDataSource
from app.audit.models_rounds import (
    AuditAction,
    AuditAttachment,
    AuditInvitation,
    AuditRound,
    AuditScore,
    AuditSettings,
    AuditStep,
)
from app.audit.models_shops import ShopAnswer
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.delivery.models import InboxItem
from app.embed.models import EmbedSetting
from app.extensions import Base, RateLimitHit
from app.imports.models import FeedItem, FeedSubscription
from app.kiosks.models import KioskToken
from app.legal.models import LegalText
from app.media.models import Media
from app.notifications.models import Mute, NotificationSettings, PushSubscription
from app.opendata.models import OpenDataCatalogue
from app.places.models import LiveCell
from app.polls.models import (
    PollOption,
    PollQuestion,
    PollRespondent,
    PollSheet,
    PollTally,
    PollText,
)
from app.privacy.models import DataExport
from app.publications.models import Publication, PublicationHashtag
from app.releases.models import CountRelease
from app.reports.models import (
    Open311Key,
    Report,
    ReportCategory,
    ReportFollower,
    ReportMessage,
    ReportPhoto,
    ReportUpdate,
)
from app.syndication.models import CalendarFeedToken
from app.territories.models import Hashtag, Neighbourhood, Territory, TerritoryHost
from app.webhooks.models import WebhookEndpoint, WebhookMessage, WebhookPollClosed
from app.welcome.models import WelcomeSent

__all__ = [
    "AccountToken", "Actor", "ActorHashtag",
    "AuditAction", "AuditAttachment", "AuditDataSource", "AuditInvitation", "AuditRound", "AuditScore", "AuditSettings",
    "AuditStep", "AuthSession", "Base", "CalendarFeedToken", "Campaign", "CampaignRun",
    "CountRelease", "EmbedSetting", "HoursException",
    "Consent", "DataExport", "Delivery", "Follow", "InboxItem", "Mute", "NotificationSettings", "PushSubscription",
    "Hashtag", "Invitation", "OpenDataCatalogue", "KioskToken", "LegalText", "LiveCell", "Media", "Membership", "Neighbourhood", "Publication",
    "PollOption", "PollQuestion", "PollRespondent", "PollSheet", "PollTally", "PollText",
    "PublicationHashtag", "RateLimitHit", "Open311Key", "Report", "ReportCategory", "ReportFollower",
    "ReportMessage", "ReportPhoto", "ReportUpdate", "FeedItem", "FeedSubscription", "ShopAnswer", "Territory", "TerritoryHost", "User", "UserHashtag", "WelcomeSent",
    "WebhookEndpoint", "WebhookMessage", "WebhookPollClosed",
]
